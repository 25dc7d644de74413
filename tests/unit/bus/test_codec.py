"""The codec: contract events to records and back, and each stage that refuses bad records."""

from __future__ import annotations

import orjson
import pytest

from bus.codec import Codec
from bus.errors import ContractViolation, NotJson, OversizedRecord, PublishError, UnknownEventType
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
