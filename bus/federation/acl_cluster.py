"""A cluster's ACLs and govbus's record of those it created, through kafka-python's admin API.

aiokafka has no ACL calls, so this module uses kafka-python's ``KafkaAdminClient`` with the same
connection options (``bus.broker.client.client_options``). Its calls block; the commands that
use them are short-lived.

Kafka ACLs carry no label saying who made them, so govbus keeps its own record: a compacted
topic ``<prefix>govbus.federation-acls`` with one record per binding it created (key: the
binding's ``Binding.key``; value ``created``, or a tombstone once deleted). The record lives in
the cluster it describes, so every admin applying from any machine sees the same one, and only
the admin can read or write it: no ACL names it and the cluster allows nothing by default.
Any binding on the cluster that is not in the record is foreign and never touched.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterable, Mapping
from typing import Any, Final

from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from kafka.admin import (
    ACL,
    ACLFilter,
    ACLOperation,
    ACLPermissionType,
    ACLResourcePatternType,
    KafkaAdminClient,
    NewTopic,
    ResourcePattern,
    ResourcePatternFilter,
    ResourceType,
)
from kafka.errors import KafkaError, TopicAlreadyExistsError

from bus.federation.acls import Binding
from bus.foundation.errors import AclAdminRefused, KafkaUnavailable

RECORD_TOPIC: Final = "govbus.federation-acls"
CREATED: Final = b"created"
_OPTIONS: Final = (
    "bootstrap_servers",
    "client_id",
    "security_protocol",
    "sasl_mechanism",
    "sasl_plain_username",
    "sasl_plain_password",
    "ssl_context",
)
_READ_TIMEOUT_S: Final = 30.0


def _options(client_options: Mapping[str, Any]) -> dict[str, Any]:
    # aiokafka and kafka-python spell these connection options the same way.
    return {k: v for k, v in client_options.items() if k in _OPTIONS}


def _acl(binding: Binding) -> ACL:
    return ACL(
        principal=binding.principal,
        host="*",
        operation=ACLOperation[binding.operation],
        permission_type=ACLPermissionType.ALLOW,
        resource_pattern=ResourcePattern(
            ResourceType[binding.resource_type],
            binding.resource,
            ACLResourcePatternType[binding.pattern_type],
        ),
    )


def _filter(binding: Binding) -> ACLFilter:
    return ACLFilter(
        principal=binding.principal,
        host="*",
        operation=ACLOperation[binding.operation],
        permission_type=ACLPermissionType.ALLOW,
        resource_pattern=ResourcePatternFilter(
            ResourceType[binding.resource_type],
            binding.resource,
            ACLResourcePatternType[binding.pattern_type],
        ),
    )


def _binding(acl: ACL) -> Binding | None:
    """The binding ``acl`` is, or ``None`` when govbus never makes ACLs like it."""
    pattern = acl.resource_pattern
    try:
        candidate = Binding.from_key(
            "|".join(
                (
                    acl.principal,
                    pattern.resource_type.name,
                    pattern.pattern_type.name,
                    pattern.resource_name,
                    acl.operation.name,
                )
            )
        )
    except ValueError:
        return None
    if acl.permission_type != ACLPermissionType.ALLOW or acl.host != "*":
        return None
    return candidate


def _describe(acl: ACL) -> str:
    pattern = acl.resource_pattern
    return (
        f"{acl.principal} {acl.permission_type.name} {acl.operation.name} from {acl.host} on"
        f" {pattern.resource_type.name} {pattern.resource_name} ({pattern.pattern_type.name})"
    )


class ClusterAcls:
    """The ACLs of one cluster and govbus's record, for the admin holding ``client_options``.

    Use as a context manager; every call may raise ``KafkaUnavailable`` or ``AclAdminRefused``.
    """

    def __init__(self, client_options: Mapping[str, Any], *, prefix: str = "") -> None:
        self._options = _options(client_options)
        self.record_topic = prefix + RECORD_TOPIC
        self._bootstrap = str(self._options.get("bootstrap_servers", ""))
        try:
            self._admin = KafkaAdminClient(**self._options)
        except KafkaError as exc:
            raise KafkaUnavailable(
                f"cannot reach Kafka at {self._bootstrap} as its admin: {exc}",
                bootstrap=self._bootstrap,
            ) from exc

    def __enter__(self) -> ClusterAcls:
        return self

    def __exit__(self, *_: object) -> None:
        self._admin.close()

    def existing(self) -> tuple[frozenset[Binding], tuple[str, ...]]:
        """Every ACL on the cluster: those of govbus's kind as bindings, and the descriptions
        of the others (DENY, a host, another resource or operation), which are always foreign."""
        anything = ACLFilter(
            principal=None,
            host=None,
            operation=ACLOperation.ANY,
            permission_type=ACLPermissionType.ANY,
            resource_pattern=ResourcePatternFilter(
                ResourceType.ANY, None, ACLResourcePatternType.ANY
            ),
        )
        try:
            acls, error = self._admin.describe_acls(anything)
        except KafkaError as exc:
            raise AclAdminRefused(f"Kafka refused to list its ACLs: {exc}", bindings=()) from exc
        if error is not None and getattr(error, "errno", 0) != 0:
            raise AclAdminRefused(f"Kafka refused to list its ACLs: {error}", bindings=())
        bindings: set[Binding] = set()
        others: list[str] = []
        for acl in acls:
            binding = _binding(acl)
            if binding is None:
                others.append(_describe(acl))
            else:
                bindings.add(binding)
        return frozenset(bindings), tuple(sorted(others))

    def create(self, bindings: Iterable[Binding]) -> None:
        """Create ``bindings``; raises ``AclAdminRefused`` naming any Kafka refused."""
        wanted = list(bindings)
        if not wanted:
            return
        try:
            result = self._admin.create_acls([_acl(b) for b in wanted])
        except KafkaError as exc:
            raise AclAdminRefused(
                f"Kafka refused to create ACLs: {exc}", bindings=tuple(map(str, wanted))
            ) from exc
        failed = [(_describe(acl), str(err)) for acl, err in result.get("failed", [])]
        if failed:
            raise AclAdminRefused(
                "Kafka refused to create ACLs: "
                + "; ".join(f"{acl}: {err}" for acl, err in failed),
                bindings=tuple(acl for acl, _ in failed),
            )

    def delete(self, bindings: Iterable[Binding]) -> None:
        """Delete exactly ``bindings`` (each filter matches one binding and nothing else)."""
        unwanted = list(bindings)
        if not unwanted:
            return
        try:
            results = self._admin.delete_acls([_filter(b) for b in unwanted])
        except KafkaError as exc:
            raise AclAdminRefused(
                f"Kafka refused to delete ACLs: {exc}", bindings=tuple(map(str, unwanted))
            ) from exc
        failed = [
            (str(binding), str(error))
            for binding, (_, _, error) in zip(unwanted, results, strict=True)
            if getattr(error, "errno", 0) != 0
        ]
        if failed:
            raise AclAdminRefused(
                "Kafka refused to delete ACLs: " + "; ".join(f"{b}: {e}" for b, e in failed),
                bindings=tuple(b for b, _ in failed),
            )

    def recorded(self) -> frozenset[Binding]:
        """The bindings govbus's record says it created (empty before the first ``apply``)."""
        if self.record_topic not in self._admin.list_topics():
            return frozenset()
        consumer = KafkaConsumer(**self._options, group_id=None, enable_auto_commit=False)
        try:
            partition = TopicPartition(self.record_topic, 0)
            consumer.assign([partition])
            consumer.seek_to_beginning(partition)
            end = consumer.end_offsets([partition])[partition]
            found: set[Binding] = set()
            deadline = time.monotonic() + _READ_TIMEOUT_S
            while consumer.position(partition) < end:
                if time.monotonic() > deadline:
                    raise KafkaUnavailable(
                        f"{self.record_topic} was not read to its end in {_READ_TIMEOUT_S:.0f}s",
                        bootstrap=self._bootstrap,
                    )
                for records in consumer.poll(timeout_ms=1000).values():
                    for record in records:
                        key = Binding.from_key(record.key.decode())
                        if record.value is None:
                            found.discard(key)
                        else:
                            found.add(key)
            return frozenset(found)
        finally:
            consumer.close()

    def record(self, *, added: Iterable[Binding] = (), removed: Iterable[Binding] = ()) -> None:
        """Add ``added`` to govbus's record and tombstone ``removed``, waiting for every write."""
        changes = [(b, CREATED) for b in added] + [(b, None) for b in removed]
        if not changes:
            return
        self._ensure_record_topic()
        producer = KafkaProducer(**self._options, acks="all")
        try:
            futures = [
                producer.send(self.record_topic, key=b.key.encode(), value=value, partition=0)
                for b, value in changes
            ]
            producer.flush()
            for future in futures:
                future.get(timeout=_READ_TIMEOUT_S)
        except KafkaError as exc:
            raise KafkaUnavailable(
                f"cannot write govbus's ACL record {self.record_topic}: {exc}",
                bootstrap=self._bootstrap,
            ) from exc
        finally:
            producer.close()

    def _ensure_record_topic(self) -> None:
        if self.record_topic in self._admin.list_topics():
            return
        nodes = len(self._admin.describe_cluster()["brokers"])
        topic = NewTopic(
            self.record_topic,
            num_partitions=1,
            replication_factor=min(3, nodes),
            topic_configs={"cleanup.policy": "compact", "min.insync.replicas": "1"},
        )
        with contextlib.suppress(TopicAlreadyExistsError):  # another admin created it meanwhile
            self._admin.create_topics([topic])
