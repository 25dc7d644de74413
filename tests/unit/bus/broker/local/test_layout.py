"""Where local Kafka nodes listen and how they are configured."""

from __future__ import annotations

from pathlib import Path

import pytest

from bus.broker.local.layout import bootstrap, plan, render_properties, server_properties
from bus.broker.local.runners import docker_env_name


def test_single_node_listens_on_9092_with_its_controller_next_to_it(tmp_path: Path) -> None:
    """One node is a combined broker and controller on the port clients expect by default."""
    (node,) = plan(1, tmp_path)
    config = server_properties(node, [node])
    assert bootstrap([node]) == "127.0.0.1:9092"
    assert config["listeners"] == "PLAINTEXT://127.0.0.1:9092,CONTROLLER://127.0.0.1:9093"
    assert config["controller.quorum.voters"] == "1@127.0.0.1:9093"
    # Internal topics default to replication factor 3, which one node cannot satisfy.
    assert config["offsets.topic.replication.factor"] == "1"
    assert "min.insync.replicas" not in config


def test_three_nodes_share_one_quorum_and_require_two_in_sync_replicas(tmp_path: Path) -> None:
    """A three-node cluster suits topics with replication factor 3 and min.insync.replicas=2."""
    specs = plan(3, tmp_path)
    configs = [server_properties(spec, specs) for spec in specs]
    assert [spec.port for spec in specs] == [19092, 29092, 30092]
    assert len({c["controller.quorum.voters"] for c in configs}) == 1
    assert len({c["log.dirs"] for c in configs}) == 3
    for config in configs:
        assert config["default.replication.factor"] == "3"
        assert config["min.insync.replicas"] == "2"
        assert config["unclean.leader.election.enable"] == "false"
    assert bootstrap(specs) == "127.0.0.1:19092,127.0.0.1:29092,127.0.0.1:30092"


@pytest.mark.parametrize("nodes", [0, 2, 4])
def test_only_one_or_three_nodes_are_planned(tmp_path: Path, nodes: int) -> None:
    """Other sizes are refused rather than half-configured."""
    with pytest.raises(ValueError, match=f"not {nodes}"):
        plan(nodes, tmp_path)


def test_properties_render_one_sorted_line_per_setting() -> None:
    """The rendered file is stable, so reruns do not rewrite it needlessly."""
    assert render_properties({"b": "2", "a": "1"}) == "a=1\nb=2\n"


@pytest.mark.parametrize(
    ("setting", "variable"),
    [
        ("node.id", "KAFKA_NODE_ID"),
        ("offsets.topic.replication.factor", "KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR"),
        ("inter.broker.listener.name", "KAFKA_INTER_BROKER_LISTENER_NAME"),
        ("some_underscored.key", "KAFKA_SOME__UNDERSCORED_KEY"),
        ("dashed-key", "KAFKA_DASHED___KEY"),
    ],
)
def test_docker_variables_follow_the_images_escaping(setting: str, variable: str) -> None:
    """The apache/kafka image reads `.` as `_`, `_` as `__` and `-` as `___`."""
    assert docker_env_name(setting) == variable
