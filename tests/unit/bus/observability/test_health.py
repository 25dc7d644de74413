"""The health and metrics HTTP server, served for real on 127.0.0.1 and read with httpx."""

from __future__ import annotations

import socket

import httpx
import pytest
from prometheus_client import CollectorRegistry, Counter

from bus.foundation.errors import ConfigError, ListenError
from bus.observability.health import HealthServer, Readiness


async def _get(port: int, path: str, **kwargs) -> httpx.Response:
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=5) as client:
        return await client.get(path, **kwargs)


async def test_healthz_answers_200_while_running() -> None:
    """/healthz answers 200 as soon as start() returned, whatever the readiness."""
    readiness = Readiness()
    readiness.set("kafka", ready=False, detail="connecting")
    async with HealthServer(readiness) as server:
        response = await _get(server.port, "/healthz")
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"


async def test_readyz_is_503_naming_each_condition_not_ready_and_why() -> None:
    """/readyz lists the conditions that are not ready with their detail, and not the ready ones."""
    readiness = Readiness()
    readiness.set("kafka", ready=True)
    readiness.set("subscriber:pensions", ready=False, detail="waiting for partition assignment")
    readiness.set("subscriber:dvla", ready=False)
    async with HealthServer(readiness) as server:
        response = await _get(server.port, "/readyz")
    assert response.status_code == 503
    assert response.headers["content-type"].startswith("application/json")
    assert response.json() == {
        "status": "not ready",
        "not_ready": {
            "subscriber:dvla": "",
            "subscriber:pensions": "waiting for partition assignment",
        },
    }


async def test_readyz_follows_conditions_as_they_change() -> None:
    """/readyz turns 200 once every condition is set ready or cleared, and 503 again on a loss."""
    readiness = Readiness()
    readiness.set("kafka", ready=False, detail="connecting")
    readiness.set("subscriber:pensions", ready=False, detail="starting")
    async with HealthServer(readiness) as server:
        assert (await _get(server.port, "/readyz")).status_code == 503
        readiness.set("kafka", ready=True)
        readiness.clear("subscriber:pensions")
        ready = await _get(server.port, "/readyz")
        assert (ready.status_code, ready.json()) == (200, {"status": "ready"})
        readiness.set("kafka", ready=False, detail="broker connection lost")
        lost = await _get(server.port, "/readyz")
    assert lost.status_code == 503
    assert lost.json()["not_ready"] == {"kafka": "broker connection lost"}


async def test_readyz_with_no_conditions_is_ready() -> None:
    """A process that registers no condition is ready."""
    async with HealthServer(Readiness()) as server:
        assert (await _get(server.port, "/readyz")).status_code == 200


async def test_metrics_serves_the_given_registry_in_prometheus_text_format() -> None:
    """/metrics exposes the registry passed in, with the text format's content type."""
    registry = CollectorRegistry()
    counter = Counter("govbus_test_things_total", "Things.", ["outcome"], registry=registry)
    counter.labels(outcome="handled").inc(3)
    async with HealthServer(Readiness(), registry=registry) as server:
        response = await _get(server.port, "/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=")
    assert 'govbus_test_things_total{outcome="handled"} 3.0' in response.text.splitlines()


async def test_metrics_speaks_openmetrics_when_the_scraper_asks() -> None:
    """A scraper that accepts OpenMetrics gets it, ending with the # EOF marker."""
    registry = CollectorRegistry()
    Counter("govbus_test_things_total", "Things.", registry=registry).inc()
    async with HealthServer(Readiness(), registry=registry) as server:
        response = await _get(
            server.port,
            "/metrics",
            headers={"Accept": "application/openmetrics-text; version=1.0.0"},
        )
    assert response.headers["content-type"].startswith("application/openmetrics-text")
    assert response.text.endswith("# EOF\n")


