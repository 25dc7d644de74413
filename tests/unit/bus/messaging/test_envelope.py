"""The CloudEvents envelope: binary mode out, binary and structured mode in, hostile headers."""

from __future__ import annotations

from datetime import UTC, datetime

import orjson
import pytest

from bus.foundation.errors import InvalidEnvelope, NotJson
from bus.messaging.envelope import Envelope, event_id, from_kafka

SENT = Envelope(
    id="e-1",
    source="urn:govbus:gro:register-office",
    type="uk.gov.gro.death-registered.v1",
    time=datetime(2026, 11, 25, 10, 0, tzinfo=UTC),
    subject="death/412",
    dataschema="urn:govbus:contract:uk.gov.gro.death-registered:v1",
    extensions={"classification": "OFFICIAL", "traceparent": "00-abc-def-01"},
    data=b'{"entry_number": 412}',
)


def test_binary_mode_round_trips_every_attribute() -> None:
    """What govbus writes as headers and value reads back as the same envelope."""
    assert from_kafka(SENT.headers(), SENT.data) == SENT


def test_binary_mode_headers_follow_the_kafka_binding() -> None:
    """Attributes are ce_-prefixed UTF-8 headers and the media type is content-type."""
    headers = dict(SENT.headers())
    assert headers["ce_specversion"] == b"1.0"
    assert headers["ce_classification"] == b"OFFICIAL"
    assert headers["content-type"] == b"application/json"
    assert all(name.startswith("ce_") or name == "content-type" for name in headers)


def test_structured_mode_is_read() -> None:
    """A whole event as one JSON object, labelled application/cloudevents+json, is accepted."""
    value = orjson.dumps(
        {
            "specversion": "1.0", "id": "s-1", "source": "urn:x", "type": "t.v1",
            "time": "2026-11-25T10:00:00Z", "datacontenttype": "application/json",
            "data": {"a": 1}, "region": "north",
        }
    )  # fmt: skip
    read = from_kafka([("content-type", b"application/cloudevents+json; charset=utf-8")], value)
    assert (read.id, read.type, read.extensions) == ("s-1", "t.v1", {"region": "north"})
    assert orjson.loads(read.data) == {"a": 1}


def _without(name: str) -> list[tuple[str, bytes]]:
    return [(n, v) for n, v in SENT.headers() if n != name]


@pytest.mark.parametrize(
    ("headers", "value", "reason"),
    [
        (_without("ce_id"), b"{}", "id is missing"),
        (_without("ce_source"), b"{}", "source is missing"),
        (_without("ce_type"), b"{}", "type is missing"),
        (_without("ce_specversion"), b"{}", "specversion is missing"),
        ([*_without("ce_specversion"), ("ce_specversion", b"0.3")], b"{}", "'0.3'"),
        ([*_without("ce_time"), ("ce_time", b"yesterday")], b"{}", "not an RFC 3339"),
        ([*_without("ce_time"), ("ce_time", b"2026-11-25T10:00:00")], b"{}", "no UTC offset"),
        ([*SENT.headers(), ("ce_id", b"again")], b"{}", "more than once"),
        ([*SENT.headers(), ("ce_Bad-Name", b"x")], b"{}", "not a valid extension name"),
        ([*SENT.headers(), ("ce_" + "x" * 5000, b"x")], b"{}", "not a valid extension name"),
        ([*_without("ce_subject"), ("ce_subject", b"\xc3\x28")], b"{}", "not UTF-8"),
        (SENT.headers(), None, "tombstone"),
        ([*_without("content-type"), ("content-type", b"text/csv")], b"a,b", "text/csv"),
    ],
)
def test_invalid_envelopes_are_rejected_with_the_reason(
    headers: list[tuple[str, bytes]], value: bytes | None, reason: str
) -> None:
    """Missing, repeated, malformed or hostile attributes name what is wrong."""
    with pytest.raises(InvalidEnvelope, match=reason) as caught:
        from_kafka(headers, value)
    assert caught.value.stage == "envelope"
    assert len(str(caught.value)) < 300


@pytest.mark.parametrize(
    "value",
    [b"{not json", b'{"specversion": "1.0"', b"\xff" * 10 + b'{"specversion"'],
)
def test_structured_mode_that_is_not_json_is_rejected(value: bytes) -> None:
    """A structured-mode value that does not parse is refused as not JSON."""
    with pytest.raises((NotJson, InvalidEnvelope)):
        from_kafka([("content-type", b"application/cloudevents+json")], value)


@pytest.mark.parametrize(
    ("document", "reason"),
    [
        (b"[1, 2]", "not a JSON object"),
        (b'{"specversion": "1.0", "id": 5, "source": "s", "type": "t"}', "must be a string"),
        (b'{"specversion": "1.0", "id": "i", "source": "s", "type": "t", "data_base64": "AA=="}',
         "data_base64"),
        (b'{"specversion": "1.0", "id": "i", "source": "s", "type": "t",'
         b' "datacontenttype": "text/xml", "data": "<x/>"}', "text/xml"),
    ],
)  # fmt: skip
def test_structured_mode_with_the_wrong_shape_is_rejected(document: bytes, reason: str) -> None:
    """Structured events that are not JSON objects with string attributes are refused."""
    with pytest.raises(InvalidEnvelope, match=reason):
        from_kafka([("content-type", b"application/cloudevents+json")], document)


def test_source_event_ids_are_deterministic_per_record_and_version() -> None:
    """A replayed legacy record gets the same id; another record or version gets another."""
    one = event_id(source="urn:gro", identity="registrar/deaths/981", cloudevents_type="t.v1")
    assert one == event_id(
        source="urn:gro", identity="registrar/deaths/981", cloudevents_type="t.v1"
    )
    assert one != event_id(
        source="urn:gro", identity="registrar/deaths/982", cloudevents_type="t.v1"
    )
    assert one != event_id(
        source="urn:gro", identity="registrar/deaths/981", cloudevents_type="t.v2"
    )
    assert one != event_id(
        source="urn:dvla", identity="registrar/deaths/981", cloudevents_type="t.v1"
    )


def test_binary_mode_headers_come_in_a_fixed_order() -> None:
    """Required attributes first, then time, subject, schema, extensions and the media type."""
    assert [name for name, _ in SENT.headers()] == [
        "ce_specversion", "ce_id", "ce_source", "ce_type", "ce_time", "ce_subject",
        "ce_dataschema", "ce_classification", "ce_traceparent", "content-type",
    ]  # fmt: skip
    bare = Envelope(id="e-2", source="urn:x", type="t.v1")
    assert [name for name, _ in bare.headers()] == [
        "ce_specversion", "ce_id", "ce_source", "ce_type", "content-type",
    ]  # fmt: skip


def test_header_names_are_read_whatever_their_case() -> None:
    """CE_ID or Content-Type from other producers mean the same as the lower-case names."""
    headers = [(name.upper() if name in ("ce_id", "content-type") else name, value)
               for name, value in SENT.headers()]  # fmt: skip
    assert from_kafka(headers, SENT.data) == SENT
    with pytest.raises(InvalidEnvelope, match="'CE_ID' appears more than once"):
        from_kafka([*SENT.headers(), ("CE_ID", b"e-2")], SENT.data)
    with pytest.raises(InvalidEnvelope, match="'Content-Type' appears more than once"):
        from_kafka([*SENT.headers(), ("Content-Type", b"text/csv")], SENT.data)
