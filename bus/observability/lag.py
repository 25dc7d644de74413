"""Consumer lag: how many records on a topic a consumer group has not committed yet.

The lag of one partition is its end offset minus the group's committed offset. A partition the
group never committed counts from its beginning offset (the oldest record still kept), and so
does one whose committed offset retention has already deleted past: records that no longer
exist are not waiting for anyone. The lag of a topic is the sum over its partitions.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Collection, Mapping
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from prometheus_client import Gauge

from bus.foundation.lifecycle import StartStop
from bus.foundation.metrics import CONSUMER_LAG

log = logging.getLogger(__name__)


class LagProbe(StartStop):
    """An admin client and an offsets-only consumer, started once and reused for many reads.

    ``start()`` once, then ``lag()`` any number of times (one call at a time), then ``stop()``;
    ``stop()`` is safe to call more than once and after a failed ``start()``. The probe joins no
    consumer group and commits nothing.
    """

    def __init__(self, options: Mapping[str, Any]) -> None:
        self._options = dict(options)
        self._admin: Any = None
        self._consumer: Any = None

    async def start(self) -> None:
        """Connect both clients; raises aiokafka's errors when Kafka does not answer."""
        try:
            self._admin = AIOKafkaAdminClient(**self._options)
            await self._admin.start()
            self._consumer = AIOKafkaConsumer(enable_auto_commit=False, **self._options)
            await self._consumer.start()
        except BaseException:
            await self.stop()
            raise

    async def stop(self) -> None:
        """Close both clients."""
        admin, consumer, self._admin, self._consumer = self._admin, self._consumer, None, None
        if consumer is not None:
            await consumer.stop()
        if admin is not None:
            await admin.close()

    async def lag(self, group: str, *, topics: Collection[str] | None = None) -> dict[str, int]:
        """Lag of ``group`` per topic.

        With ``topics``, every partition of each of them counts (a topic Kafka does not know is
        left out of the result). Without, the topics the group has committed offsets on.
        """
        if self._admin is None or self._consumer is None:
            raise RuntimeError("the lag probe has not been started")
        committed: dict[Any, Any] = await self._admin.list_consumer_group_offsets(group)
        wanted = sorted(set(topics) if topics is not None else {tp.topic for tp in committed})
        if not wanted:
            return {}
        partitions = await self._partitions(wanted)
        if not partitions:
            return {}
        ends = await self._consumer.end_offsets(partitions)
        beginnings = await self._consumer.beginning_offsets(partitions)
        result = dict.fromkeys(sorted({tp.topic for tp in partitions}), 0)
        for tp in partitions:
            entry = committed.get(tp)
            position = entry.offset if entry is not None and entry.offset >= 0 else 0
            position = max(position, beginnings[tp])
            result[tp.topic] += max(0, ends[tp] - position)
        return result

    async def records_present(self, topics: Collection[str]) -> dict[str, int]:
        """Records Kafka keeps on each of ``topics``: end minus beginning offset, summed.

        A topic Kafka does not know holds nothing yet and counts 0.
        """
        if self._admin is None or self._consumer is None:
            raise RuntimeError("the lag probe has not been started")
        result = dict.fromkeys(sorted(set(topics)), 0)
        partitions = await self._partitions(sorted(result)) if result else []
        if not partitions:
            return result
        ends = await self._consumer.end_offsets(partitions)
        beginnings = await self._consumer.beginning_offsets(partitions)
        for tp in partitions:
            result[tp.topic] += max(0, ends[tp] - beginnings[tp])
        return result

    async def _partitions(self, topics: list[str]) -> list[TopicPartition]:
        described = await self._admin.describe_topics(topics)
        return [
            TopicPartition(entry["topic"], partition["partition"])
            for entry in described
            if entry["error_code"] == 0  # unknown or deleted topics are left out
            for partition in entry["partitions"]
        ]


