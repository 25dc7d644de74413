"""The two ways govbus runs a local Kafka node: a ``java`` process or a Docker container.

A runner is called by ``LocalKafka`` only, under its lock: ``prepare`` once per ``up`` for the
nodes about to start, ``start`` once per node, ``alive`` whenever the state is read, and ``stop``
once per ``down``. A node's handle (a pid or a container name) is what the cluster record keeps.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Protocol

from bus.broker.local import jars, processes, security
from bus.broker.local.layout import NodeSpec, server_properties
from bus.foundation.errors import BrokerStartError, ToolMissing


class NodeRunner(Protocol):
    name: str

    def prepare(self, starting: list[NodeSpec], specs: list[NodeSpec], cluster_id: str) -> None:
        """Make everything ready for ``starting`` (a subset of the cluster ``specs``)."""

    def start(self, spec: NodeSpec, specs: list[NodeSpec], cluster_id: str) -> str:
        """Start one node and return its handle; does not wait for it to be ready."""

    def alive(self, spec: NodeSpec, handle: str) -> bool:
        """Whether the node behind ``handle`` runs and is govbus's own."""

    def failure_reason(self, spec: NodeSpec, handle: str) -> str:
        """One line saying why a node stopped, from its output."""

    def stop(self, nodes: list[tuple[NodeSpec, str]], *, keep_data: bool) -> None:
        """Stop the given nodes (only govbus's own) and wait until they are gone."""


class JarRunner:
    """Nodes as ``java`` processes on Kafka's jars, resolved from Maven Central and cached."""

    name = "jars"

    def __init__(
        self, *, cache_dir: Path, heap: str, secure: security.SecureFiles | None = None
    ) -> None:
        self._cache_dir = cache_dir
        self._heap = heap
        self._secure = secure
        self._classpath: list[Path] = []

    def prepare(self, starting: list[NodeSpec], specs: list[NodeSpec], cluster_id: str) -> None:
        processes.check_java()
        self._classpath = jars.resolve(self._cache_dir)
        extra: list[str] = []
        for spec in starting:
            overrides: dict[str, str] = {}
            if self._secure is not None:
                password = security.ensure_material(self._secure, specs)
                overrides = security.server_overrides(spec, self._secure, password)
                extra = security.format_arguments(password)
            processes.write_config(spec, specs, overrides)
        unformatted = [spec for spec in starting if not processes.is_formatted(spec)]
        if unformatted:
            processes.format_storage(
                unformatted, cluster_id=cluster_id, classpath=self._classpath, extra=extra
            )

    def start(self, spec: NodeSpec, specs: list[NodeSpec], cluster_id: str) -> str:
        return str(processes.start_node(spec, classpath=self._classpath, heap=self._heap))

    def alive(self, spec: NodeSpec, handle: str) -> bool:
        return handle.isdigit() and processes.is_our_node(int(handle), spec)

    def failure_reason(self, spec: NodeSpec, handle: str) -> str:
        return processes.last_log_line(spec)

    def stop(self, nodes: list[tuple[NodeSpec, str]], *, keep_data: bool) -> None:
        processes.stop_nodes([int(handle) for spec, handle in nodes if self.alive(spec, handle)])


class DockerRunner:
    """Nodes as containers of the official ``apache/kafka`` image, on the host's network.

    Host networking lets every node use the same 127.0.0.1 ports and configuration as the jar
    runner, so one and three nodes behave alike on either backend.
    """

    name = "docker"

    def __init__(self, *, image: str, label: str) -> None:
        self._image = image
        self._label = label

    @staticmethod
    def engine_running() -> bool:
        """Whether a Docker engine answers (the client alone is not enough)."""
        if shutil.which("docker") is None:
            return False
        try:
            done = subprocess.run(
                ["docker", "info", "--format", "{{.ServerVersion}}"],
                capture_output=True,
                timeout=10,
                check=False,
            )
        except subprocess.TimeoutExpired:
            return False
        return done.returncode == 0

    def prepare(self, starting: list[NodeSpec], specs: list[NodeSpec], cluster_id: str) -> None:
        if not self.engine_running():
            raise ToolMissing("no Docker engine answers `docker info`", tool="docker")

    def start(self, spec: NodeSpec, specs: list[NodeSpec], cluster_id: str) -> str:
        name = f"govbus-kafka-{spec.node_id}"
        config = server_properties(spec, specs) | {"log.dirs": "/var/lib/kafka/data"}
        env = [f"--env=CLUSTER_ID={cluster_id}"] + [
            f"--env={docker_env_name(key)}={value}" for key, value in sorted(config.items())
        ]
        # A stopped container kept by `down --keep-data` is started again with its data.
        if self._exists(name):
            self._docker("start", name)
            return name
        self._docker(
            "run", "--detach", f"--name={name}", "--network=host",
            f"--label=govbus.home={self._label}", *env, self._image,
        )  # fmt: skip
        return name

    def alive(self, spec: NodeSpec, handle: str) -> bool:
        done = subprocess.run(
            ["docker", "inspect", "--format",
             "{{.State.Running}} {{index .Config.Labels \"govbus.home\"}}", handle],
            capture_output=True, text=True, timeout=30, check=False,
        )  # fmt: skip
        return done.returncode == 0 and done.stdout.strip() == f"true {self._label}"

    def failure_reason(self, spec: NodeSpec, handle: str) -> str:
        done = subprocess.run(
            ["docker", "logs", "--tail", "50", handle],
            capture_output=True, text=True, timeout=30, check=False,
        )  # fmt: skip
        lines = [line for line in (done.stdout + done.stderr).splitlines() if line.strip()]
        errors = [line for line in lines if "ERROR" in line or "Exception" in line]
        return (errors or lines or ["no output"])[-1].strip()[:300]

    def stop(self, nodes: list[tuple[NodeSpec, str]], *, keep_data: bool) -> None:
        ours = [handle for spec, handle in nodes if self._exists(handle, label=self._label)]
        if ours:
            self._docker("stop", "--time=30", *ours)
            if not keep_data:
                self._docker("rm", "--force", "--volumes", *ours)

    def _exists(self, name: str, *, label: str | None = None) -> bool:
        done = subprocess.run(
            ["docker", "inspect", "--format", "{{index .Config.Labels \"govbus.home\"}}", name],
            capture_output=True, text=True, timeout=30, check=False,
        )  # fmt: skip
        return done.returncode == 0 and (label is None or done.stdout.strip() == label)

    def _docker(self, *args: str) -> None:
        done = subprocess.run(
            ["docker", *args], capture_output=True, text=True, timeout=300, check=False
        )
        if done.returncode != 0:
            reason = (done.stderr or done.stdout).strip().splitlines()
            raise BrokerStartError(f"docker {args[0]} failed: {reason[-1] if reason else '?'}")


_DOCKER_ESCAPES = {".": "_", "_": "__", "-": "___"}


def docker_env_name(key: str) -> str:
    """The apache/kafka image's environment name for a broker setting.

    The image maps ``KAFKA_`` variables back to settings: ``_`` is ``.``, ``__`` is ``_`` and
    ``___`` is ``-``.
    """
    escaped = "".join(_DOCKER_ESCAPES.get(char, char) for char in key)
    return "KAFKA_" + escaped.upper()
