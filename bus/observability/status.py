"""What a govbus process is doing right now, gathered for its status page.

A :class:`StatusCollector` reads the process's own series from the Prometheus registry (only
the labels that belong to this service: its subscribers, consumer groups, adapters and its
publisher name) and turns them into a :class:`StatusSnapshot`. Event rates come from the same
counters: the collector samples them every few seconds and keeps the samples of the last
minute, so a rate is ``(count now - count a minute ago) / elapsed``, or since start-up when the
process is younger than that. :class:`LastEvents` remembers the attributes (never the data) of
the last event each CloudEvents source sent to a subscription. The dead letters kept on each
dead-letter topic the service writes to come from Kafka (``govbus_dead_letters_present``, kept
up to date by ``bus.observability.dead_letter_depth``), so they survive a restart.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from prometheus_client import REGISTRY, CollectorRegistry

from bus.messaging.envelope import Envelope
from bus.observability.health import Condition, Readiness

RATE_WINDOW_S = 60.0
MAX_SOURCES_SHOWN = 50
MAX_ATTRIBUTE_CHARS = 200


@dataclass(frozen=True, slots=True)
class SubscriptionStatus:
    """One subscription: its group, topics and what it did with the records it read."""

    name: str
    group: str
    topics: tuple[str, ...]
    handled: int = 0
    duplicates: int = 0
    dead_lettered: int = 0
    failed_attempts: int = 0
    handled_per_s: float | None = None


@dataclass(frozen=True, slots=True)
class PublishedStatus:
    """Events of one contract version this process published, and their rate."""

    event_type: str
    version: str
    topic: str | None
    published: int
    failures: int
    per_s: float | None


@dataclass(frozen=True, slots=True)
class LagStatus:
    group: str
    topic: str
    lag: int


@dataclass(frozen=True, slots=True)
class DeadLetterStatus:
    """Records one subscriber dead-lettered at one stage (``decode``, ``handler``, ...)."""

    subscriber: str
    event_type: str
    version: str
    stage: str
    count: int


@dataclass(frozen=True, slots=True)
class DeadLetterTopicStatus:
    """A dead-letter topic the service writes to, whose it is, and the records Kafka keeps."""

    topic: str
    owners: tuple[str, ...]  # "subscription pensions.stop", "source adapter council-badges"
    present: int | None  # None until first read from Kafka


@dataclass(frozen=True, slots=True)
class AdapterStatus:
    """A source adapter: whether its legacy system answers and what it read from it."""

    name: str
    legacy_up: bool | None  # None until the adapter first tried to reach it
    last_success: datetime | None
    read: int
    published: int
    rejected: int
    last_record: datetime | None = None  # a read that found records; None: none since start


@dataclass(frozen=True, slots=True)
class LastEvent:
    """The CloudEvents attributes of the last event a source sent; never the event's data."""

    source: str
    type: str
    id: str
    time: datetime | None
    received_at: datetime
    subscription: str


@dataclass(frozen=True, slots=True)
class StatusSnapshot:
    """Everything the status page shows, read at ``generated_at``."""

    service: str
    generated_at: datetime
    conditions: tuple[Condition, ...]
    subscriptions: tuple[SubscriptionStatus, ...] = ()
    published: tuple[PublishedStatus, ...] = ()
    lag: tuple[LagStatus, ...] = ()
    dead_letters: tuple[DeadLetterStatus, ...] = ()
    dlq_write_failures: Mapping[str, int] = field(default_factory=dict)
    dead_letter_topics: tuple[DeadLetterTopicStatus, ...] = ()
    adapters: tuple[AdapterStatus, ...] = ()
    last_events: tuple[LastEvent, ...] = ()

    @property
    def ready(self) -> bool:
        return all(condition.ready for condition in self.conditions)


