"""End-to-end throughput and publish-to-handle latency of the bus, against raw aiokafka.

    .venv/bin/python -m bench.bus_throughput [--events N] [--batch B] [--rounds R] [--rate E]
                                             [--faststream] [--bootstrap HOST:PORT]

Both paths carry the same records: ~1 KB JSON values of a planning application (its free-text
``proposal`` padded) with the same CloudEvents headers, on fresh 3-partition topics. As in a
deployment, the consumer runs in its own process, started and assigned its partitions before
the first send; the producer runs in this process. The bus path publishes with
``Publisher.publish_many`` in batches (encoding each event, checked against its contract, and
handing each partition's records to the producer as whole batches with aiokafka's
``create_batch``/``send_batch``) and handles them with a ``Subscriber`` whose handler only notes
the latency (decoding, validating, dedup, metrics and commits included); the raw path sends the
pre-encoded records one by one with ``AIOKafkaProducer.send`` (the bus's ``SAFE_PRODUCER``
settings), as most aiokafka code does, stamping ``ce_time`` per batch, and reads them with an
``AIOKafkaConsumer`` that commits after each fetch. Throughput runs from the
first send to the last event handled; latency from an event's ``ce_time`` (set when it is sent)
to its handler (or the raw consumer) seeing it, both on the wall clock both processes share.
CPU figures are each process's own CPU time per event. Both paths run ``R`` rounds (5 unless
told) after an unreported warm-up round, alternating which goes first, each on fresh topics;
the round with the median throughput of each path is reported, and the ratio of those. Kafka
comes from GOVBUS_KAFKA_BOOTSTRAP or the local cluster; a cluster the benchmark started is
stopped again, and its topics deleted.

With ``--faststream`` a third path runs in every round: the same publishes as the bus path,
handled by a FastStream subscriber registered with ``bus.faststream.Govbus`` (the same decoding,
dedup, metrics and batched commits, on FastStream's consume loop) instead of a ``Subscriber``.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import multiprocessing
import statistics
import sys
import time
import uuid
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from multiprocessing.synchronize import Event as ProcessEvent
from queue import Empty
from typing import Any, TypeVar, cast

import orjson
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from bench.kafka import bench_kafka
from bus.broker.topics import create_topics, delete_topics
from bus.faststream import Govbus, current_delivery
from bus.foundation.settings import Settings
from bus.messaging.codec import Codec, OutgoingRecord
from bus.messaging.publisher import SAFE_PRODUCER, Publication, Publisher
from bus.messaging.subscriber import Delivery, Subscriber, Subscription
from contracts import Event, default_registry

CONTRACT = default_registry.by_cloudevents_type("uk.gov.council.planning-application-submitted.v1")
VALUE_BYTES = 1024
PARTITIONS = 3
DEADLINE_S = 600.0
READY_TIMEOUT_S = 120.0
SOURCE = "urn:govbus:bench"
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Consumed:
    """What a consumer process reports: when it handled the last event, and each latency."""

    last_handled: float  # wall clock, seconds since the epoch
    latencies_s: list[float]
    cpu_s: float


@dataclass(frozen=True, slots=True)
class Result:
    """One path's figures: events delivered end to end, latency percentiles and CPU time."""

    label: str
    events: int
    seconds: float  # from the first send to the last event handled
    publish_seconds: float  # from the first send to the last acknowledgement
    latencies_s: list[float]
    producer_cpu_s: float
    consumer_cpu_s: float

    @property
    def events_per_s(self) -> float:
        return self.events / self.seconds

    def percentile_ms(self, percent: int) -> float:
        cuts = statistics.quantiles(self.latencies_s, n=100, method="inclusive")
        return cuts[percent - 1] * 1000

    def line(self) -> str:
        per_event = 1e6 / self.events
        return (
            f"{self.label:<13} {self.events_per_s:>9,.0f} events/s   "
            f"p50 {self.percentile_ms(50):7.1f} ms   p99 {self.percentile_ms(99):7.1f} ms   "
            f"({self.events} events in {self.seconds:.2f} s; "
            f"all acked after {self.publish_seconds:.2f} s; CPU per event: producer "
            f"{self.producer_cpu_s * per_event:.0f} us, consumer "
            f"{self.consumer_cpu_s * per_event:.0f} us)"
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


async def paced(items: list[T], size: int, rate: float) -> AsyncIterator[list[T]]:
    """``items`` in chunks of ``size``; with a ``rate`` (events/s), no chunk before its time."""
    started = time.monotonic()
    sent = 0
    for chunk in chunks(items, size):
        if rate:
            await asyncio.sleep(max(0.0, started + sent / rate - time.monotonic()))
        yield chunk
        sent += len(chunk)


# --- consumer processes ---------------------------------------------------------------------


async def consume_bus(bootstrap: str, prefix: str, count: int, ready: ProcessEvent) -> Consumed:
    """Handle ``count`` events with a ``Subscriber`` whose handler only notes the latency."""
    latencies: list[float] = []
    all_handled = asyncio.Event()
    last = 0.0

    async def handle(event: Event, delivery: Delivery) -> None:
        nonlocal last
        last = time.time()
        assert delivery.envelope.time is not None  # encode always sets ce_time
        latencies.append(last - delivery.envelope.time.timestamp())
        if len(latencies) == count:
            all_handled.set()

    codec = Codec(source=SOURCE, topic_prefix=prefix)
    subscription = Subscription(
        name=f"bench-{uuid.uuid4().hex[:8]}", contract=CONTRACT, handler=handle
    )
    started = 0.0  # CPU time when the partitions were assigned, as for the raw consumer

    def on_ready(is_ready: bool, detail: str) -> None:
        nonlocal started
        if is_ready and not ready.is_set():
            started = time.process_time()
            ready.set()

    subscriber = Subscriber(subscription, bootstrap=bootstrap, codec=codec, on_ready=on_ready)
    running = asyncio.create_task(subscriber.run())
    try:
        await asyncio.wait_for(all_handled.wait(), DEADLINE_S)
        cpu = time.process_time() - started
    finally:
        subscriber.stop()
        await running
    return Consumed(last, latencies, cpu)


async def consume_raw(bootstrap: str, topic: str, count: int, ready: ProcessEvent) -> Consumed:
    """Read ``count`` records with a raw consumer, committing after each fetch."""
    latencies: list[float] = []
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        group_id=f"bench-raw-{uuid.uuid4().hex[:8]}",
        enable_auto_commit=False,
        auto_offset_reset="earliest",
    )
    last = 0.0
    try:
        await consumer.start()
        while not consumer.assignment():
            await consumer.getmany(timeout_ms=100)
        ready.set()
        started = time.process_time()
        while len(latencies) < count:
            fetched = await consumer.getmany(timeout_ms=200, max_records=1000)
            last = time.time()
            for part in fetched.values():
                latencies.extend(last - _sent_at(record.headers) for record in part)
            if fetched:
                await consumer.commit()
        cpu = time.process_time() - started
    finally:
        await consumer.stop()
    return Consumed(last, latencies, cpu)


