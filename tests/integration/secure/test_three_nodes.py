"""A three-node ``govbus kafka up --secure`` cluster forms and replicates over SASL_SSL."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from bus.testing.kafka import unique_topic
from tests.integration.secure.conftest import secure_cluster

pytestmark = [pytest.mark.kafka, pytest.mark.slow, pytest.mark.timeout(300)]


def test_three_secured_nodes_take_replicated_writes_from_the_admin(tmp_path: Path) -> None:
    """All three nodes register over mutual TLS, and the admin writes and reads a topic of RF 3."""
    with secure_cluster(tmp_path / "kafka", 3) as cluster:
        assert len(cluster.bootstrap.split(",")) == 3
        asyncio.run(_replicated_round_trip(cluster.admin_options()))


async def _replicated_round_trip(options: dict[str, Any]) -> None:
    topic = unique_topic("secure3")
    admin = AIOKafkaAdminClient(**options)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(topic, num_partitions=3, replication_factor=3)])
        (described,) = await admin.describe_topics([topic])
    finally:
        await admin.close()
    assert {len(p["isr"]) for p in described["partitions"]} == {3}
    producer = AIOKafkaProducer(**options, acks="all", enable_idempotence=True)
    await producer.start()
    try:
        for i in range(6):
            await producer.send_and_wait(topic, f"r{i}".encode(), key=f"k{i}".encode())
    finally:
        await producer.stop()
    consumer = AIOKafkaConsumer(topic, **options, auto_offset_reset="earliest")
    await consumer.start()
    try:
        seen: list[bytes] = []
        for _ in range(10):
            batch = await consumer.getmany(timeout_ms=2_000)
            seen += [r.value for part in batch.values() for r in part if r.value]
            if len(seen) >= 6:
                break
    finally:
        await consumer.stop()
    assert sorted(seen) == [f"r{i}".encode() for i in range(6)]
