"""FastStream as a govbus subscriber and publisher, with the guarantees of ``Service``.

::

    bus = Govbus("dwp-pensions", settings=Settings())

    @bus.subscriber(DeathRegisteredV2)  # v1 events arrive upcast to v2
    async def stop_pension(event: DeathRegisteredV2, delivery: CurrentDelivery) -> None:
        await pensions.stop_payments(event.deceased.nino, from_date=event.death.date)

    asyncio.run(bus.run())  # or FastStream's own runner: app = bus.app()

``bus.broker`` is an ordinary ``faststream.kafka.KafkaBroker`` (``TestKafkaBroker`` works on it)
connected as every govbus client is (``GOVBUS_KAFKA_*``) with govbus's producer settings
(acks=all, idempotence). ``subscriber`` registers a FastStream subscriber on the contract's
topics (older versions that upcast to it included, under ``GOVBUS_TOPIC_PREFIX``) in consumer
group ``name``, with manual acknowledgement; ``GovbusMiddleware`` then gives it what
``bus.messaging.subscriber`` gives a ``Service`` subscription (see ``bus.faststream.consuming``).
``publisher`` gives a FastStream publisher of a contract's topic; any contract event published
through the broker leaves in govbus's CloudEvents binary mode (see ``bus.faststream.publishing``).

A running ``Govbus`` does for operators what every govbus process does
(``bus.observability.operations``): before the broker starts it serves ``/metrics``,
``/healthz``, ``/readyz`` and the status page on ``GOVBUS_HEALTH_HOST:GOVBUS_HEALTH_PORT`` and
creates the topics its subscribers need (events, older versions they upcast, ``.dlq``; unless
``GOVBUS_CREATE_TOPICS=false``, when ``/readyz`` names the missing ones); once connected it
reads consumer lag and the dead letters kept on Kafka. It is ready when Kafka answers, the
topics exist and every subscriber has partitions (``subscriber:<name>`` says why not).

Lifecycle: ``run()`` once; it starts the broker, runs until ``stop()``, SIGTERM or SIGINT, then
lets each subscriber finish the record in hand, commits and stops the broker. If a dead letter
cannot be written, ``run()`` stops the same way and raises ``DeadLetterWriteFailed``. ``app()``
gives the same lifecycle to FastStream's runner (``faststream run module:app``).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import signal
from collections.abc import Callable
from typing import Annotated, Any, TypeVar, cast

from aiokafka import AIOKafkaProducer
from faststream import Context, FastStream
from faststream.kafka import KafkaBroker
from faststream.kafka.publisher.usecase import DefaultPublisher
from faststream.middlewares import AckPolicy
from faststream.security import BaseSecurity, SASLPlaintext, SASLScram256, SASLScram512

from bus.broker.client import client_options, resolve_bootstrap
from bus.faststream.asyncapi import describe_versions
from bus.faststream.consuming import DELIVERY_CONTEXT, Delivering, text_dead_letter
from bus.faststream.middleware import GovbusMiddleware
from bus.faststream.publishing import Publishing
from bus.foundation.settings import Settings
from bus.messaging.codec import DEFAULT_MAX_VALUE_BYTES, Codec
from bus.messaging.dead_letter import DeadLetterWriter, Failure
from bus.messaging.publisher import SAFE_PRODUCER
from bus.messaging.subscriber import (
    METADATA_MAX_AGE_MS,
    Delivery,
    RetryPolicy,
    Subscription,
    topics_for,
)
from bus.observability.health import Readiness
from bus.observability.operations import Operations, Subscribed
from bus.observability.status import LastEvents
from contracts import Event

F = TypeVar("F", bound=Callable[..., Any])

CurrentDelivery = Annotated[Delivery, Context(DELIVERY_CONTEXT)]
"""Annotate a handler parameter with this to receive the event's ``Delivery``."""

_SECURITY = {"PLAIN": SASLPlaintext, "SCRAM-SHA-256": SASLScram256, "SCRAM-SHA-512": SASLScram512}


