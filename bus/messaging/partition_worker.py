"""One partition's records, handled one at a time in offset order by their own task.

The subscriber's fetch loop feeds a worker and commits ``done``, the offset after the last
record the worker finished. A worker stops after the record in hand; a record interrupted in a
retry backoff is not finished, so it is not committed and will be delivered again.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from aiokafka import TopicPartition
from aiokafka.structs import OffsetAndMetadata


class Stopping(Exception):
    """Raised from ``PartitionWorker.sleep`` when the subscriber stops during a backoff."""


class PartitionWorker:
    """Processes the records of ``tp`` sequentially; reports an unexpected error as fatal."""

    def __init__(
        self,
        tp: TopicPartition,
        process: Callable[[Any, PartitionWorker], Awaitable[None]],
        on_fatal: Callable[[BaseException], None],
    ) -> None:
        self.tp = tp
        self.done = -1
        self._committed = -1
        self._process = process
        self._on_fatal = on_fatal
        self._queue: deque[Any] = deque()
        self._wake = asyncio.Event()
        self._stop = asyncio.Event()
        self._task = asyncio.create_task(self._run(), name=f"govbus-{tp.topic}-{tp.partition}")

    @property
    def buffered(self) -> int:
        """Records fed and not yet finished."""
        return len(self._queue)

    @property
    def needs_commit(self) -> bool:
        return self.done > self._committed

    def committed(self, offset: OffsetAndMetadata | None) -> None:
        """Record that Kafka stored ``offset`` for this partition."""
        if offset is not None:
            self._committed = max(self._committed, offset.offset)

    def feed(self, records: Iterable[Any]) -> None:
        self._queue.extend(records)
        self._wake.set()

    async def sleep(self, seconds: float) -> None:
        """Wait ``seconds`` for a retry; raise ``Stopping`` at once if the worker is stopped."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stop.wait(), seconds)
        if self._stop.is_set():
            raise Stopping

    async def stop(self) -> None:
        """Finish the record in hand (not the rest of the queue) and end the task."""
        self._stop.set()
        self._wake.set()
        await self._task

    async def _run(self) -> None:
        while True:
            while self._queue and not self._stop.is_set():
                record = self._queue[0]
                try:
                    await self._process(record, self)
                except Stopping:
                    return
                except Exception as exc:
                    self._on_fatal(exc)
                    return
                self._queue.popleft()
                self.done = record.offset + 1
            if self._stop.is_set():
                return
            self._wake.clear()
            await self._wake.wait()
