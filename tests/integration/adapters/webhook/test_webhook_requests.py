"""What the webhook receiver answers: refusals at once, acceptance only after Kafka has it.

These drive the receiver as the runtime does (``read`` then ``committed``) without Kafka, so
each answer can be observed at the moment it is sent.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import orjson
import pytest

from adapters.webhook import WebhookConfig, WebhookSource, sign
from bus.adapter_runtime.mapping import Mapper
from tests.integration.adapters.rest.council_tax import change
from tests.integration.adapters.webhook.sender import SECRET
from tests.integration.adapters.webhook.sender import WEBHOOK_MAPPING as MAPPING

JSON = {"Content-Type": "application/json"}


@pytest.fixture
async def receiver(request: pytest.FixtureRequest) -> AsyncIterator[WebhookSource]:
    options: dict[str, Any] = getattr(request, "param", {})
    config = WebhookConfig(port=0, secret=SECRET, max_body_bytes=10_000, **options)
    source = WebhookSource(config, Mapper(MAPPING))
    await source.open({})
    yield source
    await source.close()


def url(source: WebhookSource) -> str:
    return f"http://127.0.0.1:{source.port}/webhook"


def signed(body: bytes, **extra: str) -> dict[str, str]:
    return JSON | {"X-Govbus-Signature": sign(SECRET, body)} | extra


async def post(source: WebhookSource, body: bytes, headers: dict[str, str]) -> httpx.Response:
    async with httpx.AsyncClient(timeout=10) as client:
        return await client.post(url(source), content=body, headers=headers)


async def test_the_sender_hears_202_only_after_the_event_is_committed(
    receiver: WebhookSource,
) -> None:
    """The answer waits while the runtime publishes; committed() releases it with 202."""
    body = orjson.dumps(change(1))
    answer = asyncio.create_task(post(receiver, body, signed(body, **{"X-Govbus-Delivery": "d1"})))
    (record,) = await _read_one(receiver)
    await asyncio.sleep(0.3)
    assert not answer.done()  # Kafka has not acknowledged it yet
    assert record.identity == "/webhook/d1"
    assert record.offset == {"seq": 1}
    await receiver.committed(receiver.partition, record.offset)
    response = await answer
    assert response.status_code == 202


async def test_a_body_without_a_delivery_id_is_identified_by_its_hash(
    receiver: WebhookSource,
) -> None:
    """No delivery id header: the same body twice has the same identity."""
    body = orjson.dumps(change(2))
    first = asyncio.create_task(post(receiver, body, signed(body)))
    second = asyncio.create_task(post(receiver, body, signed(body)))
    records = await _read_one(receiver)
    records += await _read_one(receiver) if len(records) < 2 else []
    assert len({r.identity for r in records}) == 1
    assert records[0].identity.startswith("/webhook/sha256:")
    await receiver.committed(receiver.partition, records[-1].offset)
    assert [(await first).status_code, (await second).status_code] == [202, 202]


@pytest.mark.parametrize(
    ("headers", "reason"),
    [
        (JSON, "signature header missing"),
        (JSON | {"X-Govbus-Signature": "md5=abc"}, "must start with 'sha256='"),
        (JSON | {"X-Govbus-Signature": sign("another-secret-entirely", b"{}")}, "does not match"),
    ],
    ids=["unsigned", "wrong-scheme", "wrong-secret"],
)
async def test_an_unsigned_or_wrongly_signed_body_is_refused_401(
    receiver: WebhookSource, headers: dict[str, str], reason: str
) -> None:
    """Missing, malformed or wrong signatures get 401 with the reason; nothing is read."""
    response = await post(receiver, b"{}", headers)
    assert response.status_code == 401
    assert reason in response.json()["error"]
    assert await receiver.read() == []


async def test_a_body_altered_after_signing_is_refused(receiver: WebhookSource) -> None:
    """The signature covers the raw bytes: one changed byte fails it."""
    body = orjson.dumps(change(3))
    headers = signed(body)
    response = await post(receiver, body.replace(b"Oduya", b"Oduyb"), headers)
    assert response.status_code == 401


@pytest.mark.parametrize("receiver", [{"timestamp_header": "X-Govbus-Timestamp"}], indirect=True)
async def test_a_replayed_body_with_an_old_timestamp_is_refused(receiver: WebhookSource) -> None:
    """With timestamps on, a correctly signed body from ten minutes ago is refused as a replay."""
    body = orjson.dumps(change(4))
    old = int(time.time()) - 600
    headers = JSON | {"X-Govbus-Timestamp": str(old),
                      "X-Govbus-Signature": sign(SECRET, body, timestamp=old)}  # fmt: skip
    response = await post(receiver, body, headers)
    assert response.status_code == 401
    assert "replay" in response.json()["error"]
    moved = JSON | {"X-Govbus-Timestamp": str(int(time.time())),
                    "X-Govbus-Signature": headers["X-Govbus-Signature"]}  # fmt: skip
    assert (await post(receiver, body, moved)).status_code == 401  # new time, old signature
    missing = signed(body)
    assert (await post(receiver, body, missing)).status_code == 401


@pytest.mark.parametrize("receiver", [{"timestamp_header": "X-Govbus-Timestamp"}], indirect=True)
async def test_a_fresh_timestamped_body_is_accepted(receiver: WebhookSource) -> None:
    """A body signed with the current time passes."""
    body = orjson.dumps(change(5))
    now = int(time.time())
    headers = JSON | {"X-Govbus-Timestamp": str(now),
                      "X-Govbus-Signature": sign(SECRET, body, timestamp=now)}  # fmt: skip
    answer = asyncio.create_task(post(receiver, body, headers))
    (record,) = await _read_one(receiver)
    await receiver.committed(receiver.partition, record.offset)
    assert (await answer).status_code == 202


async def test_an_oversized_body_is_refused_413(receiver: WebhookSource) -> None:
    """Past max_body_bytes: 413, whether announced by Content-Length or streamed in chunks."""
    body = b'{"x": "' + b"a" * 20_000 + b'"}'
    assert (await post(receiver, body, signed(body))).status_code == 413

    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(20):
            yield b"a" * 1000

    async with httpx.AsyncClient() as client:
        response = await client.post(url(receiver), content=chunks(), headers=signed(b""))
    assert response.status_code == 413


async def test_a_wrong_content_type_is_refused_415(receiver: WebhookSource) -> None:
    """A form post is not a JSON webhook."""
    body = b"a=1"
    headers = signed(body) | {"Content-Type": "application/x-www-form-urlencoded"}
    response = await post(receiver, body, headers)
    assert response.status_code == 415


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"<html>hello</html>", "not JSON"),
        (b'{"name": "caf\xe9"}', "not UTF-8: byte 13 is 0xe9"),
        (b"[" * 5000 + b"]" * 5000, "nested too deeply"),
        (b'{"n": ' + b"9" * 5000 + b"}", "digits"),
        (b'{"n": 1e999}', "too large for a float"),
        (b"[1, 2]", "must be a JSON object, not list"),
    ],
    ids=["html", "latin-1", "deep", "huge-int", "huge-float", "array"],
)
async def test_a_signed_body_that_is_not_a_json_object_is_refused_400(
    receiver: WebhookSource, body: bytes, reason: str
) -> None:
    """Not JSON, not UTF-8, too deep, huge numbers, not an object: 400 saying which."""
    response = await post(receiver, body, signed(body))
    assert response.status_code == 400
    assert reason in response.json()["error"]


async def test_an_unmappable_body_is_dead_lettered_and_answered_422_naming_the_field(
    receiver: WebhookSource,
) -> None:
    """A mapping failure becomes a rejection; after it is committed the sender hears 422."""
    body = orjson.dumps(change(6, closed_on="last tuesday"))
    answer = asyncio.create_task(post(receiver, body, signed(body, **{"X-Govbus-Delivery": "d6"})))
    (record,) = await _read_one(receiver)
    assert record.rejection is not None
    assert record.rejection.position == "POST /webhook delivery d6"
    assert record.rejection.raw == body
    await receiver.committed(receiver.partition, record.offset)
    response = await answer
    assert response.status_code == 422
    assert response.json()["field"] == "closed_on"


async def test_a_sender_waiting_too_long_gets_503_and_may_retry(receiver: WebhookSource) -> None:
    """If Kafka does not acknowledge in time, the sender hears 503 with Retry-After."""
    source = WebhookSource(receiver.config.model_copy(update={"response_timeout_s": 0.3}),
                           Mapper(MAPPING))  # fmt: skip
    await source.open({})
    body = orjson.dumps(change(7))
    response = await post(source, body, signed(body))
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "1"
    await source.close()


async def test_closing_answers_waiting_senders_503(receiver: WebhookSource) -> None:
    """A receiver stopping mid-delivery tells its senders to come back, rather than hanging."""
    body = orjson.dumps(change(8))
    answer = asyncio.create_task(post(receiver, body, signed(body)))
    await _read_one(receiver)
    await receiver.close()
    assert (await answer).status_code == 503


async def test_a_receiver_whose_port_is_taken_is_not_connected(receiver: WebhookSource) -> None:
    """Opening on a bound port raises NotConnected, so the runtime retries it."""
    from bus.foundation.errors import NotConnected

    second = WebhookSource(receiver.config.model_copy(update={"port": receiver.port}),
                           Mapper(MAPPING))  # fmt: skip
    with pytest.raises(NotConnected, match="cannot listen"):
        await second.open({})
    await second.close()


async def _read_one(source: WebhookSource) -> list[Any]:
    for _ in range(20):
        records = list(await source.read())
        if records:
            return records
    raise AssertionError("nothing was received")
