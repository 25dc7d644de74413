"""Helpers for tests of govbus and of the adapters and services built on it."""

from __future__ import annotations

import asyncio
import contextlib
import re
import socket
import uuid
from collections.abc import Callable
from typing import Any

from aiokafka import AIOKafkaConsumer, ConsumerRecord
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType

from bus.broker import topics

_DYNAMIC_TOPIC_CONFIG = 1  # DescribeConfigs source: set on the topic itself
_TOPIC_PART = re.compile(r"[^a-zA-Z0-9._-]+")


def unique_topic(purpose: str) -> str:
    """A topic name no other test uses: ``test.<purpose>.<random>``, valid for Kafka."""
    cleaned = _TOPIC_PART.sub("-", purpose).strip("-.")[:100] or "topic"
    return f"test.{cleaned}.{uuid.uuid4().hex[:12]}"


async def read_records(
    bootstrap: str, topic: str, *, count: int, timeout_s: float = 30.0
) -> list[ConsumerRecord[bytes, bytes]]:
    """Read ``count`` records of ``topic`` from the beginning, without a consumer group.

    Returns fewer if ``timeout_s`` passes first, so a test can assert on what did arrive.
    """
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, enable_auto_commit=False, auto_offset_reset="earliest"
    )
    await consumer.start()
    records: list[ConsumerRecord[bytes, bytes]] = []
    try:
        partitions = await topic_partitions(bootstrap, topic, timeout_s=min(timeout_s, 10.0))
        if not partitions:
            return []
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(timeout_s):
                while len(records) < count:
                    batch = await consumer.getmany(timeout_ms=200)
                    records += [record for part in batch.values() for record in part]
    finally:
        await consumer.stop()
    return sorted(records, key=lambda record: (record.partition, record.offset))


async def topic_partitions(bootstrap: str, topic: str, *, timeout_s: float = 10.0) -> list[Any]:
    """The partitions of ``topic``, or none if it does not exist within ``timeout_s``."""
    deadline = asyncio.get_running_loop().time() + timeout_s
    while (found := await topics.topic_partitions(bootstrap, topic)) is None:
        if asyncio.get_running_loop().time() > deadline:
            return []
        await asyncio.sleep(0.1)
    return found


async def topic_size(bootstrap: str, topic: str, *, timeout_s: float = 10.0) -> int:
    """How many records ``topic`` holds (its partitions' end offsets added up); 0 if it does
    not exist within ``timeout_s``."""
    partitions = await topic_partitions(bootstrap, topic, timeout_s=timeout_s)
    if not partitions:
        return 0
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap)
    await consumer.start()
    try:
        return sum((await consumer.end_offsets(partitions)).values())
    finally:
        await consumer.stop()


create_topics = topics.create_topics


def free_port() -> int:
    """A TCP port on 127.0.0.1 nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


async def eventually(
    condition: Callable[[], bool], *, timeout_s: float = 30.0, what: str = "condition"
) -> None:
    """Wait until ``condition()`` is true; raise ``AssertionError`` naming ``what`` on timeout."""
    deadline = asyncio.get_running_loop().time() + timeout_s
    while not condition():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"{what} not reached within {timeout_s} s")
        await asyncio.sleep(0.05)


async def topic_configs(
    bootstrap: str, topic: str, *, set_on_topic: bool = False
) -> dict[str, str]:
    """The configs of ``topic`` as the broker reports them, read with a client of its own.

    With ``set_on_topic`` only those set on the topic itself, not inherited from the broker.
    """
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        (response,) = await admin.describe_configs(
            [ConfigResource(ConfigResourceType.TOPIC, topic)]
        )
    finally:
        await admin.close()
    (resource,) = response.to_object()["resources"]
    return {
        entry["config_names"]: entry["config_value"]
        for entry in resource["config_entries"]
        if not set_on_topic or entry["config_source"] == _DYNAMIC_TOPIC_CONFIG
    }
