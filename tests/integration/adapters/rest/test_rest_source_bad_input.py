"""What the REST source does with an API that answers badly: reject clearly, lose nothing."""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from aiohttp import web

from adapters.rest import RestConfig, RestPoll, RestSource
from adapters.rest.source import RAW_LIMIT
from bus.adapter_runtime.mapping import Mapper
from bus.foundation.errors import NotConnected
from examples.legacy.council_tax import CouncilTaxApi
from tests.integration.adapters.rest.council_tax import MAPPING, change
from tests.integration.adapters.rest.misbehaving import serving

POLL = RestPoll(
    path="/changes", records_path="changes", id_field="change_number",
    cursor_field="change_number",
)  # fmt: skip


def source(base_url: str, **config: Any) -> RestSource:
    settings = RestConfig(base_url=base_url, poll=config.pop("poll", POLL), **config)
    return RestSource(settings, Mapper(MAPPING))


def page(*numbers: int) -> dict[str, Any]:
    return {"changes": [change(n) | {"change_number": n} for n in numbers]}


async def test_an_html_error_page_with_a_5xx_status_means_the_api_is_down() -> None:
    """A 502 HTML page from a proxy raises NotConnected, so the runtime retries later."""

    async def proxy_error(request: web.Request) -> web.Response:
        return web.Response(status=502, text="<html><h1>Bad Gateway</h1></html>",
                            content_type="text/html")  # fmt: skip

    async with serving("/changes", proxy_error) as url:
        rest = source(url)
        await rest.open({})
        with pytest.raises(NotConnected, match="502"):
            await rest.read()
        await rest.close()


async def test_an_html_page_with_status_200_is_rejected_once_with_its_url() -> None:
    """A 200 HTML page is bad input: one rejection naming the URL, then the feed waits."""

    async def login_page(request: web.Request) -> web.Response:
        return web.Response(text="<html><form>Sign in</form></html>", content_type="text/html")

    async with serving("/changes", login_page) as url:
        rest = source(url)
        await rest.open({("x", "y"): {"cursor": 1}})
        (record,) = await rest.read()
        assert record.rejection is not None
        assert record.rejection.position == f"GET {url}/changes"
        assert "not JSON" in record.rejection.reason
        assert record.rejection.raw.startswith(b"<html>")
        assert await rest.read() == []  # the same failure is not dead-lettered on every poll
        await rest.close()


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (b'{"changes": [{"change_number": ' + b"9" * 5000 + b"}]}", "digits"),
        (b'{"changes": [{"change_number": 1e400}]}', "too large for a float"),
        (b'{"changes": [NaN]}', "NaN is not a JSON number"),
        (b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
        (b'{"changes": ["caf\xe9"]}', "not UTF-8: byte 17 is 0xe9"),
        (b'{"changes": [', "not JSON"),
        (b'{"items": []}', "no field 'changes'"),
        (b'{"changes": {"a": 1}}', "changes is not a list"),
    ],
    ids=["huge-int", "huge-float", "nan", "deep", "latin-1", "truncated", "no-list", "not-list"],
)
async def test_an_unusable_page_is_rejected_with_the_reason(body: bytes, expected: str) -> None:
    """Huge numbers, deep nesting, bad UTF-8 and wrong shapes each give a clear rejection."""

    async def bad(request: web.Request) -> web.Response:
        return web.Response(body=body, content_type="application/json")

    async with serving("/changes", bad) as url:
        rest = source(url)
        await rest.open({})
        (record,) = await rest.read()
        assert record.rejection is not None
        assert expected in record.rejection.reason
        await rest.close()


async def test_a_large_integer_that_fits_stays_exact() -> None:
    """A 30-digit id is kept exact in the record identity, never rounded through a float."""
    big = 123456789012345678901234567890

    async def feed(request: web.Request) -> web.Response:
        return web.json_response({"changes": [change(1) | {"change_number": 1, "id": big}]})

    poll = POLL.model_copy(update={"id_field": "id", "pagination": "none"})
    async with serving("/changes", feed) as url:
        rest = source(url, poll=poll)
        await rest.open({})
        (record,) = await rest.read()
        assert record.identity == f"/changes/{big}"
        await rest.close()


