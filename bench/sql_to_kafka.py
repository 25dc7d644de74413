"""Rows per second from a SQLite table to Kafka through the SQL source, against a raw baseline.

    .venv/bin/python -m bench.sql_to_kafka [--rows N] [--batch B] [--bootstrap HOST:PORT]

Both paths read the same table of death registrations in key order, ``B`` rows per query, and
wait for Kafka's acknowledgement (acks=all, idempotent) of each batch before the next. The
baseline reads with plain SQLAlchemy and sends each row as orjson to a raw ``AIOKafkaProducer``;
the govbus path runs ``SqlSource`` under the ``SourceRunner`` (mapping and validating each row
into a ``DeathRegisteredV1``, CloudEvents headers, deterministic ids, offsets stored in the
compacted topic after each batch). The clock stops when the topic holds every row. Kafka comes
from GOVBUS_KAFKA_BOOTSTRAP or the local cluster; one the benchmark started is stopped again.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sqlite3
import sys
import tempfile
import time
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import orjson
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from sqlalchemy import column, select, table
from sqlalchemy.ext.asyncio import create_async_engine

from adapters.sql import SqlConfig, SqlSource, SqlSourceConfig
from bench.kafka import bench_kafka
from bus.adapter_runtime.mapping import Mapper, MappingConfig
from bus.broker.topics import create_topics, delete_topics
from bus.messaging.codec import Codec
from bus.messaging.publisher import SAFE_PRODUCER
from bus.testing.adapters import running_source
from bus.testing.kafka import topic_partitions
from contracts.catalogue.gro import DeathRegisteredV1

EXAMPLE = DeathRegisteredV1.contract.example
COLUMNS = ("id", "entry_number", "given_names", "family_name", "place", "date_of_death")
MAPPING = MappingConfig(
    contract="uk.gov.gro.death-registered.v1",
    key="{id}",
    identity="deaths/{id}",
    fields={
        "registration_district": {"const": "Hartlepool"},
        "entry_number": {"from": "entry_number", "type": "int"},
        "registered_on": {"const": "2025-03-04"},
        "local_authority": {"const": "E06000001"},
        "deceased_name.given_names": "given_names",
        "deceased_name.family_name": "family_name",
        "deceased_date_of_birth": {"const": "1941-07-19"},
        "date_of_death": {"from": "date_of_death", "type": "date"},
        "place_of_death": "place",
    },
    function="bench.sql_to_kafka:address_and_informant",
)


def address_and_informant(record: Mapping[str, Any]) -> dict[str, Any]:
    """The parts of the event the benchmark table does not hold."""
    return {"deceased_address": EXAMPLE["deceased_address"], "informant": EXAMPLE["informant"]}


def make_table(path: Path, rows: int) -> None:
    with sqlite3.connect(path) as db:
        db.execute(
            "CREATE TABLE deaths (id INTEGER PRIMARY KEY, entry_number INTEGER, "
            "given_names TEXT, family_name TEXT, place TEXT, date_of_death TEXT)"
        )
        db.executemany(
            "INSERT INTO deaths VALUES (?, ?, ?, 'Oduya', 'University Hospital of Hartlepool', "
            "'2025-03-01')",
            [(n, n % 999_999 + 1, f"Joseph Emeka {n}") for n in range(1, rows + 1)],
        )


async def run_raw(bootstrap: str, url: str, topic: str, batch: int) -> int:
    """Plain SQLAlchemy pages by key, orjson rows, raw producer; returns rows sent."""
    engine = create_async_engine(url)
    deaths = table("deaths", *(column(c) for c in COLUMNS))
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, **SAFE_PRODUCER)
    await producer.start()
    sent, last = 0, 0
    try:
        while True:
            query = select(deaths).where(deaths.c.id > last).order_by(deaths.c.id).limit(batch)
            async with engine.connect() as connection:
                rows = [dict(r) for r in (await connection.execute(query)).mappings()]
            if not rows:
                return sent
            futures = [
                await producer.send(topic, orjson.dumps(r), key=str(r["id"]).encode()) for r in rows
            ]
            await asyncio.gather(*futures)
            sent += len(rows)
            last = rows[-1]["id"]
    finally:
        await producer.stop()
        await engine.dispose()


async def run_govbus(bootstrap: str, url: str, codec: Codec, rows: int, batch: int) -> None:
    """The SQL source under the source runner, until the topic holds every row."""
    config = SqlConfig(
        url=url,
        source=SqlSourceConfig(table="deaths", key_column="id", batch_size=batch,
                               poll_interval_s=0.05),
    )  # fmt: skip
    source = SqlSource(config, Mapper(MAPPING), name="bench")
    partitions = await topic_partitions(bootstrap, codec.topic_for(DeathRegisteredV1))
    watcher = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await watcher.start()
    try:
        async with running_source(
            source, adapter=f"bench-{uuid.uuid4().hex[:8]}", bootstrap=bootstrap, codec=codec,
            offsets_topic=f"{codec.topic_prefix}offsets",
        ):  # fmt: skip
            # Kafka's end offsets raise no asyncio event; polling them is the only way to know.
            while sum((await watcher.end_offsets(partitions)).values()) < rows:  # noqa: ASYNC110
                await asyncio.sleep(0.02)
    finally:
        await watcher.stop()


async def compare(bootstrap: str, rows: int, batch: int) -> tuple[float, float]:
    """Seconds for the raw path and for the govbus path over the same table."""
    run = uuid.uuid4().hex[:10]
    codec = Codec(source="urn:govbus:bench", topic_prefix=f"bench.{run}.sql.")
    raw_topic = f"bench.{run}.raw.{DeathRegisteredV1.contract.topic}"
    topics = [codec.topic_for(DeathRegisteredV1), raw_topic]
    await create_topics(bootstrap, topics)
    with tempfile.TemporaryDirectory(prefix="govbus-bench-sql-") as folder:
        path = Path(folder) / "legacy.db"
        make_table(path, rows)
        url = f"sqlite+aiosqlite:///{path}"
        try:
            started = time.perf_counter()
            sent = await run_raw(bootstrap, url, raw_topic, batch)
            raw_s = time.perf_counter() - started
            assert sent == rows
            started = time.perf_counter()
            await run_govbus(bootstrap, url, codec, rows, batch)
            govbus_s = time.perf_counter() - started
        finally:
            await delete_topics(bootstrap, [*topics, f"{codec.topic_prefix}offsets"])
    return raw_s, govbus_s


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench.sql_to_kafka", description=__doc__)
    parser.add_argument("--rows", type=int, default=20_000, help="rows in the SQLite table")
    parser.add_argument("--batch", type=int, default=500, help="rows per query (batch_size)")
    parser.add_argument("--bootstrap", help="Kafka to use (default: GOVBUS_KAFKA_BOOTSTRAP)")
    args = parser.parse_args(argv)
    if args.rows < 100 or args.batch < 1:
        parser.error("--rows must be at least 100 and --batch at least 1")
    logging.basicConfig(level=logging.ERROR)
    with bench_kafka(args.bootstrap) as started:
        raw_s, govbus_s = asyncio.run(compare(started.bootstrap, args.rows, args.batch))
    raw_rate, govbus_rate = args.rows / raw_s, args.rows / govbus_s
    print(f"{args.rows} SQLite rows, {args.batch} per query, acks=all, Kafka {started.bootstrap}")
    print(f"raw SQLAlchemy + aiokafka  {raw_rate:>10,.0f} rows/s  ({raw_s:.2f} s)")
    print(f"govbus SQL source          {govbus_rate:>10,.0f} rows/s  ({govbus_s:.2f} s)")
    print(f"govbus/raw throughput: {govbus_rate / raw_rate:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
