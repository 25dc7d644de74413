"""FastStream handlers under govbus, tested in memory with FastStream's TestKafkaBroker."""

from __future__ import annotations

from typing import Any, cast

import orjson
import pytest
from faststream.kafka import KafkaMessage, TestKafkaBroker
from prometheus_client import REGISTRY

from bus.faststream import CurrentDelivery, Govbus, current_delivery
from bus.foundation.errors import ContractViolation, PublishError
from bus.foundation.settings import Settings
from bus.messaging import dead_letter
from bus.messaging.codec import Codec
from bus.messaging.subscriber import RetryPolicy
from contracts.catalogue.gro import DeathRegisteredV1, DeathRegisteredV2

FAST_RETRY = RetryPolicy(max_attempts=3, initial_backoff_s=0.001, max_backoff_s=0.002)


def death(entry_number: int = 1) -> DeathRegisteredV1:
    example = dict(DeathRegisteredV1.contract.example)
    return DeathRegisteredV1.model_validate(example | {"entry_number": entry_number})


def govbus(prefix: str = "") -> Govbus:
    return Govbus("pensions", settings=Settings(topic_prefix=prefix), bootstrap="127.0.0.1:1")


def text_headers(headers: list[tuple[str, bytes]]) -> dict[str, str]:
    return {name: value.decode() for name, value in headers}


async def raw_body(message: Any) -> Any:
    """Leave a dead letter's value as bytes: it need not be JSON."""
    return message.body


class DeadLetters:
    """Collects what reaches a dead-letter topic as FastStream delivers it."""

    def __init__(self, bus: Govbus, topic: str) -> None:
        self.records: list[Any] = []

        @bus.broker.subscriber(topic + ".dlq", decoder=raw_body)
        async def collect(body: Any, message: KafkaMessage) -> None:
            self.records.append(message.raw_message)

        self.handler = collect


async def test_a_v1_event_reaches_a_v2_handler_upcast_with_its_delivery() -> None:
    """A v2 handler receives a v1 event as a DeathRegisteredV2 with the envelope it came in."""
    bus = govbus()
    seen: list[Any] = []

    @bus.subscriber(DeathRegisteredV2)
    async def stop_pension(event: DeathRegisteredV2, delivery: CurrentDelivery) -> None:
        assert current_delivery() == delivery
        seen.append((event, delivery))

    async with TestKafkaBroker(bus.broker):
        await bus.publisher(DeathRegisteredV1).publish(
            death(3), key=b"DR-3", headers={"ce_id": "gro:412", "ce_subject": "death/3"}
        )
    ((event, delivery),) = seen
    assert isinstance(event, DeathRegisteredV2)
    assert event.registration.entry_number == 3
    assert delivery.envelope.id == "gro:412"
    assert delivery.envelope.subject == "death/3"
    assert delivery.envelope.source == "urn:govbus:pensions"
    assert (delivery.key, delivery.attempt) == (b"DR-3", 1)


async def test_a_faststream_publish_carries_the_headers_govbus_writes() -> None:
    """An event published through FastStream decodes with govbus's own codec."""
    bus = govbus()
    dead = DeadLetters(bus, bus.codec.topic_for(DeathRegisteredV1))
    records: list[Any] = []

    @bus.broker.subscriber(bus.codec.topic_for(DeathRegisteredV1))
    async def raw(body: Any, message: KafkaMessage) -> None:
        records.append(message.raw_message)

    async with TestKafkaBroker(bus.broker):
        await bus.publisher(DeathRegisteredV1).publish(death(4), key=b"DR-4")
    (record,) = records
    headers = text_headers(record.headers)
    assert headers["ce_type"] == "uk.gov.gro.death-registered.v1"
    assert headers["ce_specversion"] == "1.0"
    assert headers["content-type"] == "application/json"
    assert headers["ce_classification"] == "OFFICIAL"
    decoded = Codec(source="urn:govbus:test").decode(
        record.headers, record.value, want=DeathRegisteredV1
    )
    assert decoded.event == death(4)
    assert record.key == b"DR-4"
    assert dead.records == []


async def test_a_plain_faststream_publish_is_dead_lettered_not_handled() -> None:
    """A model published without CloudEvents headers goes to the DLQ with stage envelope."""
    bus = govbus()
    topic = bus.codec.topic_for(DeathRegisteredV1)
    dead = DeadLetters(bus, topic)
    seen: list[Any] = []

    @bus.subscriber(DeathRegisteredV1)
    async def handle(event: DeathRegisteredV1) -> None:
        seen.append(event)

    async with TestKafkaBroker(bus.broker) as broker:
        await broker.publish(death(5).model_dump(mode="json"), topic, key=b"k")
    assert seen == []
    (letter,) = dead.records
    reasons = dead_letter.reasons(letter.headers)
    assert reasons["stage"] == "envelope"
    assert "specversion" in reasons["error_message"]
    assert reasons["subscriber"] == "pensions.handle"


