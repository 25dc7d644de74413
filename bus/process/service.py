"""A govbus service: typed subscriptions, a publisher, and what operators need, in one process.

::

    service = Service("dwp-pensions", settings=Settings())

    @service.subscribe(DeathRegisteredV2)
    async def stop_pension(event: DeathRegisteredV2, delivery: Delivery) -> None:
        await pensions.stop_payments(event.deceased.nino, from_date=event.death.date)

    asyncio.run(service.run())

``run()`` connects to Kafka and does for operators what every govbus process does
(``bus.observability.operations``): it creates the topics the process needs before it consumes
(with ``GOVBUS_CREATE_TOPICS=false``, or without the rights, it names the missing ones on
``/readyz`` instead), serves ``/metrics``, ``/healthz``, ``/readyz`` (ready once the topics exist
and every subscription has partitions) and an HTML status page at ``/``, and keeps consumer lag
and the number of dead letters kept on its dead-letter topics up to date. It runs until
``stop()`` is called or the process receives SIGTERM or SIGINT; then each subscriber finishes
the record in hand and commits. A subscriber that stops with a fatal error (a lost dead letter)
stops the service, and ``run()`` raises that error.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any, TypeVar

from aiokafka import AIOKafkaProducer

from bus.adapter_runtime.offsets import OffsetStore
from bus.adapter_runtime.sink import Sink, run_sink, sink_subscription
from bus.adapter_runtime.source import Source
from bus.adapter_runtime.source_runner import SourceRunner
from bus.broker.client import client_options, resolve_bootstrap
from bus.foundation.settings import Settings
from bus.messaging.codec import Codec
from bus.messaging.publisher import SAFE_PRODUCER, Publisher
from bus.messaging.subscriber import Delivery, Handler, RetryPolicy, Subscriber, Subscription
from bus.messaging.topic_names import TopicNames
from bus.observability.health import Readiness
from bus.observability.operations import Operations, SourceAdapter, Subscribed
from bus.observability.status import LastEvents
from contracts import Event

E = TypeVar("E", bound=Event)


@dataclass(frozen=True, slots=True)
class _SourceEntry:
    name: str
    source: Source
    source_uri: str
    poll_interval_s: float
    contract: type[Event] | None


class Service:
    """One long-running govbus process, named ``name`` in metrics and consumer groups."""

    def __init__(
        self,
        name: str,
        *,
        settings: Settings,
        source: str | None = None,
        lag_interval_s: float = 15.0,
    ) -> None:
        self.name = name
        self.settings = settings
        self.codec = Codec(
            source=source or f"urn:govbus:{name}", topic_prefix=settings.topic_prefix
        )
        self.names = TopicNames(settings.topic_prefix)
        self.readiness = Readiness()
        self.publisher: Publisher | None = None
        self.health_port: int | None = None
        self._subscriptions: list[Subscription[Any]] = []
        self._sources: list[_SourceEntry] = []
        self._sinks: dict[str, Sink] = {}  # by subscription name
        self._runners: list[SourceRunner] = []
        self._lag_interval_s = lag_interval_s
        self._last_events = LastEvents()
        self._stop = asyncio.Event()
        self._started = asyncio.Event()

    def subscribe(
        self, contract: type[E], *, name: str | None = None, retry: RetryPolicy | None = None
    ) -> Callable[[Handler[E]], Handler[E]]:
        """Register the decorated handler for ``contract``; older versions arrive upcast."""

        def register(handler: Handler[E]) -> Handler[E]:
            self.add(
                Subscription(
                    name=name or f"{self.name}.{getattr(handler, '__name__', 'handler')}",
                    contract=contract,
                    handler=handler,
                    retry=retry or RetryPolicy(),
                )
            )
            return handler

        return register

    def add(self, subscription: Subscription[Any]) -> None:
        """Register a subscription before ``run()``."""
        if self._started.is_set():
            raise RuntimeError("subscriptions are added before the service runs")
        self._subscriptions.append(subscription)

    def add_source(
        self,
        name: str,
        source: Source,
        *,
        source_uri: str | None = None,
        poll_interval_s: float = 1.0,
        contract: type[Event] | None = None,
    ) -> None:
        """Run a source adapter named ``name``; its events carry ``source_uri`` as ce_source.

        ``contract``, the version it publishes, lets ``run()`` create its topic beforehand.
        """
        if self._started.is_set():
            raise RuntimeError("sources are added before the service runs")
        uri = source_uri or f"urn:govbus:{self.name}:{name}"
        self._sources.append(_SourceEntry(name, source, uri, poll_interval_s, contract))

    def add_sink(
        self, name: str, sink: Sink, contract: type[Event], *, retry: RetryPolicy | None = None
    ) -> None:
        """Deliver every event of ``contract`` (older versions upcast) into ``sink``."""
        self.add(sink_subscription(sink, contract, name=name, retry=retry or RetryPolicy()))
        self._sinks[name] = sink

    def stop(self) -> None:
        """Ask ``run()`` to finish in-hand records, commit and return."""
        self._stop.set()

    async def started(self) -> None:
        """Wait until ``run()`` has its health server, publisher and subscribers running."""
        await self._started.wait()

    async def run(self) -> None:
        """Run until stopped; see the module docstring for what that covers."""
        bootstrap = resolve_bootstrap(self.settings)
        options = client_options(self.settings, bootstrap)
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.add_signal_handler(signum, self.stop)
        operations = Operations(
            self.name, settings=self.settings, codec=self.codec, bootstrap=bootstrap,
            client_options=options,
            subscriptions=[Subscribed(s.name, s.group, s.contract) for s in self._subscriptions],
            sources=[SourceAdapter(entry.name, entry.contract) for entry in self._sources],
            readiness=self.readiness, last_events=self._last_events,
            lag_interval_s=self._lag_interval_s,
        )  # fmt: skip
        subscribers = [
            self._subscriber(sub, bootstrap, options, operations.subscription_ready(sub.name))
            for sub in self._subscriptions
        ]
        tasks: list[asyncio.Task[None]] = []
        offsets: OffsetStore | None = None
        dead_letters: AIOKafkaProducer | None = None
        try:
            self.health_port = await operations.serve()
            await operations.provide_topics()
            self.publisher = Publisher(
                bootstrap=bootstrap, codec=self.codec, name=self.name, client_options=options
            )
            await self.publisher.start()
            if self._sources:
                offsets = OffsetStore(options, topic=self.names.source_offsets())
                await offsets.start()
                dead_letters = AIOKafkaProducer(**options, **SAFE_PRODUCER)
                await dead_letters.start()
            tasks = [
                asyncio.create_task(self._run_subscriber(s), name=s.subscription.name)
                for s in subscribers
            ]
            runners = [
                self._runner(entry, offsets, dead_letters)
                for entry in self._sources
                if offsets is not None and dead_letters is not None
            ]
            tasks += [asyncio.create_task(self._run_source(r), name=r.adapter) for r in runners]
            await operations.connected()
            self._started.set()
            stop = asyncio.create_task(self._stop.wait())
            await asyncio.wait([stop, *tasks], return_when=asyncio.FIRST_COMPLETED)
            stop.cancel()
        finally:
            for subscriber in subscribers:
                subscriber.stop()
            for runner in self._runners:
                runner.stop()
            outcomes = await asyncio.gather(*tasks, return_exceptions=True)
            for sink in self._sinks.values():
                with contextlib.suppress(Exception):
                    await sink.close()
            if dead_letters is not None:
                with contextlib.suppress(Exception):
                    await dead_letters.stop()
            if offsets is not None:
                with contextlib.suppress(Exception):
                    await offsets.close()
            if self.publisher is not None:
                await self.publisher.close()
            await operations.stop()
            for signum in (signal.SIGTERM, signal.SIGINT):
                with contextlib.suppress(NotImplementedError, RuntimeError):
                    loop.remove_signal_handler(signum)
        for outcome in outcomes:
            if isinstance(outcome, BaseException):
                raise outcome

    def _runner(
        self, entry: _SourceEntry, offsets: OffsetStore, dead_letters: AIOKafkaProducer
    ) -> SourceRunner:
        assert self.publisher is not None  # noqa: S101 - started before the runners
        runner = SourceRunner(
            entry.name, entry.source,
            codec=Codec(source=entry.source_uri, topic_prefix=self.settings.topic_prefix),
            publisher=self.publisher, offsets=offsets, dead_letters=dead_letters,
            poll_interval_s=entry.poll_interval_s,
        )  # fmt: skip
        self._runners.append(runner)
        return runner

    async def _run_subscriber(self, subscriber: Subscriber[Any]) -> None:
        """Run a subscriber; a sink's legacy system is opened first, retried while it is down."""
        sink = self._sinks.get(subscriber.subscription.name)
        if sink is None:
            await subscriber.run()
        else:
            await run_sink(sink, subscriber, stopping=self._stop)

    async def _run_source(self, runner: SourceRunner) -> None:
        """Run one source; a finite source that ends leaves the rest of the service running."""
        await runner.run()
        await self._stop.wait()

    def _subscriber(
        self,
        subscription: Subscription[Any],
        bootstrap: str,
        options: dict[str, Any],
        on_ready: Callable[[bool, str], None],
    ) -> Subscriber[Any]:
        handler, last_events = subscription.handler, self._last_events

        async def noted(event: Any, delivery: Delivery) -> None:
            # Only the attributes are kept, for the status page; the event is passed on as is.
            last_events.record(delivery.envelope, subscription=subscription.name)
            await handler(event, delivery)

        return Subscriber(
            replace(subscription, handler=noted), bootstrap=bootstrap, codec=self.codec,
            client_options=options, on_ready=on_ready,
        )  # fmt: skip
