"""Every Prometheus metric govbus exports, declared in one place.

Names start with ``govbus_``. Labels are bounded: event type, version, the publishing component
(an adapter or service name), the subscriber, the consumer group, the topic and a small set of
outcomes and reasons. Never an event id, a key or a value.
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

_LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)

EVENTS_PUBLISHED = Counter(
    "govbus_events_published_total",
    "Events Kafka acknowledged, by contract and publishing component.",
    ["event_type", "version", "publisher"],
)
PUBLISH_FAILURES = Counter(
    "govbus_publish_failures_total",
    "Events whose publish failed after the producer's own retries.",
    ["event_type", "version", "publisher"],
)
PUBLISHES_IN_FLIGHT = Gauge(
    "govbus_publishes_in_flight",
    "Events handed to the producer and not yet acknowledged by Kafka.",
    ["publisher"],
)
EVENTS_CONSUMED = Counter(
    "govbus_events_consumed_total",
    "Records a subscriber finished with, by outcome (handled, duplicate, dead_lettered).",
    ["event_type", "version", "subscriber", "outcome"],
)
EVENTS_FAILED = Counter(
    "govbus_events_failed_total",
    "Handler attempts that raised (each retry counts).",
    ["event_type", "version", "subscriber"],
)
EVENTS_DEAD_LETTERED = Counter(
    "govbus_events_dead_lettered_total",
    "Records written to a dead-letter topic, by the stage that rejected them.",
    ["event_type", "version", "subscriber", "stage"],
)
DLQ_WRITE_FAILURES = Counter(
    "govbus_dlq_write_failures_total",
    "Dead-letter writes that failed; the subscriber stops without committing.",
    ["subscriber"],
)
PUBLISH_TO_HANDLE_SECONDS = Histogram(
    "govbus_publish_to_handle_seconds",
    "Time from the event's ce_time to the end of its successful handling.",
    ["event_type", "version", "subscriber"],
    buckets=_LATENCY_BUCKETS,
)
HANDLER_SECONDS = Histogram(
    "govbus_handler_duration_seconds",
    "Duration of one handler call, successful or not.",
    ["event_type", "version", "subscriber"],
    buckets=_LATENCY_BUCKETS,
)
CONSUMER_LAG = Gauge(
    "govbus_consumer_lag",
    "Records on the topic not yet committed by the group (sum over its assigned partitions).",
    ["group", "topic"],
)
DEAD_LETTERS_PRESENT = Gauge(
    "govbus_dead_letters_present",
    "Records kept on a dead-letter topic the process writes to (end minus beginning offset over "
    "its partitions), read from Kafka, so it survives restarts.",
    ["topic"],
)

ADAPTER_RECORDS_READ = Counter(
    "govbus_adapter_records_read_total",
    "Legacy records a source adapter read (published or rejected).",
    ["adapter"],
)
ADAPTER_RECORDS_PUBLISHED = Counter(
    "govbus_adapter_records_published_total",
    "Events a source adapter published and Kafka acknowledged.",
    ["adapter"],
)
ADAPTER_RECORDS_REJECTED = Counter(
    "govbus_adapter_records_rejected_total",
    "Legacy records a source adapter could not map, sent to its dead-letter topic.",
    ["adapter"],
)
ADAPTER_POLL_SECONDS = Histogram(
    "govbus_adapter_poll_duration_seconds",
    "Duration of one read of the legacy system by a source adapter.",
    ["adapter"],
    buckets=_LATENCY_BUCKETS,
)
ADAPTER_LAST_SUCCESS = Gauge(
    "govbus_adapter_last_success_timestamp_seconds",
    "Unix time of the adapter's last successful read or delivery.",
    ["adapter"],
)
ADAPTER_LEGACY_UP = Gauge(
    "govbus_adapter_legacy_system_up",
    "1 while the adapter's legacy system answers, 0 while it is unreachable.",
    ["adapter"],
)
ADAPTER_FORMULA_CELLS = Counter(
    "govbus_adapter_formula_cells_total",
    "Legacy records with a text field that starts like a spreadsheet formula, by what the "
    "source did with them (flagged: published; rejected: sent to its dead-letter topic).",
    ["adapter", "outcome"],
)
SOURCE_LAST_RECORD = Gauge(
    "govbus_source_last_record_timestamp_seconds",
    "Unix time a source adapter last read a record (published or rejected); unlike the last "
    "successful read, a poll that finds nothing (an empty drop folder) leaves it unchanged.",
    ["adapter"],
)