async def test_metrics_uses_the_default_registry_unless_told_otherwise() -> None:
    """Without a registry argument the server exposes govbus's metrics module."""
    from bus.foundation.metrics import CONSUMER_LAG

    CONSUMER_LAG.labels(group="health-default", topic="gro.death-registered.v1").set(7)
    try:
        async with HealthServer(Readiness()) as server:
            body = (await _get(server.port, "/metrics")).text
    finally:
        CONSUMER_LAG.remove("health-default", "gro.death-registered.v1")
    expected = 'govbus_consumer_lag{group="health-default",topic="gro.death-registered.v1"} 7.0'
    assert expected in body.splitlines()


@pytest.mark.parametrize("path", ["/", "/metrics/", "/readyz/extra", "/../etc/passwd", "/status"])
async def test_other_paths_are_404(path: str) -> None:
    """Only the three endpoints exist."""
    async with HealthServer(Readiness()) as server:
        assert (await _get(server.port, path)).status_code == 404


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH", "HEAD"])
@pytest.mark.parametrize("path", ["/metrics", "/healthz", "/readyz"])
async def test_methods_other_than_get_are_405(method: str, path: str) -> None:
    """The endpoints answer GET only; anything else is 405 Method Not Allowed."""
    async with HealthServer(Readiness()) as server:
        url = f"http://127.0.0.1:{server.port}{path}"
        async with httpx.AsyncClient(timeout=5) as client:
            response = await client.request(method, url, content=b"x" * 10)
    assert response.status_code == 405
    assert response.headers["allow"] == "GET"


async def test_start_returns_the_bound_port_and_stop_releases_it() -> None:
    """start() returns the ephemeral port it bound; after stop() nothing listens there."""
    server = HealthServer(Readiness())
    port = await server.start()
    try:
        assert port == server.port
        assert port > 0
        assert (await _get(port, "/healthz")).status_code == 200
    finally:
        await server.stop()
    with pytest.raises(httpx.ConnectError):
        await _get(port, "/healthz")
    await server.stop()  # a second stop is harmless


async def test_a_server_starts_only_once() -> None:
    """Starting twice is a programming error, also after stop()."""
    server = HealthServer(Readiness())
    await server.start()
    await server.stop()
    with pytest.raises(RuntimeError, match="only once"):
        await server.start()


async def test_stop_without_start_is_harmless() -> None:
    """stop() on a server that never started does nothing; port is unknown."""
    server = HealthServer(Readiness())
    await server.stop()
    with pytest.raises(RuntimeError, match="not been started"):
        _ = server.port


async def test_a_port_in_use_is_a_config_error_naming_the_address() -> None:
    """Binding a taken port raises ListenError (a ConfigError) naming host and port."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        server = HealthServer(Readiness(), port=port)
        with pytest.raises(ListenError, match=f"127.0.0.1:{port}") as raised:
            await server.start()
    assert isinstance(raised.value, ConfigError)
    assert (raised.value.host, raised.value.port) == ("127.0.0.1", port)
    await server.stop()


@pytest.mark.parametrize("port", [-1, 65536])
def test_an_impossible_port_is_refused(port: int) -> None:
    """A port outside 0-65535 fails at construction, naming it."""
    with pytest.raises(ValueError, match=str(port)):
        HealthServer(Readiness(), port=port)


@pytest.mark.parametrize("name", ["", "x" * 201, "kafka\n", "sub\x00"])
def test_readiness_refuses_empty_oversized_or_unprintable_names(name: str) -> None:
    """Condition names end up in JSON for operators, so they are short printable text."""
    with pytest.raises(ValueError, match="readiness condition name"):
        Readiness().set(name, ready=True)


def test_readiness_lists_conditions_sorted_and_clear_ignores_unknown_names() -> None:
    """conditions() is a sorted snapshot; clearing an unknown name changes nothing."""
    readiness = Readiness()
    readiness.set("b", ready=True)
    readiness.set("a", ready=False, detail="why")
    readiness.clear("never-set")
    assert [(c.name, c.ready, c.detail) for c in readiness.conditions()] == [
        ("a", False, "why"),
        ("b", True, ""),
    ]
    assert not readiness.ready
