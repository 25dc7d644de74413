"""govbus delivery for one FastStream subscriber: what ``bus.messaging.subscriber`` guarantees.

A ``Delivering`` sits between FastStream's consume loop and the handler (FastStream calls it
from ``GovbusMiddleware.consume_scope``). Per record it decodes with the govbus ``Codec``
(CloudEvents envelope, contract, ``ce_type``, upcasting, size limit; the handler receives the
contract instance and ignores unknown fields of a newer minor), drops a ``ce_id`` it handled
already, calls the handler, and on failure retries with backoff, then dead-letters the original
record byte for byte. It commits finished offsets itself (the subscriber runs with
``AckPolicy.MANUAL``).

FastStream's Kafka subscriber handles one record at a time for all its partitions. So that a
retrying handler holds up only its own partition, a failed record on a real consumer is not
waited for in place: its partition is rewound to it and paused for the backoff, and the
consumer carries on with the other partitions; when the pause ends the record is delivered
again as the next attempt. Under ``TestKafkaBroker``, where no consumer exists, the backoff is
awaited in place and dead letters are published through the broker.

If a dead letter cannot be written the subscriber halts: that record's partition is rewound,
nothing after it is committed, every later record is left unhandled, and ``on_fatal`` is told.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from typing import Any

from aiokafka import AIOKafkaConsumer, ConsumerRebalanceListener, TopicPartition

from bus.faststream.commits import Commits
from bus.foundation.errors import (
    DeadLetterWriteFailed,
    GovbusError,
    InvalidEnvelope,
    RejectedRecord,
)
from bus.messaging.codec import Codec
from bus.messaging.dead_letter import DeadLetterWriter, Failure, dead_letter_headers
from bus.messaging.dedup import DedupWindow
from bus.messaging.subscriber import Delivery, Subscription, assignment_readiness
from bus.messaging.subscriber_metrics import SubscriberMeters
from bus.messaging.topic_names import dlq_topic
from bus.observability.status import LastEvents

log = logging.getLogger(__name__)

DELIVERY_CONTEXT = "govbus_delivery"
"""The FastStream context name under which the handler's ``Delivery`` is kept."""

_DELIVERY: ContextVar[Delivery] = ContextVar("govbus_delivery")


def current_delivery() -> Delivery:
    """The ``Delivery`` of the event the calling handler is handling.

    Cheaper than a ``CurrentDelivery`` parameter, which FastStream resolves in a worker thread
    for every message. Raises ``LookupError`` outside a govbus handler.
    """
    return _DELIVERY.get()


PublishDeadLetter = Callable[[Any, Failure], Awaitable[None]]


