"""The Kafka ACLs that follow from a federation, and the difference from what a cluster holds.

Least privilege, per organisation's principal:

- WRITE and DESCRIBE on the event topic of every version of every contract it may publish
  (``publishers.toml``);
- READ and DESCRIBE on the event topic of every version named by an agreement in force that
  makes it the recipient. For now the whole topic: an agreement shares named fields only, and
  per-recipient views holding just those fields come later; until then the recipient's
  subscriber must drop what it is not given;
- READ on consumer groups whose names start with ``<prefix><code>.`` (a PREFIXED pattern), and
  only for an organisation that reads something: its groups, and nobody else's;
- nothing else. Creating topics and changing configs stay with the admin (a super user), and no
  dead-letter topic is granted: ``<topic>.dlq`` is shared by every subscriber of a topic yet
  holds each one's failed deliveries, so it must first become per organisation.

A recipient without an agreement in force, or an organisation that publishes nothing, gets no
binding at all. Every binding is ALLOW from any host.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Literal

from bus.federation.model import Federation

ResourceType = Literal["TOPIC", "GROUP"]
PatternType = Literal["LITERAL", "PREFIXED"]
Operation = Literal["READ", "WRITE", "DESCRIBE"]


@dataclass(frozen=True, order=True, slots=True)
class Binding:
    """One ALLOW ACL: ``principal`` may do ``operation`` on a topic or group, from any host."""

    principal: str
    resource_type: ResourceType
    pattern_type: PatternType
    resource: str
    operation: Operation

    @property
    def key(self) -> str:
        """A stable text form, used as the key of govbus's record of the bindings it created."""
        return "|".join(
            (self.principal, self.resource_type, self.pattern_type, self.resource, self.operation)
        )

    @classmethod
    def from_key(cls, key: str) -> Binding:
        """The binding ``key`` names; raises ``ValueError`` for anything else."""
        parts = key.split("|")
        if len(parts) != 5:
            raise ValueError(f"not a govbus ACL record key: {key[:200]!r}")
        principal, resource_type, pattern_type, resource, operation = parts
        if (
            resource_type not in ("TOPIC", "GROUP")
            or pattern_type not in ("LITERAL", "PREFIXED")
            or operation not in ("READ", "WRITE", "DESCRIBE")
            or not principal.startswith("User:")
            or not resource
        ):
            raise ValueError(f"not a govbus ACL record key: {key[:200]!r}")
        return cls(principal, resource_type, pattern_type, resource, operation)  # type: ignore[arg-type]

    def as_json(self) -> dict[str, str]:
        """The binding as JSON data, as ``govbus federation plan --json`` prints it."""
        return {
            "principal": self.principal,
            "resource_type": self.resource_type,
            "pattern_type": self.pattern_type,
            "resource": self.resource,
            "operation": self.operation,
        }

    def __str__(self) -> str:
        pattern = "*" if self.pattern_type == "PREFIXED" else ""
        return f"{self.principal} {self.operation} {self.resource_type} {self.resource}{pattern}"


def event_topic(event_type: str, version: int, prefix: str = "") -> str:
    """The topic of major ``version`` of ``event_type`` (``uk.gov.gro.death-registered``, 2:
    ``gro.death-registered.v2``), as ``ContractInfo.topic`` names it, after ``prefix``."""
    return f"{prefix}{event_type.removeprefix('uk.gov.')}.v{version}"


def wanted(federation: Federation, *, on: date, prefix: str = "") -> frozenset[Binding]:
    """Every binding the federation calls for on day ``on``, topics and groups under ``prefix``."""
    found: set[Binding] = set()
    for right in federation.publishers:
        for organisation in federation.organisations:
            if right.grants(organisation):
                found |= _topic(
                    organisation.kafka_principal,
                    (event_topic(right.contract, v, prefix) for v in right.versions),
                    "WRITE",
                )
    for agreement in federation.in_force(on):
        recipient = federation.organisation(agreement.recipient)
        if recipient is None:  # the directory's checks refuse this; never grant on a guess
            continue
        principal = recipient.kafka_principal
        found |= _topic(
            principal,
            (event_topic(agreement.contract, v, prefix) for v in agreement.versions),
            "READ",
        )
        found.add(Binding(principal, "GROUP", "PREFIXED", f"{prefix}{recipient.code}.", "READ"))
    return frozenset(found)


def _topic(principal: str, topics: Iterable[str], operation: Operation) -> set[Binding]:
    return {
        Binding(principal, "TOPIC", "LITERAL", topic, op)
        for topic in topics
        for op in (operation, "DESCRIBE")
    }


@dataclass(frozen=True, slots=True)
class Plan:
    """What ``apply`` would do, given the wanted bindings, the cluster's and govbus's record.

    ``create``: wanted and missing from the cluster (also when removed by hand). ``delete``:
    created by govbus, still on the cluster, no longer wanted. ``forget``: in govbus's record
    but gone from the cluster and no longer wanted (removed by hand): only the record changes.
    ``foreign``: on the cluster, not created by govbus; never touched, shown for review.
    """

    create: tuple[Binding, ...]
    delete: tuple[Binding, ...]
    forget: tuple[Binding, ...]
    foreign: tuple[Binding, ...]

    @property
    def empty(self) -> bool:
        """Whether ``apply`` has nothing to change (foreign bindings change nothing)."""
        return not (self.create or self.delete or self.forget)

    def as_json(self) -> dict[str, list[dict[str, str]]]:
        """The plan as JSON data: one list of bindings per heading."""
        return {
            "create": [b.as_json() for b in self.create],
            "delete": [b.as_json() for b in self.delete],
            "forget": [b.as_json() for b in self.forget],
            "foreign": [b.as_json() for b in self.foreign],
        }


def plan(
    wanted: frozenset[Binding], *, existing: frozenset[Binding], recorded: frozenset[Binding]
) -> Plan:
    """The changes that make the cluster's govbus bindings equal ``wanted``.

    ``existing`` are the ALLOW bindings on the cluster; ``recorded`` those govbus created.
    A binding govbus did not create is never deleted, even when it is no longer wanted.
    """
    return Plan(
        create=tuple(sorted(wanted - existing)),
        delete=tuple(sorted((recorded & existing) - wanted)),
        forget=tuple(sorted(recorded - existing - wanted)),
        foreign=tuple(sorted(existing - recorded)),
    )
