"""A SQL source killed with SIGKILL mid-run loses no row, and repeats only with the same ce_id."""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import sys
from collections import defaultdict
from pathlib import Path

from bus.testing.kafka import read_records, topic_size, unique_topic
from contracts.catalogue.gro import DeathRegisteredV1

ROWS = 3000
ROOT = Path(__file__).resolve().parents[4]


async def start(*args: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tests.integration.adapters.sql.run_source", *args,
        cwd=ROOT, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip


async def until(at_least: int, bootstrap: str, topic: str, timeout_s: float) -> int:
    async with asyncio.timeout(timeout_s):
        while (count := await topic_size(bootstrap, topic, timeout_s=0.5)) < at_least:
            await asyncio.sleep(0.05)
    return count


async def settled(at_least: int, bootstrap: str, topic: str, timeout_s: float) -> int:
    """The record count once it reached ``at_least`` and stopped growing for a second."""
    count = await until(at_least, bootstrap, topic, timeout_s)
    async with asyncio.timeout(timeout_s):
        while True:
            await asyncio.sleep(1.0)
            if (now := await topic_size(bootstrap, topic, timeout_s=0.5)) == count:
                return count
            count = now


async def test_sigkill_mid_run_loses_nothing_and_duplicates_keep_their_ce_id(
    tmp_path: Path, kafka_bootstrap: str
) -> None:
    """Kill -9 after some batches, restart: every row is on the topic, repeats share a ce_id."""
    database = tmp_path / "legacy.db"
    with sqlite3.connect(database) as db:
        db.execute(
            "CREATE TABLE deaths (id INTEGER PRIMARY KEY, entry_number INTEGER, "
            "given_names TEXT, family_name TEXT, place TEXT)"
        )
        db.executemany(
            "INSERT INTO deaths VALUES (?, ?, 'Joseph', 'Oduya', 'At home')",
            [(n, n) for n in range(1, ROWS + 1)],
        )
    prefix = unique_topic("crash") + "."
    topic = prefix + DeathRegisteredV1.contract.topic
    args = (f"sqlite+aiosqlite:///{database}", "deaths", kafka_bootstrap, prefix,
            unique_topic("crash-offsets"))  # fmt: skip
    first = await start(*args)
    try:
        before_kill = await until(300, kafka_bootstrap, topic, timeout_s=20)
    finally:
        os.kill(first.pid, signal.SIGKILL)
        await first.wait()
    assert before_kill < ROWS  # killed mid-run, not after the end
    second = await start(*args)
    try:
        total = await settled(ROWS, kafka_bootstrap, topic, timeout_s=20)
    finally:
        second.kill()
        await second.wait()
    records = await read_records(kafka_bootstrap, topic, count=total, timeout_s=10)
    ids: defaultdict[int, set[str]] = defaultdict(set)
    for record in records:
        number = DeathRegisteredV1.from_consumed(record.value).entry_number
        ids[number].add(dict(record.headers)["ce_id"].decode())
    assert sorted(ids) == list(range(1, ROWS + 1))  # no row lost
    assert all(len(found) == 1 for found in ids.values())  # a repeat carries the same ce_id
    assert len(records) == total
