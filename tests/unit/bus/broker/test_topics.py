"""Replication follows the cluster, and a topic plan reads the way operators expect."""

from __future__ import annotations

import pytest

from bus.broker.topics import Replication, TopicChange, TopicPlan, WantedTopic, replication_for
from bus.foundation.errors import ConfigError


@pytest.mark.parametrize(
    ("brokers", "expected"),
    [(1, Replication(1, 1)), (2, Replication(2, 1)), (3, Replication(3, 2)),
     (6, Replication(3, 2))],
)  # fmt: skip
def test_replication_follows_the_cluster(brokers: int, expected: Replication) -> None:
    """RF is the number of brokers up to 3; min ISR one less, but at least 1."""
    assert replication_for(brokers) == expected


def test_settings_override_the_clusters_replication() -> None:
    """GOVBUS_TOPIC_REPLICATION_FACTOR and _MIN_INSYNC_REPLICAS win where the cluster allows."""
    assert replication_for(5, factor=5) == Replication(5, 4)
    assert replication_for(3, factor=3, min_insync=1) == Replication(3, 1)
    assert replication_for(1, min_insync=1) == Replication(1, 1)


@pytest.mark.parametrize(
    ("brokers", "factor", "min_insync", "message"),
    [
        (1, 3, None, "GOVBUS_TOPIC_REPLICATION_FACTOR=3 but the cluster has 1 broker"),
        (3, None, 4, "GOVBUS_TOPIC_MIN_INSYNC_REPLICAS=4 exceeds the replication factor 3"),
    ],
)
def test_replication_the_cluster_cannot_honour_is_refused_naming_the_setting(
    brokers: int, factor: int | None, min_insync: int | None, message: str
) -> None:
    """A replication factor above the broker count, or min ISR above RF, is a config error."""
    with pytest.raises(ConfigError, match=message):
        replication_for(brokers, factor=factor, min_insync=min_insync)


def test_each_change_summarises_itself_on_one_line() -> None:
    """Create, add-partitions and alter-config each say what changes, from what to what."""
    create = TopicChange(
        "gro.x.v1", "create", 3, replication_factor=3,
        config={"retention.ms": "604800000", "cleanup.policy": "delete"},
    )  # fmt: skip
    grow = TopicChange("gro.x.v1", "add-partitions", 6, current_partitions=3)
    alter = TopicChange(
        "gro.x.v1.dlq", "alter-config", 3, current_partitions=3,
        config={"retention.ms": "2419200000"}, current_config={"retention.ms": "604800000"},
    )  # fmt: skip
    assert create.summary() == (
        "create gro.x.v1: 3 partition(s), replication factor 3, "
        "cleanup.policy=delete, retention.ms=604800000"
    )
    assert grow.summary() == "add partitions to gro.x.v1: 3 -> 6"
    assert alter.summary() == "alter config of gro.x.v1.dlq: retention.ms 604800000 -> 2419200000"


def test_a_plan_names_its_missing_topics_and_serialises_every_change() -> None:
    """`missing` lists only topics to create; as_json carries each change and the notes."""
    wanted = (WantedTopic("a", 3), WantedTopic("b", 3))
    plan = TopicPlan(
        brokers=1, replication=Replication(1, 1), topics=wanted,
        changes=(TopicChange("a", "create", 3, replication_factor=1),
                 TopicChange("b", "add-partitions", 3, current_partitions=1)),
        notes=("b has replication factor 1, not 3",),
    )  # fmt: skip
    assert plan.missing == ["a"]
    document = plan.as_json()
    assert document["topics"] == ["a", "b"]
    assert [c["action"] for c in document["changes"]] == ["create", "add-partitions"]
    assert document["changes"][1]["current_partitions"] == 1
    assert document["notes"] == ["b has replication factor 1, not 3"]
    assert (document["replication_factor"], document["min_insync_replicas"]) == (1, 1)
