"""End-to-end throughput and publish-to-handle latency of the bus, against raw aiokafka.

    .venv/bin/python -m bench.bus_throughput [--events N] [--batch B] [--bootstrap HOST:PORT]

Both paths carry the same records: ~1 KB JSON values of a planning application (its free-text
``proposal`` padded) with the same CloudEvents headers, on fresh 3-partition topics, while a
consumer reads them in the same run. The bus path publishes with ``Publisher.publish_many`` in
batches (encoding and validating each event) and handles them with a ``Subscriber`` whose
handler does nothing; the raw path sends the pre-encoded records with ``AIOKafkaProducer``
(the bus's ``SAFE_PRODUCER`` settings) and reads them with an ``AIOKafkaConsumer`` that commits
after each fetch. Latency runs from handing a batch to the producer to the handler (or the raw
consumer) seeing the event. Kafka comes from GOVBUS_KAFKA_BOOTSTRAP or the local cluster; a
cluster the benchmark started is stopped again, and its topics are deleted.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import statistics
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TypeVar

import orjson
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from bus.codec import Codec, OutgoingRecord
from bus.localkafka import LocalKafka
from bus.publisher import SAFE_PRODUCER, Publication, Publisher
from bus.settings import Settings
from bus.subscriber import Delivery, Subscriber, Subscription
from contracts import Event, default_registry

CONTRACT = default_registry.by_cloudevents_type("uk.gov.council.planning-application-submitted.v1")
VALUE_BYTES = 1024
PARTITIONS = 3
DEADLINE_S = 600.0
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Result:
    """One path's figures: events delivered end to end, and latency percentiles."""

    label: str
    events: int
    seconds: float  # from the first send to the last event handled
    publish_seconds: float  # from the first send to the last acknowledgement
    latencies_s: list[float]

    @property
    def events_per_s(self) -> float:
        return self.events / self.seconds

    def percentile_ms(self, percent: int) -> float:
        cuts = statistics.quantiles(self.latencies_s, n=100, method="inclusive")
        return cuts[percent - 1] * 1000

    def line(self) -> str:
        return (
            f"{self.label:<13} {self.events_per_s:>9,.0f} events/s   "
            f"p50 {self.percentile_ms(50):7.1f} ms   p99 {self.percentile_ms(99):7.1f} ms   "
            f"({self.events} events in {self.seconds:.2f} s; "
            f"all acked after {self.publish_seconds:.2f} s)"
        )


