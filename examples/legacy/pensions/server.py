"""The pensions system's SOAP 1.1 endpoint: a hand-written WSDL and an aiohttp handler.

Requests are parsed with defusedxml (no DTDs, no entities) and capped at 1 MiB. Faults follow
SOAP 1.1: ``soap:Client`` for a request the system refuses, ``soap:Server`` for its own trouble.
For tests, ``serve_next`` queues a canned reply for an operation (malformed or hostile XML, a
fault, wrong types) and ``stop``/``start`` make the system unreachable and bring it back on the
same port.
"""

from __future__ import annotations

import collections
import xml.etree.ElementTree as ET  # builds replies only; requests are parsed by defusedxml
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from types import TracebackType
from typing import Any

import defusedxml.ElementTree as SafeET
from aiohttp import web

from examples.legacy.pensions.ledger import Ledger, LedgerRefusal, PaymentStop

SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
NS = "urn:example:dwp:pensions:v1"
PATH = "/pensions"
MAX_REQUEST_BYTES = 1024 * 1024
_WSDL = (Path(__file__).parent / "pensions.wsdl").read_text(encoding="utf-8")


@dataclass(frozen=True, slots=True)
class Canned:
    """A reply served once instead of the real one."""

    body: bytes
    status: int
    content_type: str
    chunked: bool


class _Fault(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


class PensionsService:
    """The pensions system on ``http://<host>:<port>/pensions``; state in a ``Ledger``.

    Lifecycle: ``start()`` binds ``port`` (an ephemeral one when 0) the first time and the same
    port after a ``stop()``; ``stop()`` closes the listener, so calls fail as if the host were
    down.
    """

    def __init__(
        self, *, ledger: Ledger | None = None, host: str = "127.0.0.1", port: int = 0
    ) -> None:
        self.ledger = ledger or Ledger()
        self.host = host
        self.port = port
        self.paths_requested: list[str] = []  # every path asked for, to prove what was fetched
        self._canned: dict[str, collections.deque[Canned]] = collections.defaultdict(
            collections.deque
        )
        self._runner: web.AppRunner | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}{PATH}"

    @property
    def wsdl_url(self) -> str:
        return self.url + "?wsdl"

    def serve_next(
        self,
        operation: str,
        body: bytes,
        *,
        status: int = 200,
        content_type: str = "text/xml; charset=utf-8",
        chunked: bool = False,
    ) -> None:
        """Answer the next call of ``operation`` with ``body`` instead (tests only).

        ``chunked`` sends it without a Content-Length, as a stream of unknown size.
        """
        self._canned[operation].append(Canned(body, status, content_type, chunked))

    async def start(self) -> None:
        app = web.Application(client_max_size=MAX_REQUEST_BYTES)
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port, reuse_address=True)
        await site.start()
        if self.port == 0:
            self.port = self._runner.addresses[0][1]

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> PensionsService:
        await self.start()
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.stop()

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        self.paths_requested.append(request.path_qs)
        if request.path != PATH:
            return web.Response(status=404, text="not found")
        if request.method == "GET" and "wsdl" in {k.lower() for k in request.query}:
            wsdl = _WSDL.replace("{address}", f"http://{request.host}{PATH}")
            return web.Response(text=wsdl, content_type="text/xml")
        if request.method != "POST":
            return web.Response(status=405, text="POST a SOAP 1.1 envelope, or GET ?wsdl")
        try:
            operation, body = _operation(await request.read())
            canned = self._canned[operation].popleft() if self._canned[operation] else None
            if canned is not None:
                return web.Response(
                    body=canned.body,
                    status=canned.status,
                    headers={"Content-Type": canned.content_type},
                )
            reply = self._dispatch(operation, body)
        except _Fault as fault:
            return _reply(_fault(fault.code, str(fault)), status=500)
        except web.HTTPRequestEntityTooLarge:
            return _reply(_fault("Client", "request larger than 1 MiB"), status=500)
        return _reply(reply)

    def _dispatch(self, operation: str, body: ET.Element) -> ET.Element:
        if operation == "ListPaymentStops":
            since = _optional(body, "since", int) or 0
            limit = min(_optional(body, "limit", int) or 100, 1000)
            return _stops(self.ledger.stops_since(since, limit))
        if operation == "RecordDeath":
            try:
                notice, duplicate = self.ledger.record_death(
                    reference=_required(body, "reference", str),
                    nino=_required(body, "nino", str),
                    forenames=_required(body, "forenames", str),
                    surname=_required(body, "surname", str),
                    date_of_death=_required(body, "dateOfDeath", date.fromisoformat),
                    tuo_reference=_optional(body, "tuoReference", str),
                )
            except LedgerRefusal as exc:
                raise _Fault("Client", str(exc)) from None
            response = ET.Element(f"{{{NS}}}RecordDeathResponse")
            ET.SubElement(response, f"{{{NS}}}notificationId").text = str(notice.notification_id)
            ET.SubElement(response, f"{{{NS}}}duplicate").text = "true" if duplicate else "false"
            return response
        raise _Fault("Client", f"no operation {operation!r}")


