"""A REST sink whose token comes from a secret file: sent to the API, shown nowhere else."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import httpx
import pytest
from aiohttp import web

from bus.adapter_runtime.plugins import SinkContext
from bus.foundation.settings import Settings
from bus.messaging.envelope import Envelope
from bus.messaging.subscriber import Delivery
from bus.process import deployment
from bus.process.service import Service
from bus.testing.kafka import create_topics, eventually, unique_topic
from contracts.catalogue.council import CouncilTaxAccountClosedV1
from tests.integration.adapters.rest.misbehaving import serving

TOKEN = "cT-4f9a1e7b3d5c2a8e6f0b"  # noqa: S105 - a test secret, checked for absence
EVENT = CouncilTaxAccountClosedV1.model_validate(CouncilTaxAccountClosedV1.contract.example)
DEPLOYMENT = """
[service]
name = "council-tax-closures"

[[sinks]]
name = "closures-api"
kind = "rest"
contract = "uk.gov.council.council-tax-account-closed.v1"
retry = { max_attempts = 5, initial_backoff_s = 0.05, max_backoff_s = 0.1 }

[sinks.config]
base_url = "${env:CLOSURES_API_URL}"
secret = "${file:secrets/closures-token}"

[sinks.config.call]
path = "/accounts/{account_reference}/closure"
"""


def _deployment(tmp_path: Path, base_url: str) -> deployment.Plan:
    """The deployment file beside its Kubernetes-style secret file (with a trailing newline)."""
    (tmp_path / "secrets").mkdir()
    (tmp_path / "secrets" / "closures-token").write_text(TOKEN + "\n")
    path = tmp_path / "deployment.toml"
    path.write_text(DEPLOYMENT)
    return deployment.load(path, environ={"CLOSURES_API_URL": base_url})


async def test_the_token_from_a_secret_file_is_sent_as_the_bearer_token(tmp_path: Path) -> None:
    """The API on 127.0.0.1 receives `Authorization: Bearer <file content less newline>`."""
    seen: list[str] = []

    async def api(request: web.Request) -> web.Response:
        seen.append(request.headers.get("Authorization", ""))
        return web.json_response({}, status=201)

    async with serving("/accounts/{ref}/closure", api) as url:
        (planned,) = _deployment(tmp_path, url).sinks
        assert planned.kind.sink is not None
        rest = planned.kind.sink(
            planned.config, SinkContext(name=planned.spec.name, contract=planned.contract)
        )
        await rest.open()
        await rest.deliver(
            EVENT, Delivery(Envelope(id="ce-1", source="urn:t", type="t"), "t", 0, 0, None, 1)
        )
        await rest.close()
    assert seen == [f"Bearer {TOKEN}"]


async def test_a_running_service_never_shows_the_secret_on_its_pages_or_in_its_logs(
    kafka_bootstrap: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The API refuses then accepts; status page, metrics and logs never hold the token."""
    seen: list[str] = []

    async def api(request: web.Request) -> web.Response:
        seen.append(request.headers.get("Authorization", ""))
        if len(seen) == 1:  # a first failure, so the retry is logged and shown
            return web.json_response({"error": "try again"}, status=503)
        return web.json_response({}, status=201)

    caplog.set_level(logging.DEBUG)
    async with serving("/accounts/{ref}/closure", api) as url:
        plan = _deployment(tmp_path, url)
        settings = Settings(
            kafka_bootstrap=kafka_bootstrap,
            topic_prefix=unique_topic("secrets") + ".",
            health_port=0,
        )
        service = Service(plan.deployment.service.name, settings=settings, lag_interval_s=0.2)
        await create_topics(kafka_bootstrap, [service.codec.topic_for(CouncilTaxAccountClosedV1)])
        plan.build(service)
        running = asyncio.create_task(service.run())
        try:
            await asyncio.wait_for(service.started(), 30)
            base = f"http://127.0.0.1:{service.health_port}"
            async with httpx.AsyncClient(timeout=5) as client:

                async def ready() -> bool:
                    return (await client.get(f"{base}/readyz")).status_code == 200

                for _ in range(300):
                    if await ready():
                        break
                    await asyncio.sleep(0.1)
                assert service.publisher is not None
                await service.publisher.publish(EVENT, key="CT-1")
                await eventually(lambda: len(seen) == 2, what="the retried delivery")
                pages = [(await client.get(f"{base}{path}")).text for path in ("/", "/metrics")]
        finally:
            service.stop()
            await asyncio.wait_for(running, 60)
    assert seen == [f"Bearer {TOKEN}"] * 2
    assert "closures-api" in pages[0]
    for shown in (*pages, caplog.text, repr(plan)):
        assert TOKEN not in shown
