"""A single-node Kafka in a container, started with testcontainers for the test session.

The image is any that behaves like the official ``apache/kafka`` one (settings as ``KAFKA_*``
variables, ``CLUSTER_ID``): the public image where Docker Hub is reachable, or govbus/kafka
built from Debian's packages by scripts/docker-images.sh. The node has the same configuration
as one started by `govbus kafka up`, on free ports of 127.0.0.1 (host networking, as the Docker
backend of `govbus kafka up`), so tests see the same broker on either path.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from bus.broker.local import probe
from bus.broker.local.layout import HOST, NodeSpec, server_properties
from bus.broker.local.processes import new_cluster_id
from bus.broker.local.runners import docker_env_name
from bus.foundation.errors import KafkaUnavailable
from bus.testing.kafka import free_port

# Ryuk, testcontainers' reaper, is an image of its own that a machine without a registry cannot
# pull; the fixture removes its container itself, also when the session is interrupted.
os.environ.setdefault("TESTCONTAINERS_RYUK_DISABLED", "true")

from testcontainers.core.container import DockerContainer

START_TIMEOUT_S = 120.0
PULL_TIMEOUT_S = 300


@dataclass(frozen=True, slots=True)
class StartedKafka:
    """A running container's bootstrap address and how long it took to answer."""

    bootstrap: str
    container_id: str
    startup_s: float


def engine_problem() -> str | None:
    """Why no Docker engine can be used (``docker info`` fails), or ``None`` when one answers."""
    try:
        done = subprocess.run(
            ["docker", "info", "--format", "{{.ServerVersion}}"],
            capture_output=True, text=True, timeout=20, check=False,
        )  # fmt: skip
    except FileNotFoundError:
        return "no docker client on PATH"
    except subprocess.TimeoutExpired:
        return "`docker info` did not answer within 20 s"
    if done.returncode != 0:
        lines = (done.stderr or done.stdout).strip().splitlines()
        where = os.environ.get("DOCKER_HOST", "the default socket")
        return (
            f"no Docker engine answers at {where}: {lines[-1] if lines else '?'} "
            "(`make test-containers` starts govbus's own and sets DOCKER_HOST)"
        )
    return None


def image_problem(image: str) -> str | None:
    """Why ``image`` cannot be run, or ``None`` when the engine has it or could pull it."""
    done = subprocess.run(
        ["docker", "image", "inspect", "--format", "{{.Id}}", image],
        capture_output=True, text=True, timeout=30, check=False,
    )  # fmt: skip
    if done.returncode == 0:
        return None
    try:
        pulled = subprocess.run(
            ["docker", "pull", "--quiet", image],
            capture_output=True, text=True, timeout=PULL_TIMEOUT_S, check=False,
        )  # fmt: skip
    except subprocess.TimeoutExpired:
        return f"pulling {image} took over {PULL_TIMEOUT_S} s"
    if pulled.returncode == 0:
        return None
    reason = (pulled.stderr or pulled.stdout).strip().splitlines()
    return (
        f"the engine has no image {image} and cannot pull it "
        f"({reason[-1] if reason else '?'}); scripts/docker-images.sh builds govbus/kafka"
    )


def container_environment(port: int, controller_port: int) -> dict[str, str]:
    """The container's ``KAFKA_*`` settings: `govbus kafka up`'s node on the given ports."""
    # The image keeps its data in /var/lib/kafka/data, as the official one does.
    spec = NodeSpec(node_id=1, port=port, controller_port=controller_port, home=Path("/var/lib"))
    config = server_properties(spec, [spec]) | {"log.dirs": "/var/lib/kafka/data"}
    return {docker_env_name(key): value for key, value in sorted(config.items())}


@contextlib.contextmanager
def kafka_container(image: str, *, timeout_s: float = START_TIMEOUT_S) -> Iterator[StartedKafka]:
    """Run a one-node KRaft Kafka from ``image`` until the block ends, then remove it.

    Raises ``KafkaUnavailable`` with the container's last log line when it does not answer
    within ``timeout_s``.
    """
    port, controller_port = free_port(), free_port()
    container = DockerContainer(image, network_mode="host")
    for name, value in container_environment(port, controller_port).items():
        container.with_env(name, value)
    container.with_env("CLUSTER_ID", new_cluster_id())
    container.with_env("KAFKA_HEAP_OPTS", "-Xms512m -Xmx512m")
    started_at = time.monotonic()
    container.start()
    try:
        bootstrap = f"{HOST}:{port}"
        wrapped = container.get_wrapped_container()

        def still_starting() -> None:
            wrapped.reload()
            if wrapped.status not in {"created", "running"}:
                raise KafkaUnavailable(
                    f"the Kafka container exited: {_last_line(container)}", bootstrap=bootstrap
                )

        try:
            probe.wait_until_ready(
                bootstrap, brokers=1, timeout_s=timeout_s, still_starting=still_starting
            )
        except KafkaUnavailable as exc:
            if wrapped.status not in {"created", "running"}:
                raise  # still_starting's error already quotes the container's output
            raise KafkaUnavailable(
                f"{exc}; the container's last line: {_last_line(container)}", bootstrap=bootstrap
            ) from exc
        yield StartedKafka(bootstrap, wrapped.id, time.monotonic() - started_at)
    finally:
        container.stop()


def _last_line(container: DockerContainer) -> str:
    stdout, stderr = container.get_logs()
    lines = [line for line in (stdout + stderr).decode(errors="replace").splitlines() if line]
    errors = [line for line in lines if "ERROR" in line or "Exception" in line]
    return (errors or lines or ["no output"])[-1].strip()[:300]
