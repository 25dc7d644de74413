"""A govbus service: typed subscriptions, a publisher, and what operators need, in one process.

::

    service = Service("dwp-pensions", settings=Settings())

    @service.subscribe(DeathRegisteredV2)
    async def stop_pension(event: DeathRegisteredV2, delivery: Delivery) -> None:
        await pensions.stop_payments(event.deceased.nino, from_date=event.death.date)

    asyncio.run(service.run())

``run()`` connects to Kafka, serves ``/metrics``, ``/healthz`` and ``/readyz`` (ready once every
subscription has its partitions), keeps consumer lag up to date, and runs until ``stop()`` is
called or the process receives SIGTERM or SIGINT; then each subscriber finishes the record in
hand and commits. A subscriber that stops with a fatal error (a lost dead letter) stops the
service, and ``run()`` raises that error.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import Callable
from typing import Any, TypeVar

from bus.codec import Codec
from bus.health import HealthServer, Readiness
from bus.kafka_client import client_options, resolve_bootstrap
from bus.lag import LagMonitor
from bus.publisher import Publisher
from bus.settings import Settings
from bus.subscriber import Handler, RetryPolicy, Subscriber, Subscription
from contracts import Event

E = TypeVar("E", bound=Event)


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
        self.readiness = Readiness()
        self.publisher: Publisher | None = None
        self.health_port: int | None = None
        self._subscriptions: list[Subscription[Any]] = []
        self._lag_interval_s = lag_interval_s
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
        health = HealthServer(
            self.readiness, host=self.settings.health_host, port=self.settings.health_port
        )
        self.health_port = await health.start()
        self.readiness.set("kafka", ready=False, detail=f"connecting to {bootstrap}")
        subscribers = [self._subscriber(sub, bootstrap, options) for sub in self._subscriptions]
        monitors = [
            LagMonitor(
                options, s.subscription.group, topics=s.topics, interval_s=self._lag_interval_s
            )
            for s in subscribers
        ]
        tasks: list[asyncio.Task[None]] = []
        try:
            self.publisher = Publisher(
                bootstrap=bootstrap, codec=self.codec, name=self.name, client_options=options
            )
            await self.publisher.start()
            self.readiness.set("kafka", ready=True, detail=bootstrap)
            tasks = [asyncio.create_task(s.run(), name=s.subscription.name) for s in subscribers]
            for monitor in monitors:
                await monitor.start()
            self._started.set()
            stop = asyncio.create_task(self._stop.wait())
            await asyncio.wait([stop, *tasks], return_when=asyncio.FIRST_COMPLETED)
            stop.cancel()
        finally:
            for subscriber in subscribers:
                subscriber.stop()
            outcomes = await asyncio.gather(*tasks, return_exceptions=True)
            for monitor in monitors:
                await monitor.stop()
            if self.publisher is not None:
                await self.publisher.close()
            await health.stop()
            for signum in (signal.SIGTERM, signal.SIGINT):
                with contextlib.suppress(NotImplementedError, RuntimeError):
                    loop.remove_signal_handler(signum)
        for outcome in outcomes:
            if isinstance(outcome, BaseException):
                raise outcome

    def _subscriber(
        self, subscription: Subscription[Any], bootstrap: str, options: dict[str, Any]
    ) -> Subscriber[Any]:
        condition = f"subscriber:{subscription.name}"
        self.readiness.set(condition, ready=False, detail="waiting for partitions")

        def on_ready(ready: bool, detail: str) -> None:
            self.readiness.set(condition, ready=ready, detail=detail)

        return Subscriber(
            subscription, bootstrap=bootstrap, codec=self.codec, client_options=options,
            on_ready=on_ready,
        )  # fmt: skip
