"""FastStream services on a real broker: the delivery guarantees of a govbus Service."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from bus.faststream import CurrentDelivery, Govbus
from bus.foundation.errors import DeadLetterWriteFailed
from bus.messaging import dead_letter
from bus.messaging.codec import Codec
from bus.messaging.publisher import Publication, Publisher, partition_for
from bus.messaging.subscriber import Delivery, RetryPolicy, Subscription
from bus.messaging.topic_names import dlq_topic
from bus.testing.adapters import running_subscriber
from bus.testing.kafka import create_topics, eventually, read_records, topic_partitions
from contracts import default_upcasters
from contracts.catalogue.gro import DeathRegisteredV1, DeathRegisteredV2

from .conftest import running

FAST_RETRY = RetryPolicy(max_attempts=3, initial_backoff_s=0.01, max_backoff_s=0.05)


def death(entry_number: int) -> DeathRegisteredV1:
    example = dict(DeathRegisteredV1.contract.example)
    return DeathRegisteredV1.model_validate(example | {"entry_number": entry_number})


async def test_a_govbus_publish_reaches_a_faststream_handler_upcast(
    bus: Govbus, publisher: Publisher
) -> None:
    """A v1 event from govbus's Publisher reaches a FastStream v2 handler, upcast, with its id."""
    seen: list[tuple[Any, Delivery]] = []

    @bus.subscriber(DeathRegisteredV2)
    async def stop_pension(event: DeathRegisteredV2, delivery: CurrentDelivery) -> None:
        seen.append((event, delivery))

    async with running(bus):
        event_id = await publisher.publish(death(1), key="DR-1", subject="death/1")
        await eventually(lambda: len(seen) == 1, what="delivery")
    ((event, delivery),) = seen
    assert event == default_upcasters.upcast(death(1), to_version=2)
    assert (delivery.envelope.id, delivery.envelope.subject, delivery.key) == (
        event_id, "death/1", b"DR-1",
    )  # fmt: skip
    assert delivery.topic == bus.codec.topic_for(DeathRegisteredV1)
    assert delivery.topic.startswith(bus.settings.topic_prefix)


async def test_a_faststream_publish_reaches_a_govbus_subscriber(
    bus: Govbus, kafka_bootstrap: str, codec: Codec
) -> None:
    """An event published from FastStream is handled by bus.messaging's own Subscriber."""
    seen: list[tuple[Any, Delivery]] = []

    async def handle(event: Any, delivery: Delivery) -> None:
        seen.append((event, delivery))

    subscription = Subscription(name="council", contract=DeathRegisteredV1, handler=handle)
    async with running_subscriber(subscription, bootstrap=kafka_bootstrap, codec=codec):
        await bus.broker.start()
        try:
            await bus.publisher(DeathRegisteredV1).publish(
                death(2), key=b"DR-2", headers={"ce_id": "gro:hartlepool:2:v1"}
            )
        finally:
            await bus.broker.stop()
        await eventually(lambda: len(seen) == 1, what="delivery to the govbus subscriber")
    ((event, delivery),) = seen
    assert event == death(2)
    assert delivery.envelope.id == "gro:hartlepool:2:v1"
    assert delivery.envelope.source == "urn:govbus:pensions"
    assert delivery.key == b"DR-2"
    dlq = dlq_topic(codec.topic_for(DeathRegisteredV1))
    assert await read_records(kafka_bootstrap, dlq, count=1, timeout_s=1) == []


async def test_a_retrying_partition_does_not_hold_up_the_others(
    bus: Govbus, publisher: Publisher, kafka_bootstrap: str, codec: Codec
) -> None:
    """While one partition's record waits out its backoff, other partitions' records arrive."""
    topic = codec.topic_for(DeathRegisteredV1)
    partitions = sorted(tp.partition for tp in await topic_partitions(kafka_bootstrap, topic))
    keys: dict[int, str] = {}
    for n in range(1000):
        keys.setdefault(partition_for(f"k{n}".encode(), partitions), f"k{n}")
    slow_key, *other_keys = keys.values()
    handled: dict[int, float] = {}
    retry = RetryPolicy(max_attempts=2, initial_backoff_s=2.0, max_backoff_s=2.0)

    @bus.subscriber(DeathRegisteredV1, retry=retry)
    async def handle(event: DeathRegisteredV1, delivery: CurrentDelivery) -> None:
        if event.entry_number == 1 and delivery.attempt == 1:
            raise RuntimeError("pensions system unavailable")
        handled[event.entry_number] = time.monotonic()

    async with running(bus):
        await publisher.publish(death(1), key=slow_key)
        await publisher.publish(death(2), key=slow_key)  # same partition: waits, in order
        await asyncio.sleep(0.5)
        await publisher.publish_many(
            [Publication(death(10 + i), key=k) for i, k in enumerate(other_keys * 5)]
        )
        await eventually(lambda: len(handled) == 2 + 5 * len(other_keys), timeout_s=30)
    others = [t for n, t in handled.items() if n >= 10]
    assert max(others) < handled[1]  # the other partitions finished during the backoff
    assert handled[1] < handled[2]  # the retried record kept its place in its partition


