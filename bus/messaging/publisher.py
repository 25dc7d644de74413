"""Publishing contract events to Kafka with acks=all, idempotence and batching.

Lifecycle: ``start()`` once; then ``publish`` and ``publish_many`` from any number of tasks;
``close()`` once, which waits until Kafka acknowledged or refused every event whose publish was
accepted before it returns. A publish never awaits acknowledgements one event at a time:
``publish_many`` hands the whole batch to the producer (a partition's many records as whole
producer batches) and then awaits all acks together.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from types import TracebackType
from typing import Any, Self

from aiokafka import AIOKafkaProducer
from aiokafka.producer.message_accumulator import BatchBuilder
from aiokafka.record.default_records import DefaultRecordBatchBuilder
from murmurhash2 import murmurhash2
from prometheus_client import Counter

from bus.foundation import metrics
from bus.foundation.errors import PublishError
from bus.messaging.codec import Codec, OutgoingRecord
from contracts import Event

# Producer settings govbus relies on: every in-sync replica has the record before an ack, and
# retries never duplicate or reorder records. The rest batches for throughput.
SAFE_PRODUCER: dict[str, Any] = {
    "acks": "all",
    "enable_idempotence": True,
    "linger_ms": 5,
    "max_batch_size": 256 * 1024,
    "request_timeout_ms": 30_000,
}
# aiokafka's default largest request; a single record must fit in one.
_MAX_REQUEST_SIZE = 1024 * 1024
# A partition's records in one call go as whole producer batches from this many on; fewer go one
# by one, to share the producer's open batch with other publishes under way.
_WHOLE_BATCH_RECORDS = 32
# The seed of the MurmurHash2 with which Kafka's default partitioner hashes keys.
_KAFKA_SEED = 0x9747B28C
_record_size = DefaultRecordBatchBuilder.estimate_size_in_bytes


def partition_for(key: bytes, partitions: Sequence[int]) -> int:
    """The partition of ``key`` among a topic's ``partitions`` (in order) as Kafka's default
    partitioner picks it, in the Java client and aiokafka alike: so every producer of a topic
    puts a key's records on one partition, where they keep their order."""
    return partitions[(murmurhash2(key, _KAFKA_SEED) & 0x7FFFFFFF) % len(partitions)]


@dataclass(frozen=True, slots=True)
class Publication:
    """One event to publish, with its partition key and optional subject and id."""

    event: Event
    key: str
    subject: str | None = None
    event_id: str | None = None
    time: datetime | None = None


