"""The images built from Debian's packages stand in for the public ones without forking compose."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path
from typing import Any

import yaml

from bus.broker.local.jars import KAFKA_VERSION
from bus.broker.local.layout import NodeSpec, server_properties
from bus.broker.local.runners import docker_env_name
from tests.unit.docker.test_compose import COMPOSE, REPO

LOCAL = COMPOSE.parent / "compose.local.yaml"
KAFKA_RUN = COMPOSE.parent / "kafka" / "rootfs" / "etc" / "kafka" / "docker" / "run"
IMAGES_SCRIPT = REPO / "scripts" / "docker-images.sh"


def _local_services() -> dict[str, Any]:
    services: dict[str, Any] = yaml.safe_load(LOCAL.read_text())["services"]
    return services


def _script_image(variable: str) -> str:
    """An image name as scripts/docker-images.sh sets it, its variables filled in."""
    text = IMAGES_SCRIPT.read_text()
    (value,) = re.findall(rf"^{variable}=(\S+)$", text, flags=re.MULTILINE)
    return str(value).replace("$SUITE", "bookworm").replace("$KAFKA_VERSION", KAFKA_VERSION)


def test_the_local_file_only_swaps_images_of_services_compose_yaml_defines() -> None:
    """compose.local.yaml adds no service and changes no command, port or variable."""
    public: dict[str, Any] = yaml.safe_load(COMPOSE.read_text())["services"]
    for name, service in _local_services().items():
        assert name in public, f"{name} is not a service of compose.yaml"
        assert set(service) <= {"image", "pull_policy", "build"}, name
        if "build" in service:
            assert service["build"]["context"] == public[name]["build"]["context"], name
            assert service["build"]["dockerfile"] == public[name]["build"]["dockerfile"], name


def test_every_service_built_from_the_dockerfile_gets_the_local_python_image() -> None:
    """Each govbus service is built FROM the Python image the images script builds."""
    public: dict[str, Any] = yaml.safe_load(COMPOSE.read_text())["services"]
    local = _local_services()
    built = sorted(name for name, service in public.items() if "build" in service)
    assert built, "compose.yaml builds no service"
    for name in built:
        assert local[name]["build"]["args"] == {"PYTHON_IMAGE": _script_image("PYTHON_IMAGE")}


def test_kafka_runs_the_locally_built_image_of_the_same_release_and_never_pulls_it() -> None:
    """Kafka is govbus/kafka:<the release govbus runs>, which no registry has."""
    kafka = _local_services()["kafka"]
    assert kafka["image"] == _script_image("KAFKA_IMAGE") == f"govbus/kafka:{KAFKA_VERSION}"
    assert kafka["pull_policy"] == "never"


def _run_entrypoint(tmp_path: Path, env: dict[str, str]) -> tuple[str, str]:
    """Run docker/kafka/run with stand-in Kafka scripts; returns the config and format call."""
    (tmp_path / "config").mkdir()
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "kafka-storage.sh").write_text(f'#!/bin/sh\necho "$@" > {tmp_path}/format\n')
    (bin_dir / "kafka-server-start.sh").write_text('#!/bin/sh\ncat "$1"\n')
    for script in bin_dir.iterdir():
        script.chmod(0o755)
    base = {k: v for k, v in os.environ.items() if not k.startswith(("KAFKA_", "CLUSTER_ID"))}
    done = subprocess.run(
        ["bash", str(KAFKA_RUN)],
        env=base | {"GOVBUS_KAFKA_DIR": str(tmp_path)} | env,
        capture_output=True, text=True, timeout=30, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return done.stdout, (tmp_path / "format").read_text()


def test_the_kafka_entrypoint_reads_the_variables_govbus_kafka_up_passes(tmp_path: Path) -> None:
    """Every broker setting, encoded as the Docker backend does, comes back as itself."""
    spec = NodeSpec(node_id=2, port=29092, controller_port=29093, home=tmp_path)
    config = server_properties(spec, [spec]) | {"log.dirs": "/var/lib/kafka/data"}
    env = {docker_env_name(key): value for key, value in config.items()}
    env |= {"CLUSTER_ID": "V1szipkRTMmfudirgLHGlA", "KAFKA_HEAP_OPTS": "-Xmx512m"}

    written, format_call = _run_entrypoint(tmp_path, env)

    lines = dict(line.split("=", 1) for line in written.splitlines())
    assert lines == config
    assert "--cluster-id V1szipkRTMmfudirgLHGlA" in format_call
    assert "--ignore-formatted" in format_call


def test_the_kafka_entrypoint_maps_dashes_and_underscores_as_apache_kafka_does(
    tmp_path: Path,
) -> None:
    """`___` is a dash and `__` an underscore in a setting's name; JVM variables are no settings."""
    written, _ = _run_entrypoint(
        tmp_path,
        {
            "KAFKA_LISTENER_NAME_CONTROLLER_SASL__ENABLED__MECHANISMS": "PLAIN",
            "KAFKA_CONFLUENT___STYLE_NAME": "x",
            "KAFKA_OPTS": "-Dsomething=1",
            "KAFKA_HEAP_OPTS": "-Xmx1g",
        },
    )
    assert sorted(written.splitlines()) == [
        "confluent-style.name=x",
        "listener.name.controller.sasl_enabled_mechanisms=PLAIN",
    ]


def test_without_settings_the_kafka_entrypoint_runs_a_single_local_kraft_node(
    tmp_path: Path,
) -> None:
    """No KAFKA_ settings: one broker and controller on localhost:9092, like apache/kafka."""
    written, format_call = _run_entrypoint(tmp_path, {})
    lines = dict(line.split("=", 1) for line in written.splitlines())
    assert lines["process.roles"] == "broker,controller"
    assert lines["advertised.listeners"] == "PLAINTEXT://localhost:9092"
    assert "--cluster-id " in format_call