class Delivering:
    """govbus delivery for the records of one FastStream subscriber (``subscription``).

    ``dead_letters()`` gives the writer used on a real consumer (started on first use);
    ``test_dead_letter`` publishes a dead letter through the broker when there is none.
    ``on_ready(ready, detail)`` hears whether the group gave it partitions (and why not) after
    every rebalance, and that it stopped; ``last_events`` keeps the attributes of what it reads.
    """

    def __init__(
        self,
        subscription: Subscription[Any],
        *,
        codec: Codec,
        topics: list[str],
        dead_letters: Callable[[], Awaitable[DeadLetterWriter]],
        test_dead_letter: PublishDeadLetter,
        on_fatal: Callable[[BaseException], None],
        commit_interval_s: float = 0.2,
        last_events: LastEvents | None = None,
    ) -> None:
        self.subscription = subscription
        self.codec = codec
        self.topics = topics
        self.fatal: BaseException | None = None
        self.consumer: AIOKafkaConsumer | None = None
        self.faststream_subscriber: Any = None  # set once FastStream registered it
        self._dead_letters = dead_letters
        self._test_dead_letter = test_dead_letter
        self._on_fatal = on_fatal
        self._dedup = DedupWindow(subscription.dedup_capacity)
        self._commits = Commits(interval_s=commit_interval_s)
        self._attempts: dict[tuple[str, int, int], int] = {}
        self._resumes: dict[TopicPartition, asyncio.TimerHandle] = {}
        self._stopping = False
        self._in_hand = 0
        self._idle = asyncio.Event()
        self._idle.set()
        self._flusher: asyncio.Task[None] | None = None
        self._meters = SubscriberMeters(
            subscription.contract.contract.event_type, subscription.name
        )
        self._last_events = last_events
        self.on_ready: Callable[[bool, str], None] = lambda ready, detail: None

    @property
    def listener(self) -> ConsumerRebalanceListener:
        """Commits the finished work of partitions before the group takes them away."""
        return _Rebalance(self)

    # --- per record -----------------------------------------------------------------------

    async def consume(
        self, call_next: Callable[[Any], Awaitable[Any]], message: Any, context: Any
    ) -> Any:
        """Deliver one FastStream message; returns the handler's result, or None."""
        record = message.raw_message
        consumer = message.consumer if isinstance(message.consumer, AIOKafkaConsumer) else None
        tp = TopicPartition(record.topic, record.partition)
        if self._stopping or self.fatal is not None:
            # Left for this group's next consumer: rewound, so no commit passes it.
            self._leave(consumer, tp, record.offset)
            return None
        self._in_hand += 1
        self._idle.clear()
        try:
            return await self._deliver(call_next, message, record, consumer, tp, context)
        finally:
            self._in_hand -= 1
            if self._in_hand == 0:
                self._idle.set()
            if consumer is not None:
                self._ensure_flusher(consumer)
                if self._commits.due or self._stopping:
                    await self._commits.commit(consumer)

    async def reject_unread(self, message: Any, error: Exception) -> None:
        """Dead-letter a record FastStream could not even parse (e.g. a non-UTF-8 header)."""
        record = getattr(message, "raw_message", message)
        found = getattr(self.faststream_subscriber, "consumer", None)
        consumer = found if isinstance(found, AIOKafkaConsumer) else None
        reason = InvalidEnvelope(f"the record cannot be read: {error}")
        await self._dead_letter(record, Failure(reason.stage, reason, 0), "unknown", consumer)
        self._finished(consumer, record)

    async def _deliver(
        self,
        call_next: Callable[[Any], Awaitable[Any]],
        message: Any,
        record: Any,
        consumer: AIOKafkaConsumer | None,
        tp: TopicPartition,
        context: Any,
    ) -> Any:
        sub = self.subscription
        try:
            decoded = self.codec.decode(
                record.headers, record.value, want=sub.contract, max_value_bytes=sub.max_value_bytes
            )
        except RejectedRecord as exc:
            await self._dead_letter(record, Failure(exc.stage, exc, 0), "unknown", consumer)
            self._finished(consumer, record)
            return None
        envelope, event = decoded.envelope, decoded.event
        meters = self._meters.version(decoded.published_version)
        if envelope.id in self._dedup:
            meters.duplicate.inc()
            self._finished(consumer, record)
            return None

        async def contract_instance(_: Any) -> Any:
            return event

        # The handler's argument is the instance decoded above (upcast, unknown fields of a
        # newer minor ignored), not FastStream's own JSON decoding into a strict model.
        message.set_decoder(contract_instance)
        if self._last_events is not None:
            # Only the attributes are kept, for the status page.
            self._last_events.record(envelope, subscription=sub.name)
        position = (record.topic, record.partition, record.offset)
        attempt = self._attempts.pop(position, 0)
        while True:
            attempt += 1
            delivery = Delivery(
                envelope, record.topic, record.partition, record.offset, record.key, attempt
            )
            started = time.perf_counter()
            try:
                token = _DELIVERY.set(delivery)
                try:
                    with context.scope(DELIVERY_CONTEXT, delivery):
                        result = await call_next(message)
                finally:
                    _DELIVERY.reset(token)
            except Exception as exc:
                meters.raised(started)
                final = isinstance(exc, GovbusError) and not exc.retriable
                if final or attempt >= sub.retry.max_attempts:
                    version = str(decoded.published_version)
                    await self._dead_letter(
                        record, Failure("handler", exc, attempt), version, consumer
                    )
                    self._finished(consumer, record)
                    return None
                delay = sub.retry.delay(attempt)
                if consumer is None:
                    await asyncio.sleep(delay)
                    continue
                # Only this partition waits: rewound to the record and paused for the backoff.
                self._attempts[position] = attempt
                self._leave(consumer, tp, record.offset)
                self._resumes[tp] = asyncio.get_running_loop().call_later(
                    delay, self._resume, consumer, tp
                )
                return None
            meters.succeeded(envelope, started)
            self._dedup.add(envelope.id)
            self._finished(consumer, record)
            return result

    def _finished(self, consumer: AIOKafkaConsumer | None, record: Any) -> None:
        if consumer is not None:
            self._commits.finished(TopicPartition(record.topic, record.partition), record.offset)

    def _leave(self, consumer: AIOKafkaConsumer | None, tp: TopicPartition, offset: int) -> None:
        """Rewind ``tp`` to ``offset`` and pause it, so the record is read again later."""
        if consumer is None:
            return
        with contextlib.suppress(Exception):  # the group may have taken the partition away
            consumer.seek(tp, offset)
            consumer.pause(tp)

    def _resume(self, consumer: AIOKafkaConsumer, tp: TopicPartition) -> None:
        self._resumes.pop(tp, None)
        if self._stopping or self.fatal is not None:
            return
        with contextlib.suppress(Exception):  # revoked meanwhile: its new owner reads it
            consumer.resume(tp)

    async def _dead_letter(
        self, record: Any, failure: Failure, version: str, consumer: AIOKafkaConsumer | None
    ) -> None:
        try:
            if consumer is None and self.consumer is None:
                await self._test_dead_letter(record, failure)
            else:
                await (await self._dead_letters()).write(record, failure)
        except DeadLetterWriteFailed as exc:
            self._meters.dead_letter_lost()
            self._halt(exc, consumer, record)
            raise
        self._meters.dead_lettered(record, failure, version)

    def _halt(self, error: BaseException, consumer: AIOKafkaConsumer | None, record: Any) -> None:
        """Stop taking records: the one whose dead letter was lost stays uncommitted."""
        self.fatal = self.fatal or error
        if consumer is not None:
            self._leave(consumer, TopicPartition(record.topic, record.partition), record.offset)
            with contextlib.suppress(Exception):
                consumer.pause(*consumer.assignment())
        self._on_fatal(error)

    # --- lifecycle ------------------------------------------------------------------------

    def _ensure_flusher(self, consumer: AIOKafkaConsumer) -> None:
        self.consumer = consumer
        if self._flusher is None:
            self._flusher = asyncio.create_task(self._flush_every(consumer))

    async def _flush_every(self, consumer: AIOKafkaConsumer) -> None:
        """Commit finished work while no new record arrives to trigger a commit."""
        while True:
            await asyncio.sleep(self._commits.interval_s)
            if self._commits.due:
                await self._commits.commit(consumer)

    async def drain(self) -> None:
        """Take no new records, wait for the ones in hand, and commit what was finished."""
        self._stopping = True
        for handle in self._resumes.values():
            handle.cancel()
        self._resumes.clear()
        await self._idle.wait()
        if self._flusher is not None:
            self._flusher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._flusher
            self._flusher = None
        if self.consumer is not None:
            await self._commits.commit(self.consumer)
        self.on_ready(False, "stopped")

    def assigned(self, tps: set[TopicPartition]) -> None:
        """Report whether the group gave this subscriber partitions, and if not why."""
        found = getattr(self.faststream_subscriber, "consumer", None)
        consumer = found if isinstance(found, AIOKafkaConsumer) else None
        self.on_ready(
            *assignment_readiness(
                tps, topics=self.topics, group=self.subscription.group,
                exists=lambda topic: bool(consumer and consumer.partitions_for_topic(topic)),
            )
        )  # fmt: skip

    async def revoked(self, tps: set[TopicPartition]) -> None:
        """Commit the finished work of ``tps`` and forget their pending retries."""
        for tp in tps:
            handle = self._resumes.pop(tp, None)
            if handle is not None:
                handle.cancel()
        self._attempts = {
            at: n for at, n in self._attempts.items() if TopicPartition(at[0], at[1]) not in tps
        }
        if self.consumer is not None and self.fatal is None:
            await self._commits.commit(self.consumer, tps)
        self._commits.forget(tps)


def text_dead_letter(
    record: Any, failure: Failure, *, subscriber: str
) -> tuple[str, dict[str, str]]:
    """The topic and text headers of a dead letter published through FastStream in tests."""
    headers = dead_letter_headers(
        list(record.headers), topic=record.topic, partition=record.partition,
        offset=record.offset, failure=failure, subscriber=subscriber,
    )  # fmt: skip
    return dlq_topic(record.topic), {n: v.decode("utf-8", "replace") for n, v in headers}


class _Rebalance(ConsumerRebalanceListener):  # type: ignore[misc]
    def __init__(self, delivering: Delivering) -> None:
        self._delivering = delivering

    async def on_partitions_revoked(self, revoked: set[TopicPartition]) -> None:
        await self._delivering.revoked(set(revoked))

    async def on_partitions_assigned(self, assigned: set[TopicPartition]) -> None:
        self._delivering.assigned(set(assigned))


__all__ = ["DELIVERY_CONTEXT", "Delivering", "current_delivery", "text_dead_letter"]