def publications(count: int) -> list[Publication]:
    """``count`` distinct events whose JSON value is about ``VALUE_BYTES`` long."""
    example = dict(CONTRACT.contract.example)
    base = len(orjson.dumps(example))
    filler = "Two storey side extension with rooflights, new boundary wall and landscaping. "
    padding = (filler * (VALUE_BYTES // len(filler) + 1))[: VALUE_BYTES - base]
    example["proposal"] = (str(example["proposal"]) + " " + padding)[:2000].strip()
    event = CONTRACT.model_validate(example)
    return [
        Publication(event, key=f"app-{index:08d}", event_id=str(uuid.uuid4()))
        for index in range(count)
    ]


def chunks(items: list[T], size: int) -> Iterator[list[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


async def create_topics(bootstrap: str, names: list[str]) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    try:
        await admin.start()
        brokers = len((await admin.describe_cluster())["brokers"])
        replicas = min(3, brokers)
        await admin.create_topics([NewTopic(name, PARTITIONS, replicas) for name in names])
    finally:
        await admin.close()


async def delete_topics(bootstrap: str, names: list[str]) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    try:
        await admin.start()
        await admin.delete_topics(names)
    finally:
        await admin.close()


async def run_bus(bootstrap: str, codec: Codec, events: list[Publication], batch: int) -> Result:
    """Publish with the bus's Publisher and handle with its Subscriber; time both together."""
    sent_at: dict[str, float] = {}
    latencies: list[float] = []
    all_handled = asyncio.Event()

    async def handle(event: Event, delivery: Delivery) -> None:
        latencies.append(time.perf_counter() - sent_at[delivery.envelope.id])
        if len(latencies) == len(events):
            all_handled.set()

    subscription = Subscription(
        name=f"bench-{uuid.uuid4().hex[:8]}", contract=CONTRACT, handler=handle
    )
    assigned = asyncio.Event()
    subscriber = Subscriber(
        subscription,
        bootstrap=bootstrap,
        codec=codec,
        on_ready=lambda ready, _: assigned.set() if ready else None,
    )
    running = asyncio.create_task(subscriber.run())
    try:
        await asyncio.wait_for(assigned.wait(), 60)
        async with Publisher(bootstrap=bootstrap, codec=codec, name="bench") as publisher:
            started = time.perf_counter()
            for chunk in chunks(events, batch):
                stamp = time.perf_counter()
                for publication in chunk:
                    sent_at[publication.event_id or ""] = stamp
                await publisher.publish_many(chunk)
            published = time.perf_counter() - started
            await asyncio.wait_for(all_handled.wait(), DEADLINE_S)
            elapsed = time.perf_counter() - started
    finally:
        subscriber.stop()
        await running
    return Result("govbus bus", len(latencies), elapsed, published, latencies)


async def run_raw(bootstrap: str, topic: str, records: list[OutgoingRecord], batch: int) -> Result:
    """Send the same records with a raw producer and read them with a raw consumer."""
    sent_at: dict[bytes, float] = {}
    latencies: list[float] = []
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        group_id=f"bench-raw-{uuid.uuid4().hex[:8]}",
        enable_auto_commit=False,
        auto_offset_reset="earliest",
    )
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, **SAFE_PRODUCER)

    async def consume() -> None:
        while len(latencies) < len(records):
            fetched = await consumer.getmany(timeout_ms=200, max_records=1000)
            now = time.perf_counter()
            for part in fetched.values():
                latencies.extend(now - sent_at[record.key] for record in part)
            if fetched:
                await consumer.commit()

    try:
        await consumer.start()
        await producer.start()
        while not consumer.assignment():
            await consumer.getmany(timeout_ms=100)
        reading = asyncio.create_task(consume())
        started = time.perf_counter()
        for chunk in chunks(records, batch):
            stamp = time.perf_counter()
            futures = []
            for record in chunk:
                sent_at[record.key] = stamp
                futures.append(
                    await producer.send(topic, record.value, key=record.key, headers=record.headers)
                )
            await asyncio.gather(*futures)
        published = time.perf_counter() - started
        await asyncio.wait_for(reading, DEADLINE_S)
        elapsed = time.perf_counter() - started
    finally:
        await producer.stop()
        await consumer.stop()
    return Result("raw aiokafka", len(latencies), elapsed, published, latencies)


async def compare(bootstrap: str, count: int, batch: int) -> tuple[Result, Result, int]:
    """Run the raw path, then the bus path, on fresh topics; return both and the value size."""
    run = uuid.uuid4().hex[:10]
    codec = Codec(source="urn:govbus:bench", topic_prefix=f"bench.{run}.bus.")
    raw_topic = f"bench.{run}.raw.{CONTRACT.contract.topic}"
    topics = [codec.topic_for(CONTRACT), raw_topic]
    await create_topics(bootstrap, topics)
    try:
        events = publications(count)
        records = [
            codec.encode(p.event, key=p.key, event_id=p.event_id or "", time=p.time) for p in events
        ]
        raw = await run_raw(bootstrap, raw_topic, records, batch)
        bus = await run_bus(bootstrap, codec, events, batch)
    finally:
        await delete_topics(bootstrap, [*topics, *(f"{t}.dlq" for t in topics)])
    return raw, bus, len(records[0].value)


def report(raw: Result, bus: Result, *, value_bytes: int, batch: int, bootstrap: str) -> None:
    print(
        f"{raw.events} events of {value_bytes} B JSON values, batches of {batch}, "
        f"{PARTITIONS} partitions, acks=all, Kafka at {bootstrap}"
    )
    print(raw.line())
    print(bus.line())
    ratio = bus.events_per_s / raw.events_per_s
    print(f"bus/raw throughput: {ratio:.2f} (target >= 0.60)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench.bus_throughput", description=__doc__)
    parser.add_argument("--events", type=int, default=20_000, help="events per path")
    parser.add_argument("--batch", type=int, default=500, help="events per publish_many")
    parser.add_argument("--bootstrap", help="Kafka to use (default: GOVBUS_KAFKA_BOOTSTRAP)")
    args = parser.parse_args(argv)
    if args.events < 100 or args.batch < 1:
        parser.error("--events must be at least 100 and --batch at least 1")
    logging.basicConfig(level=logging.ERROR)  # the client's notes while topics are created
    cluster = LocalKafka(Settings(kafka_bootstrap=args.bootstrap) if args.bootstrap else Settings())
    started = cluster.up(nodes=1)
    try:
        raw, bus, value_bytes = asyncio.run(compare(started.bootstrap, args.events, args.batch))
        report(raw, bus, value_bytes=value_bytes, batch=args.batch, bootstrap=started.bootstrap)
    finally:
        if started.started_nodes:
            cluster.down()
    return 0


if __name__ == "__main__":
    sys.exit(main())