async def test_an_unknown_optional_field_from_a_newer_minor_is_ignored() -> None:
    """A record with a field this contract version does not know reaches the handler."""
    bus = govbus()
    seen: list[DeathRegisteredV1] = []

    @bus.subscriber(DeathRegisteredV1)
    async def handle(event: DeathRegisteredV1) -> None:
        seen.append(event)

    record = Codec(source="urn:govbus:gro").encode(death(6), key="k", event_id="e6")
    newer = orjson.dumps(orjson.loads(record.value) | {"coroner_referral": True})
    async with TestKafkaBroker(bus.broker) as broker:
        await broker.publish(newer, record.topic, key=b"k", headers=text_headers(record.headers))
    assert seen == [death(6)]


async def test_a_failing_handler_is_retried_then_succeeds() -> None:
    """Two failures then success: three attempts, numbered, and no dead letter."""
    bus = govbus()
    dead = DeadLetters(bus, bus.codec.topic_for(DeathRegisteredV1))
    attempts: list[int] = []

    @bus.subscriber(DeathRegisteredV1, retry=FAST_RETRY)
    async def handle(event: DeathRegisteredV1, delivery: CurrentDelivery) -> None:
        attempts.append(delivery.attempt)
        if delivery.attempt < 3:
            raise RuntimeError("pensions system unavailable")

    async with TestKafkaBroker(bus.broker):
        await bus.publisher(DeathRegisteredV1).publish(death(7), key=b"k")
    assert attempts == [1, 2, 3]
    assert dead.records == []


async def test_exhausted_retries_dead_letter_the_original_value_with_reasons() -> None:
    """After the last attempt the original value and headers go to the DLQ with why."""
    bus = govbus()
    topic = bus.codec.topic_for(DeathRegisteredV1)
    dead = DeadLetters(bus, topic)

    @bus.subscriber(DeathRegisteredV1, retry=FAST_RETRY, name="pensions")
    async def handle(event: DeathRegisteredV1) -> None:
        raise ValueError(f"entry {event.entry_number} cannot be filed")

    record = Codec(source="urn:govbus:gro").encode(death(8), key="DR-8", event_id="e8")
    async with TestKafkaBroker(bus.broker) as broker:
        await broker.publish(record.value, topic, key=b"DR-8", headers=text_headers(record.headers))
    (letter,) = dead.records
    assert (letter.key, letter.value) == (b"DR-8", record.value)
    headers = text_headers(letter.headers)
    for name, value in record.headers:
        assert headers[name] == value.decode()
    reasons = dead_letter.reasons(letter.headers)
    assert reasons["stage"] == "handler"
    assert reasons["error_class"] == "ValueError"
    assert reasons["error_message"] == "entry 8 cannot be filed"
    assert reasons["attempts"] == "3"
    assert reasons["topic"] == topic


async def test_a_fatal_govbus_error_is_dead_lettered_without_retries() -> None:
    """A non-retriable govbus error from the handler skips the remaining attempts."""
    bus = govbus()
    dead = DeadLetters(bus, bus.codec.topic_for(DeathRegisteredV1))
    attempts: list[int] = []

    @bus.subscriber(DeathRegisteredV1, retry=FAST_RETRY)
    async def handle(event: DeathRegisteredV1, delivery: CurrentDelivery) -> None:
        attempts.append(delivery.attempt)
        raise ContractViolation("the pensions system refuses this registration")

    async with TestKafkaBroker(bus.broker):
        await bus.publisher(DeathRegisteredV1).publish(death(9), key=b"k")
    assert attempts == [1]
    assert len(dead.records) == 1


async def test_a_redelivered_event_id_is_handled_once() -> None:
    """The same ce_id published twice reaches the handler once."""
    bus = govbus()
    seen: list[int] = []

    @bus.subscriber(DeathRegisteredV1)
    async def handle(event: DeathRegisteredV1) -> None:
        seen.append(event.entry_number)

    publisher = bus.publisher(DeathRegisteredV1)
    async with TestKafkaBroker(bus.broker):
        for _ in range(2):
            await publisher.publish(death(10), key=b"k", headers={"ce_id": "gro:10"})
        await publisher.publish(death(11), key=b"k")
    assert seen == [10, 11]


