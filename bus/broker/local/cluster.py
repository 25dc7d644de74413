"""``govbus kafka up | status | down``: one local Kafka cluster per home directory.

The cluster record (``cluster.json`` in the home) names the backend, the cluster id and each
node's handle. It is written as soon as nodes start, so ``down`` can always clean up, and it
survives ``down --keep-data`` so that the next ``up`` restarts the same cluster with its data.
A file lock serialises concurrent ``up`` and ``down`` calls on one home.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import json
import shutil
import socket
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from aiokafka.errors import KafkaError

from bus.broker.local import jars, probe, security
from bus.broker.local.layout import HOST, NodeSpec, bootstrap, plan
from bus.broker.local.processes import formatted_cluster_id, new_cluster_id
from bus.broker.local.runners import DockerRunner, JarRunner, NodeRunner
from bus.broker.topics import describe_brokers
from bus.foundation.errors import (
    BrokerStartError,
    ClusterStateError,
    GovbusError,
    KafkaUnavailable,
    PortInUse,
)
from bus.foundation.settings import Settings

Report = Callable[[str], None]
# How long ``status`` waits for an external cluster's metadata before reporting it unreachable.
EXTERNAL_TIMEOUT_S = 10.0


@dataclass(frozen=True, slots=True)
class NodeStatus:
    node_id: int
    port: int
    controller_port: int
    handle: str
    running: bool


@dataclass(frozen=True, slots=True)
class BrokerStatus:
    """A broker of an external cluster, as its metadata lists it."""

    node_id: int
    host: str
    port: int
    controller: bool  # the active controller, per the metadata
    reachable: bool  # accepts TCP connections from here


@dataclass(frozen=True, slots=True)
class ClusterStatus:
    """What ``status`` shows: where the cluster comes from and each node's state.

    A local cluster has ``nodes``; an external one (GOVBUS_KAFKA_BOOTSTRAP) has the
    ``brokers`` its metadata lists, or an ``error`` saying why it did not answer.
    """

    source: str  # "external", "jars" or "docker"
    bootstrap: str
    home: Path | None
    cluster_id: str | None
    nodes: tuple[NodeStatus, ...]
    brokers: tuple[BrokerStatus, ...] = ()
    error: str | None = None
    secure: bool = False  # started with --secure: SASL_SSL/SCRAM-SHA-512 and ACLs

    @property
    def running(self) -> bool:
        """Every local node runs; for an external cluster, its metadata named a broker."""
        if self.source == "external":
            return bool(self.brokers)
        return bool(self.nodes) and all(node.running for node in self.nodes)

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["home"] = str(self.home) if self.home else None
        data["running"] = self.running
        return data


@dataclass(frozen=True, slots=True)
class UpResult:
    bootstrap: str
    already_running: bool
    started_nodes: tuple[int, ...]


class LocalKafka:
    """Starts, describes and stops the local Kafka cluster described by ``settings``."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.home = settings.kafka_home
        self._record_file = self.home / "cluster.json"

    def up(
        self,
        *,
        nodes: int = 1,
        secure: bool = False,
        ports: tuple[int, ...] | None = None,
        report: Report = lambda _: None,
    ) -> UpResult:
        """Ensure a cluster of ``nodes`` runs and answers; return its bootstrap address.

        With ``GOVBUS_KAFKA_BOOTSTRAP`` set it starts nothing and only waits for that cluster.
        A cluster already running is reused; nodes of a recorded cluster that have stopped are
        started again from their data. ``secure`` starts a secured cluster (see
        ``bus.broker.local.security``) and writes the admin's settings to ``<home>/admin.env``;
        ``ports`` replaces the standard client ports (one per node).
        """
        if self.settings.kafka_bootstrap:
            from bus.broker.client import client_options  # client imports this module lazily

            address = self.settings.kafka_bootstrap
            report(f"using the Kafka cluster at {address} (GOVBUS_KAFKA_BOOTSTRAP); starting none")
            options = client_options(self.settings, address)
            probe.wait_until_ready(address, brokers=1, timeout_s=30, options=options)
            return UpResult(bootstrap=address, already_running=True, started_nodes=())
        with self._locked():
            return self._up(nodes, report, secure=secure, ports=ports)

    @property
    def secure_files(self) -> security.SecureFiles:
        """Where a secured cluster under this home keeps its CA, keys and admin settings."""
        return security.SecureFiles(self.home)

    @contextlib.contextmanager
    def running(
        self,
        *,
        nodes: int = 1,
        secure: bool = False,
        ports: tuple[int, ...] | None = None,
        report: Report = lambda _: None,
    ) -> Iterator[UpResult]:
        """``up()`` for the block; stop the cluster afterwards only if this call started it."""
        result = self.up(nodes=nodes, secure=secure, ports=ports, report=report)
        try:
            yield result
        finally:
            if result.started_nodes:
                report(self.down())

    def status(self) -> ClusterStatus:
        """The cluster's source and nodes; an empty node list when none is recorded."""
        if self.settings.kafka_bootstrap:
            return self._external(self.settings.kafka_bootstrap)
        record = self._read_record()
        if record is None:
            return ClusterStatus("none", "", self.home, None, ())
        runner = self._runner(record["backend"], secure=bool(record.get("secure")))
        specs = plan(len(record["nodes"]), self.home, record.get("ports"))
        statuses = tuple(
            NodeStatus(
                node_id=spec.node_id,
                port=spec.port,
                controller_port=spec.controller_port,
                handle=handle,
                running=runner.alive(spec, handle),
            )
            for spec, handle in zip(specs, record["nodes"], strict=True)
        )
        return ClusterStatus(
            record["backend"],
            bootstrap(specs),
            self.home,
            record["cluster_id"],
            statuses,
            secure=bool(record.get("secure")),
        )

    def _external(self, address: str) -> ClusterStatus:
        """The external cluster's brokers from a metadata request, each probed for TCP."""
        from bus.broker.client import client_options  # client imports this module lazily

        try:
            options = client_options(self.settings, address) | {
                "request_timeout_ms": int(EXTERNAL_TIMEOUT_S * 1000)
            }
            cluster_id, controller, brokers = asyncio.run(
                asyncio.wait_for(describe_brokers(address, options=options), EXTERNAL_TIMEOUT_S)
            )
        except (GovbusError, KafkaError, OSError, TimeoutError) as exc:
            reason = str(exc) or type(exc).__name__
            return ClusterStatus("external", address, None, None, (), error=reason)
        found = tuple(
            BrokerStatus(node_id, host, port, node_id == controller, _reachable(host, port))
            for node_id, host, port in brokers
        )
        return ClusterStatus("external", address, None, cluster_id, (), brokers=found)

    def down(self, *, keep_data: bool = False) -> str:
        """Stop the nodes govbus started here and remove their data unless ``keep_data``."""
        if self.settings.kafka_bootstrap:
            return "GOVBUS_KAFKA_BOOTSTRAP names an external cluster; govbus stops nothing there"
        if not self.home.exists():
            return f"no local Kafka under {self.home}; nothing to stop"
        with self._locked():
            record = self._read_record()
            stopped = 0
            if record is not None:
                runner = self._runner(record["backend"], secure=bool(record.get("secure")))
                specs = plan(len(record["nodes"]), self.home, record.get("ports"))
                nodes = list(zip(specs, record["nodes"], strict=True))
                stopped = sum(runner.alive(spec, handle) for spec, handle in nodes)
                runner.stop(nodes, keep_data=keep_data)
        if keep_data:
            return f"stopped {stopped} Kafka node(s); data kept in {self.home}"
        shutil.rmtree(self.home, ignore_errors=True)
        return f"stopped {stopped} Kafka node(s) and removed {self.home}"

    def _up(
        self, nodes: int, report: Report, *, secure: bool, ports: tuple[int, ...] | None
    ) -> UpResult:
        record = self._read_record()
        if record is not None and len(record["nodes"]) != nodes:
            raise ClusterStateError(
                f"{self.home} holds a {len(record['nodes'])}-node local Kafka from an earlier run; "
                "run `govbus kafka down` first to remove it"
            )
        if record is not None and bool(record.get("secure")) != secure:
            was, now = ("secured", "plain") if record.get("secure") else ("plain", "secured")
            raise ClusterStateError(
                f"{self.home} holds a {was} local Kafka from an earlier run, not a {now} one; "
                "run `govbus kafka down` first to remove it"
            )
        ports = tuple(record["ports"]) if record and record.get("ports") else ports
        specs = plan(nodes, self.home, ports)
        backend = record["backend"] if record else self._choose_backend(secure=secure)
        runner = self._runner(backend, secure=secure)
        handles: list[str] = list(record["nodes"]) if record else [""] * nodes
        cluster_id = record["cluster_id"] if record else self._adopt_data(specs)
        stopped = [s for s, h in zip(specs, handles, strict=True) if not runner.alive(s, h)]
        address = bootstrap(specs)
        if not stopped:
            report(f"a {nodes}-node local Kafka is already running under {self.home}")
            if secure:
                report(f"admin settings: {self.secure_files.admin_env}")
            return UpResult(bootstrap=address, already_running=True, started_nodes=())
        for spec in stopped:
            _ensure_free(spec)
        if runner.name == "jars" and jars.cached_classpath(self.settings.cache_dir) is None:
            report(f"resolving Apache Kafka {jars.KAFKA_VERSION} from Maven Central (first run)")
        runner.prepare(stopped, specs, cluster_id)
        started_at = time.monotonic()
        for spec in stopped:
            handles[spec.node_id - 1] = runner.start(spec, specs, cluster_id)
            self._write_record(runner.name, cluster_id, handles, secure=secure, ports=ports)
            report(f"started Kafka node {spec.node_id} on {spec.address} ({runner.name})")

        def still_starting() -> None:
            for spec in stopped:
                handle = handles[spec.node_id - 1]
                if not runner.alive(spec, handle):
                    raise BrokerStartError(
                        f"Kafka node {spec.node_id} exited during start-up: "
                        f"{runner.failure_reason(spec, handle)}"
                    )

        options = None
        if secure:
            files = self.secure_files
            password = files.admin_password.read_text().strip()
            options = security.admin_options(files, address, password)
            security.write_admin_env(files, address)
        try:
            probe.wait_until_ready(
                address,
                brokers=nodes,
                timeout_s=self.settings.kafka_start_timeout_s,
                still_starting=still_starting,
                options=options,
            )
        except (BrokerStartError, KafkaUnavailable):
            runner.stop([(s, handles[s.node_id - 1]) for s in stopped], keep_data=True)
            raise
        report(f"Kafka ready in {time.monotonic() - started_at:.1f} s at {address}")
        if secure:
            report(
                f"secured (SASL_SSL, {security.MECHANISM}, ACLs); admin settings: "
                f"{self.secure_files.admin_env}"
            )
        return UpResult(
            bootstrap=address,
            already_running=False,
            started_nodes=tuple(spec.node_id for spec in stopped),
        )

    def _choose_backend(self, *, secure: bool = False) -> str:
        backend = self.settings.kafka_backend
        if secure and backend == "docker":
            raise ClusterStateError(
                "`govbus kafka up --secure` runs Kafka's jars on the local java; "
                "GOVBUS_KAFKA_BACKEND=docker cannot be secured this way (use jars or auto)"
            )
        if secure:
            return "jars"  # the node certificates and keys are files under the home
        if backend == "auto":
            return "docker" if DockerRunner.engine_running() else "jars"
        return backend

    def _runner(self, backend: str, *, secure: bool = False) -> NodeRunner:
        if backend == "docker":
            return DockerRunner(image=self.settings.kafka_image, label=str(self.home))
        return JarRunner(
            cache_dir=self.settings.cache_dir,
            heap=self.settings.kafka_heap,
            secure=self.secure_files if secure else None,
        )

    def _adopt_data(self, specs: list[NodeSpec]) -> str:
        """The cluster id for a new record: fresh, or that of consistent leftover data."""
        found = {formatted_cluster_id(spec) for spec in specs}
        leftovers = sorted(p.name for p in self.home.glob("node-*") if p.is_dir())
        expected = sorted(spec.home.name for spec in specs)
        if found == {None} and not leftovers:
            return new_cluster_id()
        if None not in found and len(found) == 1 and leftovers == expected:
            (cluster_id,) = found
            assert cluster_id is not None  # noqa: S101 - narrowed by the test above
            return cluster_id
        raise ClusterStateError(
            f"{self.home} holds data from an earlier run that does not match a "
            f"{len(specs)}-node cluster; run `govbus kafka down` to remove it"
        )

    def _read_record(self) -> dict[str, Any] | None:
        try:
            record: dict[str, Any] = json.loads(self._record_file.read_text())
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as exc:
            raise ClusterStateError(
                f"{self._record_file} is unreadable ({exc}); run `govbus kafka down` to reset"
            ) from exc
        if not isinstance(record.get("nodes"), list) or len(record["nodes"]) not in (1, 3):
            raise ClusterStateError(
                f"{self._record_file} is malformed; run `govbus kafka down` to reset"
            )
        return record

    def _write_record(
        self,
        backend: str,
        cluster_id: str,
        handles: list[str],
        *,
        secure: bool = False,
        ports: tuple[int, ...] | None = None,
    ) -> None:
        record: dict[str, Any] = {
            "backend": backend,
            "cluster_id": cluster_id,
            "kafka_version": jars.KAFKA_VERSION,
            "nodes": handles,
            "secure": secure,
        }
        if ports is not None:
            record["ports"] = list(ports)
        partial = self._record_file.with_suffix(".partial")
        partial.write_text(json.dumps(record, indent=2) + "\n")
        partial.replace(self._record_file)

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        self.home.mkdir(parents=True, exist_ok=True)
        with (self.home / ".lock").open("w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            yield


def _ensure_free(spec: NodeSpec) -> None:
    for port in (spec.port, spec.controller_port):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            # As Kafka does: a port whose old connections linger in TIME_WAIT is free to use.
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                sock.bind((HOST, port))
            except OSError as exc:
                raise PortInUse(
                    f"port {port} on {HOST} is in use by another process (Kafka node "
                    f"{spec.node_id} needs it); stop that process, or set GOVBUS_KAFKA_BOOTSTRAP "
                    "if it is a Kafka broker you want to use",
                    port=port,
                ) from exc


def _reachable(host: str, port: int) -> bool:
    """Whether ``host:port`` accepts a TCP connection within a second (IPv4 or IPv6)."""
    try:
        with socket.create_connection((host, port), timeout=1.0):
            return True
    except OSError:
        return False
