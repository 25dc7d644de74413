"""The operator's HTTP endpoints of a govbus process: ``/metrics``, ``/healthz`` and ``/readyz``.

- ``GET /metrics`` is the Prometheus exposition of a registry (the default one unless another is
  given), in the text format or in OpenMetrics when the scraper's ``Accept`` header asks for it.
- ``GET /healthz`` answers 200 while the process runs and its event loop turns.
- ``GET /readyz`` answers 200 when every condition registered in a :class:`Readiness` is ready,
  otherwise 503 with a JSON body naming each condition that is not ready and why.
- ``GET /`` and ``GET /status`` answer the HTML status page, when the server was given a
  function that renders it (a :class:`bus.process.service.Service` gives one); otherwise they
  are 404.

Any other path is 404; any other method on these paths is 405. Responses are never cached and
requests are not logged: scrapes and probes arrive every few seconds and are normal operation.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass

from aiohttp import web
from prometheus_client import REGISTRY, CollectorRegistry
from prometheus_client.exposition import choose_encoder

from bus.foundation.errors import ListenError
from bus.foundation.lifecycle import StartStop

MAX_CONDITION_NAME = 200
_NO_STORE = {"Cache-Control": "no-store"}
# The status page needs no script, frame or remote asset; the browser is told to allow none.
_PAGE_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    **_NO_STORE,
}


@dataclass(frozen=True, slots=True)
class Condition:
    """One named readiness condition, e.g. ``kafka`` or ``subscriber:pensions``."""

    name: str
    ready: bool
    detail: str = ""


class Readiness:
    """Named conditions that must all be ready before the process takes traffic.

    A component registers its condition as not ready when it starts (``set(name, ready=False,
    detail=...)``), sets it ready once it can do its work, and back to not ready when it loses
    what it depends on. ``clear`` removes a condition, e.g. when its component was stopped on
    purpose. With no conditions registered the process is ready.

    Every method may be called from any thread; each call is atomic.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._conditions: dict[str, Condition] = {}

    def set(self, name: str, *, ready: bool, detail: str = "") -> None:
        """Register or update condition ``name``; ``detail`` says why it is not ready (yet)."""
        if not name or len(name) > MAX_CONDITION_NAME or not name.isprintable():
            raise ValueError(
                f"readiness condition name {name!r} must be 1 to {MAX_CONDITION_NAME} "
                "printable characters"
            )
        with self._lock:
            self._conditions[name] = Condition(name, ready, detail)

    def clear(self, name: str) -> None:
        """Forget condition ``name``; a name that was never set is ignored."""
        with self._lock:
            self._conditions.pop(name, None)

    def conditions(self) -> list[Condition]:
        """A snapshot of every registered condition, sorted by name."""
        with self._lock:
            return sorted(self._conditions.values(), key=lambda condition: condition.name)

    def not_ready(self) -> list[Condition]:
        """The registered conditions that are not ready, sorted by name."""
        return [condition for condition in self.conditions() if not condition.ready]

    @property
    def ready(self) -> bool:
        """Whether every registered condition is ready."""
        return not self.not_ready()


class HealthServer(StartStop):
    """Serves ``/metrics``, ``/healthz`` and ``/readyz`` on one address.

    Lifecycle:

    1. ``start()`` once, from a running event loop: binds the address and returns the bound port
       (``port=0`` asks the operating system for a free one). It raises ``ListenError`` if the
       address cannot be bound, and ``RuntimeError`` if called a second time.
    2. Requests are answered on the same event loop until ``stop()``; a handler never blocks on
       Kafka or on any other component, it only reads ``Readiness`` and the registry.
    3. ``stop()`` closes the listener and open connections; it may be called any number of times,
       also when ``start()`` failed or was never called. A stopped server cannot be started again.

    ``async with HealthServer(readiness) as server`` starts it and stops it on exit; the bound
    port is then ``server.port``.
    """

    def __init__(
        self,
        readiness: Readiness,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        registry: CollectorRegistry = REGISTRY,
        status_page: Callable[[], str] | None = None,
    ) -> None:
        if not 0 <= port <= 65535:
            raise ValueError(f"port {port} is not between 0 and 65535")
        self._readiness = readiness
        self._host = host
        self._requested_port = port
        self._registry = registry
        self._status_page = status_page
        self._runner: web.AppRunner | None = None
        self._started = False
        self._port: int | None = None

    @property
    def port(self) -> int:
        """The bound port; only after ``start()`` returned."""
        if self._port is None:
            raise RuntimeError("the health server has not been started")
        return self._port

    async def start(self) -> int:
        """Bind the address, start answering requests and return the bound port."""
        if self._started:
            raise RuntimeError("a HealthServer can be started only once")
        self._started = True
        app = web.Application()
        app.router.add_get("/metrics", self._metrics, allow_head=False)
        app.router.add_get("/healthz", self._healthz, allow_head=False)
        app.router.add_get("/readyz", self._readyz, allow_head=False)
        if self._status_page is not None:
            app.router.add_get("/", self._status, allow_head=False)
            app.router.add_get("/status", self._status, allow_head=False)
        # access_log=None: probes and scrapes are normal operation, which stays quiet in the logs.
        runner = web.AppRunner(app, access_log=None, handle_signals=False, shutdown_timeout=1.0)
        await runner.setup()
        self._runner = runner
        site = web.TCPSite(runner, self._host, self._requested_port)
        try:
            await site.start()
        except OSError as exc:
            await self.stop()
            raise ListenError(
                f"cannot serve health and metrics on {self._host}:{self._requested_port}: "
                f"{exc.strerror or exc}",
                host=self._host,
                port=self._requested_port,
            ) from exc
        self._port = _bound_port(runner)
        return self._port

    async def stop(self) -> None:
        """Stop answering and release the address; safe to call more than once."""
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()

    async def _metrics(self, request: web.Request) -> web.Response:
        encoder, content_type = choose_encoder(request.headers.get("Accept", ""))
        # Collection is in-process and quick; it runs on the loop so a scrape sees one instant.
        body = encoder(self._registry)
        return web.Response(body=body, headers={"Content-Type": content_type, **_NO_STORE})

    async def _healthz(self, request: web.Request) -> web.Response:
        return web.Response(text="ok\n", headers=_NO_STORE)

    async def _readyz(self, request: web.Request) -> web.Response:
        waiting = self._readiness.not_ready()
        if not waiting:
            return _json(200, {"status": "ready"})
        return _json(
            503,
            {
                "status": "not ready",
                "not_ready": {condition.name: condition.detail for condition in waiting},
            },
        )

    async def _status(self, request: web.Request) -> web.Response:
        assert self._status_page is not None  # noqa: S101 - routed only when given
        return web.Response(
            text=self._status_page(), content_type="text/html", charset="utf-8",
            headers=_PAGE_HEADERS,
        )  # fmt: skip


def _json(status: int, body: dict[str, object]) -> web.Response:
    return web.Response(
        status=status,
        text=json.dumps(body, sort_keys=True) + "\n",
        content_type="application/json",
        headers=_NO_STORE,
    )


def _bound_port(runner: web.AppRunner) -> int:
    for address in runner.addresses:
        # IPv4 addresses are (host, port), IPv6 ones (host, port, flowinfo, scope_id).
        if isinstance(address, tuple) and len(address) >= 2 and isinstance(address[1], int):
            return address[1]
    raise RuntimeError("the health server bound no TCP address")
