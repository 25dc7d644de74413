"""What every long-running govbus process does for its operators, wired once for all of them.

A ``Service`` (``bus.process.service``) and a FastStream ``Govbus`` (``bus.faststream``) both
run one ``Operations``:

- readiness (``/readyz``): ``kafka`` until the process is connected, ``topics`` until the
  topics it needs exist, and ``subscriber:<name>`` per subscription until the group assigned it
  partitions (``subscriber_condition``);
- ``/metrics``, ``/healthz``, ``/readyz`` and the status page on ``GOVBUS_HEALTH_HOST`` and
  ``GOVBUS_HEALTH_PORT`` (``bus.observability.health``, ``status``, ``status_page``);
- the topics before traffic (``bus.observability.topic_plan``): created, unless
  ``GOVBUS_CREATE_TOPICS=false``, otherwise named on ``/readyz`` and checked again;
- consumer lag of each subscription's group and the dead letters kept on each dead-letter topic
  the process writes to, read from Kafka in the background (``lag``, ``dead_letter_depth``).

Lifecycle, from one running event loop:

1. ``serve()`` once: binds the health server and returns its port (``ListenError`` when the
   address is taken), and starts sampling the counters behind the status page's rates.
2. ``provide_topics()`` before the process consumes or publishes.
3. ``connected()`` once Kafka answers: readiness ``kafka`` turns ready and lag and dead-letter
   depth start being measured.
4. ``stop()`` once, also after a failure in any step above; it never raises.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from bus.foundation.settings import Settings
from bus.messaging.codec import Codec
from bus.messaging.subscriber import topics_for
from bus.messaging.topic_names import TopicNames
from bus.observability import topic_plan
from bus.observability.dead_letter_depth import DeadLetterDepth
from bus.observability.health import HealthServer, Readiness
from bus.observability.lag import LagMonitor
from bus.observability.status import LastEvents, StatusCollector, Watched
from bus.observability.status_page import render
from contracts import ContractError, Event

STATUS_SAMPLE_INTERVAL_S = 5.0
Report = Callable[[bool, str], None]


@dataclass(frozen=True, slots=True)
class Subscribed:
    """One subscription of a process: its name, consumer group and contract version."""

    name: str
    group: str
    contract: type[Event]


@dataclass(frozen=True, slots=True)
class SourceAdapter:
    """One source adapter of a process, and the contract it publishes when known."""

    name: str
    contract: type[Event] | None = None


def subscriber_condition(name: str) -> str:
    """The readiness condition of subscription ``name``."""
    return f"subscriber:{name}"


class Operations:
    """The operator's side of the process named ``name`` with ``subscriptions`` and
    ``sources``; see the module docstring for what it covers and in which order.

    ``readiness`` and ``last_events`` are the process's own: it reports its subscriptions'
    partitions through ``subscription_ready(name)`` and records what they handled.
    """

    def __init__(
        self,
        name: str,
        *,
        settings: Settings,
        codec: Codec,
        bootstrap: str,
        client_options: Mapping[str, Any],
        subscriptions: Sequence[Subscribed],
        sources: Sequence[SourceAdapter] = (),
        readiness: Readiness,
        last_events: LastEvents,
        lag_interval_s: float = 15.0,
    ) -> None:
        self.name = name
        self.readiness = readiness
        self.health_port: int | None = None
        self._settings = settings
        self._codec = codec
        self._bootstrap = bootstrap
        self._options = dict(client_options)
        self._subscriptions = list(subscriptions)
        self._sources = list(sources)
        names = TopicNames(settings.topic_prefix)
        topics = {s.name: topics_for(s.contract, codec) for s in self._subscriptions}
        self._dead_letter_topics = [
            (names.dead_letters(topic), f"subscription {s.name}")
            for s in self._subscriptions
            for topic in topics[s.name]
        ] + [
            (names.adapter_dead_letters(source.name), f"source adapter {source.name}")
            for source in self._sources
        ]
        self.status = StatusCollector(
            name,
            Watched(
                subscriptions=[(s.name, s.group, topics[s.name]) for s in self._subscriptions],
                adapters=[source.name for source in self._sources],
                topic_for=self._topic_for,
                dead_letter_topics=self._dead_letter_topics,
            ),
            readiness=readiness,
            last_events=last_events,
        )
        self._health = HealthServer(
            readiness, host=settings.health_host, port=settings.health_port,
            status_page=lambda: render(self.status.snapshot()),
        )  # fmt: skip
        self._monitors = [
            LagMonitor(self._options, s.group, topics=topics[s.name], interval_s=lag_interval_s)
            for s in self._subscriptions
        ]
        self._depth = DeadLetterDepth(
            self._options,
            [topic for topic, _ in self._dead_letter_topics],
            interval_s=lag_interval_s,
        )
        self._tasks: list[asyncio.Task[None]] = []
        readiness.set("kafka", ready=False, detail=f"connecting to {bootstrap}")
        for s in self._subscriptions:
            readiness.set(
                subscriber_condition(s.name), ready=False, detail="waiting for partitions"
            )

    def subscription_ready(self, name: str) -> Report:
        """The callback through which subscription ``name`` reports its partitions."""
        condition = subscriber_condition(name)

        def report(ready: bool, detail: str) -> None:
            self.readiness.set(condition, ready=ready, detail=detail)

        return report

    async def serve(self) -> int:
        """Serve the health server and status page; returns the bound port."""
        self.health_port = await self._health.start()
        self._tasks.append(asyncio.create_task(self.status.sample_every(STATUS_SAMPLE_INTERVAL_S)))
        return self.health_port

    async def provide_topics(self) -> None:
        """Create the topics the process needs before it consumes; while some are missing,
        readiness ``topics`` names them and a background task keeps checking."""
        wanted = topic_plan.wanted_topics(
            subscribed=[s.contract for s in self._subscriptions],
            sources=[(source.name, source.contract) for source in self._sources],
            codec=self._codec, settings=self._settings,
        )  # fmt: skip

        def report(ready: bool, detail: str) -> None:
            self.readiness.set("topics", ready=ready, detail=detail)

        provider = topic_plan.TopicProvider(
            wanted, bootstrap=self._bootstrap, options=self._options, settings=self._settings,
            report=report,
        )  # fmt: skip
        if not await provider.provide():
            self._tasks.append(asyncio.create_task(provider.recheck_until_present()))

    async def connected(self) -> None:
        """Kafka answers: readiness ``kafka`` turns ready and lag and dead letters are read."""
        self.readiness.set("kafka", ready=True, detail=self._bootstrap)
        for monitor in self._monitors:
            await monitor.start()
        await self._depth.start()

    async def stop(self) -> None:
        """Stop measuring and serving; safe after any failure and more than once."""
        for probe in [*self._monitors, self._depth]:
            with contextlib.suppress(Exception):
                await probe.stop()
        tasks, self._tasks = self._tasks, []
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await self._health.stop()

    def _topic_for(self, event_type: str, version: str) -> str | None:
        try:
            return self._codec.topic_for(self._codec.registry.get(event_type, int(version)))
        except (ContractError, ValueError):
            return None
