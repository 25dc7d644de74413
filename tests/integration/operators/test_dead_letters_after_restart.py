"""After a restart the status page counts the dead letters Kafka keeps, not only its own."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from html.parser import HTMLParser
from pathlib import Path

import httpx
from prometheus_client.parser import text_string_to_metric_families

from adapters.files import csv_source
from bus.adapter_runtime.mapping import Mapper
from bus.adapter_runtime.plugins import SourceContext
from bus.foundation.settings import Settings
from bus.messaging.subscriber import Delivery, RetryPolicy
from bus.process.service import Service
from bus.testing.kafka import create_topics, topic_size, unique_topic
from contracts.catalogue.gro import DeathRegisteredV1
from tests.integration.adapters.files.folders import csv_config, mapping


class _Rows(HTMLParser):
    """The cell texts of each row of the table with id ``table``."""

    def __init__(self, table: str) -> None:
        super().__init__()
        self._table, self._inside, self._cell = table, False, False
        self.rows: list[list[str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table":
            self._inside = dict(attrs).get("id") == self._table
        elif self._inside and tag == "tr":
            self.rows.append([])
        elif self._inside and tag == "td":
            self.rows[-1].append("")
            self._cell = True

    def handle_endtag(self, tag: str) -> None:
        if tag == "td":
            self._cell = False
        elif tag == "table":
            self._inside = False

    def handle_data(self, data: str) -> None:
        if self._inside and self._cell:
            self.rows[-1][-1] += data


def _table(html: str, table: str) -> list[list[str]]:
    parser = _Rows(table)
    parser.feed(html)
    return [row for row in parser.rows if row]


def _present(metrics: str, topic: str) -> float | None:
    for family in text_string_to_metric_families(metrics):
        for sample in family.samples:
            if sample.name == "govbus_dead_letters_present" and sample.labels["topic"] == topic:
                return sample.value
    return None


async def _run_until(service: Service, ready: Callable[[str], bool]) -> tuple[str, str]:
    """Run ``service`` until ``ready(metrics)`` holds; return its /metrics and status page."""
    running = asyncio.create_task(service.run())
    try:
        await asyncio.wait_for(service.started(), 30)
        base = f"http://127.0.0.1:{service.health_port}"
        async with httpx.AsyncClient(base_url=base, timeout=5) as client:
            for _ in range(300):
                metrics = (await client.get("/metrics")).text
                if ready(metrics):
                    break
                await asyncio.sleep(0.1)
            return metrics, (await client.get("/")).text
    finally:
        service.stop()
        await asyncio.wait_for(running, 60)


async def test_the_status_page_counts_dead_letters_left_by_an_earlier_process(
    kafka_bootstrap: str, tmp_path: Path
) -> None:
    """A process that never dead-lettered anything shows the 3 an earlier run left on Kafka."""
    prefix = unique_topic("restart") + "."
    settings = Settings(kafka_bootstrap=kafka_bootstrap, topic_prefix=prefix, health_port=0)
    first = Service(f"before-{uuid.uuid4().hex[:6]}", settings=settings, lag_interval_s=0.2)
    topic = first.codec.topic_for(DeathRegisteredV1)
    dead_letters = topic + ".dlq"
    await create_topics(kafka_bootstrap, [topic])

    @first.subscribe(DeathRegisteredV1, retry=RetryPolicy(max_attempts=1))
    async def refuse(event: DeathRegisteredV1, delivery: Delivery) -> None:
        raise ValueError("the council's system refuses every case today")

    running = asyncio.create_task(first.run())
    try:
        await asyncio.wait_for(first.started(), 30)
        assert first.publisher is not None
        for key in ("DR-1", "DR-2", "DR-3"):
            await first.publisher.publish(DeathRegisteredV1.example_event(), key=key)
        for _ in range(300):
            if await topic_size(kafka_bootstrap, dead_letters, timeout_s=1) == 3:
                break
            await asyncio.sleep(0.1)
    finally:
        first.stop()
        await asyncio.wait_for(running, 60)
    assert await topic_size(kafka_bootstrap, dead_letters) == 3

    # The restarted process: new counters (another subscriber name), the same topics.
    second = Service(f"after-{uuid.uuid4().hex[:6]}", settings=settings, lag_interval_s=0.2)

    @second.subscribe(DeathRegisteredV1)
    async def accept(event: DeathRegisteredV1, delivery: Delivery) -> None:
        return None

    inbox = tmp_path / "inbox"
    inbox.mkdir()
    context = SourceContext(name="files", mapper=Mapper(mapping("csv")))
    second.add_source("badges-inbox", csv_source(csv_config(inbox), context))
    adapter_dead_letters = second.names.adapter_dead_letters("badges-inbox")
    metrics, page = await _run_until(
        second,
        lambda m: _present(m, dead_letters) == 3 and _present(m, adapter_dead_letters) == 0,
    )
    assert _present(metrics, dead_letters) == 3
    rows = {row[0]: row[1:] for row in _table(page, "dead-letter-topics")}
    assert rows[dead_letters][:2] == [f"subscription {second.name}.accept", "3"]
    assert rows[adapter_dead_letters][:2] == ["source adapter badges-inbox", "0"]
    assert rows[dead_letters][2] == f"govbus dlq list {dead_letters}"
    # What this process itself dead-lettered is still shown apart, and is nothing.
    assert _table(page, "dead-letters") == [["None"]]
