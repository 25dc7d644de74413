"""A council tax system's REST API: a changes feed to poll and account closures to PUT.

The API behaves like the council systems the REST adapter meets, without cutting corners:

``GET /accounts/changes?since=<cursor>&limit=<n>``
    Changes after ``since`` (a change number), oldest first, as
    ``{"changes": [...], "next_cursor": "<n>" | null}``. When more changes follow, the
    response carries ``Link: <...?since=<n>&limit=<n>>; rel="next"``. Every response has an
    ``ETag`` that changes when the page would; ``If-None-Match`` with it answers ``304``.
``PUT /accounts/{reference}/closure``
    Closes an account (JSON body ``{"closed_on": ..., "reason": ...}``) and answers ``201``.
    An ``Idempotency-Key`` header is required: a repeated key replays the first answer and
    changes nothing. Closing a closed account under a new key answers ``409``.
``GET /accounts/{reference}``
    The account, or ``404``.

State is in memory. ``unavailable = True`` answers every request with an HTML ``503`` page,
as a load balancer in front of a down system does; ``stop()`` and ``start()`` close and reopen
the listening socket on the same port. It listens on ``host``, 127.0.0.1 unless told otherwise.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

import orjson
from aiohttp import web

MAX_LIMIT = 500
_HTML_503 = "<html><body><h1>503 Service Unavailable</h1><p>Back soon.</p></body></html>"


@dataclass
class _Answer:
    status: int
    body: dict[str, Any]


@dataclass
class CouncilTaxState:
    """What the council tax system holds."""

    changes: list[dict[str, Any]] = field(default_factory=list)
    accounts: dict[str, dict[str, Any]] = field(default_factory=dict)
    closures: list[dict[str, Any]] = field(default_factory=list)  # one per closure applied
    answers: dict[str, _Answer] = field(default_factory=dict)  # by Idempotency-Key
    requests: list[str] = field(default_factory=list)  # "METHOD path?query", for tests
    statuses: list[int] = field(default_factory=list)  # the answers, in the same order


class CouncilTaxApi:
    """The council tax REST API on ``host``; ``async with`` starts and stops it."""

    def __init__(self, *, host: str = "127.0.0.1", port: int = 0) -> None:
        self.state = CouncilTaxState()
        self.unavailable = False
        self.host = host
        self.port = port
        self._runner: web.AppRunner | None = None
        app = web.Application(middlewares=[self._gate])
        app.router.add_get("/accounts/changes", self._changes)
        app.router.add_get("/accounts/{reference}", self._account)
        app.router.add_put("/accounts/{reference}/closure", self._close)
        self.app = app

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    async def __aenter__(self) -> CouncilTaxApi:
        await self.start()
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.stop()

    async def start(self) -> None:
        """Listen (again) on the same port; the first start picks a free one."""
        runner = web.AppRunner(self.app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, self.host, self.port, reuse_address=True)
        await site.start()
        if self.port == 0:
            self.port = runner.addresses[0][1]
        self._runner = runner

    async def stop(self) -> None:
        """Close the socket: clients now get connection refused."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    def add_change(self, change: dict[str, Any]) -> int:
        """Record a change to an account; returns its change number (the feed's cursor)."""
        number = len(self.state.changes) + 1
        self.state.changes.append({"change_number": number, **change})
        reference = change.get("account_reference")
        if isinstance(reference, str):
            self.state.accounts.setdefault(reference, {"account_reference": reference})
        return number

    @web.middleware
    async def _gate(self, request: web.Request, handler: Any) -> web.StreamResponse:
        self.state.requests.append(f"{request.method} {request.path_qs}")
        if self.unavailable:
            self.state.statuses.append(503)
            return web.Response(status=503, text=_HTML_503, content_type="text/html")
        response: web.StreamResponse = await handler(request)
        self.state.statuses.append(response.status)
        return response

    async def _changes(self, request: web.Request) -> web.Response:
        try:
            since = int(request.query.get("since") or 0)
            limit = min(int(request.query.get("limit") or 100), MAX_LIMIT)
        except ValueError:
            return _json(400, {"error": "since and limit must be whole numbers"})
        if limit < 1 or since < 0:
            return _json(400, {"error": "since must be >= 0 and limit >= 1"})
        page = self.state.changes[since : since + limit]
        more = since + limit < len(self.state.changes)
        next_cursor = str(page[-1]["change_number"]) if page else None
        etag = (
            '"' + hashlib.sha256(f"{since}:{limit}:{more}:{page}".encode()).hexdigest()[:32] + '"'
        )
        headers = {"ETag": etag}
        if more and next_cursor is not None:
            url = request.url.with_query({"since": next_cursor, "limit": str(limit)})
            headers["Link"] = f'<{url}>; rel="next"'
        if etag in request.headers.get("If-None-Match", ""):
            return web.Response(status=304, headers=headers)
        body = {"changes": page, "next_cursor": next_cursor if more else None}
        return _json(200, body, headers)

    async def _account(self, request: web.Request) -> web.Response:
        account = self.state.accounts.get(request.match_info["reference"])
        if account is None:
            return _json(404, {"error": "no such account"})
        return _json(200, account)

    async def _close(self, request: web.Request) -> web.Response:
        key = request.headers.get("Idempotency-Key", "")
        if not key:
            return _json(400, {"error": "Idempotency-Key header is required"})
        if key in self.state.answers:
            answer = self.state.answers[key]
            return _json(answer.status, answer.body, {"Idempotent-Replayed": "true"})
        reference = request.match_info["reference"]
        try:
            body = orjson.loads(await request.read())
        except orjson.JSONDecodeError:
            return _json(400, {"error": "body is not JSON"})
        missing = [
            f for f in ("closed_on", "reason") if not isinstance(body, dict) or f not in body
        ]
        if missing:
            return _json(422, {"error": f"missing fields: {', '.join(missing)}"})
        account = self.state.accounts.setdefault(reference, {"account_reference": reference})
        if "closed_on" in account:
            answer = _Answer(409, {"error": "already-closed", "account_reference": reference})
        else:
            account.update(closed_on=body["closed_on"], reason=body["reason"])
            self.state.closures.append({"account_reference": reference, **body})
            answer = _Answer(201, {"account_reference": reference, "status": "closed"})
        self.state.answers[key] = answer
        return _json(answer.status, answer.body)


def _json(status: int, body: Any, headers: dict[str, str] | None = None) -> web.Response:
    return web.Response(
        status=status, body=orjson.dumps(body), content_type="application/json", headers=headers
    )
