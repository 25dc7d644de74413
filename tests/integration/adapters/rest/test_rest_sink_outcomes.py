"""How the REST sink reads the API's answers: done, retry later, or refused for good."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from aiohttp import web

from adapters.rest import RequestRefused, RestCall, RestConfig, RestSink
from bus.foundation.errors import ConfigError, NotConnected
from bus.messaging.envelope import Envelope
from bus.messaging.subscriber import Delivery
from contracts.catalogue.council import CouncilTaxAccountClosedV1
from examples.legacy.council_tax import CouncilTaxApi
from tests.integration.adapters.rest.misbehaving import serving

CLOSURE = RestCall(
    path="/accounts/{account_reference}/closure",
    body={"closed_on": "closed_on", "reason": "reason", "case.tuo": "tell_us_once_reference"},
)
EVENT = CouncilTaxAccountClosedV1.model_validate(CouncilTaxAccountClosedV1.contract.example)


def delivery(event_id: str = "ce-1") -> Delivery:
    envelope = Envelope(id=event_id, source="urn:test", type="t")
    return Delivery(envelope, "topic", 0, 0, None, 1)


def sink(base_url: str, call: RestCall = CLOSURE, **config: Any) -> RestSink:
    return RestSink(RestConfig(base_url=base_url, call=call, **config), CouncilTaxAccountClosedV1)


async def test_the_request_carries_the_event_id_body_and_encoded_path() -> None:
    """One PUT to the percent-encoded account path, with Idempotency-Key and the mapped body."""
    async with CouncilTaxApi() as api:
        rest = sink(api.base_url)
        await rest.open()
        await rest.deliver(EVENT, delivery("ce-42"))
        await rest.close()
        assert api.state.requests == ["PUT /accounts/CT%2F40187734/closure"]
        assert api.state.closures == [{
            "account_reference": "CT/40187734", "closed_on": "2025-03-01",
            "reason": "death-of-liable-person", "case": {"tuo": "TUO-2025-0040127"},
        }]  # fmt: skip
        assert "ce-42" in api.state.answers


async def test_a_repeated_event_id_changes_the_account_once() -> None:
    """The same ce_id twice: the API replays its first answer, one closure is recorded."""
    async with CouncilTaxApi() as api:
        rest = sink(api.base_url)
        await rest.open()
        await rest.deliver(EVENT, delivery("ce-1"))
        await rest.deliver(EVENT, delivery("ce-1"))
        await rest.close()
        assert len(api.state.closures) == 1


async def test_a_409_is_done_only_when_configured_so() -> None:
    """A second closure under a new id answers 409: refused by default, done if configured."""
    async with CouncilTaxApi() as api:
        strict = sink(api.base_url)
        lenient = sink(api.base_url, CLOSURE.model_copy(update={"done_statuses": (409,)}))
        await strict.open()
        await lenient.open()
        await strict.deliver(EVENT, delivery("ce-1"))
        with pytest.raises(RequestRefused, match="409") as refused:
            await strict.deliver(EVENT, delivery("ce-2"))
        assert refused.value.status == 409
        assert not refused.value.retriable
        await lenient.deliver(EVENT, delivery("ce-3"))
        await strict.close()
        await lenient.close()


async def test_a_4xx_is_refused_for_good_with_the_apis_reason() -> None:
    """A body the API rejects (422) raises a non-retriable error quoting the API's answer."""
    async with CouncilTaxApi() as api:
        rest = sink(api.base_url, CLOSURE.model_copy(update={"body": {"closed_on": "closed_on"}}))
        await rest.open()
        with pytest.raises(RequestRefused, match=r"422.*missing fields: reason"):
            await rest.deliver(EVENT, delivery())
        await rest.close()


@pytest.mark.parametrize("status", [500, 502, 503, 429, 408])
async def test_a_server_error_or_throttling_means_try_again(status: int) -> None:
    """5xx, 429 and 408 raise NotConnected, so the subscriber retries with backoff."""

    async def failing(request: web.Request) -> web.Response:
        return web.Response(status=status, text="<html>busy</html>", content_type="text/html")

    async with serving("/accounts/{ref}/closure", failing) as url:
        rest = sink(url)
        await rest.open()
        with pytest.raises(NotConnected, match=str(status)):
            await rest.deliver(EVENT, delivery())
        await rest.close()


async def test_a_slow_api_times_out_as_not_connected() -> None:
    """An API slower than timeout_s raises NotConnected rather than hanging the partition."""

    async def slow(request: web.Request) -> web.Response:
        await asyncio.sleep(1.5)
        return web.json_response({})

    async with serving("/accounts/{ref}/closure", slow) as url:
        rest = sink(url, timeout_s=0.2)
        await rest.open()
        with pytest.raises(NotConnected):
            await rest.deliver(EVENT, delivery())
        await rest.close()


async def test_a_stopped_api_means_not_connected() -> None:
    """Connection refused raises NotConnected."""
    async with CouncilTaxApi() as api:
        url = api.base_url
    rest = sink(url)
    await rest.open()
    with pytest.raises(NotConnected):
        await rest.deliver(EVENT, delivery())
    await rest.close()


async def test_the_secret_is_sent_in_the_configured_header() -> None:
    """An API key goes in its own header without a scheme when auth_scheme is empty."""
    seen: list[str] = []

    async def guarded(request: web.Request) -> web.Response:
        seen.append(request.headers.get("X-Api-Key", ""))
        return web.json_response({}, status=201)

    async with serving("/accounts/{ref}/closure", guarded) as url:
        rest = sink(url, auth_header="X-Api-Key", auth_scheme="", secret="k-123")  # noqa: S106
        await rest.open()
        await rest.deliver(EVENT, delivery())
        await rest.close()
    assert seen == ["k-123"]


def test_a_path_or_body_naming_an_unknown_field_is_refused_at_start_up() -> None:
    """A typo in the call config fails when the sink is built, naming the field."""
    with pytest.raises(ConfigError, match="account_ref"):
        sink("http://127.0.0.1:1", RestCall(path="/accounts/{account_ref}/closure"))
    bad_body = CLOSURE.model_copy(update={"body": {"town": "property_address.city"}})
    with pytest.raises(ConfigError, match=r"property_address\.city"):
        sink("http://127.0.0.1:1", bad_body)
