"""The topic administration govbus does: plan and apply topics, delete them, find partitions.

``plan_topics`` compares the topics a deployment wants (``WantedTopic``) with the cluster and
returns what ``apply_topic_plan`` would do: create missing topics, raise partition counts that
are lower than wanted, and set topic configs that differ (``retention.ms``, ``cleanup.policy``,
``min.insync.replicas``). Partition counts are never lowered and replicas are never moved: a
topic with more partitions or another replication factor is left as it is, with a note.

Replication follows the cluster (``replication_for``): RF = min(3, brokers) and
``min.insync.replicas`` = RF - 1 (1 with a single replica), unless the caller says otherwise.

Every function takes the bootstrap address and, optionally, the full client options
(``bus.broker.client.client_options``) for clusters that need SASL or TLS.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from aiokafka import TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewPartitions, NewTopic
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType
from aiokafka.errors import KafkaError, TopicAlreadyExistsError, for_code

from bus.foundation.errors import ConfigError, GovbusError, TopicAdminRefused

# Kafka protocol error codes a topic request can answer with.
_ALREADY_EXISTS = TopicAlreadyExistsError.errno
_NOT_AUTHORISED = {29, 30, 31}  # topic, group and cluster authorisation failed
_DYNAMIC_TOPIC_CONFIG = 1  # DescribeConfigs config_source of a topic's own override
# How long ``apply_topic_plan`` waits for created or grown topics to show in the metadata.
TOPICS_READY_TIMEOUT_S = 30.0

Action = Literal["create", "add-partitions", "alter-config"]


@dataclass(frozen=True, slots=True)
class WantedTopic:
    """One topic as a deployment needs it: its partitions and its config (e.g. retention.ms).

    ``min.insync.replicas`` is added by the plan from the cluster's replication.
    """

    name: str
    partitions: int
    config: Mapping[str, str] = field(default_factory=dict)
    purpose: str = ""  # for people: "events of uk.gov.gro.death-registered.v2", ...


@dataclass(frozen=True, slots=True)
class Replication:
    """Replication factor and ``min.insync.replicas`` of the topics govbus creates."""

    factor: int
    min_insync: int


def replication_for(
    brokers: int, *, factor: int | None = None, min_insync: int | None = None
) -> Replication:
    """The replication on a cluster of ``brokers``: RF = min(3, brokers), min ISR = RF - 1
    (1 with one replica); ``factor`` and ``min_insync`` override them. Raises ``ConfigError``
    naming the setting when the cluster cannot honour it."""
    chosen = factor if factor is not None else max(1, min(3, brokers))
    if chosen > brokers:
        raise ConfigError(
            f"GOVBUS_TOPIC_REPLICATION_FACTOR={chosen} but the cluster has {brokers} broker(s)"
        )
    isr = min_insync if min_insync is not None else (chosen - 1 if chosen > 1 else 1)
    if isr > chosen:
        raise ConfigError(
            f"GOVBUS_TOPIC_MIN_INSYNC_REPLICAS={isr} exceeds the replication factor {chosen}"
        )
    return Replication(chosen, isr)


@dataclass(frozen=True, slots=True)
class TopicChange:
    """One thing ``apply_topic_plan`` does to one topic.

    ``config`` holds the values to set: every managed config for ``create``, only those that
    differ for ``alter-config`` (``current_config`` has their values now).
    """

    topic: str
    action: Action
    partitions: int
    current_partitions: int | None = None
    replication_factor: int | None = None
    config: Mapping[str, str] = field(default_factory=dict)
    current_config: Mapping[str, str | None] = field(default_factory=dict)
    purpose: str = ""

    def summary(self) -> str:
        """One line for an operator, e.g. ``create gro.x.v1: 3 partition(s), RF 3, ...``."""
        if self.action == "create":
            settings = ", ".join(f"{k}={v}" for k, v in sorted(self.config.items()))
            return (
                f"create {self.topic}: {self.partitions} partition(s), replication factor "
                f"{self.replication_factor}, {settings}"
            )
        if self.action == "add-partitions":
            return f"add partitions to {self.topic}: {self.current_partitions} -> {self.partitions}"
        changed = ", ".join(
            f"{k} {self.current_config.get(k)} -> {v}" for k, v in sorted(self.config.items())
        )
        return f"alter config of {self.topic}: {changed}"

    def as_json(self) -> dict[str, Any]:
        return {
            "topic": self.topic,
            "action": self.action,
            "purpose": self.purpose,
            "partitions": self.partitions,
            "current_partitions": self.current_partitions,
            "replication_factor": self.replication_factor,
            "config": dict(self.config),
            "current_config": dict(self.current_config),
        }


@dataclass(frozen=True, slots=True)
class TopicPlan:
    """What the cluster lacks for a deployment's topics, and what apply leaves alone."""

    brokers: int
    replication: Replication
    topics: tuple[WantedTopic, ...]
    changes: tuple[TopicChange, ...]
    notes: tuple[str, ...] = ()

    @property
    def missing(self) -> list[str]:
        """The topics that do not exist yet."""
        return [c.topic for c in self.changes if c.action == "create"]

    def as_json(self) -> dict[str, Any]:
        return {
            "brokers": self.brokers,
            "replication_factor": self.replication.factor,
            "min_insync_replicas": self.replication.min_insync,
            "topics": [t.name for t in self.topics],
            "changes": [c.as_json() for c in self.changes],
            "notes": list(self.notes),
        }


