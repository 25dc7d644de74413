"""A service end to end: typed handler, readiness, metrics an operator scrapes, clean stop."""

from __future__ import annotations

import asyncio
import shutil

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from bus.foundation.settings import Settings
from bus.messaging.subscriber import Delivery
from bus.process.service import Service
from bus.testing.kafka import create_topics, eventually, unique_topic
from contracts.catalogue.gro import DeathRegisteredV1, DeathRegisteredV2


def _sample(text: str, name: str, **labels: str) -> float | None:
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items()):
                return float(sample.value)
    return None


async def test_a_service_handles_events_and_reports_them_to_operators(kafka_bootstrap: str) -> None:
    """Ready once subscribed; the handled event shows in /metrics, which promtool accepts."""
    prefix = unique_topic("service") + "."
    settings = Settings(kafka_bootstrap=kafka_bootstrap, topic_prefix=prefix, health_port=0)
    service = Service("dwp-pensions", settings=settings, lag_interval_s=0.2)
    await create_topics(
        kafka_bootstrap,
        [service.codec.topic_for(m) for m in (DeathRegisteredV1, DeathRegisteredV2)],
    )
    received: list[DeathRegisteredV2] = []

    @service.subscribe(DeathRegisteredV2)
    async def stop_pension(event: DeathRegisteredV2, delivery: Delivery) -> None:
        received.append(event)

    running = asyncio.create_task(service.run())
    await asyncio.wait_for(service.started(), 30)
    base = f"http://127.0.0.1:{service.health_port}"
    async with httpx.AsyncClient(timeout=5) as client:
        assert (await client.get(f"{base}/healthz")).status_code == 200

        async def ready() -> bool:
            return (await client.get(f"{base}/readyz")).status_code == 200

        for _ in range(200):
            if await ready():
                break
            await asyncio.sleep(0.1)
        assert await ready(), (await client.get(f"{base}/readyz")).text

        assert service.publisher is not None
        await service.publisher.publish(DeathRegisteredV1.example_event(), key="DR-1")
        await eventually(lambda: len(received) == 1, what="the upcast event")
        for _ in range(100):  # until a lag measurement after the commit
            metrics = (await client.get(f"{base}/metrics")).text
            if _sample(metrics, "govbus_consumer_lag", group="dwp-pensions.stop_pension") == 0:
                break
            await asyncio.sleep(0.1)

    service.stop()
    await asyncio.wait_for(running, 60)
    subscriber = "dwp-pensions.stop_pension"
    assert isinstance(received[0], DeathRegisteredV2)
    assert _sample(
        metrics, "govbus_events_consumed_total", subscriber=subscriber, outcome="handled",
        event_type="uk.gov.gro.death-registered", version="1",
    ) == 1  # fmt: skip
    assert _sample(metrics, "govbus_events_published_total", publisher="dwp-pensions") == 1
    assert _sample(metrics, "govbus_publish_to_handle_seconds_count", subscriber=subscriber) == 1
    assert _sample(metrics, "govbus_consumer_lag", group=subscriber) == 0
    promtool = shutil.which("promtool")
    if promtool is None:
        pytest.fail("promtool is needed: run `make system-deps` (Debian package prometheus)")
    checked = await asyncio.create_subprocess_exec(
        promtool, "check", "metrics",
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    output, _ = await checked.communicate(metrics.encode())
    assert (checked.returncode, output.decode()) == (0, "")
