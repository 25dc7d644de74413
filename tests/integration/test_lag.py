"""Consumer lag read from the real broker: end offsets minus the group's committed offsets."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.structs import OffsetAndMetadata
from prometheus_client import CollectorRegistry, Gauge

from bus.broker.client import client_options
from bus.foundation.settings import Settings
from bus.observability.lag import LagMonitor, LagProbe, consumer_lag


def _options(bootstrap: str) -> dict[str, Any]:
    return client_options(Settings(), bootstrap)


async def _create(bootstrap: str, topic: str, partitions: int) -> None:
    admin = AIOKafkaAdminClient(**_options(bootstrap))
    await admin.start()
    try:
        await admin.create_topics([NewTopic(topic, partitions, 1)])
    finally:
        await admin.close()


async def _produce(bootstrap: str, topic: str, counts: dict[int, int]) -> None:
    producer = AIOKafkaProducer(**_options(bootstrap), acks="all", enable_idempotence=True)
    await producer.start()
    try:
        sends = [
            await producer.send(topic, b"{}", partition=partition)
            for partition, count in counts.items()
            for _ in range(count)
        ]
        await asyncio.gather(*sends)
    finally:
        await producer.stop()


async def _commit(bootstrap: str, group: str, offsets: dict[TopicPartition, int]) -> None:
    consumer = AIOKafkaConsumer(**_options(bootstrap), group_id=group, enable_auto_commit=False)
    await consumer.start()
    try:
        consumer.assign(list(offsets))
        await consumer.commit({tp: OffsetAndMetadata(n, "") for tp, n in offsets.items()})
    finally:
        await consumer.stop()


async def test_lag_is_records_produced_minus_records_committed(
    kafka_bootstrap: str, topic: str
) -> None:
    """10 records produced, 4 committed by the group: the group's lag on the topic is 6."""
    await _create(kafka_bootstrap, topic, 1)
    await _produce(kafka_bootstrap, topic, {0: 10})
    group = f"{topic}.group"
    await _commit(kafka_bootstrap, group, {TopicPartition(topic, 0): 4})
    assert await consumer_lag(_options(kafka_bootstrap), group) == {topic: 6}


async def test_uncommitted_partitions_count_from_the_beginning(
    kafka_bootstrap: str, topic: str
) -> None:
    """Across three partitions, the two the group never committed count in full."""
    await _create(kafka_bootstrap, topic, 3)
    await _produce(kafka_bootstrap, topic, {0: 5, 1: 3, 2: 2})
    group = f"{topic}.group"
    await _commit(kafka_bootstrap, group, {TopicPartition(topic, 0): 5})
    # Without topics only committed ones are known; all three partitions still count.
    assert await consumer_lag(_options(kafka_bootstrap), group) == {topic: 5}


async def test_named_topics_count_even_before_the_group_commits(
    kafka_bootstrap: str, topic: str
) -> None:
    """A group that committed nothing lags by every record of the topics it was told about."""
    await _create(kafka_bootstrap, topic, 2)
    await _produce(kafka_bootstrap, topic, {0: 4, 1: 3})
    options = _options(kafka_bootstrap)
    group = f"{topic}.new-group"
    async with LagProbe(options) as probe:
        assert await probe.lag(group) == {}
        assert await probe.lag(group, topics=[topic, f"{topic}.missing"]) == {topic: 7}


async def test_monitor_sets_the_gauge_and_removes_its_series_when_stopped(
    kafka_bootstrap: str, topic: str
) -> None:
    """LagMonitor publishes govbus_consumer_lag{group,topic}, follows commits, cleans up."""
    await _create(kafka_bootstrap, topic, 1)
    await _produce(kafka_bootstrap, topic, {0: 10})
    group = f"{topic}.group"
    await _commit(kafka_bootstrap, group, {TopicPartition(topic, 0): 4})
    registry = CollectorRegistry()
    gauge = Gauge("govbus_consumer_lag", "Lag.", ["group", "topic"], registry=registry)
    labels = {"group": group, "topic": topic}

    monitor = LagMonitor(_options(kafka_bootstrap), group, interval_s=0.2, gauge=gauge)
    async with monitor:
        await asyncio.wait_for(monitor.measured(), timeout=30)
        assert registry.get_sample_value("govbus_consumer_lag", labels) == 6
        await _commit(kafka_bootstrap, group, {TopicPartition(topic, 0): 9})
        for _ in range(300):  # the next measurements see the new commit
            if registry.get_sample_value("govbus_consumer_lag", labels) == 1:
                break
            await asyncio.sleep(0.1)
        assert registry.get_sample_value("govbus_consumer_lag", labels) == 1
    assert registry.get_sample_value("govbus_consumer_lag", labels) is None


async def test_monitor_keeps_trying_while_kafka_does_not_answer_and_stops_cleanly(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """With no broker at the address the monitor logs and retries; stop() still returns."""
    options = client_options(Settings(), "127.0.0.1:9")  # discard port: nothing listens
    registry = CollectorRegistry()
    gauge = Gauge("govbus_consumer_lag", "Lag.", ["group", "topic"], registry=registry)
    monitor = LagMonitor(options, "nobody", interval_s=0.1, gauge=gauge)
    await monitor.start()
    await asyncio.sleep(0.5)
    async with asyncio.timeout(10):
        await monitor.stop()
    assert [sample for metric in registry.collect() for sample in metric.samples] == []
    warnings = [
        r for r in caplog.records if r.name == "bus.observability.lag" and r.levelname == "WARNING"
    ]
    assert len(warnings) >= 2
    assert "group nobody" in warnings[0].getMessage()
