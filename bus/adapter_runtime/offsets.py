"""Source offsets, owned by the bus: a compacted Kafka topic keyed by adapter and partition.

Each record's key is the JSON array ``[adapter, *source partition]`` and its value the JSON
offset object; compaction keeps the latest per key. ``load`` reads the topic to its end at
start-up; ``store`` writes with acks=all and returns once Kafka has the offsets.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from bus.adapter_runtime.source import Offset, Partition
from bus.broker.topics import create_topics, topic_partitions
from bus.messaging.publisher import SAFE_PRODUCER
from bus.messaging.topic_names import OFFSETS_TOPIC


class OffsetStore:
    """Loads and stores the offsets of every source adapter in one process.

    Lifecycle: ``start()`` once (creates the compacted topic if needed); ``load`` and ``store``
    from the adapters' tasks; ``close()`` once.
    """

    def __init__(self, options: Mapping[str, Any], *, topic: str = OFFSETS_TOPIC) -> None:
        self.topic = topic
        self._options = dict(options)
        self._bootstrap = str(self._options.get("bootstrap_servers", ""))
        self._producer = AIOKafkaProducer(**self._options, **SAFE_PRODUCER)

    async def start(self) -> None:
        await create_topics(
            self._bootstrap, [self.topic], partitions=1,
            config={"cleanup.policy": "compact"}, options=self._options,
        )  # fmt: skip
        await self._producer.start()

    async def close(self) -> None:
        await self._producer.stop()

    async def load(self, adapter: str) -> dict[Partition, Offset]:
        """The last stored offset of each partition of ``adapter``."""
        consumer = AIOKafkaConsumer(**self._options, enable_auto_commit=False)
        await consumer.start()
        found: dict[Partition, Offset] = {}
        try:
            partitions = (
                await topic_partitions(self._bootstrap, self.topic, options=self._options) or []
            )
            consumer.assign(partitions)
            await consumer.seek_to_beginning(*partitions)
            ends = await consumer.end_offsets(partitions)
            remaining = {tp for tp in partitions if ends[tp] > 0}
            while remaining:
                batch = await consumer.getmany(*remaining, timeout_ms=500)
                for tp, records in batch.items():
                    for record in records:
                        _apply(found, adapter, record.key, record.value)
                    if records and records[-1].offset + 1 >= ends[tp]:
                        remaining.discard(tp)
        finally:
            await consumer.stop()
        return found

    async def store(self, adapter: str, offsets: Mapping[Partition, Offset]) -> None:
        """Write the offsets of ``adapter`` and wait until Kafka acknowledged all of them."""
        futures = [
            await self._producer.send(
                self.topic,
                orjson.dumps(dict(offset), option=orjson.OPT_SORT_KEYS),
                key=orjson.dumps([adapter, *partition]),
            )
            for partition, offset in offsets.items()
        ]
        for future in futures:
            await future


def _apply(
    found: dict[Partition, Offset], adapter: str, key: bytes | None, value: bytes | None
) -> None:
    if key is None:
        return
    try:
        name, *partition = orjson.loads(key)
    except (orjson.JSONDecodeError, ValueError, TypeError):
        return  # not a govbus offset record; the topic is govbus's own, so skip it
    if name != adapter:
        return
    if value is None:
        found.pop(tuple(partition), None)
    else:
        found[tuple(partition)] = orjson.loads(value)