class Govbus:
    """govbus on a FastStream ``KafkaBroker`` for one service, named ``name`` in metrics,
    consumer groups and the default CloudEvents source ``urn:govbus:<name>``.

    The broker connects to ``bootstrap``, else the cluster ``resolve_bootstrap`` finds.
    ``readiness`` holds what ``/readyz`` answers; ``health_port`` is the bound port once
    ``run()`` (or the app) started serving.
    """

    def __init__(
        self,
        name: str,
        *,
        settings: Settings,
        source: str | None = None,
        bootstrap: str | None = None,
        graceful_timeout_s: float = 30.0,
        commit_interval_s: float = 0.2,
        lag_interval_s: float = 15.0,
    ) -> None:
        self.name = name
        self.settings = settings
        self.codec = Codec(
            source=source or f"urn:govbus:{name}", topic_prefix=settings.topic_prefix
        )
        self.bootstrap = bootstrap or resolve_bootstrap(settings)
        self.broker = KafkaBroker(
            self.bootstrap,
            client_id=settings.kafka_client_id,
            security=_security(settings, self.bootstrap),
            acks=SAFE_PRODUCER["acks"],
            enable_idempotence=SAFE_PRODUCER["enable_idempotence"],
            linger_ms=SAFE_PRODUCER["linger_ms"],
            max_batch_size=SAFE_PRODUCER["max_batch_size"],
            graceful_timeout=graceful_timeout_s,
            # As Service's subscribers: a topic an operator creates later is assigned in seconds.
            metadata_max_age_ms=METADATA_MAX_AGE_MS,
            # FastStream logs every message at the broker's level; govbus logs lifecycle only.
            log_level=logging.DEBUG,
            middlewares=[functools.partial(GovbusMiddleware, bus=self)],
        )
        self.publishing = Publishing(self.codec, publisher=name)
        self._commit_interval_s = commit_interval_s
        self._delivering: dict[int, Delivering] = {}  # by id() of the FastStream subscriber
        self._producer: AIOKafkaProducer | None = None
        self._writers: dict[str, DeadLetterWriter] = {}
        self._producer_lock = asyncio.Lock()
        self._stop = asyncio.Event()
        self._fatal: BaseException | None = None
        self._app: FastStream | None = None
        self.readiness = Readiness()
        self.health_port: int | None = None
        self._lag_interval_s = lag_interval_s
        self._last_events = LastEvents()
        self._operations: Operations | None = None

    def subscriber(
        self,
        contract: type[Event],
        *,
        name: str | None = None,
        group_id: str | None = None,
        retry: RetryPolicy | None = None,
        dedup_capacity: int = 100_000,
        max_value_bytes: int = DEFAULT_MAX_VALUE_BYTES,
    ) -> Callable[[F], F]:
        """Register the decorated FastStream handler for ``contract``; its first parameter,
        annotated with the contract, receives the event (older versions upcast)."""

        def register(handler: F) -> F:
            sub_name = name or f"{self.name}.{getattr(handler, '__name__', 'handler')}"
            subscription = Subscription(
                name=sub_name, contract=contract, handler=_unused, group_id=group_id or "",
                retry=retry or RetryPolicy(), dedup_capacity=dedup_capacity,
                max_value_bytes=max_value_bytes,
            )  # fmt: skip
            topics = topics_for(contract, self.codec)
            delivering = Delivering(
                subscription, codec=self.codec, topics=topics,
                dead_letters=functools.partial(self._dead_letter_writer, sub_name),
                test_dead_letter=functools.partial(self._publish_dead_letter, sub_name),
                on_fatal=self._failed, commit_interval_s=self._commit_interval_s,
                last_events=self._last_events,
            )  # fmt: skip
            faststream_subscriber = self.broker.subscriber(
                *topics,
                group_id=subscription.group,
                ack_policy=AckPolicy.MANUAL,
                auto_offset_reset="earliest",
                listener=delivering.listener,
                max_partition_fetch_bytes=max(max_value_bytes + 64 * 1024, 1024 * 1024),
                title=f"{topics[0]}:{sub_name}",
                description=contract.contract.description,
            )
            delivering.faststream_subscriber = faststream_subscriber
            describe_versions(
                faststream_subscriber,
                {self.codec.topic_for(m): m for m in _versions(contract, self.codec)},
            )
            self._delivering[id(faststream_subscriber)] = delivering
            # FastStream's wrapper calls the handler with the same arguments.
            return cast("F", faststream_subscriber(handler))

        return register

    def publisher(self, contract: type[Event], **options: Any) -> DefaultPublisher:
        """A FastStream publisher of ``contract``'s topic; publish instances with ``key=``."""
        info = contract.contract
        publisher: DefaultPublisher = self.broker.publisher(
            self.codec.topic_for(contract),
            schema=contract,
            title=f"{self.codec.topic_for(contract)}:{info.cloudevents_type}",
            description=info.description,
            **options,
        )
        return publisher

    def delivering(self, faststream_subscriber: object) -> Delivering | None:
        """The govbus delivery of a FastStream subscriber, if ``subscriber`` registered it."""
        return self._delivering.get(id(faststream_subscriber))

    def app(self, **options: Any) -> FastStream:
        """A FastStream application of the broker that drains and closes like ``run()``; a
        lost dead letter makes it exit."""
        self._app = FastStream(
            self.broker, on_startup=[self.serve], after_startup=[self.connected],
            on_shutdown=[self.drain], after_shutdown=[self.close], **options,
        )  # fmt: skip
        return self._app

    def stop(self) -> None:
        """Ask ``run()`` to finish the records in hand, commit and return."""
        self._stop.set()

    async def run(self) -> None:
        """Run until stopped; raises ``DeadLetterWriteFailed`` if a dead letter was lost."""
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                loop.add_signal_handler(signum, self.stop)
        try:
            await self.serve()
            await self.broker.start()
            await self.connected()
            await self._stop.wait()
        finally:
            with contextlib.suppress(Exception):
                await self.drain()
            await self.broker.stop()
            await self.close()
            for signum in (signal.SIGTERM, signal.SIGINT):
                with contextlib.suppress(NotImplementedError, RuntimeError):
                    loop.remove_signal_handler(signum)
        if self._fatal is not None:
            raise self._fatal

    async def serve(self) -> None:
        """Serve the operator's endpoints and create the subscribers' topics, before the
        broker starts; raises ``ListenError`` when the health address is taken."""
        self._operations = operations = Operations(
            self.name, settings=self.settings, codec=self.codec, bootstrap=self.bootstrap,
            client_options=client_options(self.settings, self.bootstrap),
            subscriptions=[
                Subscribed(d.subscription.name, d.subscription.group, d.subscription.contract)
                for d in self._delivering.values()
            ],
            readiness=self.readiness, last_events=self._last_events,
            lag_interval_s=self._lag_interval_s,
        )  # fmt: skip
        for delivering in self._delivering.values():
            delivering.on_ready = operations.subscription_ready(delivering.subscription.name)
        self.health_port = await operations.serve()
        await operations.provide_topics()

    async def connected(self) -> None:
        """The broker is connected: ready as far as Kafka goes, lag and dead letters read."""
        if self._operations is not None:
            await self._operations.connected()

    async def drain(self) -> None:
        """Take no new records, finish those in hand and commit, in every subscriber."""
        await asyncio.gather(*(d.drain() for d in self._delivering.values()))

    async def close(self) -> None:
        """Stop the dead-letter producer, if one was started, and the operator's endpoints."""
        if self._operations is not None:
            await self._operations.stop()
            self._operations = None
        if self._producer is not None:
            with contextlib.suppress(Exception):
                await self._producer.stop()
            self._producer = None
            self._writers.clear()

    def _failed(self, error: BaseException) -> None:
        self._fatal = self._fatal or error
        self._stop.set()
        if self._app is not None:
            self._app.exit()

    async def _dead_letter_writer(self, subscriber: str) -> DeadLetterWriter:
        """The writer of ``subscriber``'s dead letters, on a producer started on first use."""
        async with self._producer_lock:
            if self._producer is None:
                producer = AIOKafkaProducer(
                    **client_options(self.settings, self.bootstrap), **SAFE_PRODUCER
                )
                try:
                    await producer.start()
                except BaseException:
                    with contextlib.suppress(Exception):
                        await producer.stop()
                    raise
                self._producer = producer
            writer = self._writers.get(subscriber)
            if writer is None:
                writer = self._writers[subscriber] = DeadLetterWriter(
                    self._producer, subscriber=subscriber
                )
            return writer

    async def _publish_dead_letter(self, subscriber: str, record: Any, failure: Failure) -> None:
        """Without a Kafka consumer (``TestKafkaBroker``), dead letters go through the broker."""
        topic, headers = text_dead_letter(record, failure, subscriber=subscriber)
        await self.broker.publish(record.value, topic, key=record.key or None, headers=headers)


def _versions(contract: type[Event], codec: Codec) -> list[type[Event]]:
    """``contract`` and the older versions of it its subscribers read, newest first."""
    info = contract.contract
    return [
        codec.registry.get(info.event_type, info.version - step)
        for step in range(len(topics_for(contract, codec)))
    ]


async def _unused(event: Any, delivery: Delivery) -> None:
    """FastStream calls the handler itself; the subscription only carries govbus's options."""


def _security(settings: Settings, bootstrap: str) -> BaseSecurity | None:
    """govbus's ``GOVBUS_KAFKA_*`` security settings as FastStream's security object."""
    options = client_options(settings, bootstrap)
    protocol = options["security_protocol"]
    context = options.get("ssl_context")
    if protocol == "PLAINTEXT":
        return None
    if protocol == "SSL":
        return BaseSecurity(ssl_context=context, use_ssl=True)
    kind = _SECURITY[options["sasl_mechanism"]]
    return kind(
        options["sasl_plain_username"], options["sasl_plain_password"],
        ssl_context=context, use_ssl=protocol == "SASL_SSL",
    )  # fmt: skip
