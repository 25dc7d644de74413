"""The status snapshot: rates over a rolling minute, last events, and the service's own series."""

from __future__ import annotations

from datetime import UTC, datetime

from prometheus_client import CollectorRegistry, Counter, Gauge

from bus.messaging.envelope import Envelope
from bus.observability.health import Readiness
from bus.observability.status import LastEvents, RateWindow, StatusCollector, Watched


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_rate_is_the_growth_since_the_oldest_sample_in_the_last_minute() -> None:
    """Counts sampled 10 s apart give the per-second growth; older samples drop out."""
    clock = Clock()
    window = RateWindow(window_s=60, clock=clock)
    window.add({"a": 0})
    clock.now += 10
    assert window.rates({"a": 50}) == {"a": 5.0}
    for _ in range(12):  # two minutes, sampled every 10 s, of one event per second
        clock.now += 10
        window.add({"a": clock.now - 1000})
    clock.now += 10
    # Then a burst of 600 in the last 10 s: the minute saw 60 steady events plus the burst.
    assert window.rates({"a": clock.now - 1000 + 600}) == {"a": (60 + 600) / 60}


def test_a_rate_is_unknown_until_time_has_passed() -> None:
    """With no earlier sample a rate is None rather than a made-up number."""
    clock = Clock()
    window = RateWindow(clock=clock)
    assert window.rates({"a": 3}) == {"a": None}
    window.add({"a": 3})
    assert window.rates({"a": 3}) == {"a": None}


def test_a_key_new_since_the_base_sample_counted_from_zero() -> None:
    """A labelled counter created after the base sample started at 0."""
    clock = Clock()
    window = RateWindow(clock=clock)
    window.add({})
    clock.now += 4
    assert window.rates({"b": 2}) == {"b": 0.5}


def _envelope(source: str, number: int) -> Envelope:
    return Envelope(
        id=f"id-{number}", source=source, type="uk.gov.gro.death-registered.v1",
        time=datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC), data=b'{"secret": "AB123456C"}',
    )  # fmt: skip


def test_last_events_keep_one_per_source_and_a_bounded_number_of_sources() -> None:
    """The newest event per source is kept; the source heard from least recently goes first."""
    events = LastEvents(capacity=2)
    events.record(_envelope("urn:a", 1), subscription="s")
    events.record(_envelope("urn:b", 2), subscription="s")
    events.record(_envelope("urn:a", 3), subscription="s")
    events.record(_envelope("urn:c", 4), subscription="s")
    assert [(e.source, e.id) for e in events.latest_first()] == [
        ("urn:c", "id-4"),
        ("urn:a", "id-3"),
    ]


def test_last_events_cut_long_attributes() -> None:
    """An oversized ce_source from a record cannot fill the page."""
    events = LastEvents()
    events.record(_envelope("urn:" + "x" * 10_000, 1), subscription="s")
    (event,) = events.latest_first()
    assert len(event.source) == 200


def test_the_snapshot_reads_only_this_services_series() -> None:
    """Counters of other subscribers, groups and publishers in the registry are left out."""
    registry = CollectorRegistry()
    consumed = Counter(
        "govbus_events_consumed_total", "c", ["event_type", "version", "subscriber", "outcome"],
        registry=registry,
    )  # fmt: skip
    dead = Counter(
        "govbus_events_dead_lettered_total", "d", ["event_type", "version", "subscriber", "stage"],
        registry=registry,
    )  # fmt: skip
    lag = Gauge("govbus_consumer_lag", "l", ["group", "topic"], registry=registry)
    up = Gauge("govbus_adapter_legacy_system_up", "u", ["adapter"], registry=registry)
    published = Counter(
        "govbus_events_published_total", "p", ["event_type", "version", "publisher"],
        registry=registry,
    )  # fmt: skip
    consumed.labels("t", "1", "mine", "handled").inc(3)
    consumed.labels("t", "2", "mine", "handled").inc(2)
    consumed.labels("t", "1", "theirs", "handled").inc(7)
    dead.labels("t", "1", "mine", "decode").inc()
    dead.labels("t", "1", "theirs", "handler").inc()
    lag.labels("mine-group", "topic-a").set(4)
    lag.labels("their-group", "topic-a").set(9)
    up.labels("registrar").set(0)
    published.labels("t", "1", "svc").inc(5)
    published.labels("t", "1", "other").inc(6)
    collector = StatusCollector(
        "svc",
        Watched(
            subscriptions=[("mine", "mine-group", ["topic-a"])], adapters=["registrar", "files"],
            topic_for=lambda event_type, version: f"{event_type}.v{version}",
        ),
        readiness=Readiness(), last_events=LastEvents(), registry=registry,
    )  # fmt: skip
    snapshot = collector.snapshot()
    (subscription,) = snapshot.subscriptions
    assert (subscription.name, subscription.handled, subscription.dead_lettered) == ("mine", 5, 0)
    assert [(d.subscriber, d.stage, d.count) for d in snapshot.dead_letters] == [
        ("mine", "decode", 1)
    ]
    assert [(x.group, x.lag) for x in snapshot.lag] == [("mine-group", 4)]
    assert [(p.topic, p.published) for p in snapshot.published] == [("t.v1", 5)]
    registrar, files = snapshot.adapters
    assert (registrar.legacy_up, files.legacy_up) == (False, None)


def test_dead_letter_topics_show_what_kafka_keeps_not_what_this_process_wrote() -> None:
    """Counts come from the gauge read off Kafka, per topic, with every owner listed."""
    registry = CollectorRegistry()
    present = Gauge("govbus_dead_letters_present", "p", ["topic"], registry=registry)
    present.labels("a.v1.dlq").set(49)
    present.labels("someone-elses.v1.dlq").set(7)
    collector = StatusCollector(
        "svc",
        Watched(
            subscriptions=[("mine", "mine", ["a.v1"])],
            dead_letter_topics=[
                ("a.v1.dlq", "subscription mine"),
                ("a.v1.dlq", "subscription other"),
                ("govbus.adapter.inbox.dlq", "source adapter inbox"),
            ],
        ),
        readiness=Readiness(), last_events=LastEvents(), registry=registry,
    )  # fmt: skip
    topics = collector.snapshot().dead_letter_topics
    assert [(t.topic, t.owners, t.present) for t in topics] == [
        ("a.v1.dlq", ("subscription mine", "subscription other"), 49),
        ("govbus.adapter.inbox.dlq", ("source adapter inbox",), None),
    ]


def test_an_adapters_last_record_is_read_apart_from_its_last_successful_poll() -> None:
    """A source that polls but found nothing has a last success and no last record."""
    registry = CollectorRegistry()
    success = Gauge("govbus_adapter_last_success_timestamp_seconds", "s", ["adapter"],
                    registry=registry)  # fmt: skip
    record = Gauge("govbus_source_last_record_timestamp_seconds", "r", ["adapter"],
                   registry=registry)  # fmt: skip
    success.labels("inbox").set(1_764_072_000)
    record.labels("inbox")  # declared by the runner at start: 0 until a read returns records
    success.labels("registrar").set(1_764_072_000)
    record.labels("registrar").set(1_763_985_600)
    collector = StatusCollector(
        "svc", Watched(subscriptions=[], adapters=["inbox", "registrar"]),
        readiness=Readiness(), last_events=LastEvents(), registry=registry,
    )  # fmt: skip
    inbox, registrar = collector.snapshot().adapters
    assert inbox.last_success == datetime(2025, 11, 25, 12, tzinfo=UTC)
    assert inbox.last_record is None
    assert registrar.last_record == datetime(2025, 11, 24, 12, tzinfo=UTC)