@pytest.mark.parametrize(
    ("value", "stage"),
    [
        (b"\xff\xfe not json", "json"),
        (b'{"entry_number": "not a number"}', "contract"),
        (b"[1, 2, 3]", "contract"),
        (b'{"a": "' + b"x" * 2_000_000 + b'"}', "size"),
    ],
)
async def test_bad_input_goes_to_the_dead_letter_topic_and_the_flow_continues(
    value: bytes, stage: str
) -> None:
    """Undecodable, invalid and oversized values are dead-lettered; later events arrive."""
    bus = govbus()
    topic = bus.codec.topic_for(DeathRegisteredV1)
    dead = DeadLetters(bus, topic)
    seen: list[int] = []

    @bus.subscriber(DeathRegisteredV1)
    async def handle(event: DeathRegisteredV1) -> None:
        seen.append(event.entry_number)

    headers = text_headers(
        Codec(source="urn:govbus:gro").encode(death(12), key="k", event_id="e12").headers
    )
    async with TestKafkaBroker(bus.broker) as broker:
        await broker.publish(value, topic, key=b"k", headers=headers | {"ce_id": "bad"})
        await bus.publisher(DeathRegisteredV1).publish(death(12), key=b"k")
    assert seen == [12]
    (letter,) = dead.records
    assert letter.value == value
    assert dead_letter.reasons(letter.headers)["stage"] == stage


async def test_an_event_type_the_subscriber_cannot_read_is_dead_lettered() -> None:
    """A v2 event on a v1 subscriber's topic is refused at stage type."""
    bus = govbus()
    topic = bus.codec.topic_for(DeathRegisteredV1)
    dead = DeadLetters(bus, topic)

    @bus.subscriber(DeathRegisteredV1)
    async def handle(event: DeathRegisteredV1) -> None:
        raise AssertionError("not for this handler")

    v2 = DeathRegisteredV2.model_validate(DeathRegisteredV2.contract.example)
    record = Codec(source="urn:govbus:gro").encode(v2, key="k", event_id="e")
    async with TestKafkaBroker(bus.broker) as broker:
        await broker.publish(record.value, topic, key=b"k", headers=text_headers(record.headers))
    (letter,) = dead.records
    assert dead_letter.reasons(letter.headers)["stage"] == "type"


async def test_publishing_an_event_without_a_key_or_to_another_topic_is_refused() -> None:
    """A contract event needs its partition key and its own topic; nothing is sent otherwise."""
    bus = govbus()
    seen: list[Any] = []

    @bus.broker.subscriber("elsewhere")
    async def elsewhere(body: Any) -> None:
        seen.append(body)

    async with TestKafkaBroker(bus.broker) as broker:
        with pytest.raises(PublishError, match="partition key"):
            await bus.publisher(DeathRegisteredV1).publish(death(13))
        with pytest.raises(PublishError, match="'elsewhere'"):
            await broker.publish(death(13), "elsewhere", key=b"k")
    assert seen == []


async def test_the_topic_prefix_applies_to_subscribers_and_publishers() -> None:
    """With GOVBUS_TOPIC_PREFIX, FastStream reads and writes the prefixed topics."""
    bus = govbus("staging.")
    seen: list[Any] = []

    @bus.subscriber(DeathRegisteredV2)
    async def handle(event: DeathRegisteredV2) -> None:
        seen.append(event)

    publisher = bus.publisher(DeathRegisteredV1)
    assert publisher.topic == "staging.gro.death-registered.v1"
    (subscriber,) = [cast(Any, s) for s in bus.broker.subscribers]
    assert sorted(subscriber.topic_names) == [
        "staging.gro.death-registered.v1", "staging.gro.death-registered.v2",
    ]  # fmt: skip
    async with TestKafkaBroker(bus.broker):
        await publisher.publish(death(14), key=b"k")
    assert len(seen) == 1


async def test_handled_events_count_in_govbus_metrics() -> None:
    """Handled and dead-lettered records show in govbus_events_consumed_total by outcome."""
    bus = govbus()
    name = "pensions.metered"

    @bus.subscriber(DeathRegisteredV1, name=name, retry=FAST_RETRY)
    async def metered(event: DeathRegisteredV1) -> None:
        if event.entry_number == 16:
            raise RuntimeError("refused")

    def count(outcome: str) -> float:
        labels = {
            "event_type": "uk.gov.gro.death-registered", "version": "1",
            "subscriber": name, "outcome": outcome,
        }  # fmt: skip
        return REGISTRY.get_sample_value("govbus_events_consumed_total", labels) or 0.0

    before = count("handled"), count("dead_lettered")
    async with TestKafkaBroker(bus.broker):
        await bus.publisher(DeathRegisteredV1).publish(death(15), key=b"k")
        await bus.publisher(DeathRegisteredV1).publish(death(16), key=b"k")
    assert (count("handled"), count("dead_lettered")) == (before[0] + 1, before[1] + 1)
