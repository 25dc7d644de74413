"""The rendered status page: escaped, self-contained, and served by the health server."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser

import httpx

from bus.observability.health import Condition, HealthServer, Readiness
from bus.observability.status import (
    AdapterStatus,
    DeadLetterTopicStatus,
    LastEvent,
    StatusSnapshot,
    SubscriptionStatus,
)
from bus.observability.status_page import render

HOSTILE = '<script>alert(1)</script><img src=x onerror="alert(2)">'
NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def _parsed(html: str) -> _Tags:
    parser = _Tags()
    parser.feed(html)
    return parser


def _snapshot(text: str) -> StatusSnapshot:
    return StatusSnapshot(
        service=text,
        generated_at=NOW,
        conditions=(Condition(f"subscriber:{text}", False, text),),
        subscriptions=(SubscriptionStatus(text, text, (text,), handled=1),),
        adapters=(AdapterStatus(text, True, NOW - timedelta(seconds=30), 1, 1, 0),),
        last_events=(LastEvent(text, text, text, None, NOW, text),),
        dead_letter_topics=(DeadLetterTopicStatus(text, (text,), 3),),
    )


def test_hostile_names_and_attributes_are_shown_as_text() -> None:
    """Markup in any value (names, ce_source, ce_id, details) is escaped, never a tag."""
    page = _parsed(render(_snapshot(HOSTILE)))
    assert not [tag for tag, _ in page.tags if tag in {"script", "img"}]
    assert HOSTILE in "".join(page.text)


def test_the_page_loads_nothing_from_elsewhere() -> None:
    """No link, script, image or stylesheet is fetched: the style is inline."""
    page = _parsed(render(_snapshot("dwp-pensions")))
    fetching = [
        (tag, attrs)
        for tag, attrs in page.tags
        if tag in {"link", "script", "img", "iframe"} or "src" in attrs or "href" in attrs
    ]
    assert fetching == []


def test_readiness_times_and_adapter_state_are_spelled_out() -> None:
    """Not-ready conditions, ages of times and the legacy system's state are words, not colours."""
    text = " ".join(_parsed(render(_snapshot("dwp-pensions"))).text)
    assert "Not ready" in text
    assert "2026-11-25 11:59:30 UTC (30 s ago)" in text
    assert "up" in text.split()


async def test_the_health_server_serves_the_page_at_root_and_status() -> None:
    """/ and /status answer the page with a policy that forbids scripts; /metrics still works."""
    readiness = Readiness()
    server = HealthServer(readiness, status_page=lambda: render(_snapshot("dwp-pensions")))
    async with server, httpx.AsyncClient(base_url=f"http://127.0.0.1:{server.port}") as client:
        root, status = await client.get("/"), await client.get("/status")
        metrics = await client.get("/metrics")
    assert root.status_code == status.status_code == metrics.status_code == 200
    assert root.text == status.text
    assert '<h1 id="service-name">dwp-pensions</h1>' in root.text
    assert root.headers["content-type"] == "text/html; charset=utf-8"
    assert "script-src" not in root.headers["content-security-policy"]
    assert root.headers["content-security-policy"].startswith("default-src 'none'")


async def test_without_a_page_root_is_not_found() -> None:
    """A bare health server (no service) keeps answering 404 at /."""
    async with HealthServer(Readiness()) as server, httpx.AsyncClient() as client:
        response = await client.get(f"http://127.0.0.1:{server.port}/")
    assert response.status_code == 404


def test_each_dead_letter_topic_is_named_with_whose_it_is_and_what_kafka_keeps() -> None:
    """Topic, owner, the count read from Kafka (or that it is not read yet) and the command."""
    snapshot = StatusSnapshot(
        service="council",
        generated_at=NOW,
        conditions=(),
        dead_letter_topics=(
            DeadLetterTopicStatus(
                "gro.death-registered.v1.dlq",
                ("subscription council.badges", "subscription council.libraries"),
                49,
            ),
            DeadLetterTopicStatus(
                "govbus.adapter.badges-inbox.dlq", ("source adapter badges-inbox",), None
            ),
        ),
    )
    text = " ".join(_parsed(render(snapshot)).text)
    assert "Dead-letter topics" in text
    assert "gro.death-registered.v1.dlq" in text
    assert "subscription council.badges" in text
    assert "subscription council.libraries" in text
    assert "49" in text
    assert "source adapter badges-inbox" in text
    assert "not yet read" in text
    assert "govbus dlq list govbus.adapter.badges-inbox.dlq" in text


def test_an_adapters_last_record_is_shown_next_to_its_last_success() -> None:
    """An operator sees when a source last read a record, or that it has read none since start."""
    adapters = (
        AdapterStatus("registrar", True, NOW - timedelta(seconds=5), 3, 3, 0,
                      last_record=NOW - timedelta(hours=26)),
        AdapterStatus("inbox", True, NOW - timedelta(seconds=5), 0, 0, 0),
    )  # fmt: skip
    snapshot = StatusSnapshot(service="council", generated_at=NOW, conditions=(), adapters=adapters)
    text = " ".join(_parsed(render(snapshot)).text)
    assert "Last record" in text
    assert "2026-11-24 10:00:00 UTC (1560 min ago)" in text
    assert "none since start" in text