async def test_a_body_past_the_size_limit_is_rejected_without_reading_it_all() -> None:
    """A streamed 8 MB body with a 1 MB limit stops reading and is rejected, first bytes kept."""
    sent = {"bytes": 0}

    async def huge(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "application/json"})
        await response.prepare(request)
        await response.write(b'{"changes": [')
        try:
            for _ in range(8 * 16):
                await response.write(b" " * 65536)
                sent["bytes"] += 65536
        except (ConnectionResetError, RuntimeError):
            pass  # the client stopped reading, as it should
        return response

    async with serving("/changes", huge) as url:
        rest = source(url, max_response_bytes=1_000_000)
        await rest.open({})
        (record,) = await rest.read()
        assert record.rejection is not None
        assert "exceeds the 1000000-byte limit" in record.rejection.reason
        assert len(record.rejection.raw) <= RAW_LIMIT
        await rest.close()


async def test_an_announced_oversized_body_is_refused_before_reading() -> None:
    """A Content-Length over the limit is rejected from the header alone."""

    async def big(request: web.Request) -> web.Response:
        return web.json_response({"changes": [], "padding": "x" * 2_000_000})

    async with serving("/changes", big) as url:
        rest = source(url, max_response_bytes=1_000_000)
        await rest.open({})
        (record,) = await rest.read()
        assert record.rejection is not None
        assert "exceeds the 1000000-byte limit" in record.rejection.reason
        await rest.close()


async def test_a_next_link_pointing_back_is_rejected_as_a_loop_after_its_records() -> None:
    """Pages A -> B -> A: A's and B's records come once, then the loop is rejected."""
    calls: list[str] = []

    async def looping(request: web.Request) -> web.Response:
        at = request.query.get("at", "a")
        calls.append(at)
        other = request.url.with_query({"at": "b" if at == "a" else "a"})
        numbers = (1, 2) if at == "a" else (3,)
        return web.json_response(page(*numbers), headers={"Link": f'<{other}>; rel="next"'})

    async with serving("/changes", looping) as url:
        rest = source(url, poll=POLL.model_copy(update={"params": {"at": "a"}}))
        await rest.open({})
        first = await rest.read()
        second = await rest.read()
        assert [r.offset for r in first] == [{"cursor": 1}, {"cursor": 2}]
        assert all(r.event is not None for r in first)
        assert [r.offset for r in second if r.event] == [{"cursor": 3}]
        (loop,) = [r.rejection for r in second if r.rejection is not None]
        assert "pagination loops" in loop.reason
        assert loop.position == f"GET {url}/changes?at=b"
        assert calls == ["a", "b"]  # the loop was seen without fetching page A again
        await rest.close()


async def test_a_repeated_next_cursor_is_rejected_as_a_loop() -> None:
    """With cursor pagination, a next cursor already followed in this poll ends it."""

    async def stuck(request: web.Request) -> web.Response:
        return web.json_response(page(5) | {"next_cursor": "7"})

    poll = POLL.model_copy(update={"pagination": "cursor"})
    async with serving("/changes", stuck) as url:
        rest = source(url, poll=poll)
        await rest.open({})
        first = await rest.read()  # since unset -> next cursor 7
        assert not [r for r in first if r.rejection]
        second = await rest.read()  # since=7 -> next cursor 7 again
        assert any(r.rejection and "pagination loops" in r.rejection.reason for r in second)
        await rest.close()


async def test_a_client_error_is_rejected_with_its_status_and_answer() -> None:
    """A 404 (a wrong path in the config) is rejected with the status and the API's words."""

    async def missing(request: web.Request) -> web.Response:
        return web.json_response({"error": "no such collection"}, status=404)

    async with serving("/changes", missing) as url:
        rest = source(url)
        await rest.open({})
        (record,) = await rest.read()
        assert record.rejection is not None
        assert record.rejection.reason == 'GET answered 404: {"error": "no such collection"}'
        await rest.close()


