"""The codec: contract events to records and back, and each stage that refuses bad records."""

from __future__ import annotations

from datetime import UTC, datetime

import orjson
import pytest

from bus.foundation.errors import (
    ContractViolation,
    NotJson,
    OversizedRecord,
    PublishError,
    UnknownEventType,
)
from bus.messaging.codec import Codec
from bus.messaging.envelope import Envelope
from contracts import Event, default_registry
from contracts.catalogue.gro import BirthRegisteredV1, DeathRegisteredV1, DeathRegisteredV2

CODEC = Codec(source="urn:govbus:test", topic_prefix="staging.")
DEATH = "uk.gov.gro.death-registered.v1"


def test_an_encoded_event_decodes_to_an_equal_instance() -> None:
    """encode then decode gives back the event, on the prefixed topic, with its key."""
    event = DeathRegisteredV1.example_event()
    record = CODEC.encode(event, key="DR-1", event_id="id-1")
    assert record.topic == "staging.gro.death-registered.v1"
    assert record.key == b"DR-1"
    decoded = CODEC.decode(record.headers, record.value, want=DeathRegisteredV1)
    assert decoded.event == event
    assert decoded.envelope.id == "id-1"
    assert decoded.envelope.extensions["caveat"] == "SENSITIVE"


def test_older_versions_are_upcast_to_the_version_wanted() -> None:
    """A v1 record read by a v2 subscriber is a v2 instance; published_version says 1."""
    record = CODEC.encode(DeathRegisteredV1.example_event(), key="k", event_id="i")
    decoded = CODEC.decode(record.headers, record.value, want=DeathRegisteredV2)
    assert isinstance(decoded.event, DeathRegisteredV2)
    assert decoded.published_version == 1


def test_an_instance_breaking_its_contract_is_not_encoded() -> None:
    """model_construct skips validation; encode still refuses, naming the field."""
    good = DeathRegisteredV1.example_event()
    broken = DeathRegisteredV1.model_construct(**(good.__dict__ | {"entry_number": -4}))
    with pytest.raises(PublishError, match="entry_number"):
        CODEC.encode(broken, key="k", event_id="i")


def _record(value: bytes, ce_type: str = DEATH) -> tuple[list[tuple[str, bytes]], bytes]:
    record = CODEC.encode(DeathRegisteredV1.example_event(), key="k", event_id="i")
    headers = [(n, ce_type.encode() if n == "ce_type" else v) for n, v in record.headers]
    return headers, value


@pytest.mark.parametrize(
    ("value", "ce_type", "error", "reason"),
    [
        (b"[1,2", DEATH, NotJson, "not JSON"),
        (b'"a string"', DEATH, ContractViolation, "JSON object"),
        (b'{"entry_number": 1}', DEATH, ContractViolation, "registration_district"),
        (b"{}", "uk.gov.gro.death-registered.v9", UnknownEventType, "not a known contract"),
        (b"{}", "uk.gov.gro.birth-registered.v1", UnknownEventType, "cannot be read as"),
        (b"{}", "x" * 10_000, UnknownEventType, "not a known contract"),
    ],
)  # fmt: skip
def test_bad_records_are_refused_at_their_stage(
    value: bytes, ce_type: str, error: type[Exception], reason: str
) -> None:
    """Each bad record raises the error of the stage that refused it, naming the problem."""
    headers, value = _record(value, ce_type)
    with pytest.raises(error, match=reason) as caught:
        CODEC.decode(headers, value, want=DeathRegisteredV1)
    assert len(str(caught.value)) < 2000


def test_a_newer_version_than_wanted_is_refused() -> None:
    """A v1 subscriber cannot read a v2 event (there is no downcast)."""
    record = CODEC.encode(DeathRegisteredV2.example_event(), key="k", event_id="i")
    with pytest.raises(UnknownEventType, match="cannot be read as"):
        CODEC.decode(record.headers, record.value, want=DeathRegisteredV1)


def test_an_oversized_value_is_refused_before_it_is_parsed() -> None:
    """Values above the subscriber's limit are refused by size alone."""
    headers, _ = _record(b"")
    with pytest.raises(OversizedRecord, match="limit is 1000"):
        CODEC.decode(headers, b"[" * 5000, want=DeathRegisteredV1, max_value_bytes=1000)


