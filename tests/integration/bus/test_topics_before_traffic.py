"""A service provides its topics before it consumes, so the first event arrives in seconds."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator

import httpx

from bus.broker.topics import WantedTopic, create_topics, topic_partitions
from bus.foundation.settings import Settings
from bus.messaging.codec import Codec
from bus.messaging.publisher import Publisher
from bus.messaging.subscriber import Delivery, RetryPolicy
from bus.observability.topic_plan import TopicProvider
from bus.process.service import Service
from bus.testing.kafka import eventually, topic_configs, unique_topic
from contracts import Event
from contracts.catalogue.gro import DeathRegisteredV1, DeathRegisteredV2


class Recording:
    """A sink whose legacy system is a list."""

    def __init__(self) -> None:
        self.events: list[Event] = []

    async def open(self) -> None: ...

    async def deliver(self, event: Event, delivery: Delivery) -> None:
        self.events.append(event)

    async def close(self) -> None: ...


@contextlib.asynccontextmanager
async def running(service: Service) -> AsyncIterator[httpx.AsyncClient]:
    task = asyncio.create_task(service.run())
    try:
        await asyncio.wait_for(service.started(), 60)
        base = f"http://127.0.0.1:{service.health_port}"
        async with httpx.AsyncClient(base_url=base, timeout=5) as client:
            yield client
    finally:
        service.stop()
        await asyncio.wait_for(task, 60)


async def _until_ready(client: httpx.AsyncClient, timeout_s: float) -> float:
    """Seconds until /readyz answers 200; fails with its last body after ``timeout_s``."""
    started = time.monotonic()
    while (response := await client.get("/readyz")).status_code != 200:
        assert time.monotonic() - started < timeout_s, response.text
        await asyncio.sleep(0.05)
    return time.monotonic() - started


async def test_a_sink_started_before_its_topics_exist_delivers_within_seconds(
    kafka_bootstrap: str,
) -> None:
    """No topic exists; the service creates them, becomes ready, and delivers a later event."""
    prefix = unique_topic("before-traffic") + "."
    settings = Settings(kafka_bootstrap=kafka_bootstrap, topic_prefix=prefix, health_port=0)
    service = Service("council-tax", settings=settings)
    sink = Recording()
    service.add_sink("council-tax-deaths", sink, DeathRegisteredV2)
    v2 = service.codec.topic_for(DeathRegisteredV2)
    assert await topic_partitions(kafka_bootstrap, v2) is None

    async with running(service) as client:
        ready_after = await _until_ready(client, timeout_s=20)
        codec = Codec(source="urn:govbus:test", topic_prefix=prefix)
        async with Publisher(bootstrap=kafka_bootstrap, codec=codec, name="gro") as publisher:
            published = time.monotonic()
            await publisher.publish(DeathRegisteredV2.example_event(), key="DR-1")
            await eventually(lambda: len(sink.events) == 1, what="the event", timeout_s=10)
            delivered_after = time.monotonic() - published

    assert ready_after < 20
    assert delivered_after < 10
    dead_letters = await topic_configs(kafka_bootstrap, v2 + ".dlq")
    events = await topic_configs(kafka_bootstrap, v2)
    assert int(dead_letters["retention.ms"]) > int(events["retention.ms"])
    assert len(await topic_partitions(kafka_bootstrap, v2) or []) == 3
    assert await topic_partitions(kafka_bootstrap, service.codec.topic_for(DeathRegisteredV1))


async def test_without_topic_creation_readiness_names_the_missing_topics(
    kafka_bootstrap: str,
) -> None:
    """With GOVBUS_CREATE_TOPICS=false /readyz names the topics that do not exist, and why."""
    prefix = unique_topic("no-create") + "."
    settings = Settings(
        kafka_bootstrap=kafka_bootstrap, topic_prefix=prefix, health_port=0, create_topics=False
    )
    service = Service("dwp", settings=settings)

    @service.subscribe(DeathRegisteredV1, retry=RetryPolicy(max_attempts=1))
    async def handle(event: DeathRegisteredV1, delivery: Delivery) -> None: ...

    topic = service.codec.topic_for(DeathRegisteredV1)
    async with running(service) as client:
        subscriber = "subscriber:dwp.handle"
        for _ in range(200):
            response = await client.get("/readyz")
            waiting = response.json().get("not_ready", {}) if response.status_code == 503 else {}
            if "does not exist" in waiting.get(subscriber, ""):
                break
            await asyncio.sleep(0.1)
        assert response.status_code == 503, response.text

    assert waiting == {
        "topics": f"missing topics: {topic}, {topic}.dlq; GOVBUS_CREATE_TOPICS is false",
        subscriber: f"0 partitions assigned: topic {topic} does not exist",
    }


async def test_a_topic_an_operator_creates_later_makes_the_process_ready(
    kafka_bootstrap: str,
) -> None:
    """While topics are missing the provider keeps checking and reports ready once they exist."""
    name = unique_topic("recheck")
    settings = Settings(kafka_bootstrap=kafka_bootstrap, create_topics=False)
    reports: list[tuple[bool, str]] = []
    provider = TopicProvider(
        [WantedTopic(name, 1, {"cleanup.policy": "delete"})],
        bootstrap=kafka_bootstrap, options={}, settings=settings,
        report=lambda ready, detail: reports.append((ready, detail)),
    )  # fmt: skip
    assert not await provider.provide()
    assert reports[-1] == (
        False, f"missing topics: {name}; GOVBUS_CREATE_TOPICS is false"
    )  # fmt: skip
    checking = asyncio.create_task(provider.recheck_until_present(interval_s=0.1))
    await asyncio.sleep(0.3)
    assert not checking.done()
    await create_topics(kafka_bootstrap, [name], partitions=1)
    await asyncio.wait_for(checking, 10)
    assert reports[-1] == (True, "1 topic(s) present")
