"""Subscribing: typed handlers on a consumer group, with retries, dead letters and dedup.

A ``Subscription`` names the contract version it wants; events published under older versions
of that contract are read from their own topics and upcast. Records are handled one at a time
per partition, so events with the same key stay in order, and partitions proceed independently:
a handler retrying with backoff holds up only its own partition. An offset is committed only
after its record was handled or dead-lettered. If a dead-letter write fails, the subscriber
stops with ``DeadLetterWriteFailed`` and that record stays uncommitted.

Lifecycle: ``run()`` once, in its own task, until ``stop()`` is called (from any task) or a
fatal error; ``stop()`` lets each partition finish the record in hand, commits, and returns
when ``run()`` has ended. Cancelling ``run()`` stops it too, without committing unfinished work.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import Awaitable, Callable, Collection, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, NamedTuple, TypeVar

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRebalanceListener, TopicPartition
from aiokafka.structs import OffsetAndMetadata

from bus.foundation.errors import DeadLetterWriteFailed, GovbusError, RejectedRecord
from bus.messaging.codec import DEFAULT_MAX_VALUE_BYTES, Codec
from bus.messaging.dead_letter import DeadLetterWriter, Failure
from bus.messaging.dedup import DedupWindow
from bus.messaging.envelope import Envelope
from bus.messaging.partition_worker import PartitionWorker, Stopping
from bus.messaging.publisher import SAFE_PRODUCER
from bus.messaging.subscriber_metrics import SubscriberMeters
from contracts import Event

log = logging.getLogger(__name__)
E = TypeVar("E", bound=Event)
# How often the consumer refreshes its metadata. A topic created after the subscriber joined
# its group (by an operator, or by the broker on first mention) is assigned within this time;
# Kafka's default of five minutes left a subscriber with nothing to read for that long.
METADATA_MAX_AGE_MS = 15_000


class Delivery(NamedTuple):
    """Where a handled event came from, and which attempt this is (1 for the first).

    An immutable tuple rather than a frozen dataclass: one is built for every handled record.
    """

    envelope: Envelope
    topic: str
    partition: int
    offset: int
    key: bytes | None
    attempt: int


Handler = Callable[[E, Delivery], Awaitable[None]]


@dataclass(frozen=True, slots=True, kw_only=True)
class RetryPolicy:
    """How often a failing handler is tried, and how long to wait between tries."""

    max_attempts: int = 5
    initial_backoff_s: float = 0.2
    max_backoff_s: float = 10.0

    def delay(self, attempt: int) -> float:
        """Exponential backoff with jitter after the ``attempt``-th failure."""
        ceiling: float = min(self.max_backoff_s, self.initial_backoff_s * 2.0 ** (attempt - 1))
        return ceiling * random.uniform(0.5, 1.0)  # noqa: S311 - jitter, not cryptography


@dataclass(frozen=True, slots=True, kw_only=True)
class Subscription(Generic[E]):
    """A handler for one contract version, run by a consumer group named ``group_id``."""

    name: str
    contract: type[E]
    handler: Handler[E]
    group_id: str = ""
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    dedup_capacity: int = 100_000
    max_value_bytes: int = DEFAULT_MAX_VALUE_BYTES
    max_buffered_per_partition: int = 1000

    @property
    def group(self) -> str:
        return self.group_id or self.name


class Subscriber(Generic[E]):
    """Runs one subscription against Kafka."""

    def __init__(
        self,
        subscription: Subscription[E],
        *,
        bootstrap: str,
        codec: Codec,
        client_options: dict[str, Any] | None = None,
        on_ready: Callable[[bool, str], None] = lambda ready, detail: None,
    ) -> None:
        self.subscription = subscription
        self.codec = codec
        self.topics = topics_for(subscription.contract, codec)
        self._options = {"bootstrap_servers": bootstrap} | (client_options or {})
        self._on_ready = on_ready
        self._dedup = DedupWindow(subscription.dedup_capacity)
        self._workers: dict[TopicPartition, PartitionWorker] = {}
        self._stopping = asyncio.Event()
        self._fatal: BaseException | None = None
        self._finished = asyncio.Event()
        self._consumer: AIOKafkaConsumer | None = None
        self._dead_letters: DeadLetterWriter | None = None
        self._meters = SubscriberMeters(
            subscription.contract.contract.event_type, subscription.name
        )

    def stop(self) -> None:
        """Ask ``run()`` to finish the records in hand, commit and return."""
        self._stopping.set()

    async def stopped(self) -> None:
        """Wait until ``run()`` has ended."""
        await self._finished.wait()

    async def run(self) -> None:
        """Consume until stopped; raises ``DeadLetterWriteFailed`` if a dead letter is lost."""
        sub = self.subscription
        consumer = AIOKafkaConsumer(
            **self._options,
            group_id=sub.group,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            metadata_max_age_ms=METADATA_MAX_AGE_MS,
        )
        producer = AIOKafkaProducer(**self._options, **SAFE_PRODUCER)
        self._consumer = consumer
        self._dead_letters = DeadLetterWriter(producer, subscriber=sub.name)
        try:
            await producer.start()
            await consumer.start()
            listener = _Rebalance(
                revoked=self._partitions_revoked, assigned=self._partitions_assigned
            )
            consumer.subscribe(self.topics, listener=listener)
            await self._consume(consumer)
        finally:
            await self._shut_down(consumer, producer)
            self._finished.set()
        if self._fatal is not None:
            raise self._fatal

    async def _consume(self, consumer: AIOKafkaConsumer) -> None:
        limit = self.subscription.max_buffered_per_partition
        while not self._stopping.is_set() and self._fatal is None:
            batch = await consumer.getmany(timeout_ms=200, max_records=limit)
            for tp, records in batch.items():
                worker = self._workers.get(tp)
                if worker is None:
                    worker = self._workers[tp] = PartitionWorker(tp, self._process, self._failed)
                worker.feed(records)
            for tp, worker in self._workers.items():
                if worker.buffered >= limit:
                    consumer.pause(tp)
                elif tp in consumer.paused():
                    consumer.resume(tp)
            await self._commit(consumer, list(self._workers.values()))

    async def _shut_down(self, consumer: AIOKafkaConsumer, producer: AIOKafkaProducer) -> None:
        workers = list(self._workers.values())
        await asyncio.gather(*(worker.stop() for worker in workers), return_exceptions=True)
        with contextlib.suppress(Exception):
            await self._commit(consumer, workers)
        self._workers.clear()
        self._on_ready(False, "stopped")
        with contextlib.suppress(Exception):
            await consumer.stop()
        with contextlib.suppress(Exception):
            await producer.stop()

    async def _commit(self, consumer: AIOKafkaConsumer, workers: list[PartitionWorker]) -> None:
        offsets = {w.tp: OffsetAndMetadata(w.done, "") for w in workers if w.needs_commit}
        if offsets:
            await consumer.commit(offsets)
            for worker in workers:
                worker.committed(offsets.get(worker.tp))

    async def _partitions_revoked(self, revoked: set[TopicPartition]) -> None:
        """Finish and commit the revoked partitions' work before the group takes them away."""
        workers = [self._workers.pop(tp) for tp in revoked if tp in self._workers]
        await asyncio.gather(*(worker.stop() for worker in workers), return_exceptions=True)
        if self._consumer is not None and self._fatal is None:
            with contextlib.suppress(Exception):
                await self._commit(self._consumer, workers)

    def _partitions_assigned(self, assigned: set[TopicPartition]) -> None:
        """Ready with partitions; without any, not ready, saying why (``assignment_readiness``)."""
        consumer = self._consumer
        self._on_ready(
            *assignment_readiness(
                assigned, topics=self.topics, group=self.subscription.group,
                exists=lambda topic: bool(consumer and consumer.partitions_for_topic(topic)),
            )
        )  # fmt: skip

    def _failed(self, error: BaseException) -> None:
        self._fatal = self._fatal or error
        self._stopping.set()

    async def _process(self, record: Any, worker: PartitionWorker) -> None:
        sub = self.subscription
        try:
            decoded = self.codec.decode(
                record.headers, record.value, want=sub.contract, max_value_bytes=sub.max_value_bytes
            )
        except RejectedRecord as exc:
            await self._dead_letter(record, Failure(exc.stage, exc, attempts=0), "unknown")
            return
        envelope = decoded.envelope
        meters = self._meters.version(decoded.published_version)
        if envelope.id in self._dedup:
            meters.duplicate.inc()
            return
        for attempt in range(1, sub.retry.max_attempts + 1):
            delivery = Delivery(
                envelope, record.topic, record.partition, record.offset, record.key, attempt
            )
            started = time.perf_counter()
            try:
                await sub.handler(decoded.event, delivery)  # type: ignore[arg-type]
            except Exception as exc:
                meters.raised(started)
                final = isinstance(exc, GovbusError) and not exc.retriable
                if final or attempt == sub.retry.max_attempts:
                    version = str(decoded.published_version)
                    await self._dead_letter(record, Failure("handler", exc, attempt), version)
                    return
                await worker.sleep(sub.retry.delay(attempt))  # raises Stopping on stop()
                continue
            meters.succeeded(envelope, started)
            self._dedup.add(envelope.id)
            return

    async def _dead_letter(self, record: Any, failure: Failure, version: str) -> None:
        assert self._dead_letters is not None  # noqa: S101 - set before consuming starts
        try:
            await self._dead_letters.write(record, failure)
        except DeadLetterWriteFailed:
            self._meters.dead_letter_lost()
            raise
        self._meters.dead_lettered(record, failure, version)