def _admin(bootstrap: str, options: Mapping[str, Any] | None) -> AIOKafkaAdminClient:
    return AIOKafkaAdminClient(**({"bootstrap_servers": bootstrap} | dict(options or {})))


async def plan_topics(
    bootstrap: str,
    wanted: Iterable[WantedTopic],
    *,
    options: Mapping[str, Any] | None = None,
    replication_factor: int | None = None,
    min_insync_replicas: int | None = None,
) -> TopicPlan:
    """Compare ``wanted`` with the cluster; changes nothing. A name wanted twice counts once.

    A topic whose configs the cluster will not describe gets a note instead of changes.
    """
    by_name: dict[str, WantedTopic] = {}
    for topic in wanted:
        by_name.setdefault(topic.name, topic)
    unique = tuple(by_name.values())
    admin = _admin(bootstrap, options)
    await admin.start()
    try:
        brokers = len((await admin.describe_cluster())["brokers"])
        replication = replication_for(
            brokers, factor=replication_factor, min_insync=min_insync_replicas
        )
        existing = await _existing(admin)
        present = [t.name for t in unique if t.name in existing]
        configs, unreadable = await _configs(admin, present) if present else ({}, {})
    finally:
        await admin.close()
    changes: list[TopicChange] = []
    notes = [
        f"cannot read the configs of {name} ({_code_name(code)}); they are not compared"
        for name, code in unreadable.items()
    ]
    for topic in unique:
        config = dict(topic.config) | {"min.insync.replicas": str(replication.min_insync)}
        found = existing.get(topic.name)
        if found is None:
            changes.append(
                TopicChange(
                    topic.name, "create", topic.partitions,
                    replication_factor=replication.factor, config=config, purpose=topic.purpose,
                )
            )  # fmt: skip
            continue
        partitions, replicas = found
        if partitions < topic.partitions:
            changes.append(
                TopicChange(
                    topic.name, "add-partitions", topic.partitions,
                    current_partitions=partitions, purpose=topic.purpose,
                )
            )  # fmt: skip
        current = configs[topic.name][0] if topic.name in configs else {}
        differ = {k: v for k, v in config.items() if current.get(k) != v}
        if differ and topic.name in configs:
            changes.append(
                TopicChange(
                    topic.name, "alter-config", max(partitions, topic.partitions),
                    current_partitions=partitions, config=differ,
                    current_config={k: current.get(k) for k in differ}, purpose=topic.purpose,
                )
            )  # fmt: skip
        if replicas != replication.factor:
            notes.append(
                f"{topic.name} has replication factor {replicas}, not {replication.factor}; "
                "apply does not move replicas (use kafka-reassign-partitions)"
            )
    return TopicPlan(brokers, replication, unique, tuple(changes), tuple(notes))


async def apply_topic_plan(
    bootstrap: str, plan: TopicPlan, *, options: Mapping[str, Any] | None = None
) -> None:
    """Make ``plan``'s changes, then wait until created topics have leaders.

    A topic someone else created meanwhile is fine. Raises ``TopicAdminRefused`` naming the
    topics Kafka refused (``not_authorised`` when the principal lacks the rights).
    """
    if not plan.changes:
        return
    admin = _admin(bootstrap, options)
    await admin.start()
    try:
        refused: dict[str, int] = {}
        creates = [c for c in plan.changes if c.action == "create"]
        if creates:
            response = await admin.create_topics(
                [
                    NewTopic(
                        c.topic, c.partitions, c.replication_factor, topic_configs=dict(c.config)
                    )
                    for c in creates
                ]
            )
            for name, code, *_ in response.topic_errors:
                if code not in (0, _ALREADY_EXISTS):
                    refused[name] = code
        for change in plan.changes:
            if change.action == "add-partitions":
                try:
                    await admin.create_partitions({change.topic: NewPartitions(change.partitions)})
                except KafkaError as exc:
                    refused[change.topic] = int(getattr(exc, "errno", -1))
        alters = [c for c in plan.changes if c.action == "alter-config"]
        if alters:
            refused |= await _alter(admin, alters)
        if refused:
            raise _refusal(refused)
        grown = [c for c in plan.changes if c.action in ("create", "add-partitions")]
        await _wait_for_leaders(admin, {c.topic: c.partitions for c in grown})
    finally:
        await admin.close()


