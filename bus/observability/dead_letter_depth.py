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

import asyncio
import contextlib
import logging
from collections.abc import Collection, Mapping
from typing import Any

from prometheus_client import Gauge

from bus.foundation.lifecycle import StartStop
from bus.foundation.metrics import DEAD_LETTERS_PRESENT
from bus.observability.lag import LagProbe

log = logging.getLogger(__name__)


class DeadLetterDepth(StartStop):
    """Keeps ``govbus_dead_letters_present{topic}`` up to date for a fixed set of topics.

    Lifecycle, as :class:`bus.observability.lag.LagMonitor`:

    1. ``start()`` once, from a running event loop: it returns at once and a background task
       measures now and then every ``interval_s`` seconds.
    2. A measurement that fails (Kafka unreachable) is logged as a warning and retried at the
       next interval; the gauge keeps its last values meanwhile.
    3. ``stop()`` cancels the task, closes the clients and removes the series it set, so a
       stopped process leaves no stale number behind. It may be called any number of times.

    The labels are the topics given, which the deployment bounds.
    """

    def __init__(
        self,
        options: Mapping[str, Any],
        topics: Collection[str],
        *,
        interval_s: float = 15.0,
        gauge: Gauge = DEAD_LETTERS_PRESENT,
    ) -> None:
        if interval_s <= 0:
            raise ValueError(f"interval_s must be positive, not {interval_s}")
        self._probe = LagProbe(options)
        self._topics = tuple(sorted(set(topics)))
        self._interval_s = interval_s
        self._gauge = gauge
        self._task: asyncio.Task[None] | None = None
        self._measured = asyncio.Event()

    async def start(self) -> None:
        """Start measuring in the background (nothing to measure: nothing is started)."""
        if self._task is not None:
            raise RuntimeError("a DeadLetterDepth can be started only once")
        if self._topics:
            self._task = asyncio.create_task(self._run(), name="govbus-dead-letter-depth")

    async def stop(self) -> None:
        """Stop measuring, close the clients and remove the series of these topics."""
        task = self._task
        if task is not None and not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self._probe.stop()
        if self._measured.is_set():
            for topic in self._topics:
                with contextlib.suppress(KeyError):
                    self._gauge.remove(topic)

    async def measured(self) -> None:
        """Wait until the gauge holds at least one successful measurement."""
        await self._measured.wait()

    async def _run(self) -> None:
        started = False
        while True:
            try:
                if not started:
                    await self._probe.start()
                    started = True
                present = await self._probe.records_present(self._topics)
                for topic, count in present.items():
                    self._gauge.labels(topic=topic).set(count)
                self._measured.set()
            except Exception as exc:  # any failure is retried at the next tick
                log.warning("dead letters on %s not counted: %s", ", ".join(self._topics), exc)
            await asyncio.sleep(self._interval_s)