class _Rebalance(ConsumerRebalanceListener):  # type: ignore[misc]
    """Tells the subscriber when the group takes partitions away or hands them over."""

    def __init__(
        self,
        *,
        revoked: Callable[[set[TopicPartition]], Awaitable[None]],
        assigned: Callable[[set[TopicPartition]], None],
    ) -> None:
        self._revoked = revoked
        self._assigned = assigned

    async def on_partitions_revoked(self, revoked: set[TopicPartition]) -> None:
        await self._revoked(revoked)

    async def on_partitions_assigned(self, assigned: set[TopicPartition]) -> None:
        self._assigned(assigned)


def assignment_readiness(
    assigned: Collection[TopicPartition],
    *,
    topics: Sequence[str],
    group: str,
    exists: Callable[[str], bool],
) -> tuple[bool, str]:
    """Whether a consumer of ``topics`` in ``group`` given ``assigned`` can work, and why not.

    Ready with any partition. Without, the reason names the topics that do not exist
    (``exists`` asks the consumer's metadata, which is what the group assigned from), else
    says that other members of the group hold every partition.
    """
    if assigned:
        return True, f"{len(assigned)} partition(s) assigned"
    missing = [topic for topic in topics if not exists(topic)]
    if missing:
        which = "topic " if len(missing) == 1 else "topics "
        why = which + ", ".join(missing) + (" does" if len(missing) == 1 else " do")
        return False, f"0 partitions assigned: {why} not exist"
    return False, (
        f"0 partitions assigned: other members of group {group} "
        f"hold every partition of {', '.join(topics)}"
    )


def subscribed_contracts(contract: type[Event], codec: Codec) -> list[type[Event]]:
    """``contract`` and every older version that upcasts to it: the versions read."""
    info = contract.contract
    versions = [contract]
    for version in range(info.version - 1, 0, -1):
        if not codec.upcasters.has_step(info.event_type, version):
            break
        versions.append(codec.registry.get(info.event_type, version))
    return versions


def topics_for(contract: type[Event], codec: Codec) -> list[str]:
    """The topics of ``contract`` and of every older version that upcasts to it."""
    return [codec.topic_for(version) for version in subscribed_contracts(contract, codec)]


__all__ = [
    "Delivery",
    "Handler",
    "RetryPolicy",
    "Stopping",
    "Subscriber",
    "Subscription",
    "assignment_readiness",
    "subscribed_contracts",
    "topics_for",
]
