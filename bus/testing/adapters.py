"""Running adapters in tests: a source or sink against a real Kafka, stopped by the test.

Adapter authors use these with the behaviour suites in ``tests/adapters/``; they start the same
runtime pieces ``govbus run`` starts (publisher, offset store, source runner, subscriber).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from aiokafka import AIOKafkaProducer

from bus.adapter_runtime.offsets import OffsetStore
from bus.adapter_runtime.sink import Sink, run_sink, sink_subscription
from bus.adapter_runtime.source import Source
from bus.adapter_runtime.source_runner import SourceRunner
from bus.messaging.codec import Codec
from bus.messaging.publisher import SAFE_PRODUCER, Publisher
from bus.messaging.subscriber import RetryPolicy, Subscriber, Subscription
from contracts import Event


@dataclass
class RunningSource:
    runner: SourceRunner
    task: asyncio.Task[None]


@contextlib.asynccontextmanager
async def running_source(
    source: Source,
    *,
    adapter: str,
    bootstrap: str,
    codec: Codec,
    offsets_topic: str,
    poll_interval_s: float = 0.1,
) -> AsyncIterator[RunningSource]:
    """Run ``source`` as adapter ``adapter`` until the block ends, then stop it gracefully."""
    options: dict[str, Any] = {"bootstrap_servers": bootstrap}
    offsets = OffsetStore(options, topic=offsets_topic)
    dead_letters = AIOKafkaProducer(**options, **SAFE_PRODUCER)
    async with Publisher(bootstrap=bootstrap, codec=codec, name=adapter) as publisher:
        await offsets.start()
        await dead_letters.start()
        runner = SourceRunner(
            adapter, source, codec=codec, publisher=publisher, offsets=offsets,
            dead_letters=dead_letters, poll_interval_s=poll_interval_s,
            reconnect_initial_s=0.05, reconnect_max_s=0.5,
        )  # fmt: skip
        task = asyncio.create_task(runner.run())
        try:
            yield RunningSource(runner, task)
        finally:
            runner.stop()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(task, 60)
            await dead_letters.stop()
            await offsets.close()


@contextlib.asynccontextmanager
async def running_sink(
    sink: Sink,
    contract: type[Event],
    *,
    name: str,
    bootstrap: str,
    codec: Codec,
    retry: RetryPolicy | None = None,
) -> AsyncIterator[Subscriber[Any]]:
    """Run ``sink`` as a subscription to ``contract`` until the block ends.

    The sink is opened in the background, so a test can start it while its system is down.
    """
    retry = retry or RetryPolicy(max_attempts=3, initial_backoff_s=0.05, max_backoff_s=0.2)
    subscription = sink_subscription(sink, contract, name=name, retry=retry)
    subscriber: Subscriber[Any] = Subscriber(subscription, bootstrap=bootstrap, codec=codec)
    stopping = asyncio.Event()
    run = run_sink(sink, subscriber, stopping=stopping, initial_backoff_s=0.05, max_backoff_s=0.5)
    task = asyncio.create_task(run)
    try:
        yield subscriber
    finally:
        stopping.set()
        subscriber.stop()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(task, 60)
        await sink.close()


@contextlib.asynccontextmanager
async def running_subscriber(
    subscription: Subscription[Any], *, bootstrap: str, codec: Codec
) -> AsyncIterator[Subscriber[Any]]:
    """Run ``subscription`` in the background until the block ends, then stop it gracefully."""
    subscriber: Subscriber[Any] = Subscriber(subscription, bootstrap=bootstrap, codec=codec)
    task = asyncio.create_task(subscriber.run())
    try:
        yield subscriber
    finally:
        subscriber.stop()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(task, 60)
