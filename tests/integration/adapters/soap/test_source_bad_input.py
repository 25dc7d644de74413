"""Bad and hostile replies to the soap source, served by the real pensions service."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from datetime import date
from pathlib import Path

import pytest

from adapters.soap import SoapSource
from bus.adapter_runtime.mapping import Mapper
from bus.foundation.errors import NotConnected
from examples.legacy.pensions import PensionsService
from tests.integration.adapters.soap.pensions import STOPS_MAPPING, nino, source_config

OPERATION = "ListPaymentStops"
PASSWD_FIRST_LINE = Path("/etc/passwd").read_bytes().splitlines()[0]
ENVELOPE = (
    '<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"'
    ' xmlns:p="urn:example:dwp:pensions:v1"><soap:Body>{}</soap:Body></soap:Envelope>'
)


def stop_xml(
    sequence: str, *, nino_text: str | None = "AB000001C", stopped: str = "2025-03-02"
) -> str:
    fields = {
        "sequence": sequence, "nino": nino_text, "forenames": "Ann", "surname": "Lee",
        "stoppedFrom": stopped, "reason": "death", "finalPaymentDue": "true",
    }  # fmt: skip
    inner = "".join(f"<p:{k}>{v}</p:{k}>" for k, v in fields.items() if v is not None)
    return f"<p:stop>{inner}</p:stop>"


def reply(*stops: str) -> bytes:
    return ENVELOPE.format(
        f"<p:ListPaymentStopsResponse>{''.join(stops)}</p:ListPaymentStopsResponse>"
    ).encode()


@pytest.fixture
async def service() -> AsyncIterator[PensionsService]:
    async with PensionsService() as running:
        yield running


@pytest.fixture
async def source(service: PensionsService) -> AsyncIterator[SoapSource]:
    reader = SoapSource(source_config(service), mapper=Mapper(STOPS_MAPPING))
    await reader.open({})
    yield reader
    await reader.close()


def add_stops(service: PensionsService, count: int) -> None:
    for number in range(1, count + 1):
        service.ledger.stop_payment(
            nino=nino(number), forenames="Joseph", surname="Oduya",
            stopped_from=date(2025, 3, 2), reason="death",
        )  # fmt: skip


async def rejected_once_then_retried(
    source: SoapSource, service: PensionsService, body: bytes, **kw: object
) -> str:
    """Serve ``body`` twice: one rejection, then NotConnected; return the rejection's reason."""
    service.serve_next(OPERATION, body, **kw)  # type: ignore[arg-type]
    service.serve_next(OPERATION, body, **kw)  # type: ignore[arg-type]
    (record,) = await source.read()
    assert record.event is None
    assert record.rejection is not None
    assert f"{service.url} {OPERATION} cursor" in record.rejection.position
    assert record.offset == {}  # the cursor did not move past what could not be read
    with pytest.raises(NotConnected, match="again"):
        await source.read()
    return record.rejection.reason


async def test_invalid_xml_is_rejected_once_and_nothing_is_skipped(
    source: SoapSource, service: PensionsService
) -> None:
    """A reply that is not XML is dead-lettered once, then retried; good records follow it."""
    reason = await rejected_once_then_retried(source, service, b"<soap:Envelope><unclosed")
    assert "invalid XML" in reason
    add_stops(service, 2)
    assert [r.offset for r in await source.read()] == [{"cursor": 1}, {"cursor": 2}]


async def test_billion_laughs_is_refused_without_expansion(
    source: SoapSource, service: PensionsService
) -> None:
    """Nested entity definitions are refused at once; nothing is expanded."""
    entities = '<!ENTITY l0 "lol">' + "".join(
        f'<!ENTITY l{i} "{f"&l{i - 1};" * 10}">' for i in range(1, 10)
    )
    body = f'<?xml version="1.0"?><!DOCTYPE lolz [{entities}]>' + ENVELOPE.format("&l9;")
    started = time.perf_counter()
    reason = await rejected_once_then_retried(source, service, body.encode())
    assert time.perf_counter() - started < 5
    assert "entity" in reason.lower() or "DTD" in reason


async def test_an_external_entity_is_never_read_or_fetched(
    source: SoapSource, service: PensionsService
) -> None:
    """XXE: neither file:///etc/passwd nor an http entity URL is resolved; the reply is refused."""
    secret = f"http://127.0.0.1:{service.port}/secret"
    for system in ("file:///etc/passwd", secret):
        body = (
            f'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY xxe SYSTEM "{system}">]>'
            + ENVELOPE.format(
                f"<p:ListPaymentStopsResponse>{stop_xml('1', nino_text='&xxe;')}"
                "</p:ListPaymentStopsResponse>"
            )
        ).encode()
        service.serve_next(OPERATION, body)
        (record,) = await source.read()
        assert record.rejection is not None
        assert "DTD" in record.rejection.reason
        source._last_bad = None  # treat the next hostile reply as a new one
        passwd = PASSWD_FIRST_LINE
        assert passwd not in record.rejection.raw
        assert passwd.decode() not in record.rejection.reason
    assert "/secret" not in service.paths_requested


