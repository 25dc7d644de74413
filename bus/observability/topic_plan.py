"""The topics one govbus process needs, and how it provides them before traffic.

A process needs, every name from ``TopicNames`` (so with ``GOVBUS_TOPIC_PREFIX``):

- per subscription (a sink, or a Python handler): the event topic of its contract version and
  of every older version it upcasts from, each with its ``.dlq`` topic;
- per source adapter: the event topic of its contract, the adapter's dead-letter topic
  ``govbus.adapter.<name>.dlq`` and the compacted ``govbus.source-offsets``.

Event topics take partitions and retention from their contract's ``TopicSpec`` (3 partitions
and 7 days unless it says otherwise). Dead-letter topics keep their records for
``GOVBUS_DEAD_LETTER_RETENTION_DAYS`` (28 days), or as long as their event topic if that is
longer, so an operator has time to look at them after a holiday; a subscriber's ``.dlq`` has
the partitions of its event topic, an adapter's one partition (its rejects stay in the order
they were read). The offsets topic has one partition, is compacted and never expires.
Replication follows the cluster (``bus.broker.topics.replication_for``).

A ``Service`` and a FastStream ``Govbus`` both provide their topics through ``TopicProvider``
(wired in ``bus.observability.operations``), and ``govbus topics`` plans and applies the same list.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable, Mapping
from datetime import timedelta
from typing import Any, Literal

from bus.broker.topics import TopicPlan, WantedTopic, apply_topic_plan, plan_topics
from bus.foundation.errors import TopicAdminRefused
from bus.foundation.settings import Settings
from bus.messaging.codec import Codec
from bus.messaging.subscriber import subscribed_contracts
from bus.messaging.topic_names import TopicNames
from contracts import Event

log = logging.getLogger(__name__)
RECHECK_INTERVAL_S = 30.0
Report = Callable[[bool, str], None]


Access = Literal["reads", "writes"]


def subscription_topics(
    contract: type[Event], *, codec: Codec, settings: Settings
) -> list[tuple[Access, WantedTopic]]:
    """What a subscription to ``contract`` reads (its version's events and older ones it
    upcasts) and writes (their dead letters)."""
    names = TopicNames(settings.topic_prefix)
    dead_letter_days = timedelta(days=settings.dead_letter_retention_days)
    found: list[tuple[Access, WantedTopic]] = []
    for version in subscribed_contracts(contract, codec):
        events = _events(version, names)
        spec = version.contract.topic_spec
        retention = None if spec.retention is None else max(spec.retention, dead_letter_days)
        found.append(("reads", events))
        found.append(
            (
                "writes",
                WantedTopic(
                    names.dead_letters(events.name), spec.partitions,
                    _config(retention), f"dead letters of {events.name}",
                ),
            )
        )  # fmt: skip
    return found


def source_topics(
    adapter: str, contract: type[Event] | None, *, settings: Settings
) -> list[tuple[Access, WantedTopic]]:
    """What source adapter ``adapter`` writes: events of ``contract`` (when known), the legacy
    records it rejects and its committed offsets (which it also reads when it starts)."""
    names = TopicNames(settings.topic_prefix)
    dead_letter_days = timedelta(days=settings.dead_letter_retention_days)
    found: list[tuple[Access, WantedTopic]] = []
    if contract is not None:
        found.append(("writes", _events(contract, names)))
    found.append(
        (
            "writes",
            WantedTopic(
                names.adapter_dead_letters(adapter), 1,
                _config(dead_letter_days), "dead letters: the legacy records it rejects",
            ),
        )
    )  # fmt: skip
    found.append(
        (
            "writes",
            WantedTopic(
                names.source_offsets(), 1,
                _config(None, cleanup="compact"), "source adapters' committed offsets",
            ),
        )
    )  # fmt: skip
    return found


def wanted_topics(
    *,
    subscribed: Iterable[type[Event]],
    sources: Iterable[tuple[str, type[Event] | None]],
    codec: Codec,
    settings: Settings,
) -> list[WantedTopic]:
    """The topics of subscriptions to ``subscribed`` contracts and of ``sources`` (adapter
    name, contract it publishes if known), each once, in that order."""
    wanted: dict[str, WantedTopic] = {}
    for contract in subscribed:
        for _, topic in subscription_topics(contract, codec=codec, settings=settings):
            wanted.setdefault(topic.name, topic)
    for adapter, published in sources:
        for _, topic in source_topics(adapter, published, settings=settings):
            wanted.setdefault(topic.name, topic)
    return list(wanted.values())


def _events(contract: type[Event], names: TopicNames) -> WantedTopic:
    spec = contract.contract.topic_spec
    return WantedTopic(
        names.events(contract),
        spec.partitions,
        _config(spec.retention),
        f"events of {contract.contract.cloudevents_type}",
    )


def _config(retention: timedelta | None, *, cleanup: str = "delete") -> dict[str, str]:
    millis = -1 if retention is None else int(retention.total_seconds() * 1000)
    return {"cleanup.policy": cleanup, "retention.ms": str(millis)}


class TopicProvider:
    """Provides one process's ``wanted`` topics on one cluster, telling ``report(ready, detail)``
    (the ``topics`` readiness condition of the process) how that went.

    ``provide()`` once before consuming; if it returned ``False``, ``recheck_until_present()``
    in a task of its own, cancelled when the process stops.
    """

    def __init__(
        self,
        wanted: list[WantedTopic],
        *,
        bootstrap: str,
        options: Mapping[str, Any],
        settings: Settings,
        report: Report,
    ) -> None:
        self.wanted = wanted
        self._bootstrap = bootstrap
        self._options = options
        self._settings = settings
        self._report = report

    async def plan(self) -> TopicPlan:
        """What the cluster lacks, with replication from the settings or the cluster."""
        return await plan_topics(
            self._bootstrap, self.wanted, options=self._options,
            replication_factor=self._settings.topic_replication_factor,
            min_insync_replicas=self._settings.topic_min_insync_replicas,
        )  # fmt: skip

    async def provide(self) -> bool:
        """Create and align the topics (unless ``GOVBUS_CREATE_TOPICS`` is false); return
        whether every topic exists. Missing topics are reported and logged by name. Kafka
        refusing for lack of rights is such an outcome; any other refusal or error is raised."""
        settings = self._settings
        self._report(False, f"checking {len(self.wanted)} topic(s)")
        current = await self.plan()
        refused: TopicAdminRefused | None = None
        if current.changes and settings.create_topics:
            try:
                await apply_topic_plan(self._bootstrap, current, options=self._options)
            except TopicAdminRefused as exc:
                if not exc.not_authorised:
                    raise
                refused = exc
            current = await self.plan()
        missing = current.missing
        if missing:
            if not settings.create_topics:
                why = "GOVBUS_CREATE_TOPICS is false"
            elif refused is not None:
                why = f"not authorised to create them ({refused})"
            else:
                why = "created, but not visible in the cluster's metadata yet"
            detail = f"missing topics: {', '.join(missing)}; {why}"
            log.warning("%s; create them with `govbus topics apply`", detail)
            self._report(False, detail)
            return False
        differing = sorted({c.topic for c in current.changes})
        if differing:
            log.warning(
                "topics differ from what the contracts ask (see `govbus topics plan`): %s",
                ", ".join(differing),
            )
        self._report(True, f"{len(self.wanted)} topic(s) present")
        return True

    async def recheck_until_present(self, *, interval_s: float = RECHECK_INTERVAL_S) -> None:
        """Look again every ``interval_s`` until the missing topics exist (created by an
        operator), then report ready; only checks, never creates. A failed check is retried."""
        while True:
            await asyncio.sleep(interval_s)
            try:
                current = await self.plan()
            except Exception as exc:  # a failed check is tried again, never fatal
                log.warning("checking topics failed: %s", exc)
                continue
            if not current.missing:
                log.info("every topic this process needs exists now")
                self._report(True, f"{len(self.wanted)} topic(s) present")
                return
