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


def _services() -> dict[str, Any]:
    services: dict[str, Any] = yaml.safe_load(COMPOSE.read_text())["services"]
    return services


def test_every_published_port_is_on_loopback_only() -> None:
    """Kafka, Prometheus and Grafana are reachable from this machine only, never the network."""
    services = _services()
    assert {"kafka", "prometheus", "grafana"} <= set(services)
    for name, service in services.items():
        for port in service.get("ports", []):
            assert str(port).startswith(f"{HOST}:"), f"{name} publishes {port}"


def test_prometheus_and_grafana_use_pinned_official_images() -> None:
    """Images are the upstream ones with an exact version tag, so the stack does not drift."""
    services = _services()
    for name, repository in (("prometheus", "prom/prometheus"), ("grafana", "grafana/grafana")):
        image, _, tag = services[name]["image"].partition(":")
        assert image == repository
        assert tag[:1] in "v0123456789"
        assert tag not in {"", "latest", "main"}


def test_every_file_mounted_into_the_stack_exists() -> None:
    """Each bind mount names a file or folder committed next to compose.yaml."""
    mounts = [
        volume.split(":")[0]
        for service in _services().values()
        for volume in service.get("volumes", [])
        if volume.startswith("./")
    ]
    assert "./prometheus/prometheus.yml" in mounts
    assert "./grafana/dashboards" in mounts
    for mount in mounts:
        assert (COMPOSE.parent / mount).exists(), mount


def test_prometheus_gets_the_rule_file_its_config_names() -> None:
    """The config's rule_files are mounted beside it inside the container."""
    prometheus = _services()["prometheus"]
    config = yaml.safe_load((COMPOSE.parent / "prometheus" / "prometheus.yml").read_text())
    targets = {volume.split(":")[1] for volume in prometheus["volumes"] if volume.startswith("./")}
    assert "/etc/prometheus/prometheus.yml" in targets
    for rule_file in config["rule_files"]:
        assert f"/etc/prometheus/{rule_file}" in targets
