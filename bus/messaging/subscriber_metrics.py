"""The metrics of one subscription, shared by every consumer that runs one (govbus's own
subscriber and the FastStream integration), so both count and log a record the same way.

Per published version the metric children are looked up once: they are on the per-record path.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from prometheus_client import Counter, Histogram

from bus.foundation import metrics
from bus.messaging.dead_letter import Failure
from bus.messaging.envelope import Envelope

log = logging.getLogger("bus.messaging.subscriber")


@dataclass(frozen=True, slots=True)
class VersionMeters:
    """Metric children of one subscriber for one published version."""

    handled: Counter
    duplicate: Counter
    failed: Counter
    handler_seconds: Histogram
    publish_to_handle_seconds: Histogram

    def succeeded(self, envelope: Envelope, started: float) -> None:
        """A handler that began at ``perf_counter()`` ``started`` returned for ``envelope``."""
        self.handler_seconds.observe(time.perf_counter() - started)
        if envelope.time is not None:
            age = (datetime.now(UTC) - envelope.time).total_seconds()
            self.publish_to_handle_seconds.observe(max(age, 0.0))
        self.handled.inc()

    def raised(self, started: float) -> None:
        """A handler that began at ``perf_counter()`` ``started`` raised."""
        self.handler_seconds.observe(time.perf_counter() - started)
        self.failed.inc()


class SubscriberMeters:
    """Counts what subscription ``name`` of ``event_type`` did with each record."""

    def __init__(self, event_type: str, name: str) -> None:
        self._event_type = event_type
        self._name = name
        self._by_version: dict[int, VersionMeters] = {}

    def version(self, version: int) -> VersionMeters:
        """The metric children of events published as ``version``, looked up once."""
        meters = self._by_version.get(version)
        if meters is None:
            labels = (self._event_type, str(version), self._name)
            meters = self._by_version[version] = VersionMeters(
                handled=metrics.EVENTS_CONSUMED.labels(*labels, "handled"),
                duplicate=metrics.EVENTS_CONSUMED.labels(*labels, "duplicate"),
                failed=metrics.EVENTS_FAILED.labels(*labels),
                handler_seconds=metrics.HANDLER_SECONDS.labels(*labels),
                publish_to_handle_seconds=metrics.PUBLISH_TO_HANDLE_SECONDS.labels(*labels),
            )
        return meters

    def dead_lettered(self, record: Any, failure: Failure, version: str) -> None:
        """``record`` (published as ``version``, or ``unknown``) was dead-lettered: count, log."""
        labels = (self._event_type, version, self._name)
        metrics.EVENTS_DEAD_LETTERED.labels(*labels, failure.stage).inc()
        metrics.EVENTS_CONSUMED.labels(*labels, "dead_lettered").inc()
        log.warning(
            "dead-lettered %s[%d]@%d at stage %s: %s",
            record.topic, record.partition, record.offset, failure.stage, failure.error,
        )  # fmt: skip

    def dead_letter_lost(self) -> None:
        """A dead letter could not be written."""
        metrics.DLQ_WRITE_FAILURES.labels(self._name).inc()
