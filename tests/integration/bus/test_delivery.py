"""Delivery through a real broker: typed, upcast, ordered, retried, dead-lettered, deduplicated."""

from __future__ import annotations

import asyncio
import contextlib
from collections import defaultdict
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer

from bus.foundation.errors import DeadLetterWriteFailed, PublishError
from bus.messaging import dead_letter
from bus.messaging.codec import Codec
from bus.messaging.publisher import Publication, Publisher
from bus.messaging.subscriber import Delivery, RetryPolicy, Subscriber, Subscription
from bus.messaging.topic_names import dlq_topic
from bus.testing.kafka import create_topics, eventually, read_records, topic_partitions
from contracts import default_upcasters
from contracts.catalogue.gro import DeathRegisteredV1, DeathRegisteredV2

from .conftest import RunSubscriber

FAST_RETRY = RetryPolicy(max_attempts=3, initial_backoff_s=0.01, max_backoff_s=0.05)


def death(entry_number: int) -> DeathRegisteredV1:
    example = dict(DeathRegisteredV1.contract.example)
    return DeathRegisteredV1.model_validate(example | {"entry_number": entry_number})


class Recorder:
    """A handler that records what it was given, failing as told."""

    def __init__(self, fail_first: int = 0, fail_entries: frozenset[int] = frozenset()) -> None:
        self.events: list[Any] = []
        self.deliveries: list[Delivery] = []
        self.attempts: dict[str, int] = defaultdict(int)
        self.fail_first = fail_first
        self.fail_entries = fail_entries

    async def __call__(self, event: Any, delivery: Delivery) -> None:
        self.attempts[delivery.envelope.id] += 1
        if delivery.attempt <= self.fail_first:
            raise RuntimeError(f"pensions system unavailable (attempt {delivery.attempt})")
        entry = getattr(event, "entry_number", None) or event.registration.entry_number
        if entry in self.fail_entries:
            raise ValueError(f"entry {entry} cannot be filed")
        self.events.append(event)
        self.deliveries.append(delivery)


def subscription(handler: Recorder, contract: Any = DeathRegisteredV1, **options: Any) -> Any:
    return Subscription(
        name="pensions", contract=contract, handler=handler, retry=FAST_RETRY, **options
    )


async def test_a_published_event_arrives_typed_with_its_envelope(
    publisher: Publisher, run_subscriber: RunSubscriber
) -> None:
    """The handler receives the same contract instance, with the id, subject and key sent."""
    handler = Recorder()
    async with run_subscriber(subscription(handler)):
        event_id = await publisher.publish(death(1), key="DR-1", subject="death/1")
        await eventually(lambda: len(handler.events) == 1, what="delivery")
    assert handler.events == [death(1)]
    (delivery,) = handler.deliveries
    assert delivery.envelope.id == event_id
    assert delivery.envelope.subject == "death/1"
    assert delivery.envelope.type == "uk.gov.gro.death-registered.v1"
    assert delivery.envelope.extensions["classification"] == "OFFICIAL"
    assert delivery.key == b"DR-1"


async def test_a_subscriber_wanting_v2_receives_v1_events_upcast(
    publisher: Publisher, run_subscriber: RunSubscriber
) -> None:
    """Events published as v1 reach a v2 subscriber converted through the upcaster."""
    handler = Recorder()
    async with run_subscriber(subscription(handler, DeathRegisteredV2)):
        await publisher.publish(death(2), key="DR-2")
        await eventually(lambda: len(handler.events) == 1, what="upcast delivery")
    assert handler.events == [default_upcasters.upcast(death(2), to_version=2)]
    assert isinstance(handler.events[0], DeathRegisteredV2)