def _operation(data: bytes) -> tuple[str, ET.Element]:
    try:
        root = SafeET.fromstring(data, forbid_dtd=True)
    except Exception as exc:  # ParseError or a defusedxml refusal: either way a bad request
        raise _Fault("Client", f"request is not well-formed XML: {exc}") from None
    body = root.find(f"{{{SOAP_ENV}}}Body")
    if root.tag != f"{{{SOAP_ENV}}}Envelope" or body is None or len(body) == 0:
        raise _Fault("Client", "request is not a SOAP 1.1 envelope with a body")
    payload = body[0]
    if not payload.tag.startswith(f"{{{NS}}}"):
        raise _Fault("Client", f"unknown element {payload.tag}")
    return payload.tag.removeprefix(f"{{{NS}}}"), payload


def _optional(body: ET.Element, name: str, convert: Any) -> Any:
    element = body.find(f"{{{NS}}}{name}")
    if element is None or element.text is None:
        return None
    try:
        return convert(element.text.strip())
    except ValueError:
        raise _Fault("Client", f"{name}: {element.text[:40]!r} is not valid") from None


def _required(body: ET.Element, name: str, convert: Any) -> Any:
    value = _optional(body, name, convert)
    if value is None:
        raise _Fault("Client", f"{name} is required")
    return value


def _stops(stops: list[PaymentStop]) -> ET.Element:
    response = ET.Element(f"{{{NS}}}ListPaymentStopsResponse")
    for stop in stops:
        item = ET.SubElement(response, f"{{{NS}}}stop")
        values = {
            "sequence": str(stop.sequence),
            "nino": stop.nino,
            "forenames": stop.forenames,
            "surname": stop.surname,
            "stoppedFrom": stop.stopped_from.isoformat(),
            "reason": stop.reason,
            "dateOfDeath": stop.date_of_death.isoformat() if stop.date_of_death else None,
            "finalPaymentDue": "true" if stop.final_payment_due else "false",
            "tuoReference": stop.tuo_reference,
        }
        for name, text in values.items():
            if text is not None:
                ET.SubElement(item, f"{{{NS}}}{name}").text = text
    return response


def _fault(code: str, message: str) -> ET.Element:
    fault = ET.Element(f"{{{SOAP_ENV}}}Fault")
    # faultcode is a QName; the soap prefix is declared on the envelope _reply builds.
    ET.SubElement(fault, "faultcode").text = f"soap:{code}"
    ET.SubElement(fault, "faultstring").text = message
    return fault


def _reply(payload: ET.Element, *, status: int = 200) -> web.Response:
    ET.register_namespace("soap", SOAP_ENV)
    ET.register_namespace("p", NS)
    envelope = ET.Element(f"{{{SOAP_ENV}}}Envelope")
    ET.SubElement(envelope, f"{{{SOAP_ENV}}}Body").append(payload)
    body = ET.tostring(envelope, encoding="utf-8", xml_declaration=True)
    return web.Response(
        body=body, status=status, headers={"Content-Type": "text/xml; charset=utf-8"}
    )
