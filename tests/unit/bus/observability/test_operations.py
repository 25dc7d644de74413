"""What every govbus process serves operators, wired by ``Operations``, without a Kafka cluster."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from bus.foundation.errors import ListenError
from bus.foundation.settings import Settings
from bus.messaging.codec import Codec
from bus.observability.health import Readiness
from bus.observability.operations import Operations, SourceAdapter, Subscribed
from bus.observability.status import LastEvents
from bus.testing.kafka import free_port
from contracts.catalogue.gro import DeathRegisteredV1, DeathRegisteredV2

UNREACHABLE = "127.0.0.1:1"


def operations(readiness: Readiness, **settings: Any) -> Operations:
    """A process named pensions with one v2 subscription and one source adapter."""
    chosen = Settings(topic_prefix="staging.", **({"health_port": 0} | settings))
    return Operations(
        "pensions", settings=chosen,
        codec=Codec(source="urn:govbus:pensions", topic_prefix="staging."),
        bootstrap=UNREACHABLE, client_options={"bootstrap_servers": UNREACHABLE},
        subscriptions=[Subscribed("pensions.stop", "pensions.stop", DeathRegisteredV2)],
        sources=[SourceAdapter("gro-deaths", DeathRegisteredV1)],
        readiness=readiness, last_events=LastEvents(),
    )  # fmt: skip


async def test_a_process_is_not_ready_until_kafka_and_each_subscription_are() -> None:
    """/readyz is 503 naming Kafka and each subscription until they report ready, then 200."""
    readiness = Readiness()
    ops = operations(readiness)
    try:
        port = await ops.serve()
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=5) as client:
            before = await client.get("/readyz")
            ops.subscription_ready("pensions.stop")(True, "3 partition(s) assigned")
            readiness.set("kafka", ready=True)
            after = await client.get("/readyz")
    finally:
        await ops.stop()
    assert before.status_code == 503
    assert before.json()["not_ready"] == {
        "kafka": f"connecting to {UNREACHABLE}",
        "subscriber:pensions.stop": "waiting for partitions",
    }
    assert (after.status_code, after.json()) == (200, {"status": "ready"})


async def test_the_status_page_lists_subscriptions_topics_and_dead_letter_topics() -> None:
    """The page names the subscription, the topics it reads and every dead-letter topic."""
    ops = operations(Readiness())
    try:
        port = await ops.serve()
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=5) as client:
            page = (await client.get("/")).text
    finally:
        await ops.stop()
    for shown in (
        "pensions.stop",
        "staging.gro.death-registered.v2",
        "staging.gro.death-registered.v1.dlq",
        "staging.gro.death-registered.v2.dlq",
        "staging.govbus.adapter.gro-deaths.dlq",
        "gro-deaths",
    ):
        assert shown in page, shown


async def test_a_taken_health_port_is_a_listen_error_naming_it() -> None:
    """A second process on the same GOVBUS_HEALTH_PORT fails to serve, naming the address."""
    port = free_port()
    first, second = (
        operations(Readiness(), health_port=port),
        operations(Readiness(), health_port=port),
    )
    try:
        await first.serve()
        with pytest.raises(ListenError, match=str(port)):
            await second.serve()
    finally:
        await second.stop()
        await first.stop()


async def test_stop_releases_the_health_port_and_may_be_called_twice() -> None:
    """After stop() nothing answers on the port, and a second stop() does nothing."""
    ops = operations(Readiness())
    port = await ops.serve()
    await ops.stop()
    await ops.stop()
    async with httpx.AsyncClient(timeout=2) as client:
        with pytest.raises(httpx.ConnectError):
            await client.get(f"http://127.0.0.1:{port}/healthz")
