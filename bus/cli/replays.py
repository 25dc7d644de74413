"""What `govbus dlq replay` has already sent back, kept in Kafka so it survives any restart.

Each dead-letter topic has a consumer group of its own (``TopicNames.replay_group``) that no
process consumes with. Its committed offset on a partition is a *watermark*: every dead letter
below it has been replayed. Dead letters replayed one by one (``--id``) above the watermark are
listed in the commit's metadata as offset ranges (``"105,107-109"``); when the watermark reaches
them they are folded into it.

Why a consumer group rather than a marker topic or header: Kafka topics are append-only, so a
dead letter cannot be marked in place; committed offsets are Kafka's own record of "read up to
here", need no topic to be created or retained, are written atomically per partition, and any
operator can inspect or reset them with the standard tools (``kafka-consumer-groups
--describe`` shows the dead letters not yet replayed as the group's lag; ``--reset-offsets``
makes them replayable again).

The record is written only after Kafka acknowledged every replayed record: a crash in between
replays those again next time, which subscribers drop as duplicates by ``ce_id``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.structs import OffsetAndMetadata

# Kafka's default offset.metadata.max.bytes is 4096; stay well inside it.
MAX_METADATA_CHARS = 4000


@dataclass(frozen=True, slots=True)
class Replayed:
    """What has been replayed from one partition: below ``watermark``, and ``above`` it."""

    watermark: int = 0
    above: frozenset[int] = field(default_factory=frozenset)

    def __contains__(self, offset: object) -> bool:
        return isinstance(offset, int) and (offset < self.watermark or offset in self.above)

    def with_offsets(self, offsets: Iterable[int]) -> Replayed:
        """This record plus ``offsets``, the watermark moved past every run it now reaches."""
        above = set(self.above) | {o for o in offsets if o >= self.watermark}
        watermark = self.watermark
        while watermark in above:
            above.remove(watermark)
            watermark += 1
        return Replayed(watermark, frozenset(above))

    def up_to(self, end: int) -> Replayed:
        """Everything below ``end`` replayed, as after replaying a whole partition."""
        if end <= self.watermark:
            return self
        return Replayed(end, frozenset()).with_offsets(self.above)

    def metadata(self) -> str:
        """The offsets above the watermark as comma-separated ranges, e.g. ``105,107-109``."""
        ranges: list[str] = []
        for offset in sorted(self.above):
            if ranges and _ends_at(ranges[-1]) == offset - 1:
                start = ranges[-1].split("-")[0]
                ranges[-1] = f"{start}-{offset}"
            else:
                ranges.append(str(offset))
        return ",".join(ranges)

    @classmethod
    def parse(cls, watermark: int, metadata: str) -> Replayed:
        """The record read back from a committed offset and its metadata.

        Metadata that is not a list of ranges (written by another tool) is ignored: the
        watermark alone still holds.
        """
        above: set[int] = set()
        for part in filter(None, metadata.split(",")):
            low, _, high = part.partition("-")
            if not low.isdigit() or (high and not high.isdigit()):
                return cls(max(watermark, 0))
            first, last = int(low), int(high or low)
            if last - first > 1_000_000:
                return cls(max(watermark, 0))
            above.update(range(first, last + 1))
        return cls(max(watermark, 0)).with_offsets(above)


def _ends_at(text: str) -> int:
    return int(text.rsplit("-", 1)[-1])


async def read_replayed(options: Mapping[str, Any], group: str) -> dict[int, Replayed]:
    """The replay record of the dead-letter topic whose replay group is ``group``, by partition."""
    admin = AIOKafkaAdminClient(**options)
    await admin.start()
    try:
        committed: dict[
            TopicPartition, OffsetAndMetadata
        ] = await admin.list_consumer_group_offsets(group)
    finally:
        await admin.close()
    return {
        tp.partition: Replayed.parse(entry.offset, entry.metadata or "")
        for tp, entry in committed.items()
        if entry.offset >= 0
    }


def too_long(record: Mapping[int, Replayed]) -> int | None:
    """A partition whose record is too long to commit to Kafka, if there is one."""
    return next((p for p, r in record.items() if len(r.metadata()) > MAX_METADATA_CHARS), None)


async def record_replayed(
    options: Mapping[str, Any], group: str, topic: str, record: Mapping[int, Replayed]
) -> None:
    """Commit ``record`` (every partition given) as the replay group's offsets on ``topic``.

    Raises ``ValueError`` if a partition's record is too long (see :func:`too_long`).
    """
    if (partition := too_long(record)) is not None:
        raise ValueError(f"the replay record of partition {partition} is too long to commit")
    consumer = AIOKafkaConsumer(group_id=group, enable_auto_commit=False, **options)
    await consumer.start()
    try:
        partitions = {p: TopicPartition(topic, p) for p in record}
        consumer.assign(list(partitions.values()))
        await consumer.commit(
            {
                partitions[p]: OffsetAndMetadata(replayed.watermark, replayed.metadata())
                for p, replayed in record.items()
            }
        )
    finally:
        await consumer.stop()
