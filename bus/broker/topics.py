"""The topic administration govbus does: create topics, delete them, find their partitions.

Every function takes the bootstrap address and, optionally, the full client options
(``bus.broker.client.client_options``) for clusters that need SASL or TLS.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aiokafka import TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError

from bus.foundation.errors import GovbusError


def _admin(bootstrap: str, options: Mapping[str, Any] | None) -> AIOKafkaAdminClient:
    return AIOKafkaAdminClient(**({"bootstrap_servers": bootstrap} | dict(options or {})))


async def create_topics(
    bootstrap: str,
    names: list[str],
    *,
    partitions: int = 3,
    config: Mapping[str, str] | None = None,
    options: Mapping[str, Any] | None = None,
) -> None:
    """Create ``names`` unless they exist, replicated on up to three brokers.

    Raises ``GovbusError`` naming the topic if Kafka refuses for any other reason.
    """
    admin = _admin(bootstrap, options)
    await admin.start()
    try:
        replicas = min(3, len((await admin.describe_cluster())["brokers"]))
        settings = dict(config or {})
        wanted = [NewTopic(name, partitions, replicas, topic_configs=settings) for name in names]
        try:
            response = await admin.create_topics(wanted)
        except TopicAlreadyExistsError:
            return
    finally:
        await admin.close()
    for name, code, *_ in getattr(response, "topic_errors", []):
        if code not in (0, TopicAlreadyExistsError.errno):
            raise GovbusError(f"Kafka refused to create topic {name}: error code {code}")


async def delete_topics(
    bootstrap: str, names: list[str], *, options: Mapping[str, Any] | None = None
) -> None:
    admin = _admin(bootstrap, options)
    await admin.start()
    try:
        await admin.delete_topics(names)
    finally:
        await admin.close()


async def topic_partitions(
    bootstrap: str, topic: str, *, options: Mapping[str, Any] | None = None
) -> list[TopicPartition] | None:
    """The partitions of ``topic``, or ``None`` if it does not exist (it is not created)."""
    admin = _admin(bootstrap, options)
    await admin.start()
    try:
        # Asking for every topic, not this one: a request naming it could auto-create it.
        described = await admin.describe_topics()
    finally:
        await admin.close()
    for entry in described:
        if entry["topic"] == topic and entry["error_code"] == 0 and entry["partitions"]:
            numbers = sorted(int(p["partition"]) for p in entry["partitions"])
            return [TopicPartition(topic, number) for number in numbers]
    return None