class Publisher:
    """Publishes events for one component (an adapter or service), named in metrics."""

    def __init__(
        self,
        *,
        bootstrap: str,
        codec: Codec,
        name: str,
        client_options: dict[str, Any] | None = None,
    ) -> None:
        self.codec = codec
        self.name = name
        options = {"bootstrap_servers": bootstrap} | (client_options or {}) | SAFE_PRODUCER
        self._producer = AIOKafkaProducer(**options)
        self._max_request_size: int = options.get("max_request_size", _MAX_REQUEST_SIZE)
        self._in_flight = metrics.PUBLISHES_IN_FLIGHT.labels(publisher=name)
        self._counters: dict[tuple[Counter, tuple[str, int]], Counter] = {}
        self._closed = False
        self._active = 0  # send_records calls under way
        self._idle = asyncio.Event()
        self._idle.set()

    async def start(self) -> None:
        """Connect to Kafka; if that fails, the producer is closed before the error is raised."""
        try:
            await self._producer.start()
        except BaseException:
            # A producer that failed to start still holds a client: stop it rather than leak it.
            with contextlib.suppress(Exception):
                await self._producer.stop()
            raise

    async def close(self) -> None:
        """Refuse new publishes, wait for every accepted one to be acknowledged, then stop."""
        self._closed = True
        await self._idle.wait()
        await self._producer.stop()

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    async def publish(
        self,
        event: Event,
        *,
        key: str,
        subject: str | None = None,
        event_id: str | None = None,
        time: datetime | None = None,
    ) -> str:
        """Publish one event and return its id once Kafka acknowledged it."""
        (published,) = await self.publish_many(
            [Publication(event, key=key, subject=subject, event_id=event_id, time=time)]
        )
        return published

    async def publish_many(self, publications: Iterable[Publication]) -> list[str]:
        """Publish a batch; return the event ids in order once Kafka acknowledged all of them.

        Every event is validated before any is sent, so an invalid one fails the batch without
        publishing part of it. If Kafka refuses some, the first error is raised after all
        outcomes are known.
        """
        records = [self._encode(p) for p in publications]
        return await self.send_records(records)

    async def send_records(self, records: list[OutgoingRecord]) -> list[str]:
        """Send already-encoded records (for example replayed dead letters) and await acks.

        A record too large for a Kafka request refuses the whole call before anything is sent.
        Each record goes to the partition every Kafka client's default partitioner picks for
        its key, and each partition's records keep their order. A partition's records go to
        the producer one by one when they are few, so that they share a producer batch with
        other publishes under way, and as whole producer batches when there are many, which
        saves the producer most of its work per record.
        """
        if self._closed:
            raise PublishError(f"publisher {self.name!r} is closed")
        for record in records:
            size = _record_size(record.key, record.value, record.headers)
            if size > self._max_request_size:
                raise PublishError(
                    f"event {record.event_id} is {size} bytes as a Kafka record; "
                    f"the producer's max_request_size is {self._max_request_size}"
                )
        handed: list[tuple[list[int], asyncio.Future[Any]]] = []
        refused: BaseException | None = None
        self._in_flight.inc(len(records))
        self._active += 1
        self._idle.clear()
        try:
            try:
                for (topic, partition), indices in (await self._by_partition(records)).items():
                    await self._hand_over(records, topic, partition, indices, handed)
            except Exception as exc:  # e.g. the producer was closed or timed out
                refused = exc
            # Records already handed over are still awaited, so none is left unaccounted for.
            settled = await asyncio.gather(*(f for _, f in handed), return_exceptions=True)
        finally:
            self._in_flight.dec(len(records))
            self._active -= 1
            if self._active == 0:
                self._idle.set()
        outcomes: list[Any] = [refused] * len(records)
        for (indices, _), outcome in zip(handed, settled, strict=True):
            for index in indices:
                outcomes[index] = outcome
        failure: BaseException | None = None
        published: dict[tuple[str, int], int] = {}
        for record, outcome in zip(records, outcomes, strict=True):
            contract = (record.event_type, record.version)
            if isinstance(outcome, BaseException):
                self._children(metrics.PUBLISH_FAILURES, contract).inc()
                failure = failure or outcome
            else:
                published[contract] = published.get(contract, 0) + 1
        for contract, count in published.items():
            self._children(metrics.EVENTS_PUBLISHED, contract).inc(count)
        if failure is not None:
            raise PublishError(f"Kafka refused an event: {failure!r}") from failure
        return [record.event_id for record in records]

    async def _by_partition(
        self, records: list[OutgoingRecord]
    ) -> dict[tuple[str, int], list[int]]:
        """The indices of ``records`` by topic and partition, in order."""
        partitions: dict[str, list[int]] = {}
        grouped: dict[tuple[str, int], list[int]] = {}
        for index, record in enumerate(records):
            known = partitions.get(record.topic)
            if known is None:
                known = sorted(await self._producer.partitions_for(record.topic))
                partitions[record.topic] = known
            grouped.setdefault((record.topic, partition_for(record.key, known)), []).append(index)
        return grouped

    async def _hand_over(
        self,
        records: list[OutgoingRecord],
        topic: str,
        partition: int,
        indices: list[int],
        handed: list[tuple[list[int], asyncio.Future[Any]]],
    ) -> None:
        """Give one partition's records to the producer, noting each delivery future."""
        if len(indices) < _WHOLE_BATCH_RECORDS:
            for index in indices:
                record = records[index]
                future = await self._producer.send(
                    topic, record.value, key=record.key, partition=partition, headers=record.headers
                )
                handed.append(([index], future))
            return
        builder: BatchBuilder = self._producer.create_batch()
        members: list[int] = []
        for index in indices:
            record = records[index]
            while (
                builder.append(
                    timestamp=None, key=record.key, value=record.value, headers=record.headers
                )
                is None
            ):  # full: send it and start the next, where a first record always fits
                handed.append((members, await self._send_batch(builder, topic, partition)))
                builder, members = self._producer.create_batch(), []
            members.append(index)
        handed.append((members, await self._send_batch(builder, topic, partition)))

    async def _send_batch(
        self, builder: BatchBuilder, topic: str, partition: int
    ) -> asyncio.Future[Any]:
        builder.close()  # nothing else joins it, and it does not wait for linger
        future: asyncio.Future[Any] = await self._producer.send_batch(
            builder, topic, partition=partition
        )
        return future

    def _children(self, counter: Counter, contract: tuple[str, int]) -> Counter:
        """``counter``'s child for an event type and version from this publisher, cached."""
        key = (counter, contract)
        child = self._counters.get(key)
        if child is None:
            event_type, version = contract
            child = self._counters[key] = counter.labels(event_type, str(version), self.name)
        return child

    def _encode(self, publication: Publication) -> OutgoingRecord:
        return self.codec.encode(
            publication.event,
            key=publication.key,
            event_id=publication.event_id or str(uuid.uuid4()),
            subject=publication.subject,
            time=publication.time,
        )
