"""The REST sink: one HTTP request per event, made idempotent by an ``Idempotency-Key``.

The request is ``<method> <base><path>`` with the path filled from event fields
(percent-encoded) and a JSON body built from event fields. Every request carries
``Idempotency-Key: <ce_id>``, so an API that honours the header applies a redelivered event
once. The answer decides the outcome:

- ``2xx``, or a status listed in ``done_statuses`` (an API that answers ``409`` to a change it
  already made): delivered;
- ``408``, ``429``, ``5xx``, timeouts and connection errors: ``NotConnected``, retried with
  backoff by the subscriber;
- any other ``4xx`` (and a ``3xx``, which is never followed): ``RequestRefused``, which is not
  retriable, so the event goes to the dead-letter topic at once with the status and the
  start of the API's answer;
- an event whose path fields are empty cannot be addressed: ``RequestRefused`` too.
"""

from __future__ import annotations

import logging

import httpx
import orjson

from adapters.rest.config import RestCall, RestConfig
from adapters.rest.mapping import build_body, placeholders, render_path
from bus.foundation.errors import ConfigError, DeliveryRefused, NotConnected
from bus.messaging.subscriber import Delivery
from contracts import Event

log = logging.getLogger(__name__)
_RETRY_LATER = {408, 429}


class RequestRefused(DeliveryRefused):
    """The API refused a request for good (a ``4xx``); retrying would not change its mind."""

    def __init__(self, message: str, *, status: int, url: str) -> None:
        super().__init__(message)
        self.status = status
        self.url = url


class RestSink:
    """Delivers each event as one request to ``config.call``; see the module docstring."""

    def __init__(
        self,
        config: RestConfig,
        contract: type[Event],
        *,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        if config.call is None:
            raise ConfigError("a rest sink needs a [call] section")
        self.config = config
        self.call: RestCall = config.call
        _check_fields(self.call, contract)
        self._transport = transport
        self._client: httpx.AsyncClient | None = None

    async def open(self) -> None:
        """Create the connection pool; the API is first reached by ``deliver``."""
        self._client = httpx.AsyncClient(
            headers=self.config.request_headers(),
            timeout=self.config.timeout_s,
            transport=self._transport,
            follow_redirects=False,
        )

    async def deliver(self, event: Event, delivery: Delivery) -> None:
        """Make the event's request; return once the API accepted it (see the docstring)."""
        if self._client is None:
            raise NotConnected("the rest sink is not open", system=self.config.root)
        data = event.model_dump(mode="json")
        try:
            path = render_path(self.call.path, data)
        except KeyError as exc:
            raise RequestRefused(
                f"{exc.args[0]}: the event has no value for the path {self.call.path!r}",
                status=0, url=self.call.path,
            ) from None  # fmt: skip
        url = self.config.root + path
        headers = {
            "Idempotency-Key": delivery.envelope.id,
            "Content-Type": "application/json",
        }
        body = orjson.dumps(build_body(self.call.body, data, self.call.constants))
        try:
            response = await self._client.request(
                self.call.method, url, content=body, headers=headers
            )
        except httpx.TransportError as exc:
            raise NotConnected(f"{self.call.method} {url}: {exc!r}", system=url) from exc
        status = response.status_code
        if 200 <= status < 300 or status in self.call.done_statuses:
            return
        answer = " ".join(response.text[:300].split())
        message = f"{self.call.method} {url} answered {status}: {answer}"
        if status >= 500 or status in _RETRY_LATER:
            raise NotConnected(message, system=url)
        raise RequestRefused(message, status=status, url=url)

    async def close(self) -> None:
        """Close the connection pool; never raises."""
        client, self._client = self._client, None
        if client is not None:
            try:
                await client.aclose()
            except Exception:  # close must not raise
                log.debug("closing the HTTP client failed", exc_info=True)


def _check_fields(call: RestCall, contract: type[Event]) -> None:
    """Refuse at start-up a path or body naming a field the contract does not have."""
    used = placeholders(call.path) + list((call.body or {}).values())
    for path in used:
        model: object = contract
        for part in path.split("."):
            fields = getattr(model, "model_fields", None)
            if not isinstance(fields, dict) or part not in fields:
                raise ConfigError(f"{path}: {contract.__name__} has no field {part!r}")
            model = _model_of(fields[part].annotation)


def _model_of(annotation: object) -> object:
    """The pydantic model inside ``Model | None``, or the annotation itself."""
    for candidate in getattr(annotation, "__args__", ()) or (annotation,):
        if hasattr(candidate, "model_fields"):
            return candidate
    return annotation
