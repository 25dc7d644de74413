"""Bad records on a subscribed topic go to the DLQ with their reason; the subscriber keeps going."""

from __future__ import annotations

from typing import Any

import orjson
from aiokafka import AIOKafkaProducer
from cloudevents.v1.http import CloudEvent
from cloudevents.v1.kafka import KafkaMessage, from_binary, to_structured

from bus.messaging import dead_letter
from bus.messaging.codec import Codec
from bus.messaging.publisher import Publisher
from bus.messaging.subscriber import Subscription
from bus.messaging.topic_names import dlq_topic
from bus.testing.kafka import eventually, read_records
from contracts.catalogue.gro import DeathRegisteredV1

from .conftest import RunSubscriber
from .test_delivery import FAST_RETRY, Recorder, death

GOOD = orjson.dumps(DeathRegisteredV1.contract.example)


def _headers(**overrides: bytes | None) -> list[tuple[str, bytes]]:
    headers = {
        "ce_specversion": b"1.0",
        "ce_id": b"bad-1",
        "ce_source": b"urn:govbus:test:hostile",
        "ce_type": b"uk.gov.gro.death-registered.v1",
        "ce_time": b"2026-11-25T10:00:00+00:00",
        "content-type": b"application/json",
    }
    for name, value in overrides.items():
        name = name.replace("__", "-")
        if value is None:
            headers.pop(name)
        else:
            headers[name] = value
    return list(headers.items())


BAD_RECORDS: dict[str, tuple[bytes | None, list[tuple[str, bytes]], str]] = {
    "not json": (b"{'name': 'not json'", _headers(), "json"),
    "breaks the contract": (orjson.dumps({"entry_number": "twelve"}), _headers(), "contract"),
    "missing ce_id": (GOOD, _headers(ce_id=None), "envelope"),
    "wrong specversion": (GOOD, _headers(ce_specversion=b"0.3"), "envelope"),
    "unknown ce_type": (GOOD, _headers(ce_type=b"uk.gov.hmrc.tax-evaded.v1"), "type"),
    "oversized": (b" " * 6000 + GOOD, _headers(), "size"),
    "header not utf-8": (GOOD, _headers(ce_source=b"\xff\xfe"), "envelope"),
    "tombstone": (None, _headers(), "envelope"),
    "xml content type": (b"<death/>", _headers(content__type=b"application/xml"), "envelope"),
}


async def test_each_kind_of_bad_record_is_dead_lettered_with_its_stage(
    kafka_bootstrap: str, codec: Codec, publisher: Publisher, run_subscriber: RunSubscriber
) -> None:
    """Nine hostile records reach the DLQ byte for byte; the good event after them is handled."""
    topic = codec.topic_for(DeathRegisteredV1)
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap, acks="all")
    await producer.start()
    try:
        for name, (value, headers, _) in BAD_RECORDS.items():
            await producer.send_and_wait(topic, value, key=name.encode(), headers=headers)
    finally:
        await producer.stop()
    handler = Recorder()
    subscription: Subscription[Any] = Subscription(
        name="council", contract=DeathRegisteredV1, handler=handler, retry=FAST_RETRY,
        max_value_bytes=4096,
    )  # fmt: skip
    async with run_subscriber(subscription):
        await publisher.publish(death(11), key="after")
        await eventually(lambda: len(handler.events) == 1, what="the good event")
    letters = await read_records(kafka_bootstrap, dlq_topic(topic), count=9)
    assert len(letters) == len(BAD_RECORDS)
    by_name = {letter.key.decode(): letter for letter in letters if letter.key}
    for name, (value, headers, stage) in BAD_RECORDS.items():
        letter = by_name[name]
        reasons = dead_letter.reasons(list(letter.headers))
        assert reasons["stage"] == stage, (name, reasons)
        assert reasons["error_message"], name
        assert letter.value == value, name
        assert dead_letter.strip_dead_letter_headers(list(letter.headers)) == headers, name
    assert handler.events == [death(11)]


async def test_a_structured_mode_event_from_another_producer_is_handled(
    kafka_bootstrap: str, codec: Codec, run_subscriber: RunSubscriber
) -> None:
    """An event written by the CloudEvents SDK in structured mode reaches a typed handler."""
    event = CloudEvent.create(
        {
            "type": "uk.gov.gro.death-registered.v1",
            "source": "urn:example:other-producer",
            "id": "sdk-1",
            "datacontenttype": "application/json",
            "partitionkey": "sdk",
        },
        DeathRegisteredV1.contract.example,
    )
    message = to_structured(event)
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap, acks="all")
    await producer.start()
    try:
        await producer.send_and_wait(
            codec.topic_for(DeathRegisteredV1), message.value, key=b"sdk",
            headers=list(message.headers.items()),
        )  # fmt: skip
    finally:
        await producer.stop()
    handler = Recorder()
    subscription: Subscription[Any] = Subscription(
        name="dvla", contract=DeathRegisteredV1, handler=handler, retry=FAST_RETRY
    )
    async with run_subscriber(subscription):
        await eventually(lambda: len(handler.events) == 1, what="the structured event")
    assert handler.events == [DeathRegisteredV1.example_event()]
    assert handler.deliveries[0].envelope.id == "sdk-1"
    assert handler.deliveries[0].envelope.source == "urn:example:other-producer"


async def test_the_cloudevents_sdk_reads_a_govbus_record(
    kafka_bootstrap: str, codec: Codec, publisher: Publisher
) -> None:
    """The independent CloudEvents SDK decodes a govbus record's attributes, key and data."""
    event_id = await publisher.publish(death(12), key="DR-12", subject="death/12")
    (record,) = await read_records(kafka_bootstrap, codec.topic_for(DeathRegisteredV1), count=1)
    decoded = from_binary(
        KafkaMessage(headers=dict(record.headers), key=record.key, value=record.value),
        data_unmarshaller=orjson.loads,
    )
    assert decoded["specversion"] == "1.0"
    assert decoded["id"] == event_id
    assert decoded["type"] == "uk.gov.gro.death-registered.v1"
    assert decoded["source"] == "urn:govbus:test"
    assert decoded["subject"] == "death/12"
    assert decoded["datacontenttype"] == "application/json"
    assert decoded["dataschema"] == "urn:govbus:contract:uk.gov.gro.death-registered:v1"
    assert decoded["classification"] == "OFFICIAL"
    assert decoded["partitionkey"] == b"DR-12"
    assert decoded.get_data() == death(12).model_dump(mode="json")
