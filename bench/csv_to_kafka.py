"""Throughput of a CSV file into Kafka through the file adapter and the runtime, against raw.

    .venv/bin/python -m bench.csv_to_kafka [--rows N] [--batch B] [--bootstrap HOST:PORT]

Both paths load the same CSV file of N DVLA licence cancellations (six columns, ~90 bytes a
row) into a fresh 3-partition topic with acks=all and idempotence (the bus's SAFE_PRODUCER).
The **runtime** path is what ``govbus run`` does with a ``csv`` source: the drop-folder source
checks the file, parses it with the csv module, maps each row with the declarative Mapper
(contract validation included), and the SourceRunner publishes each batch, waits for every
acknowledgement, stores the batch's offset in the offsets topic and moves the file to done/.
The **baseline** parses the same file with ``csv.DictReader`` and sends each row as JSON with
a raw ``AIOKafkaProducer``, awaiting acknowledgements per batch of the same size. Each figure
runs from the start of reading to the last acknowledgement (the runtime's: the file in done/).
Kafka comes from GOVBUS_KAFKA_BOOTSTRAP or the local cluster; topics made here are deleted.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import logging
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import orjson
from aiokafka import AIOKafkaProducer

from adapters.files import csv_source
from adapters.files.config import CsvConfig
from bench.kafka import bench_kafka
from bus.adapter_runtime.mapping import Mapper, MappingConfig
from bus.adapter_runtime.plugins import SourceContext
from bus.broker.topics import create_topics, delete_topics
from bus.messaging.codec import Codec
from bus.messaging.publisher import SAFE_PRODUCER
from bus.testing.adapters import running_source
from bus.testing.kafka import topic_size
from contracts.catalogue.dvla import DrivingLicenceCancelledV1

MAPPING = MappingConfig.model_validate(
    {
        "contract": "uk.gov.dvla.driving-licence-cancelled.v1",
        "key": "{driver_number}",
        "identity": "{ref}",
        "fields": {
            "driver_number": "driver_number",
            "holder.given_names": "given_names",
            "holder.family_name": "family_name",
            "cancelled_on": {"from": "cancelled_on", "type": "date", "format": "%d/%m/%Y"},
            "reason": "reason",
            "tell_us_once_reference": "ref",
        },
    }
)
SURNAMES = ("ODUYA", "SMITH", "JONES", "PATEL", "EVANS")


@dataclass(frozen=True, slots=True)
class Result:
    label: str
    events: int
    seconds: float

    @property
    def events_per_s(self) -> float:
        return self.events / self.seconds

    def line(self) -> str:
        return (
            f"{self.label:<28} {self.events_per_s:>10,.0f} events/s"
            f"  ({self.events} events in {self.seconds:.2f} s)"
        )


def write_csv(path: Path, rows: int) -> None:
    """A DVLA export of ``rows`` cancellations with valid, varied driver numbers."""
    with path.open("w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(
            ["driver_number", "given_names", "family_name", "cancelled_on", "reason", "ref"]
        )
        for n in range(rows):
            surname = SURNAMES[n % len(SURNAMES)]
            writer.writerow(
                [
                    f"{surname}{407191 + n % 7}JE9AB",
                    "Joseph Emeka",
                    surname.title(),
                    f"{1 + n % 28:02d}/03/2025",
                    "death-of-holder",
                    f"TUO-{n}",
                ]
            )


async def run_runtime(bootstrap: str, inbox: Path, codec: Codec, rows: int, batch: int) -> Result:
    config = CsvConfig(folder=inbox, settle_s=0, stop_when_empty=True, batch_size=batch)
    source = csv_source(config, SourceContext(name="bench-csv", mapper=Mapper(MAPPING)))
    offsets = f"bench.offsets.{uuid.uuid4().hex[:8]}"
    async with running_source(
        source, adapter="bench-csv", bootstrap=bootstrap, codec=codec, offsets_topic=offsets,
        poll_interval_s=0.01,
    ) as running:  # fmt: skip
        started = time.perf_counter()
        await running.task  # ends at EndOfInput: every row published, offsets stored
        seconds = time.perf_counter() - started
    assert (config.done / "dvla.csv").exists(), "the file was not finished"
    published = await topic_size(bootstrap, codec.topic_for(DrivingLicenceCancelledV1))
    assert published == rows, f"runtime published {published} of {rows}"
    return Result("govbus csv source + runtime", rows, seconds)


async def run_raw(bootstrap: str, path: Path, topic: str, rows: int, batch: int) -> Result:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, **SAFE_PRODUCER)
    await producer.start()
    try:
        started = time.perf_counter()
        futures: list[asyncio.Future[object]] = []
        with path.open(newline="") as stream:
            for row in csv.DictReader(stream):
                value = orjson.dumps(row)
                futures.append(await producer.send(topic, value, key=row["driver_number"].encode()))
                if len(futures) >= batch:
                    await asyncio.gather(*futures)
                    futures.clear()
        await asyncio.gather(*futures)
        seconds = time.perf_counter() - started
    finally:
        await producer.stop()
    published = await topic_size(bootstrap, topic)
    assert published == rows, f"raw producer published {published} of {rows}"
    return Result("raw csv + aiokafka", rows, seconds)


async def compare(bootstrap: str, rows: int, batch: int) -> tuple[Result, Result]:
    run = uuid.uuid4().hex[:8]
    codec = Codec(source="urn:govbus:bench", topic_prefix=f"bench.{run}.")
    bus_topic = codec.topic_for(DrivingLicenceCancelledV1)
    raw_topic = f"bench.{run}.raw-csv"
    await create_topics(bootstrap, [bus_topic, raw_topic])
    try:
        with tempfile.TemporaryDirectory() as folder:
            inbox = Path(folder) / "inbox"
            inbox.mkdir()
            source_file = Path(folder) / "dvla.csv"
            write_csv(source_file, rows)
            raw = await run_raw(bootstrap, source_file, raw_topic, rows, batch)
            source_file.rename(inbox / "dvla.csv")
            bus = await run_runtime(bootstrap, inbox, codec, rows, batch)
    finally:
        await delete_topics(bootstrap, [bus_topic, raw_topic])
    return raw, bus


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench.csv_to_kafka", description=__doc__)
    parser.add_argument("--rows", type=int, default=20_000, help="rows in the CSV file")
    parser.add_argument("--batch", type=int, default=500, help="rows per batch")
    parser.add_argument("--bootstrap", help="Kafka to use (default: GOVBUS_KAFKA_BOOTSTRAP)")
    args = parser.parse_args(argv)
    if args.rows < 1 or args.batch < 1:
        parser.error("--rows and --batch must be at least 1")
    logging.basicConfig(level=logging.ERROR)
    with bench_kafka(args.bootstrap) as started:
        raw, bus = asyncio.run(compare(started.bootstrap, args.rows, args.batch))
    print(f"CSV file of {args.rows} rows -> Kafka, batches of {args.batch}, acks=all")
    print(raw.line())
    print(bus.line())
    print(f"runtime/raw throughput: {bus.events_per_s / raw.events_per_s:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
