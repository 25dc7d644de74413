"""A real three-node cluster: replicated writes survive a killed node, and `down` cleans up."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

pytestmark = pytest.mark.slow


def _govbus(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GOVBUS_")}
    return subprocess.run(
        [sys.executable, "-m", "bus", "kafka", *args, "--home", str(home)],
        capture_output=True, text=True, env=env, timeout=300, check=False,
    )  # fmt: skip


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return Path(f"/proc/{pid}/cmdline").read_bytes() != b""


async def _write(bootstrap: str, topic: str, values: list[bytes]) -> None:
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap, acks="all", enable_idempotence=True, request_timeout_ms=30_000
    )
    await producer.start()
    try:
        futures = [await producer.send(topic, value) for value in values]
        await asyncio.gather(*futures)
    finally:
        await producer.stop()


async def _read_all(bootstrap: str, topic: str, expected: int) -> list[bytes]:
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest", enable_auto_commit=False
    )
    await consumer.start()
    seen: list[bytes] = []
    try:
        async with asyncio.timeout(60):
            while len(seen) < expected:
                batch = await consumer.getmany(timeout_ms=1000)
                seen += [record.value for part in batch.values() for record in part]
    finally:
        await consumer.stop()
    return seen


async def _create_replicated_topic(bootstrap: str, topic: str) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.create_topics(
            [NewTopic(topic, num_partitions=3, replication_factor=3,
                      topic_configs={"min.insync.replicas": "2"})]
        )  # fmt: skip
    finally:
        await admin.close()


def test_three_nodes_take_replicated_writes_through_a_node_loss_and_stop_cleanly(
    tmp_path: Path,
) -> None:
    """Three pids; RF 3 acks=all writes with 3 and 2 nodes up; restart; data kept; nothing left."""
    home = tmp_path / "cluster"
    up = _govbus(home, "up", "--nodes", "3")
    assert up.returncode == 0, up.stderr
    bootstrap = up.stdout.strip().splitlines()[-1]
    assert bootstrap == "127.0.0.1:19092,127.0.0.1:29092,127.0.0.1:30092"
    pids: list[int] = []
    try:
        status = json.loads(_govbus(home, "status", "--json").stdout)
        pids = [int(node["handle"]) for node in status["nodes"]]
        assert len(set(pids)) == 3
        assert all(node["running"] for node in status["nodes"])

        asyncio.run(_create_replicated_topic(bootstrap, "replicated"))
        asyncio.run(_write(bootstrap, "replicated", [b"three-up-%d" % i for i in range(100)]))

        os.kill(pids[2], signal.SIGKILL)
        asyncio.run(_write(bootstrap, "replicated", [b"two-up-%d" % i for i in range(100)]))
        assert _govbus(home, "status").returncode == 1  # one node is down

        healed = _govbus(home, "up", "--nodes", "3")  # restarts the killed node from its data
        assert healed.returncode == 0, healed.stderr
        assert "started Kafka node 3" in healed.stdout

        kept = _govbus(home, "down", "--keep-data")
        assert kept.returncode == 0, kept.stderr
        again = _govbus(home, "up", "--nodes", "3")
        assert again.returncode == 0, again.stderr
        pids = [
            int(node["handle"])
            for node in json.loads(_govbus(home, "status", "--json").stdout)["nodes"]
        ]
        values = asyncio.run(_read_all(bootstrap, "replicated", 200))
        assert sorted(values) == sorted(
            [b"three-up-%d" % i for i in range(100)] + [b"two-up-%d" % i for i in range(100)]
        )
    finally:
        down = _govbus(home, "down")
    assert down.returncode == 0, down.stderr
    assert not any(_pid_alive(pid) for pid in pids)
    assert not home.exists()
