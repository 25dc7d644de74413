"""Running the `govbus` program in a subprocess, and reading topics back, for the CLI tests."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from aiokafka import AIOKafkaConsumer

ROOT = Path(__file__).resolve().parents[3]


def environment(bootstrap: str | None, **extra: str) -> dict[str, str]:
    """The process environment with ``GOVBUS_KAFKA_BOOTSTRAP`` set (or removed when ``None``)."""
    env = {k: v for k, v in os.environ.items() if k != "GOVBUS_KAFKA_BOOTSTRAP"}
    if bootstrap is not None:
        env["GOVBUS_KAFKA_BOOTSTRAP"] = bootstrap
    return env | extra


def govbus(
    bootstrap: str | None, *args: str, timeout: float = 90, **env: str
) -> subprocess.CompletedProcess[str]:
    """Run ``python -m bus ARGS`` to completion and return its exit status and output."""
    return subprocess.run(
        [sys.executable, "-m", "bus", *args],
        capture_output=True, text=True, env=environment(bootstrap, **env), cwd=ROOT,
        timeout=timeout, check=False,
    )  # fmt: skip


async def read_all(
    bootstrap: str, topic: str, *, expected: int, timeout_s: float = 20
) -> list[Any]:
    """The first ``expected`` records of ``topic`` (all partitions), or fewer after the timeout."""
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=bootstrap, group_id=None, auto_offset_reset="earliest",
        enable_auto_commit=False,
    )  # fmt: skip
    await consumer.start()
    records: list[Any] = []
    try:
        deadline = timeout_s * 1000
        while len(records) < expected and deadline > 0:
            batch = await consumer.getmany(timeout_ms=500)
            records += [record for part in batch.values() for record in part]
            deadline -= 500
    finally:
        await consumer.stop()
    return records