async def test_a_bad_record_is_rejected_with_its_id_and_the_page_flows() -> None:
    """Unmappable, id-less and non-object records are rejected; good neighbours publish."""
    items = [
        change(1) | {"change_number": 1},
        change(2, closed_on="yesterday") | {"change_number": 2},
        "not an object",
        change(4),  # no change number: no id, no cursor
        change(5) | {"change_number": 5},
    ]

    async def feed(request: web.Request) -> web.Response:
        return web.Response(body=orjson.dumps({"changes": items}), content_type="application/json")

    poll = POLL.model_copy(update={"pagination": "none"})
    async with serving("/changes", feed) as url:
        rest = source(url, poll=poll)
        await rest.open({})
        records = await rest.read()
        good = [r.identity for r in records if r.event is not None]
        bad = {r.rejection.position: r.rejection.reason for r in records if r.rejection}
        assert good == ["/changes/1", "/changes/5"]
        assert "closed_on" in bad[f"GET {url}/changes id 2"]
        assert "not a JSON object" in bad[f"GET {url}/changes record 2"]
        assert "no usable id" in bad[f"GET {url}/changes record 3"]
        assert records[-1].offset == {"cursor": 5}
        await rest.close()


async def test_an_idle_poll_is_answered_304_from_the_etag() -> None:
    """After the feed is drained, repeat polls send If-None-Match and get 304 Not Modified."""
    async with CouncilTaxApi() as api:
        for number in range(1, 4):
            api.add_change(change(number))
        rest = source(api.base_url, poll=POLL.model_copy(update={"path": "/accounts/changes"}))
        await rest.open({})
        assert len(await rest.read()) == 3
        assert await rest.read() == []
        assert await rest.read() == []
        assert api.state.statuses == [200, 200, 304]
        api.add_change(change(4))
        (record,) = await rest.read()
        assert record.offset == {"cursor": 4}
        await rest.close()


async def test_the_secret_goes_in_the_auth_header_and_never_in_the_config_text() -> None:
    """The configured secret is sent as a bearer token and hidden from repr."""
    seen: list[str] = []

    async def guarded(request: web.Request) -> web.Response:
        seen.append(request.headers.get("Authorization", ""))
        return web.json_response({"changes": []})

    async with serving("/changes", guarded) as url:
        rest = source(url, secret="s3cret-token")  # noqa: S106 - a test secret
        assert "s3cret-token" not in repr(rest.config)
        await rest.open({})
        await rest.read()
        assert seen == ["Bearer s3cret-token"]
        await rest.close()


async def test_a_refused_connection_means_not_connected() -> None:
    """An API that is not listening raises NotConnected, not a crash."""
    async with CouncilTaxApi() as api:
        url = api.base_url
    rest = source(url)
    await rest.open({})
    with pytest.raises(NotConnected):
        await rest.read()
    await rest.close()


async def test_page_numbers_are_followed_until_an_empty_page() -> None:
    """With page pagination, pages 1, 2, 3 are asked for; the empty page 3 ends the poll."""
    asked: list[str] = []

    async def paged(request: web.Request) -> web.Response:
        number = int(request.query["page"])
        asked.append(request.query_string)
        return web.json_response(page(*{1: (1, 2), 2: (3,)}.get(number, ())))

    async with serving("/changes", paged) as url:
        rest = source(url, poll=POLL.model_copy(update={"pagination": "page"}))
        await rest.open({("unused",): {"cursor": 0}})
        batches = [await rest.read() for _ in range(3)]
        assert [[r.offset["cursor"] for r in b] for b in batches] == [[1, 2], [3], []]
        assert asked == ["page=1", "page=2", "page=3"]
        await rest.close()
