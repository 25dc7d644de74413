"""`govbus kafka up` on its Docker backend, with the image GOVBUS_KAFKA_IMAGE names.

On a machine without Docker Hub that is govbus/kafka from scripts/docker-images.sh, which must
start from the same KAFKA_* variables as apache/kafka. Three nodes, because the single node's
port (127.0.0.1:9092) is usually taken by the broker the other tests share.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from bus.broker.local.layout import CLUSTER_PORTS, HOST
from bus.foundation.settings import Settings
from tests.integration.docker.kafka_container import engine_problem, image_problem

pytestmark = [pytest.mark.docker, pytest.mark.slow]


def _govbus(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "GOVBUS_KAFKA_BOOTSTRAP"}
    env["GOVBUS_KAFKA_BACKEND"] = "docker"
    return subprocess.run(
        [sys.executable, "-m", "bus", "kafka", *args, "--home", str(home)],
        capture_output=True, text=True, env=env, timeout=300, check=False,
    )  # fmt: skip


def _containers(home: Path) -> list[str]:
    done = subprocess.run(
        ["docker", "ps", "--all", "--quiet", "--filter", f"label=govbus.home={home}"],
        capture_output=True, text=True, timeout=30, check=True,
    )  # fmt: skip
    return done.stdout.split()


def _busy_ports() -> list[int]:
    busy = []
    for port in (p for base in CLUSTER_PORTS for p in (base, base + 1)):
        with socket.socket() as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                sock.bind((HOST, port))
            except OSError:
                busy.append(port)
    return busy


async def _round_trip(bootstrap: str, topic: str, values: list[bytes]) -> list[bytes]:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(topic, num_partitions=3, replication_factor=3)])
    finally:
        await admin.close()
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True)
    await producer.start()
    try:
        await asyncio.gather(*[await producer.send(topic, value) for value in values])
    finally:
        await producer.stop()
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest", enable_auto_commit=False
    )
    await consumer.start()
    seen: list[bytes] = []
    try:
        async with asyncio.timeout(60):
            while len(seen) < len(values):
                batch = await consumer.getmany(timeout_ms=1000)
                seen += [record.value for part in batch.values() for record in part]
    finally:
        await consumer.stop()
    return seen


def test_kafka_up_runs_a_three_node_cluster_in_containers_of_the_configured_image(
    tmp_path: Path,
) -> None:
    """up starts three containers that replicate writes; status sees them; down removes them."""
    problem = engine_problem() or image_problem(Settings().kafka_image)
    if problem:
        pytest.skip(problem)
    if busy := _busy_ports():
        pytest.skip(f"ports {busy} on {HOST} are in use (a three-node cluster of another run)")
    home = tmp_path / "cluster"
    try:
        up = _govbus(home, "up", "--nodes", "3")
        assert up.returncode == 0, up.stdout + up.stderr
        assert "(docker)" in up.stdout
        bootstrap = up.stdout.strip().splitlines()[-1]
        assert bootstrap == ",".join(f"{HOST}:{port}" for port in CLUSTER_PORTS)

        status = json.loads(_govbus(home, "status", "--json").stdout)
        assert status["source"] == "docker"
        assert [node["running"] for node in status["nodes"]] == [True, True, True]
        assert len(_containers(home)) == 3

        values = [b"in-a-container-%d" % i for i in range(50)]
        assert sorted(asyncio.run(_round_trip(bootstrap, "replicated", values))) == sorted(values)
    finally:
        down = _govbus(home, "down")
    assert down.returncode == 0, down.stderr
    assert _containers(home) == []