async def test_events_with_one_key_are_handled_in_order_despite_retries(
    publisher: Publisher, run_subscriber: RunSubscriber
) -> None:
    """Per key, handling order equals publishing order even when every first attempt fails."""
    handler = Recorder(fail_first=1)
    publications = [Publication(death(n), key=f"district-{n % 4}") for n in range(1, 121)]
    async with run_subscriber(subscription(handler)):
        await publisher.publish_many(publications)
        await eventually(lambda: len(handler.events) == 120, what="120 deliveries")
    by_key: dict[bytes | None, list[int]] = defaultdict(list)
    for event, delivery in zip(handler.events, handler.deliveries, strict=True):
        by_key[delivery.key].append(event.entry_number)
    assert len(by_key) == 4
    for entries in by_key.values():
        assert entries == sorted(entries)


async def test_a_failing_handler_is_retried_until_it_succeeds(
    publisher: Publisher, run_subscriber: RunSubscriber, kafka_bootstrap: str, codec: Codec
) -> None:
    """Two failures then success: three attempts, one handled event, nothing dead-lettered."""
    handler = Recorder(fail_first=2)
    async with run_subscriber(subscription(handler)):
        event_id = await publisher.publish(death(3), key="DR-3")
        await eventually(lambda: len(handler.events) == 1, what="delivery after retries")
    assert handler.attempts[event_id] == 3
    assert handler.deliveries[0].attempt == 3
    dlq = dlq_topic(codec.topic_for(DeathRegisteredV1))
    assert await read_records(kafka_bootstrap, dlq, count=1, timeout_s=2) == []


async def test_exhausted_retries_dead_letter_the_original_bytes_and_move_on(
    publisher: Publisher, run_subscriber: RunSubscriber, kafka_bootstrap: str, codec: Codec
) -> None:
    """After the last attempt the record goes to the DLQ unchanged, and later events flow."""
    topic = codec.topic_for(DeathRegisteredV1)
    handler = Recorder(fail_entries=frozenset({4}))
    async with run_subscriber(subscription(handler)):
        await publisher.publish(death(4), key="same-key")
        await publisher.publish(death(5), key="same-key")
        await eventually(lambda: len(handler.events) == 1, what="the event after the bad one")
    assert handler.events == [death(5)]
    (original,) = [r for r in await read_records(kafka_bootstrap, topic, count=2) if r.offset == 0]
    (letter,) = await read_records(kafka_bootstrap, dlq_topic(topic), count=1)
    assert (letter.key, letter.value) == (original.key, original.value)
    assert list(letter.headers)[: len(original.headers)] == list(original.headers)
    reasons = dead_letter.reasons(list(letter.headers))
    assert reasons["stage"] == "handler"
    assert reasons["error_class"] == "ValueError"
    assert reasons["error_message"] == "entry 4 cannot be filed"
    assert reasons["attempts"] == "3"
    assert (reasons["topic"], reasons["partition"], reasons["offset"]) == (
        topic, str(original.partition), str(original.offset),
    )  # fmt: skip
    assert reasons["subscriber"] == "pensions"


async def test_an_unwritable_dead_letter_topic_stops_the_subscriber_without_commit(
    publisher: Publisher, kafka_bootstrap: str, codec: Codec
) -> None:
    """If the DLQ refuses the record, run() raises and the record's offset stays uncommitted."""
    topic = codec.topic_for(DeathRegisteredV1)
    # A DLQ that accepts nothing as large as a death registration.
    await create_topics(
        kafka_bootstrap, [dlq_topic(topic)], partitions=1,
        config={"max.message.bytes": "200"},
    )  # fmt: skip
    await publisher.publish(death(6), key="only")
    await publisher.publish(death(7), key="only")
    handler = Recorder(fail_entries=frozenset({7}))
    subscriber = Subscriber(subscription(handler), bootstrap=kafka_bootstrap, codec=codec)
    with pytest.raises(DeadLetterWriteFailed, match=r"\.dlq"):
        await asyncio.wait_for(subscriber.run(), 60)
    assert handler.events == [death(6)]
    committed = await _committed(kafka_bootstrap, "pensions", topic)
    (record,) = [r for r in await read_records(kafka_bootstrap, topic, count=2) if r.offset == 1]
    assert committed[record.partition] == record.offset  # the failed record is read again


