"""A real Prometheus scrapes a real govbus service and evaluates the shipped alert rules on it."""

from __future__ import annotations

import asyncio
import uuid

import yaml

from bus.foundation.settings import Settings
from bus.messaging.subscriber import Delivery
from bus.process.service import Service
from bus.testing.kafka import create_topics, eventually, unique_topic
from contracts.catalogue.gro import DeathRegisteredV1
from tests.prometheus import PROMETHEUS_DIR, running_prometheus


def _alert_names() -> list[str]:
    groups = yaml.safe_load((PROMETHEUS_DIR / "alerts.yml").read_text())["groups"]
    return [rule["alert"] for group in groups for rule in group["rules"]]


async def test_prometheus_scrapes_a_running_service(kafka_bootstrap, tmp_path) -> None:
    """Targets are up, consumed and published counts arrive, and every alert rule evaluates."""
    name = f"scraped-{uuid.uuid4().hex[:8]}"
    settings = Settings(
        kafka_bootstrap=kafka_bootstrap,
        topic_prefix=unique_topic("prometheus") + ".",
        health_port=0,
    )
    service = Service(name, settings=settings, lag_interval_s=0.5)
    await create_topics(kafka_bootstrap, [service.codec.topic_for(DeathRegisteredV1)])
    handled: list[str] = []

    @service.subscribe(DeathRegisteredV1)
    async def note(event: DeathRegisteredV1, delivery: Delivery) -> None:
        handled.append(delivery.envelope.id)

    subscriber = f"{name}.note"
    running = asyncio.create_task(service.run())
    try:
        await asyncio.wait_for(service.started(), 30)
        assert service.publisher is not None
        for number in range(5):
            await service.publisher.publish(DeathRegisteredV1.example_event(), key=f"DR-{number}")
        await eventually(lambda: len(handled) == 5, what="five handled events")
        target = f"127.0.0.1:{service.health_port}"
        rules = [PROMETHEUS_DIR / "alerts.yml"]
        async with running_prometheus(
            tmp_path / "prometheus", [target], instance=name, rule_files=rules
        ) as prometheus:
            targets = await prometheus.wait_until_scraped()
            assert [
                (t["health"], t["labels"]["job"], t["labels"]["instance"]) for t in targets
            ] == [("up", "govbus", name)], targets
            consumed = await prometheus.query(
                f'govbus_events_consumed_total{{subscriber="{subscriber}",outcome="handled"}}'
            )
            assert [float(series["value"][1]) for series in consumed] == [5.0]
            published = await prometheus.query(
                f'govbus_events_published_total{{publisher="{name}"}}'
            )
            assert [float(series["value"][1]) for series in published] == [5.0]

            async def rule_states() -> dict[str, tuple[str, str]]:
                groups = (await prometheus.api("rules"))["groups"]
                return {
                    rule["name"]: (rule["health"], rule.get("lastError", ""))
                    for group in groups
                    for rule in group["rules"]
                }

            for _ in range(100):  # until every rule has been evaluated once
                states = await rule_states()
                if states and all(health != "unknown" for health, _ in states.values()):
                    break
                await asyncio.sleep(0.1)
            assert set(states) == set(_alert_names()), states
            assert all(state == ("ok", "") for state in states.values()), states

            # A healthy service with no dead letters raises none of the shipped alerts. The
            # scraped process is this test run, whose registry also holds the source adapters
            # earlier tests ran (their last reads age past alert thresholds): those are not ours.
            def ours(labels: dict[str, str]) -> bool:
                mine = labels.get("subscriber", subscriber) == subscriber
                return mine and labels.get("publisher", name) == name and "adapter" not in labels

            alerts = (await prometheus.api("alerts"))["alerts"]
            assert [a["labels"]["alertname"] for a in alerts if ours(a["labels"])] == []
    finally:
        service.stop()
        await asyncio.wait_for(running, 60)
