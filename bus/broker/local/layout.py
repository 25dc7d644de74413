"""Where each node of a local Kafka cluster listens and what its configuration says.

One node is a combined broker and controller on 127.0.0.1:9092 (controller 9093). Three nodes are
three processes on 19092, 29092 and 30092 (controllers one port higher), with a static Raft quorum,
replication factor 3 and ``min.insync.replicas=2``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

HOST = "127.0.0.1"
SINGLE_NODE_PORT = 9092
# Below 32768, where Linux starts handing out ephemeral ports, so no client connection or
# test server that asked for "any free port" can be holding one.
CLUSTER_PORTS = (19092, 29092, 30092)
_STANDARD_PORTS = {1: (SINGLE_NODE_PORT,), 3: CLUSTER_PORTS}


@dataclass(frozen=True, slots=True)
class NodeSpec:
    """One Kafka node: its id, ports and directories under the cluster's home."""

    node_id: int
    port: int
    controller_port: int
    home: Path

    @property
    def address(self) -> str:
        return f"{HOST}:{self.port}"

    @property
    def config_file(self) -> Path:
        return self.home / "server.properties"

    @property
    def log4j_file(self) -> Path:
        return self.home / "log4j2.properties"

    @property
    def data_dir(self) -> Path:
        return self.home / "data"

    @property
    def logs_dir(self) -> Path:
        return self.home / "logs"

    @property
    def server_log(self) -> Path:
        return self.logs_dir / "server.log"


def plan(
    nodes: int, cluster_home: Path, ports: tuple[int, ...] | list[int] | None = None
) -> list[NodeSpec]:
    """The nodes of a cluster of ``nodes`` (1 or 3) whose files live under ``cluster_home``.

    ``ports`` (one client port per node, each controller on the next port) replaces the
    standard ports, for a second cluster beside the usual one.
    """
    if nodes not in (1, 3):
        raise ValueError(f"a local cluster has 1 or 3 nodes, not {nodes}")
    chosen = tuple(ports) if ports is not None else _STANDARD_PORTS[nodes]
    if len(chosen) != nodes:
        raise ValueError(f"{nodes} node(s) need {nodes} client port(s), not {len(chosen)}")
    return [
        NodeSpec(node_id=i, port=port, controller_port=port + 1, home=cluster_home / f"node-{i}")
        for i, port in enumerate(chosen, start=1)
    ]


def bootstrap(specs: list[NodeSpec]) -> str:
    """The bootstrap address clients use: every node, comma-separated."""
    return ",".join(spec.address for spec in specs)


def server_properties(spec: NodeSpec, specs: list[NodeSpec]) -> dict[str, str]:
    """The broker configuration of ``spec`` within the cluster ``specs``, as key/value pairs."""
    voters = ",".join(f"{s.node_id}@{HOST}:{s.controller_port}" for s in specs)
    replicas = str(min(len(specs), 3))
    config = {
        "process.roles": "broker,controller",
        "node.id": str(spec.node_id),
        "controller.quorum.voters": voters,
        "listeners": f"PLAINTEXT://{HOST}:{spec.port},CONTROLLER://{HOST}:{spec.controller_port}",
        "advertised.listeners": f"PLAINTEXT://{HOST}:{spec.port}",
        "controller.listener.names": "CONTROLLER",
        "inter.broker.listener.name": "PLAINTEXT",
        "listener.security.protocol.map": "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
        "log.dirs": str(spec.data_dir),
        "num.partitions": "3",
        "default.replication.factor": replicas,
        "offsets.topic.replication.factor": replicas,
        "transaction.state.log.replication.factor": replicas,
        "share.coordinator.state.topic.replication.factor": replicas,
        # Consumer groups in tests should not wait the default 3 s for more members.
        "group.initial.rebalance.delay.ms": "0",
        "auto.create.topics.enable": "true",
    }
    if len(specs) >= 3:
        config |= {
            "min.insync.replicas": "2",
            "transaction.state.log.min.isr": "2",
            "share.coordinator.state.topic.min.isr": "2",
            "unclean.leader.election.enable": "false",
        }
    else:
        config |= {
            "transaction.state.log.min.isr": "1",
            "share.coordinator.state.topic.min.isr": "1",
        }
    return config


def render_properties(config: dict[str, str]) -> str:
    """Java properties text for ``config`` (values govbus writes need no escaping)."""
    return "".join(f"{key}={value}\n" for key, value in sorted(config.items()))


LOG4J2_PROPERTIES = """\
# govbus local Kafka: INFO to a rolling file, warnings and errors also to standard error.
status = warn
appender.file.type = RollingFile
appender.file.name = FILE
appender.file.fileName = ${sys:kafka.logs.dir}/server.log
appender.file.filePattern = ${sys:kafka.logs.dir}/server.log.%i
appender.file.layout.type = PatternLayout
appender.file.layout.pattern = [%d] %p %m (%c)%n
appender.file.policies.type = Policies
appender.file.policies.size.type = SizeBasedTriggeringPolicy
appender.file.policies.size.size = 20MB
appender.file.strategy.type = DefaultRolloverStrategy
appender.file.strategy.max = 2
rootLogger.level = INFO
rootLogger.appenderRef.file.ref = FILE
logger.kafka.name = kafka
logger.kafka.level = INFO
logger.state.name = state.change.logger
logger.state.level = WARN
logger.request.name = kafka.request.logger
logger.request.level = WARN
"""