def _sent_at(headers: Any) -> float:
    for name, value in headers:
        if name == "ce_time":
            return datetime.fromisoformat(value.decode()).timestamp()
    raise ValueError("a benchmark record has no ce_time header")


async def consume_faststream(
    bootstrap: str, prefix: str, count: int, ready: ProcessEvent
) -> Consumed:
    """Handle ``count`` events with a FastStream handler registered through ``Govbus``."""
    latencies: list[float] = []
    all_handled = asyncio.Event()
    last = 0.0
    bus = Govbus(
        f"bench-{uuid.uuid4().hex[:8]}",
        # health_port=0: the operator's endpoints on a free port, beside other processes' own.
        settings=Settings(kafka_bootstrap=bootstrap, topic_prefix=prefix, health_port=0),
    )

    @bus.subscriber(CONTRACT)
    async def handle(event: Event) -> None:
        nonlocal last
        last = time.time()
        delivery = current_delivery()
        assert delivery.envelope.time is not None  # encode always sets ce_time
        latencies.append(last - delivery.envelope.time.timestamp())
        if len(latencies) == count:
            all_handled.set()

    running = asyncio.create_task(bus.run())
    (subscriber,) = [cast(Any, s) for s in bus.broker.subscribers]
    while subscriber.consumer is None or not subscriber.consumer.assignment():
        await asyncio.sleep(0.05)
        if running.done():
            await running
    started = time.process_time()
    ready.set()
    try:
        await asyncio.wait_for(all_handled.wait(), DEADLINE_S)
        cpu = time.process_time() - started
    finally:
        bus.stop()
        await running
    return Consumed(last, latencies, cpu)


def consumer_process(
    path: str, bootstrap: str, where: str, count: int, ready: ProcessEvent, results: Any
) -> None:
    """Entry point of a consumer process: consume, then put a ``Consumed`` (or an error)."""
    logging.basicConfig(level=logging.ERROR)
    consume = {"bus": consume_bus, "raw": consume_raw, "faststream": consume_faststream}[path]
    try:
        results.put(asyncio.run(consume(bootstrap, where, count, ready)))
    except BaseException as exc:
        results.put(RuntimeError(f"{path} consumer failed: {exc!r}"))
        raise