def test_unknown_fields_from_newer_producers_are_ignored() -> None:
    """A consumer reads an event carrying a field its contract version does not know."""
    data = {**DeathRegisteredV1.contract.example, "added_later": "x"}
    headers, value = _record(orjson.dumps(data))
    assert (
        CODEC.decode(headers, value, want=DeathRegisteredV1).event
        == DeathRegisteredV1.example_event()
    )


def test_a_model_that_is_not_registered_is_not_published() -> None:
    """Only registered contract versions can be encoded."""

    class LookalikeBirthRegisteredV1(BirthRegisteredV1):
        contract = BirthRegisteredV1.contract

    with pytest.raises(PublishError, match="not the registered"):
        CODEC.encode(LookalikeBirthRegisteredV1.example_event(), key="k", event_id="i")


def test_an_unvalidated_part_inside_a_validated_event_is_checked_before_encoding() -> None:
    """A model_construct address passed into a validated event is caught, naming its field."""
    good = DeathRegisteredV1.example_event()
    address = good.deceased_address.model_construct(
        **(good.deceased_address.__dict__ | {"town": "Leeds\x00"})
    )
    event = DeathRegisteredV1(**(good.__dict__ | {"deceased_address": address}))
    with pytest.raises(PublishError, match=r"deceased_address\.town"):
        CODEC.encode(event, key="k", event_id="i")


def test_an_updated_copy_is_checked_before_encoding() -> None:
    """model_copy(update=...) skips validation; encode still refuses what breaks the contract."""
    broken = DeathRegisteredV1.example_event().model_copy(update={"entry_number": 0})
    with pytest.raises(PublishError, match="entry_number"):
        CODEC.encode(broken, key="k", event_id="i")


@pytest.mark.parametrize("model", default_registry.all(), ids=lambda m: m.__name__)
def test_a_validated_event_encodes_to_json_its_contract_accepts_strictly(
    model: type[Event],
) -> None:
    """What encode sends for a validated event validates strictly back to the same event."""
    event = model.example_event()
    record = CODEC.encode(event, key="k", event_id="i")
    assert model.model_validate_json(record.value) == event


def test_data_with_unknown_fields_at_every_level_decodes() -> None:
    """Fields a newer producer added inside nested objects are dropped, not refused."""
    data = orjson.loads(DeathRegisteredV1.example_event().model_dump_json())
    data["informant"]["address"]["country"] = "England"
    data["deceased_name"]["title"] = "Mr"
    headers, value = _record(orjson.dumps(data))
    decoded = CODEC.decode(headers, value, want=DeathRegisteredV1)
    assert decoded.event == DeathRegisteredV1.example_event()


@pytest.mark.parametrize(
    "value", [b'{"entry_number": NaN}', b"{} trailing", b'{"a": 1e999999}', b"\xff"]
)
def test_values_that_are_not_strict_json_are_refused_as_not_json(value: bytes) -> None:
    """NaN, trailing text, out-of-range numbers and bad UTF-8 are stage "json", not contract."""
    headers, value = _record(value)
    with pytest.raises(NotJson) as caught:
        CODEC.decode(headers, value, want=DeathRegisteredV1)
    assert caught.value.stage == "json"


def test_encoded_headers_are_the_envelope_in_binary_mode() -> None:
    """Records carry exactly the headers of their envelope, subject and traceparent included."""
    event = DeathRegisteredV1.example_event()
    sent_at = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
    traceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
    record = CODEC.encode(
        event, key="k", event_id="id-9", subject="death/9", time=sent_at, traceparent=traceparent
    )
    envelope = Envelope(
        id="id-9",
        source="urn:govbus:test",
        type=DEATH,
        time=sent_at,
        subject="death/9",
        dataschema="urn:govbus:contract:uk.gov.gro.death-registered:v1",
        extensions={
            "classification": "OFFICIAL",
            "caveat": "SENSITIVE",
            "traceparent": traceparent,
        },
    )
    assert record.headers == envelope.headers()
    decoded = CODEC.decode(record.headers, record.value, want=DeathRegisteredV1)
    assert decoded.envelope == envelope._replace(data=record.value)


@pytest.mark.parametrize("model", default_registry.all(), ids=lambda model: model.__name__)
def test_the_value_is_the_event_s_json_data(model: type[Event]) -> None:
    """Every contract's example goes out as exactly its JSON-mode data, as any JSON writer
    (orjson here) would write it, and reads back equal."""
    event = model.example_event()
    record = CODEC.encode(event, key="k", event_id="e-1")
    assert record.value == orjson.dumps(event.model_dump(mode="json"))
    assert model.from_consumed(record.value) == event
