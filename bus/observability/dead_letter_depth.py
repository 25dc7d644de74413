"""How many dead letters wait on a service's dead-letter topics, read from Kafka itself.

A process's counters start at zero on every restart, while its dead letters stay on Kafka until
retention removes them. So the number an operator acts on comes from the topics: for each
dead-letter topic the service writes to (``<topic>.dlq`` per subscribed topic,
``govbus.adapter.<adapter>.dlq`` per source adapter), the records Kafka keeps, the end offset
minus the beginning offset summed over its partitions. Replayed dead letters stay on the topic
(Kafka topics are append-only) and are still counted: the number says what is kept, and
``govbus dlq list`` says which of them were replayed.
"""

from __future__ import annotations

import contextlib
from collections.abc import Collection, Mapping
from typing import Any

from prometheus_client import Gauge

from bus.foundation.metrics import DEAD_LETTERS_PRESENT
from bus.observability.lag import LagProbe, PeriodicProbe


class DeadLetterDepth(PeriodicProbe):
    """Keeps ``govbus_dead_letters_present{topic}`` up to date for a fixed set of topics.

    A ``PeriodicProbe`` (:class:`bus.observability.lag.PeriodicProbe`); with no topics it
    starts nothing. The labels are the topics given, which the deployment bounds.
    """

    def __init__(
        self,
        options: Mapping[str, Any],
        topics: Collection[str],
        *,
        interval_s: float = 15.0,
        gauge: Gauge = DEAD_LETTERS_PRESENT,
    ) -> None:
        self._topics = tuple(sorted(set(topics)))
        what = f"dead letters on {', '.join(self._topics)}"
        super().__init__(options, interval_s=interval_s, what=what)
        self._gauge = gauge

    def _has_work(self) -> bool:
        return bool(self._topics)

    async def _measure(self, probe: LagProbe) -> None:
        for topic, count in (await probe.records_present(self._topics)).items():
            self._gauge.labels(topic=topic).set(count)

    def _forget(self) -> None:
        if self._measured.is_set():
            for topic in self._topics:
                with contextlib.suppress(KeyError):
                    self._gauge.remove(topic)
