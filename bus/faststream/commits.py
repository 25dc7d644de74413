"""Offsets of a FastStream subscriber's finished records, committed in batches.

FastStream commits after every message under ``AckPolicy.ACK`` (a broker round trip each);
govbus subscribers commit what they finished every ``interval_s`` instead, and an offset only
ever covers records that were handled, dropped as duplicates or dead-lettered. A record waiting
for a retry is not finished, so its offset, and every later one of its partition, stays
uncommitted until it is.
"""

from __future__ import annotations

import asyncio
import logging
import time

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.errors import KafkaError
from aiokafka.structs import OffsetAndMetadata

log = logging.getLogger(__name__)


class Commits:
    """The next offset to commit per partition, and when the last commit went out."""

    def __init__(self, *, interval_s: float) -> None:
        self.interval_s = interval_s
        self._done: dict[TopicPartition, int] = {}
        self._committed: dict[TopicPartition, int] = {}
        self._last = time.monotonic()
        self._lock = asyncio.Lock()

    def finished(self, tp: TopicPartition, offset: int) -> None:
        """Record that the record at ``offset`` of ``tp`` needs no more work."""
        self._done[tp] = offset + 1

    @property
    def due(self) -> bool:
        """Whether finished work waits and the last commit is ``interval_s`` old."""
        return self.pending() != {} and time.monotonic() - self._last >= self.interval_s

    def pending(self, tps: set[TopicPartition] | None = None) -> dict[TopicPartition, int]:
        """Offsets finished and not yet committed (of ``tps`` only, when given)."""
        return {
            tp: offset
            for tp, offset in self._done.items()
            if (tps is None or tp in tps) and offset > self._committed.get(tp, -1)
        }

    def forget(self, tps: set[TopicPartition]) -> None:
        """Drop what is known of partitions the group took away."""
        for tp in tps:
            self._done.pop(tp, None)
            self._committed.pop(tp, None)

    async def commit(
        self, consumer: AIOKafkaConsumer, tps: set[TopicPartition] | None = None
    ) -> None:
        """Commit the pending offsets. A commit the group refuses (during a rebalance) is
        logged and left: those records are delivered again and dropped as duplicates."""
        async with self._lock:
            offsets = self.pending(tps)
            self._last = time.monotonic()
            if not offsets:
                return
            try:
                await consumer.commit({tp: OffsetAndMetadata(o, "") for tp, o in offsets.items()})
            except KafkaError as exc:
                log.warning("commit of %d partition(s) refused: %r", len(offsets), exc)
                return
            for tp, offset in offsets.items():
                self._committed[tp] = max(self._committed.get(tp, -1), offset)
