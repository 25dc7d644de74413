"""The status page of a running service, as an operator sees it in headless Chromium."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver

from bus.foundation.settings import Settings
from bus.messaging.subscriber import Delivery, RetryPolicy
from bus.process.service import Service
from bus.testing.kafka import create_topics, unique_topic
from contracts.catalogue.gro import DeathRegisteredV1
from tests.browser import headless_chromium


@pytest.fixture(scope="module")
def browser() -> Iterator[WebDriver]:
    with headless_chromium() as driver:
        yield driver


def _metric(text: str, name: str, **labels: str) -> float:
    return sum(
        sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items())
    )


def _look(driver: WebDriver, url: str) -> dict[str, Any]:
    """Load ``url`` and read what an operator sees: headings, state and every table's rows."""
    driver.get(url)
    tables = {
        table.get_attribute("id"): [
            [cell.text for cell in row.find_elements(By.TAG_NAME, "td")]
            for row in table.find_elements(By.CSS_SELECTOR, "tbody tr")
        ]
        for table in driver.find_elements(By.TAG_NAME, "table")
    }
    return {
        "title": driver.title,
        "name": driver.find_element(By.ID, "service-name").text,
        "state": driver.find_element(By.ID, "ready-state").text,
        "tables": tables,
        "text": driver.find_element(By.TAG_NAME, "body").text,
        "source": driver.page_source,
        "scripts": len(driver.find_elements(By.TAG_NAME, "script")),
    }


def _personal_values(event: DeathRegisteredV1) -> list[str]:
    """The string leaves under the contract's personal-data fields of ``event``."""
    data = event.model_dump(mode="json")
    found: list[str] = []

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            for inner in value.values():
                walk(inner)
        elif isinstance(value, str) and len(value) >= 4:
            found.append(value)

    for path in DeathRegisteredV1.contract.personal_data:
        value: Any = data
        for part in path.split("."):
            value = value.get(part) if isinstance(value, dict) else None
        walk(value)
    return found


async def test_the_status_page_shows_what_the_service_did(kafka_bootstrap, browser) -> None:
    """Service name, readiness, topic, handled count and rate, a dead letter and the lag show."""
    name = f"ops-{uuid.uuid4().hex[:8]}"
    prefix = unique_topic("status-page") + "."
    settings = Settings(kafka_bootstrap=kafka_bootstrap, topic_prefix=prefix, health_port=0)
    service = Service(name, settings=settings, lag_interval_s=0.2)
    topic = service.codec.topic_for(DeathRegisteredV1)
    await create_topics(kafka_bootstrap, [topic])

    @service.subscribe(DeathRegisteredV1, retry=RetryPolicy(max_attempts=1))
    async def record(event: DeathRegisteredV1, delivery: Delivery) -> None:
        if delivery.key == b"DR-BAD":
            raise ValueError("the register office sent a case the pensions system refuses")

    subscriber = f"{name}.record"
    loop = asyncio.get_running_loop()
    started_at = loop.time()
    running = asyncio.create_task(service.run())
    try:
        await asyncio.wait_for(service.started(), 30)
        base = f"http://127.0.0.1:{service.health_port}"
        async with httpx.AsyncClient(base_url=base, timeout=5) as client:
            for _ in range(300):
                if (await client.get("/readyz")).status_code == 200:
                    break
                await asyncio.sleep(0.1)
            assert service.publisher is not None
            example = DeathRegisteredV1.example_event()
            for key in ("DR-1", "DR-2", "DR-BAD", "DR-3"):
                await service.publisher.publish(example, key=key)
            for _ in range(300):
                metrics = (await client.get("/metrics")).text
                consumed = "govbus_events_consumed_total"
                handled = _metric(metrics, consumed, subscriber=subscriber, outcome="handled")
                dead = _metric(metrics, "govbus_events_dead_lettered_total", subscriber=subscriber)
                lag = _metric(metrics, "govbus_consumer_lag", group=subscriber, topic=topic)
                lag_known = f'govbus_consumer_lag{{group="{subscriber}"' in metrics
                if (handled, dead, lag, lag_known) == (3, 1, 0, True):
                    break
                await asyncio.sleep(0.1)
            assert (handled, dead, lag) == (3, 1, 0), metrics
            # Rates need counts sampled some time apart; on a fast machine all this took less.
            await asyncio.sleep(max(0.0, started_at + 1.0 - loop.time()))
            page = await asyncio.to_thread(_look, browser, base + "/")
            status_alias = await asyncio.to_thread(_look, browser, base + "/status")
            response = await client.get("/")
    finally:
        service.stop()
        await asyncio.wait_for(running, 60)

    assert response.headers["content-type"].startswith("text/html")
    assert "default-src 'none'" in response.headers["content-security-policy"]
    assert page["name"] == status_alias["name"] == name
    assert name in page["title"]
    assert page["state"] == "READY"  # the tag is shown in capitals
    assert page["scripts"] == 0
    tables = page["tables"]
    conditions = {row[0]: row[1] for row in tables["readiness"]}
    assert conditions == {
        "kafka": "READY", "topics": "READY", f"subscriber:{subscriber}": "READY"
    }  # fmt: skip

    (subscription,) = tables["subscriptions"]
    assert subscription[:4] == [subscriber, subscriber, topic, "3"]
    assert 0 < float(subscription[4]) <= 3 / 0.5  # handled within the last minute, after start
    assert subscription[5:] == ["0", "1", "1"]  # no duplicate, one dead letter after one attempt

    (published,) = tables["published"]
    assert published[:4] == ["uk.gov.gro.death-registered", "1", topic, "4"]
    assert float(published[4]) > 0

    assert tables["dead-letters"] == [
        [subscriber, "uk.gov.gro.death-registered", "1", "handler", "1"]
    ]
    assert tables["lag"] == [[subscriber, topic, "0"]]
    (last,) = tables["last-events"]
    assert last[0] == f"urn:govbus:{name}"
    assert last[1] == "uk.gov.gro.death-registered.v1"
    assert last[5] == subscriber
    # Attributes only: nothing from the events' personal data reaches the page.
    personal = _personal_values(example)
    assert personal
    assert [value for value in personal if value in page["source"]] == []
