"""Every Kafka topic name govbus uses, resolved in one place for processes, commands and docs.

With ``GOVBUS_TOPIC_PREFIX`` (e.g. ``staging.``) every name below starts with that prefix, so
environments can share one cluster:

- a contract version's events: ``<owner>.<event-name>.v<N>`` (``ContractInfo.topic``);
- a subscriber's dead letters: ``<topic>.dlq``, after the prefixed event topic;
- a source adapter's rejected legacy records: ``govbus.adapter.<adapter>.dlq``;
- source offsets, owned by the bus: ``govbus.source-offsets`` (compacted);
- the consumer group recording what ``govbus dlq replay`` has sent back from a dead-letter
  topic: ``govbus.dlq-replayed.<dead-letter topic without the prefix>``.

Operators name topics on the command line with or without the prefix, and name a dead-letter
topic by itself or by the topic it belongs to: :meth:`TopicNames.dead_letters_named` turns any
of these into the one dead-letter topic meant, never ``<topic>.dlq.dlq``.
"""

from __future__ import annotations

from dataclasses import dataclass

from contracts import Event

DLQ_SUFFIX = ".dlq"
OFFSETS_TOPIC = "govbus.source-offsets"
ADAPTER_DLQ_START = "govbus.adapter."
REPLAY_GROUP_START = "govbus.dlq-replayed."


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
        return f"{self.prefix}{ADAPTER_DLQ_START}{adapter}{DLQ_SUFFIX}"

    def dead_letters_named(self, topic: str) -> str:
        """The dead-letter topic an operator means by ``topic``.

        ``topic`` may be an event topic or a dead-letter topic (a subscriber's ``<topic>.dlq``
        or an adapter's ``govbus.adapter.<adapter>.dlq``), each with or without the prefix.
        """
        named = self.named(topic)
        return named if named.endswith(DLQ_SUFFIX) else dlq_topic(named)

    def adapter_of(self, dead_letters: str) -> str | None:
        """The source adapter whose rejected records ``dead_letters`` holds, if it is one's."""
        start = self.prefix + ADAPTER_DLQ_START
        if not (dead_letters.startswith(start) and dead_letters.endswith(DLQ_SUFFIX)):
            return None
        adapter = dead_letters[len(start) : -len(DLQ_SUFFIX)]
        return adapter or None

    def origin_of(self, dead_letters: str) -> str | None:
        """The event topic whose dead letters ``dead_letters`` holds; ``None`` for an adapter's."""
        if self.adapter_of(dead_letters) is not None or not dead_letters.endswith(DLQ_SUFFIX):
            return None
        return dead_letters.removesuffix(DLQ_SUFFIX)

    def replay_group(self, dead_letters: str) -> str:
        """The consumer group whose committed offsets record what was replayed from a DLQ."""
        return self.prefix + REPLAY_GROUP_START + dead_letters.removeprefix(self.prefix)

    def source_offsets(self) -> str:
        """The compacted topic of every source adapter's committed offsets."""
        return self.prefix + OFFSETS_TOPIC
