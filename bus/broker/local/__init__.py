"""A real Apache Kafka cluster on this machine, for developers, tests, demos and benchmarks."""

from bus.broker.local.cluster import ClusterStatus, LocalKafka, NodeStatus, UpResult

__all__ = ["ClusterStatus", "LocalKafka", "NodeStatus", "UpResult"]