class RateWindow:
    """Per-key rates of monotonically growing counts over the last ``window_s`` seconds.

    ``add(totals)`` records the counts at one instant; ``rates(totals)`` compares the given
    current counts with the oldest recorded sample still inside the window. A key absent from
    that sample counted 0 then (a labelled counter exists from its first increment). A rate
    needs a sample at least ``min_elapsed_s`` old; until then it is ``None``.
    """

    def __init__(
        self,
        *,
        window_s: float = RATE_WINDOW_S,
        min_elapsed_s: float = 0.5,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._window_s = window_s
        self._min_elapsed_s = min_elapsed_s
        self._clock = clock
        self._samples: deque[tuple[float, dict[Hashable, float]]] = deque()

    def add(self, totals: Mapping[Hashable, float]) -> None:
        now = self._clock()
        self._samples.append((now, dict(totals)))
        # Keep one sample at or before the window's start, so the full minute stays covered.
        while len(self._samples) > 1 and self._samples[1][0] <= now - self._window_s:
            self._samples.popleft()

    def rates(self, totals: Mapping[Hashable, float]) -> dict[Hashable, float | None]:
        now = self._clock()
        base = next(
            (s for s in self._samples if s[0] >= now - self._window_s),
            self._samples[-1] if self._samples else None,
        )
        if base is None or now - base[0] < self._min_elapsed_s:
            return dict.fromkeys(totals)
        elapsed = now - base[0]
        return {
            key: max(0.0, value - base[1].get(key, 0.0)) / elapsed for key, value in totals.items()
        }


class LastEvents:
    """The last event per CloudEvents source, for at most ``capacity`` sources.

    Sources come from the records read, so the number kept is bounded: the source heard from
    least recently is forgotten first. Attributes are cut to ``MAX_ATTRIBUTE_CHARS``.
    """

    def __init__(self, capacity: int = MAX_SOURCES_SHOWN) -> None:
        self._capacity = capacity
        # Called for every handled event, so it keeps what it was given and the page, which is
        # read rarely, builds the rows.
        self._events: OrderedDict[str, tuple[Envelope, str, float]] = OrderedDict()

    def record(self, envelope: Envelope, *, subscription: str) -> None:
        source = envelope.source[:MAX_ATTRIBUTE_CHARS]
        self._events[source] = (envelope, subscription, time.time())
        self._events.move_to_end(source)
        if len(self._events) > self._capacity:
            self._events.popitem(last=False)

    def latest_first(self) -> tuple[LastEvent, ...]:
        return tuple(
            LastEvent(
                source=source,
                type=envelope.type[:MAX_ATTRIBUTE_CHARS],
                id=envelope.id[:MAX_ATTRIBUTE_CHARS],
                time=envelope.time,
                received_at=datetime.fromtimestamp(received_at, UTC),
                subscription=subscription,
            )
            for source, (envelope, subscription, received_at) in reversed(self._events.items())
        )


@dataclass(frozen=True, slots=True)
class Watched:
    """The parts of a service whose series the collector reads."""

    subscriptions: Sequence[tuple[str, str, Sequence[str]]]  # (name, group, topics)
    adapters: Sequence[str] = ()
    topic_for: Callable[[str, str], str | None] = lambda event_type, version: None
    # (dead-letter topic, whose: "subscription <name>" or "source adapter <name>")
    dead_letter_topics: Sequence[tuple[str, str]] = ()


class StatusCollector:
    """Builds :class:`StatusSnapshot` s of one service named ``service``.

    ``sample()`` records the counters that rates are computed from; ``sample_every()`` does so
    in a loop until cancelled, and the service runs it for as long as it runs.
    """

    def __init__(
        self,
        service: str,
        watched: Watched,
        *,
        readiness: Readiness,
        last_events: LastEvents,
        registry: CollectorRegistry = REGISTRY,
        window: RateWindow | None = None,
    ) -> None:
        self.service = service
        self._watched = watched
        self._readiness = readiness
        self._last_events = last_events
        self._registry = registry
        self._window = window or RateWindow()
        self._subscribers = {name for name, _, _ in watched.subscriptions}
        self._groups = {group for _, group, _ in watched.subscriptions}

    def sample(self) -> None:
        self._window.add(self._totals(self._read()))

    async def sample_every(self, interval_s: float) -> None:
        while True:
            self.sample()
            await asyncio.sleep(interval_s)

    def snapshot(self) -> StatusSnapshot:
        """The state now; reads the registry once."""
        series = self._read()
        rates = self._window.rates(self._totals(series))
        return StatusSnapshot(
            service=self.service,
            generated_at=datetime.now(UTC),
            conditions=tuple(self._readiness.conditions()),
            subscriptions=self._subscriptions(series, rates),
            published=self._published(series, rates),
            lag=tuple(
                LagStatus(labels["group"], labels["topic"], int(value))
                for labels, value in series.get("govbus_consumer_lag", [])
                if labels.get("group") in self._groups
            ),
            dead_letters=tuple(
                DeadLetterStatus(
                    labels["subscriber"],
                    labels["event_type"],
                    labels["version"],
                    labels["stage"],
                    int(value),
                )
                for labels, value in series.get("govbus_events_dead_lettered_total", [])
                if labels.get("subscriber") in self._subscribers
            ),
            dlq_write_failures={
                labels["subscriber"]: int(value)
                for labels, value in series.get("govbus_dlq_write_failures_total", [])
                if labels.get("subscriber") in self._subscribers
            },
            dead_letter_topics=self._dead_letter_topics(series),
            adapters=tuple(self._adapter(name, series) for name in self._watched.adapters),
            last_events=self._last_events.latest_first(),
        )

    def _read(self) -> dict[str, list[tuple[dict[str, str], float]]]:
        """Every govbus sample in the registry, by sample name."""
        series: dict[str, list[tuple[dict[str, str], float]]] = {}
        for family in self._registry.collect():
            if not family.name.startswith("govbus_"):
                continue
            for sample in family.samples:
                series.setdefault(sample.name, []).append((sample.labels, sample.value))
        return series

    def _totals(
        self, series: dict[str, list[tuple[dict[str, str], float]]]
    ) -> dict[Hashable, float]:
        totals: dict[Hashable, float] = {}
        for labels, value in series.get("govbus_events_consumed_total", []):
            if labels.get("subscriber") in self._subscribers and labels["outcome"] == "handled":
                key = ("handled", labels["subscriber"])
                totals[key] = totals.get(key, 0.0) + value
        for labels, value in series.get("govbus_events_published_total", []):
            if labels.get("publisher") == self.service:
                totals[("published", labels["event_type"], labels["version"])] = value
        return totals

    def _subscriptions(
        self,
        series: dict[str, list[tuple[dict[str, str], float]]],
        rates: dict[Hashable, float | None],
    ) -> tuple[SubscriptionStatus, ...]:
        counts: dict[tuple[str, str], float] = {}
        for labels, value in series.get("govbus_events_consumed_total", []):
            key = (labels.get("subscriber", ""), labels.get("outcome", ""))
            counts[key] = counts.get(key, 0.0) + value
        for labels, value in series.get("govbus_events_failed_total", []):
            key = (labels.get("subscriber", ""), "failed")
            counts[key] = counts.get(key, 0.0) + value
        return tuple(
            SubscriptionStatus(
                name=name,
                group=group,
                topics=tuple(topics),
                handled=int(counts.get((name, "handled"), 0)),
                duplicates=int(counts.get((name, "duplicate"), 0)),
                dead_lettered=int(counts.get((name, "dead_lettered"), 0)),
                failed_attempts=int(counts.get((name, "failed"), 0)),
                handled_per_s=rates.get(("handled", name)),
            )
            for name, group, topics in self._watched.subscriptions
        )

    def _published(
        self,
        series: dict[str, list[tuple[dict[str, str], float]]],
        rates: dict[Hashable, float | None],
    ) -> tuple[PublishedStatus, ...]:
        failures = {
            (labels["event_type"], labels["version"]): value
            for labels, value in series.get("govbus_publish_failures_total", [])
            if labels.get("publisher") == self.service
        }
        published = {
            (labels["event_type"], labels["version"]): value
            for labels, value in series.get("govbus_events_published_total", [])
            if labels.get("publisher") == self.service
        }
        return tuple(
            PublishedStatus(
                event_type=event_type,
                version=version,
                topic=self._watched.topic_for(event_type, version),
                published=int(published.get((event_type, version), 0)),
                failures=int(failures.get((event_type, version), 0)),
                per_s=rates.get(("published", event_type, version)),
            )
            for event_type, version in sorted(published.keys() | failures.keys())
        )

    def _dead_letter_topics(
        self, series: dict[str, list[tuple[dict[str, str], float]]]
    ) -> tuple[DeadLetterTopicStatus, ...]:
        present = {
            labels.get("topic"): int(value)
            for labels, value in series.get("govbus_dead_letters_present", [])
        }
        owners: dict[str, list[str]] = {}
        for topic, owner in self._watched.dead_letter_topics:
            owners.setdefault(topic, []).append(owner)
        return tuple(
            DeadLetterTopicStatus(topic, tuple(whose), present.get(topic))
            for topic, whose in owners.items()
        )

    def _adapter(
        self, name: str, series: dict[str, list[tuple[dict[str, str], float]]]
    ) -> AdapterStatus:
        def value(sample: str) -> float | None:
            found = [v for labels, v in series.get(sample, []) if labels.get("adapter") == name]
            return found[0] if found else None

        up = value("govbus_adapter_legacy_system_up")
        last = value("govbus_adapter_last_success_timestamp_seconds")
        last_record = value("govbus_source_last_record_timestamp_seconds")
        return AdapterStatus(
            name=name,
            legacy_up=None if up is None else up >= 1,
            last_success=datetime.fromtimestamp(last, UTC) if last else None,
            read=int(value("govbus_adapter_records_read_total") or 0),
            published=int(value("govbus_adapter_records_published_total") or 0),
            rejected=int(value("govbus_adapter_records_rejected_total") or 0),
            last_record=datetime.fromtimestamp(last_record, UTC) if last_record else None,
        )
