"""A FastStream service on a real broker serves what an operator needs from any govbus process."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
from prometheus_client.parser import text_string_to_metric_families

from bus.broker.topics import topic_partitions
from bus.faststream import Govbus
from bus.foundation.settings import Settings
from bus.messaging.codec import Codec
from bus.messaging.publisher import Publication, Publisher
from bus.messaging.topic_names import dlq_topic
from bus.testing.kafka import eventually, topic_configs, unique_topic
from contracts.catalogue.gro import DeathRegisteredV1, DeathRegisteredV2

from .conftest import running


def _sample(text: str, name: str, **labels: str) -> float | None:
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items()):
                return float(sample.value)
    return None


@contextlib.asynccontextmanager
async def served(bus: Govbus) -> AsyncIterator[httpx.AsyncClient]:
    """Run ``bus``; a client of its health server once it is bound, until the block ends."""
    async with running(bus) as task:
        while bus.health_port is None:
            assert not task.done(), task
            await asyncio.sleep(0.005)
        base = f"http://127.0.0.1:{bus.health_port}"
        async with httpx.AsyncClient(base_url=base, timeout=5) as client:
            yield client


async def _until_ready(client: httpx.AsyncClient, timeout_s: float = 30) -> None:
    started = time.monotonic()
    while (response := await client.get("/readyz")).status_code != 200:
        assert time.monotonic() - started < timeout_s, response.text
        await asyncio.sleep(0.05)


def _fresh(kafka_bootstrap: str, purpose: str, **settings: Any) -> Govbus:
    """A Govbus on a topic prefix of its own whose topics do not exist yet."""
    prefix = unique_topic(purpose) + "."
    return Govbus(
        "pensions",
        settings=Settings(
            kafka_bootstrap=kafka_bootstrap, topic_prefix=prefix, health_port=0, **settings
        ),
        commit_interval_s=0.05,
        lag_interval_s=0.2,
    )


async def test_readyz_answers_503_until_the_subscriber_has_partitions_then_200(
    bus: Govbus,
) -> None:
    """/readyz is 503 naming the waiting subscriber until its group assigned it partitions."""
    name = unique_topic("ready")

    @bus.subscriber(DeathRegisteredV2, name=name)
    async def stop_pension(event: DeathRegisteredV2) -> None: ...

    async with served(bus) as client:
        first = await client.get("/readyz")
        await _until_ready(client)
        conditions = {c.name: (c.ready, c.detail) for c in bus.readiness.conditions()}
    assert first.status_code == 503
    assert first.json()["not_ready"][f"subscriber:{name}"] == "waiting for partitions"
    assert conditions == {
        "kafka": (True, bus.bootstrap),
        "topics": (True, "4 topic(s) present"),
        f"subscriber:{name}": (True, "6 partition(s) assigned"),
    }
    assert not bus.readiness.ready  # stopped: no longer taking traffic


async def test_without_topic_creation_readyz_names_the_missing_topics(
    kafka_bootstrap: str,
) -> None:
    """With GOVBUS_CREATE_TOPICS=false /readyz is 503 naming each missing topic, none made."""
    bus = _fresh(kafka_bootstrap, "fs-no-create", create_topics=False)

    @bus.subscriber(DeathRegisteredV1)
    async def handle(event: DeathRegisteredV1) -> None: ...

    topic = bus.codec.topic_for(DeathRegisteredV1)
    async with served(bus) as client:
        while "missing" not in (waiting := (await client.get("/readyz")).json()["not_ready"]).get(
            "topics", ""
        ):
            await asyncio.sleep(0.01)
    assert waiting["topics"] == (
        f"missing topics: {topic}, {topic}.dlq; GOVBUS_CREATE_TOPICS is false"
    )
    assert await topic_partitions(kafka_bootstrap, dlq_topic(topic)) is None


async def test_a_govbus_creates_its_topics_before_traffic(kafka_bootstrap: str) -> None:
    """No topic exists; the service creates events, older-version and .dlq topics, then
    delivers."""
    bus = _fresh(kafka_bootstrap, "fs-before-traffic")
    handled: list[DeathRegisteredV2] = []

    @bus.subscriber(DeathRegisteredV2)
    async def stop_pension(event: DeathRegisteredV2) -> None:
        handled.append(event)

    v1, v2 = (bus.codec.topic_for(m) for m in (DeathRegisteredV1, DeathRegisteredV2))
    assert await topic_partitions(kafka_bootstrap, v2) is None
    codec = Codec(source="urn:govbus:gro", topic_prefix=bus.settings.topic_prefix)
    async with served(bus) as client:
        await _until_ready(client, timeout_s=20)
        async with Publisher(bootstrap=kafka_bootstrap, codec=codec, name="gro") as publisher:
            await publisher.publish(DeathRegisteredV1.example_event(), key="DR-1")
            await eventually(lambda: len(handled) == 1, what="the upcast event", timeout_s=10)
    for topic in (v1, v2, dlq_topic(v1), dlq_topic(v2)):
        assert len(await topic_partitions(kafka_bootstrap, topic) or []) == 3, topic
    dead_letters = await topic_configs(kafka_bootstrap, dlq_topic(v2))
    events = await topic_configs(kafka_bootstrap, v2)
    assert int(dead_letters["retention.ms"]) > int(events["retention.ms"])


async def test_metrics_and_status_page_show_the_events_a_govbus_handled(
    bus: Govbus, publisher: Publisher, codec: Codec
) -> None:
    """/metrics counts the handled events with lag 0 and no dead letter kept; / shows the
    subscriber, its topics and the source last heard from."""
    name = unique_topic("status")
    handled: list[int] = []

    @bus.subscriber(DeathRegisteredV1, name=name)
    async def handle(event: DeathRegisteredV1) -> None:
        handled.append(event.entry_number)

    topic = codec.topic_for(DeathRegisteredV1)
    example = dict(DeathRegisteredV1.contract.example)
    events = [DeathRegisteredV1.model_validate(example | {"entry_number": n}) for n in (1, 2, 3)]
    async with served(bus) as client:
        await _until_ready(client)
        await publisher.publish_many([Publication(e, key=f"DR-{i}") for i, e in enumerate(events)])
        await eventually(lambda: len(handled) == 3, what="three events")
        metrics = ""
        for _ in range(100):  # until a lag measurement after the commit
            metrics = (await client.get("/metrics")).text
            lag = _sample(metrics, "govbus_consumer_lag", group=name, topic=topic)
            if (
                lag == 0
                and _sample(metrics, "govbus_dead_letters_present", topic=dlq_topic(topic)) == 0
            ):
                break
            await asyncio.sleep(0.1)
        page = await client.get("/")
    assert _sample(
        metrics, "govbus_events_consumed_total", subscriber=name, outcome="handled",
        event_type="uk.gov.gro.death-registered", version="1",
    ) == 3  # fmt: skip
    assert _sample(metrics, "govbus_handler_duration_seconds_count", subscriber=name) == 3
    assert _sample(metrics, "govbus_consumer_lag", group=name, topic=topic) == 0
    assert _sample(metrics, "govbus_dead_letters_present", topic=dlq_topic(topic)) == 0
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    for shown in (name, topic, dlq_topic(topic), "urn:govbus:gro", "uk.gov.gro.death-registered"):
        assert shown in page.text, shown