async def test_exhausted_retries_dead_letter_the_original_record_byte_for_byte(
    bus: Govbus, publisher: Publisher, kafka_bootstrap: str, codec: Codec
) -> None:
    """The original key, value and headers go to <topic>.dlq with the reasons after them."""
    topic = codec.topic_for(DeathRegisteredV1)
    seen: list[int] = []

    @bus.subscriber(DeathRegisteredV1, retry=FAST_RETRY, name="pensions")
    async def handle(event: DeathRegisteredV1) -> None:
        if event.entry_number == 4:
            raise ValueError("entry 4 cannot be filed")
        seen.append(event.entry_number)

    async with running(bus):
        await publisher.publish(death(4), key="same-key")
        await publisher.publish(death(5), key="same-key")
        await eventually(lambda: seen == [5], what="the event after the bad one")
    (original,) = [r for r in await read_records(kafka_bootstrap, topic, count=2) if r.offset == 0]
    (letter,) = await read_records(kafka_bootstrap, dlq_topic(topic), count=1)
    assert (letter.key, letter.value) == (original.key, original.value)
    assert list(letter.headers)[: len(original.headers)] == list(original.headers)
    reasons = dead_letter.reasons(list(letter.headers))
    assert (reasons["stage"], reasons["error_class"], reasons["attempts"]) == (
        "handler", "ValueError", "3",
    )  # fmt: skip
    assert (reasons["topic"], reasons["offset"], reasons["subscriber"]) == (
        topic, str(original.offset), "pensions",
    )  # fmt: skip


async def test_bad_records_are_dead_lettered_and_the_flow_continues(
    bus: Govbus, publisher: Publisher, kafka_bootstrap: str, codec: Codec
) -> None:
    """Not JSON, a non-UTF-8 header and a plain FastStream publish all reach the DLQ."""
    topic = codec.topic_for(DeathRegisteredV1)
    seen: list[int] = []

    @bus.subscriber(DeathRegisteredV1)
    async def handle(event: DeathRegisteredV1) -> None:
        seen.append(event.entry_number)

    good = codec.encode(death(6), key="k", event_id="e6")
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap)
    await producer.start()
    try:
        await producer.send_and_wait(topic, b"\xff not json", key=b"k", headers=good.headers)
        await producer.send_and_wait(
            topic, good.value, key=b"k", headers=[*good.headers, ("x-origin", b"\xff\xfe")]
        )
        await producer.send_and_wait(topic, b'{"entry_number": 6}', key=b"k")
    finally:
        await producer.stop()
    async with running(bus):
        await publisher.publish(death(7), key="k")
        await eventually(lambda: seen == [7], what="the good event after three bad ones")
    letters = await read_records(kafka_bootstrap, dlq_topic(topic), count=3)
    assert [dead_letter.reasons(list(r.headers))["stage"] for r in letters] == [
        "json", "envelope", "envelope",
    ]  # fmt: skip
    assert [r.value for r in letters] == [b"\xff not json", good.value, b'{"entry_number": 6}']


async def test_a_redelivered_event_id_is_handled_once(bus: Govbus, publisher: Publisher) -> None:
    """The same ce_id published twice (a replay after a crash) reaches the handler once."""
    seen: list[int] = []

    @bus.subscriber(DeathRegisteredV1)
    async def handle(event: DeathRegisteredV1) -> None:
        seen.append(event.entry_number)

    async with running(bus):
        for _ in range(2):
            await publisher.publish(death(8), key="DR-8", event_id="gro:hartlepool:412:v1")
        await publisher.publish(death(9), key="DR-8")
        await eventually(lambda: seen == [8, 9], what="two distinct events")
        await asyncio.sleep(0.3)
    assert seen == [8, 9]


async def test_an_unwritable_dead_letter_topic_stops_the_service_without_commit(
    bus: Govbus, publisher: Publisher, kafka_bootstrap: str, codec: Codec
) -> None:
    """If the DLQ refuses the record, run() raises and that record's offset stays uncommitted."""
    topic = codec.topic_for(DeathRegisteredV1)
    await create_topics(
        kafka_bootstrap, [dlq_topic(topic)], partitions=1, config={"max.message.bytes": "200"}
    )
    await publisher.publish(death(10), key="only")
    await publisher.publish(death(11), key="only")
    await publisher.publish(death(12), key="only")
    seen: list[int] = []

    @bus.subscriber(DeathRegisteredV1, retry=FAST_RETRY, name="pensions")
    async def handle(event: DeathRegisteredV1) -> None:
        if event.entry_number == 11:
            raise ValueError("cannot be filed")
        seen.append(event.entry_number)

    with pytest.raises(DeadLetterWriteFailed, match=r"\.dlq"):
        await asyncio.wait_for(bus.run(), 60)
    assert seen == [10]  # nothing after the lost dead letter was handled
    (record,) = [r for r in await read_records(kafka_bootstrap, topic, count=3) if r.offset == 1]
    assert await _committed(kafka_bootstrap, "pensions", topic, record.partition) == record.offset


async def test_stopping_commits_what_was_handled(
    bus: Govbus, publisher: Publisher, kafka_bootstrap: str, codec: Codec
) -> None:
    """After stop(), the group's committed offsets cover every handled record, no more."""
    topic = codec.topic_for(DeathRegisteredV1)
    seen: set[int] = set()

    @bus.subscriber(DeathRegisteredV1, name="pensions")
    async def handle(event: DeathRegisteredV1) -> None:
        seen.add(event.entry_number)

    await publisher.publish_many([Publication(death(n), key=f"k{n}") for n in range(1, 61)])
    async with running(bus):
        await eventually(lambda: len(seen) == 60, what="60 events")
    committed = 0
    for tp in await topic_partitions(kafka_bootstrap, topic):
        committed += max(await _committed(kafka_bootstrap, "pensions", topic, tp.partition), 0)
    assert committed == 60


async def _committed(bootstrap: str, group: str, topic: str, partition: int) -> int:
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=group)
    await consumer.start()
    try:
        for tp in await topic_partitions(bootstrap, topic):
            if tp.partition == partition:
                offset = await consumer.committed(tp)
                return -1 if offset is None else int(offset)
        raise AssertionError(f"{topic} has no partition {partition}")
    finally:
        await consumer.stop()
