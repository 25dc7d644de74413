"""The compose stack offers users with Docker the same Kafka as `govbus kafka up`."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import yaml

from bus.localkafka.jars import KAFKA_VERSION
from bus.localkafka.layout import HOST, SINGLE_NODE_PORT
from bus.settings import Settings

COMPOSE = Path(__file__).parents[3] / "docker" / "compose.yaml"


def _kafka() -> dict[str, Any]:
    service: dict[str, Any] = yaml.safe_load(COMPOSE.read_text())["services"]["kafka"]
    return service


def test_kafka_is_the_same_release_as_the_local_broker() -> None:
    """Compose, the Docker backend and the Maven jars all run one Kafka release."""
    assert _kafka()["image"] == f"apache/kafka:{KAFKA_VERSION}"
    assert Settings(kafka_bootstrap=None).kafka_image == f"apache/kafka:{KAFKA_VERSION}"


def test_clients_on_the_host_use_the_local_brokers_address() -> None:
    """Port 9092 on 127.0.0.1 is published and advertised, as `govbus kafka up` prints it."""
    kafka = _kafka()
    assert f"{HOST}:{SINGLE_NODE_PORT}:{SINGLE_NODE_PORT}" in kafka["ports"]
    advertised = kafka["environment"]["KAFKA_ADVERTISED_LISTENERS"].split(",")
    assert f"HOST://{HOST}:{SINGLE_NODE_PORT}" in advertised


def test_the_single_node_runs_kraft_with_a_valid_cluster_id() -> None:
    """A KRaft cluster id is 16 bytes in URL-safe base64; one node needs RF 1 internal topics."""
    env = _kafka()["environment"]
    assert env["KAFKA_PROCESS_ROLES"] == "broker,controller"
    assert len(base64.urlsafe_b64decode(env["CLUSTER_ID"] + "==")) == 16
    assert env["KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR"] == 1
    assert env["KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR"] == 1
