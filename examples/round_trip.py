"""The smallest round trip: one event through a real Kafka broker and back.

Brings up local Kafka (or uses GOVBUS_KAFKA_BOOTSTRAP), publishes a sample "death registered"
event as a CloudEvents 1.0 record in binary content mode with acks=all, reads it back with a
consumer and prints what arrived. Stops the broker again if it started it.
"""

from __future__ import annotations

import asyncio
import logging
import sys
import time
import uuid
from datetime import UTC, datetime

import orjson
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

from bus.broker.local import LocalKafka
from bus.foundation.errors import GovbusError
from bus.foundation.settings import Settings

SAMPLE = {
    "registration_district": "Leeds",
    "date_of_death": "2026-11-20",
    "deceased": {"given_names": "Ada", "family_name": "Lovelace"},
}


async def round_trip(bootstrap: str) -> dict[str, object]:
    topic = "gro.death-registered.v1"
    headers = [
        ("ce_specversion", b"1.0"),
        ("ce_id", str(uuid.uuid4()).encode()),
        ("ce_source", b"urn:govbus:demo:register-office"),
        ("ce_type", b"uk.gov.gro.death-registered.v1"),
        ("ce_time", datetime.now(UTC).isoformat().encode()),
        ("content-type", b"application/json"),
    ]
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True)
    await producer.start()
    try:
        sent_at = time.perf_counter()
        sent = await producer.send_and_wait(
            topic, orjson.dumps(SAMPLE), key=b"DR-0001", headers=headers
        )
        acked_at = time.perf_counter()
    finally:
        await producer.stop()
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        partition = TopicPartition(topic, sent.partition)
        consumer.assign([partition])
        consumer.seek(partition, sent.offset)
        async with asyncio.timeout(30):
            record = await consumer.getone()
    finally:
        await consumer.stop()
    return {
        "topic": record.topic,
        "key": record.key.decode(),
        "headers": {name: value.decode() for name, value in record.headers},
        "data": orjson.loads(record.value),
        "partition": record.partition,
        "offset": record.offset,
        "acknowledged_ms": round((acked_at - sent_at) * 1000, 1),
    }


def main() -> int:
    logging.basicConfig(level=logging.ERROR)  # the client's retries while a topic is created
    try:
        with LocalKafka(Settings()).running(nodes=1, report=print) as started:
            arrived = asyncio.run(round_trip(started.bootstrap))
            print("published and consumed through Kafka at", started.bootstrap)
            print(orjson.dumps(arrived, option=orjson.OPT_INDENT_2).decode())
    except GovbusError as exc:
        print(f"govbus: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