async def consumer_lag(
    options: Mapping[str, Any], group: str, *, topics: Collection[str] | None = None
) -> dict[str, int]:
    """Lag of ``group`` per topic, read once with short-lived clients built from ``options``.

    ``options`` are the keyword arguments of ``bus.broker.client.client_options``. For repeated
    reads use a ``LagProbe`` (or a ``LagMonitor``), which keeps its connections.
    """
    async with LagProbe(options) as probe:
        return await probe.lag(group, topics=topics)


class PeriodicProbe(StartStop):
    """Measures something off Kafka through a ``LagProbe``, in the background, into gauges.

    Lifecycle:

    1. ``start()`` once, from a running event loop: it returns at once and a background task
       measures now and then every ``interval_s`` seconds (``_measure``, by the subclass).
    2. A measurement that fails (Kafka unreachable, group coordinator moving) is logged as a
       warning naming ``what`` and retried at the next interval; the gauges keep their last
       values meanwhile.
    3. ``stop()`` cancels the task, waits for it, closes the clients and removes the series the
       subclass set (``_forget``), so a stopped process leaves no stale number behind. It may be
       called any number of times and is also what ``async with`` does on exit.
    """

    def __init__(self, options: Mapping[str, Any], *, interval_s: float, what: str) -> None:
        if interval_s <= 0:
            raise ValueError(f"interval_s must be positive, not {interval_s}")
        self._probe = LagProbe(options)
        self._interval_s = interval_s
        self._what = what
        self._started = False
        self._task: asyncio.Task[None] | None = None
        self._measured = asyncio.Event()

    async def _measure(self, probe: LagProbe) -> None:
        """Take one measurement and set the gauges."""
        raise NotImplementedError

    def _forget(self) -> None:
        """Remove the series this probe set."""
        raise NotImplementedError

    def _has_work(self) -> bool:
        """Whether there is anything to measure; without, ``start()`` starts nothing."""
        return True

    async def start(self) -> None:
        """Start measuring in the background."""
        if self._started:
            raise RuntimeError(f"a {type(self).__name__} can be started only once")
        self._started = True
        if self._has_work():
            self._task = asyncio.create_task(self._run(), name=f"govbus-{self._what}")

    async def stop(self) -> None:
        """Stop measuring, close the clients and remove the series this probe set."""
        task = self._task
        if task is not None and not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self._probe.stop()
        self._forget()

    async def measured(self) -> None:
        """Wait until the gauges hold at least one successful measurement."""
        await self._measured.wait()

    async def _run(self) -> None:
        started = False
        while True:
            try:
                if not started:
                    await self._probe.start()
                    started = True
                await self._measure(self._probe)
                self._measured.set()
            except Exception as exc:  # any failure is retried at the next tick
                log.warning("%s not measured: %s", self._what, exc)
            await asyncio.sleep(self._interval_s)


class LagMonitor(PeriodicProbe):
    """Keeps ``govbus_consumer_lag{group, topic}`` up to date for one consumer group.

    A ``PeriodicProbe``: topics that drop out of a measurement lose their series.
    """

    def __init__(
        self,
        options: Mapping[str, Any],
        group: str,
        *,
        topics: Collection[str] | None = None,
        interval_s: float = 15.0,
        gauge: Gauge = CONSUMER_LAG,
    ) -> None:
        super().__init__(options, interval_s=interval_s, what=f"consumer lag of group {group}")
        self._group = group
        self._topics = None if topics is None else tuple(topics)
        self._gauge = gauge
        self._reported: set[str] = set()

    async def _measure(self, probe: LagProbe) -> None:
        lag = await probe.lag(self._group, topics=self._topics)
        for topic in self._reported - lag.keys():
            self._gauge.remove(self._group, topic)
        for topic, value in lag.items():
            self._gauge.labels(group=self._group, topic=topic).set(value)
        self._reported = set(lag)

    def _forget(self) -> None:
        for topic in self._reported:
            self._gauge.remove(self._group, topic)
        self._reported.clear()