async def _existing(admin: AIOKafkaAdminClient) -> dict[str, tuple[int, int]]:
    """Each visible topic's partition count and replication factor."""
    # Asking for every topic, not some: a metadata request naming a topic could auto-create it.
    found: dict[str, tuple[int, int]] = {}
    for entry in await admin.describe_topics():
        if entry["error_code"] == 0 and entry["partitions"]:
            replicas = min(len(p["replicas"]) for p in entry["partitions"])
            found[entry["topic"]] = (len(entry["partitions"]), replicas)
    return found


async def _configs(
    admin: AIOKafkaAdminClient, names: list[str]
) -> tuple[dict[str, tuple[dict[str, str], dict[str, str]]], dict[str, int]]:
    """Each topic's effective configs and its own overrides (what AlterConfigs must keep), and
    the error code of each topic whose configs Kafka would not describe."""
    resources = [ConfigResource(ConfigResourceType.TOPIC, name) for name in names]
    found: dict[str, tuple[dict[str, str], dict[str, str]]] = {}
    refused: dict[str, int] = {}
    for response in await admin.describe_configs(resources):
        for resource in response.to_object()["resources"]:
            name = resource["resource_name"]
            if resource["error_code"]:
                refused[name] = resource["error_code"]
                continue
            entries = resource["config_entries"]
            effective = {e["config_names"]: e["config_value"] for e in entries}
            overrides = {
                e["config_names"]: e["config_value"]
                for e in entries
                if e.get("config_source") == _DYNAMIC_TOPIC_CONFIG and not e["is_sensitive"]
            }
            found[name] = (effective, overrides)
    return found, refused


async def _alter(admin: AIOKafkaAdminClient, changes: list[TopicChange]) -> dict[str, int]:
    """Set the changed configs, keeping each topic's other overrides.

    Kafka's AlterConfigs (the request aiokafka sends) replaces a topic's whole set of
    overrides, so the ones govbus does not manage are read first and sent back unchanged.
    """
    current, refused = await _configs(admin, [c.topic for c in changes])
    changes = [c for c in changes if c.topic in current]
    resources = [
        ConfigResource(
            ConfigResourceType.TOPIC, c.topic, configs=current[c.topic][1] | dict(c.config)
        )
        for c in changes
    ]
    for response in await admin.alter_configs(resources):
        for code, _message, _type, name in response.resources:
            if code:
                refused[name] = code
    return refused


async def _wait_for_leaders(admin: AIOKafkaAdminClient, partitions: Mapping[str, int]) -> None:
    """Wait until each topic is in the metadata with its ``partitions``, each with a leader, so a
    consumer subscribing next (or the next ``plan``) sees them instead of stale metadata."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + TOPICS_READY_TIMEOUT_S
    waiting = set(partitions)
    while waiting:
        for entry in await admin.describe_topics():
            shown = entry["partitions"]
            led = shown and all(p["leader"] >= 0 for p in shown)
            enough = len(shown) >= partitions.get(entry["topic"], 0)
            if entry["error_code"] == 0 and led and enough:
                waiting.discard(entry["topic"])
        if not waiting:
            return
        if loop.time() > deadline:
            raise GovbusError(
                f"topics short of partitions or leaders after {TOPICS_READY_TIMEOUT_S:.0f} s: "
                + ", ".join(sorted(waiting))
            )
        await asyncio.sleep(0.1)


def _refusal(refused: Mapping[str, int]) -> TopicAdminRefused:
    topics = tuple(sorted(refused))
    not_authorised = any(code in _NOT_AUTHORISED for code in refused.values())
    reasons = ", ".join(f"{name} ({_code_name(refused[name])})" for name in topics)
    return TopicAdminRefused(
        f"Kafka refused to create or change topics: {reasons}",
        topics=topics,
        not_authorised=not_authorised,
    )


def _code_name(code: int) -> str:
    return f"{for_code(code).__name__}, error code {code}"


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


async def describe_brokers(
    bootstrap: str, *, options: Mapping[str, Any] | None = None
) -> tuple[str | None, int | None, list[tuple[int, str, int]]]:
    """The cluster id, controller id and brokers (node id, host, port) from its metadata."""
    admin = _admin(bootstrap, options)
    await admin.start()
    try:
        cluster = await admin.describe_cluster()
    finally:
        await admin.close()
    brokers = [(int(b["node_id"]), str(b["host"]), int(b["port"])) for b in cluster["brokers"]]
    return cluster.get("cluster_id"), cluster.get("controller_id"), sorted(brokers)
