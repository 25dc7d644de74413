"""Every Kafka topic name govbus uses, resolved in one place for processes, commands and docs.

With ``GOVBUS_TOPIC_PREFIX`` (e.g. ``staging.``) every name below starts with that prefix, so
environments can share one cluster:

- a contract version's events: ``<owner>.<event-name>.v<N>`` (``ContractInfo.topic``);
- a subscriber's dead letters: ``<topic>.dlq``, after the prefixed event topic;
- a source adapter's rejected legacy records: ``govbus.adapter.<adapter>.dlq``;
- source offsets, owned by the bus: ``govbus.source-offsets`` (compacted).
"""

from __future__ import annotations

from dataclasses import dataclass

from contracts import Event

DLQ_SUFFIX = ".dlq"
OFFSETS_TOPIC = "govbus.source-offsets"


def dlq_topic(topic: str) -> str:
    """The dead-letter topic of the (already prefixed) topic ``topic``."""
    return topic + DLQ_SUFFIX


@dataclass(frozen=True, slots=True)
class TopicNames:
    """The names of one deployment's topics, all under ``prefix``."""

    prefix: str = ""

    def events(self, contract: type[Event]) -> str:
        """The topic of one contract version's events."""
        return self.prefix + contract.contract.topic

    def named(self, topic: str) -> str:
        """A topic a user named without the prefix (``gro.death-registered.v1``), prefixed.

        A name that already carries the prefix is returned as it is.
        """
        return topic if self.prefix and topic.startswith(self.prefix) else self.prefix + topic

    def dead_letters(self, topic: str) -> str:
        """The dead-letter topic of the event topic ``topic`` (with or without the prefix)."""
        return dlq_topic(self.named(topic))

    def adapter_dead_letters(self, adapter: str) -> str:
        """The topic of the legacy records source adapter ``adapter`` rejected."""
        return f"{self.prefix}govbus.adapter.{adapter}{DLQ_SUFFIX}"

    def source_offsets(self) -> str:
        """The compacted topic of every source adapter's committed offsets."""
        return self.prefix + OFFSETS_TOPIC