# --- producers, in this process ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Produced:
    """What a producer reports: its first send, its last acknowledgement and its CPU time."""

    first_send: float  # wall clock, seconds since the epoch
    last_ack: float
    cpu_s: float


async def produce_bus(
    bootstrap: str, codec: Codec, events: list[Publication], batch: int, rate: float
) -> Produced:
    """Publish with the bus's Publisher in batches, timed from the first send (after start)."""
    async with Publisher(bootstrap=bootstrap, codec=codec, name="bench") as publisher:
        started, cpu = time.time(), time.process_time()
        async for chunk in paced(events, batch, rate):
            await publisher.publish_many(chunk)
        return Produced(started, time.time(), time.process_time() - cpu)


async def produce_raw(
    bootstrap: str, topic: str, records: list[OutgoingRecord], batch: int, rate: float
) -> Produced:
    """Send the pre-encoded records with ``ce_time`` set to each batch's send time."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, **SAFE_PRODUCER)
    at = [name for name, _ in records[0].headers].index("ce_time")
    await producer.start()
    try:
        started, cpu = time.time(), time.process_time()
        async for chunk in paced(records, batch, rate):
            stamp = ("ce_time", datetime.now(UTC).isoformat().encode())
            futures = []
            for record in chunk:
                headers = record.headers.copy()
                headers[at] = stamp
                futures.append(
                    await producer.send(topic, record.value, key=record.key, headers=headers)
                )
            await asyncio.gather(*futures)
        return Produced(started, time.time(), time.process_time() - cpu)
    finally:
        await producer.stop()


def run_path(
    label: str,
    path: str,
    bootstrap: str,
    where: str,
    produce: Callable[[], Coroutine[Any, Any, Produced]],
    count: int,
) -> Result:
    """Start the consumer process, wait until it has its partitions, produce, collect figures."""
    context = multiprocessing.get_context("spawn")
    ready = context.Event()
    results = context.Queue()
    consumer = context.Process(
        target=consumer_process,
        args=(path, bootstrap, where, count, ready, results),
        name=f"bench-{path}-consumer",
    )
    consumer.start()
    try:
        if not ready.wait(READY_TIMEOUT_S):
            raise RuntimeError(f"the {path} consumer was not assigned partitions in time")
        produced = asyncio.run(produce())
        try:
            consumed = results.get(timeout=DEADLINE_S)
        except Empty:
            raise RuntimeError(f"the {path} consumer did not finish in time") from None
        if isinstance(consumed, BaseException):
            raise consumed
        consumer.join(60)
    finally:
        if consumer.is_alive():
            consumer.terminate()
            consumer.join()
    return Result(
        label,
        len(consumed.latencies_s),
        consumed.last_handled - produced.first_send,
        produced.last_ack - produced.first_send,
        consumed.latencies_s,
        produced.cpu_s,
        consumed.cpu_s,
    )


def compare(
    bootstrap: str,
    count: int,
    batch: int,
    rounds: int,
    rate: float = 0.0,
    *,
    faststream: bool = False,
) -> tuple[dict[str, list[Result]], int]:
    """Run every path ``rounds`` times, rotating which goes first, each on fresh topics,
    after an unreported warm-up round of all with a tenth of the events (so no path pays for
    the broker's cold start); return each path's results and the value size."""
    run = uuid.uuid4().hex[:10]
    events = publications(count)
    paths = ["raw", "bus", *(["faststream"] if faststream else [])]
    warm_up = events[: max(count // 10, 100)]
    one_round(bootstrap, f"bench.{run}.warm-up", warm_up, batch, 0.0, paths=paths)
    results: dict[str, list[Result]] = {path: [] for path in paths}
    for number in range(rounds):
        order = paths[number % len(paths) :] + paths[: number % len(paths)]
        for path, result in one_round(
            bootstrap, f"bench.{run}.{number}", events, batch, rate, paths=order
        ).items():
            results[path].append(result)
    value_bytes = len(Codec(source=SOURCE).encode(events[0].event, key="k", event_id="i").value)
    return results, value_bytes


LABELS = {"raw": "raw aiokafka", "bus": "govbus bus", "faststream": "faststream"}


def one_round(
    bootstrap: str,
    name: str,
    events: list[Publication],
    batch: int,
    rate: float,
    *,
    paths: list[str],
) -> dict[str, Result]:
    """Each of ``paths`` once, in that order, each with its own fresh topic after ``name``."""
    raw_topic = f"{name}.raw.{CONTRACT.contract.topic}"
    topics = [raw_topic]
    producers: dict[str, tuple[str, Callable[[], Coroutine[Any, Any, Produced]]]] = {}
    for path in paths:
        if path == "raw":
            codec = Codec(source=SOURCE)
            records = [
                codec.encode(p.event, key=p.key, event_id=p.event_id or "", time=p.time)
                for p in events
            ]
            producers[path] = (
                raw_topic,
                partial(produce_raw, bootstrap, raw_topic, records, batch, rate),
            )
        else:
            prefix = f"{name}.{path}."
            codec = Codec(source=SOURCE, topic_prefix=prefix)
            topics.append(codec.topic_for(CONTRACT))
            producers[path] = (prefix, partial(produce_bus, bootstrap, codec, events, batch, rate))
    results: dict[str, Result] = {}
    asyncio.run(create_topics(bootstrap, topics))
    try:
        for path in paths:
            where, produce = producers[path]
            results[path] = run_path(LABELS[path], path, bootstrap, where, produce, len(events))
    finally:
        asyncio.run(delete_topics(bootstrap, [*topics, *(f"{t}.dlq" for t in topics)]))
    return results


def median_result(results: list[Result]) -> Result:
    """The result of the round with the median throughput (the lower middle one if even)."""
    ranked = sorted(results, key=lambda result: result.events_per_s)
    return ranked[(len(ranked) - 1) // 2]


def report(
    results: dict[str, list[Result]],
    *,
    value_bytes: int,
    batch: int,
    rate: float,
    bootstrap: str,
) -> None:
    raws = results["raw"]
    medians = {path: median_result(runs) for path, runs in results.items()}
    raw = medians["raw"]
    print(
        f"{raw.events} events of {value_bytes} B JSON values, batches of {batch}, "
        f"{PARTITIONS} partitions, acks=all, Kafka at {bootstrap}"
    )
    print(
        "producer in this process, consumer in its own process; events/s from the first send "
        "to the last event handled; latency from ce_time (set at send) to handling"
    )
    if rate:
        print(
            f"all producers paced to {rate:,.0f} events/s: throughput is set by the pace; "
            "compare latency"
        )
    for number, one_raw in enumerate(raws):
        figures = ", ".join(
            f"{path} {runs[number].events_per_s:,.0f} events/s" for path, runs in results.items()
        )
        ratios = ", ".join(
            f"{path}/raw {runs[number].events_per_s / one_raw.events_per_s:.2f}"
            for path, runs in results.items()
            if path != "raw"
        )
        print(f"  round {number + 1}: {figures}, {ratios}")
    print(f"median round of {len(raws)}:")
    for median in medians.values():
        print(median.line())
    target = " (paced: not a throughput test)" if rate else " (target >= 0.60)"
    print(f"bus/raw throughput: {medians['bus'].events_per_s / raw.events_per_s:.2f}{target}")
    if "faststream" in medians:
        faststream = medians["faststream"].events_per_s
        print(
            f"faststream/raw throughput: {faststream / raw.events_per_s:.2f}, "
            f"faststream/bus: {faststream / medians['bus'].events_per_s:.2f}"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench.bus_throughput", description=__doc__)
    parser.add_argument("--events", type=int, default=20_000, help="events per path and round")
    parser.add_argument("--batch", type=int, default=500, help="events per publish_many")
    parser.add_argument(
        "--rate",
        type=float,
        default=0.0,
        help="events/s both producers keep to, to compare latency below saturation "
        "(default: as fast as they can)",
    )
    parser.add_argument("--rounds", type=int, default=5, help="rounds of every path")
    parser.add_argument(
        "--faststream",
        action="store_true",
        help="also handle the bus path's events with a FastStream subscriber (bus.faststream)",
    )
    parser.add_argument("--bootstrap", help="Kafka to use (default: GOVBUS_KAFKA_BOOTSTRAP)")
    args = parser.parse_args(argv)
    if args.events < 100 or args.batch < 1 or args.rounds < 1 or args.rate < 0:
        parser.error(
            "--events must be at least 100, --batch and --rounds at least 1, --rate at least 0"
        )
    logging.basicConfig(level=logging.ERROR)  # the client's notes while topics are created
    with bench_kafka(args.bootstrap) as started:
        results, value_bytes = compare(
            started.bootstrap, args.events, args.batch, args.rounds, args.rate,
            faststream=args.faststream,
        )  # fmt: skip
        report(
            results,
            value_bytes=value_bytes,
            batch=args.batch,
            rate=args.rate,
            bootstrap=started.bootstrap,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