async def test_a_redelivered_event_id_is_handled_once(
    publisher: Publisher, run_subscriber: RunSubscriber
) -> None:
    """Publishing the same ce_id twice (a replay after a crash) reaches the handler once."""
    handler = Recorder()
    async with run_subscriber(subscription(handler)):
        for _ in range(2):
            await publisher.publish(death(8), key="DR-8", event_id="gro:hartlepool:412:v1")
        await publisher.publish(death(9), key="DR-8")
        await eventually(lambda: len(handler.events) == 2, what="two distinct events")
        await asyncio.sleep(0.5)
    assert [e.entry_number for e in handler.events] == [8, 9]


async def test_stopping_midway_loses_nothing(
    publisher: Publisher, kafka_bootstrap: str, codec: Codec
) -> None:
    """A subscriber stopped mid-stream and a successor in the same group handle every event."""
    seen: set[int] = set()

    async def slow(event: Any, delivery: Delivery) -> None:
        await asyncio.sleep(0.002)
        seen.add(event.entry_number)

    await publisher.publish_many([Publication(death(n), key=f"k{n}") for n in range(1, 401)])
    for _ in range(2):
        sub = Subscription(name="council", contract=DeathRegisteredV1, handler=slow)
        subscriber = Subscriber(sub, bootstrap=kafka_bootstrap, codec=codec)
        task = asyncio.create_task(subscriber.run())
        with contextlib.suppress(AssertionError):
            await eventually(lambda: len(seen) >= 100, timeout_s=30)
        subscriber.stop()
        await asyncio.wait_for(task, 60)
        if len(seen) == 400:
            break
    subscriber = Subscriber(sub, bootstrap=kafka_bootstrap, codec=codec)
    task = asyncio.create_task(subscriber.run())
    await eventually(lambda: len(seen) == 400, timeout_s=60, what="all 400 events")
    subscriber.stop()
    await asyncio.wait_for(task, 60)
    assert seen == set(range(1, 401))


async def test_an_invalid_event_is_refused_before_it_leaves_the_process(
    publisher: Publisher, kafka_bootstrap: str, codec: Codec
) -> None:
    """An instance built without validation and breaking its contract is never published."""
    broken = DeathRegisteredV1.model_construct(**(death(10).__dict__ | {"deceased_nino": "QQ1"}))
    with pytest.raises(PublishError, match="deceased_nino"):
        await publisher.publish(broken, key="bad")
    assert (
        await read_records(
            kafka_bootstrap, codec.topic_for(DeathRegisteredV1), count=1, timeout_s=2
        )
        == []
    )


async def test_close_delivers_every_accepted_publish(kafka_bootstrap: str, codec: Codec) -> None:
    """Publishes in flight when close() is called are all acknowledged, none dropped."""
    publisher = Publisher(bootstrap=kafka_bootstrap, codec=codec, name="closing")
    await publisher.start()
    tasks = [
        asyncio.create_task(publisher.publish(death(n), key=f"k{n % 7}")) for n in range(1, 301)
    ]
    await asyncio.sleep(0)  # let every publish be handed to the producer
    await publisher.close()
    ids = await asyncio.gather(*tasks)
    records = await read_records(kafka_bootstrap, codec.topic_for(DeathRegisteredV1), count=300)
    assert len(set(ids)) == 300
    assert {dict(r.headers)["ce_id"].decode() for r in records} == set(ids)


async def _committed(bootstrap: str, group: str, topic: str) -> dict[int, int]:
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=group)
    await consumer.start()
    try:
        result = {}
        for tp in await topic_partitions(bootstrap, topic):
            offset = await consumer.committed(tp)
            result[tp.partition] = -1 if offset is None else offset
        return result
    finally:
        await consumer.stop()