async def test_a_dtd_in_a_reply_is_refused(source: SoapSource, service: PensionsService) -> None:
    """Even a harmless DOCTYPE is refused: no DTD is processed from a legacy reply."""
    body = (
        '<?xml version="1.0"?><!DOCTYPE Envelope>'
        + ENVELOPE.format("<p:ListPaymentStopsResponse/>")
    ).encode()
    reason = await rejected_once_then_retried(source, service, body)
    assert "DTD" in reason


@pytest.mark.parametrize("chunked", [False, True], ids=["declared-length", "streamed"])
async def test_an_oversized_reply_is_refused_unparsed(
    service: PensionsService, chunked: bool
) -> None:
    """A reply over max_response_bytes is refused, with or without a Content-Length."""
    source = SoapSource(
        source_config(service, max_response_bytes=64 * 1024), mapper=Mapper(STOPS_MAPPING)
    )
    await source.open({})
    try:
        body = reply(*[stop_xml(str(n)) for n in range(1, 2000)])
        assert len(body) > 64 * 1024
        reason = await rejected_once_then_retried(source, service, body, chunked=chunked)
        assert "reply refused" in reason
    finally:
        await source.close()


async def test_a_deeply_nested_reply_is_refused(
    source: SoapSource, service: PensionsService
) -> None:
    """Nesting past libxml2's safe depth is refused, not parsed."""
    body = reply("<p:stop>" + "<x>" * 5000 + "</x>" * 5000 + "</p:stop>")
    reason = await rejected_once_then_retried(source, service, body)
    assert "depth" in reason.lower()


async def test_a_reply_that_is_not_a_soap_envelope_is_refused(
    source: SoapSource, service: PensionsService
) -> None:
    """Well-formed XML that is not a SOAP envelope is refused with the root it found."""
    reason = await rejected_once_then_retried(source, service, b"<html><body>hello</body></html>")
    assert "Envelope" in reason


async def test_a_soap_fault_means_the_service_is_not_available(
    source: SoapSource, service: PensionsService
) -> None:
    """A Server fault or an HTTP error page is NotConnected: retried, nothing dead-lettered."""
    fault = ENVELOPE.format(
        "<soap:Fault><faultcode>soap:Server</faultcode><faultstring>database locked"
        "</faultstring></soap:Fault>"
    )
    service.serve_next(OPERATION, fault.encode(), status=500)
    with pytest.raises(NotConnected, match="database locked"):
        await source.read()
    service.serve_next(OPERATION, b"Service Unavailable", status=503, content_type="text/plain")
    with pytest.raises(NotConnected):
        await source.read()
    add_stops(service, 1)
    assert len(await source.read()) == 1


async def test_wrong_types_and_missing_fields_reject_only_their_record(
    source: SoapSource, service: PensionsService
) -> None:
    """A record with a bad date, an empty or wrong NINO is rejected with its id; others flow."""
    body = reply(
        stop_xml("1"),
        stop_xml("2", stopped="31/02/2025"),
        stop_xml("3", nino_text=""),
        stop_xml("4", nino_text="12345"),
        stop_xml("5"),
    )
    service.serve_next(OPERATION, body)
    batch = await source.read()
    assert [r.offset for r in batch] == [{"cursor": n} for n in range(1, 6)]
    assert [r.event is not None for r in batch] == [True, False, False, False, True]
    for record, field in zip(batch[1:4], ("stopped_from", "nino", "nino"), strict=True):
        assert record.rejection is not None
        assert f"{OPERATION} id {record.offset['cursor']}" in record.rejection.position
        assert field in record.rejection.reason
    assert batch[0].identity == "ListPaymentStops/1"


async def test_a_reply_missing_a_required_element_breaks_its_wsdl_and_is_refused(
    source: SoapSource, service: PensionsService
) -> None:
    """A record without its required nino element makes the reply invalid against the WSDL."""
    reason = await rejected_once_then_retried(
        source, service, reply(stop_xml("1"), stop_xml("2", nino_text=None))
    )
    assert "nino" in reason


async def test_a_record_without_an_id_cannot_stall_the_source(
    source: SoapSource, service: PensionsService
) -> None:
    """A record whose sequence is not a number is rejected once; repeated, the source waits."""
    body = reply(stop_xml("abc"))
    service.serve_next(OPERATION, body)
    service.serve_next(OPERATION, body)
    (record,) = await source.read()
    assert record.rejection is not None
    assert "sequence" in record.rejection.reason
    with pytest.raises(NotConnected):
        await source.read()
