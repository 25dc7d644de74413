"""Contract metadata checks, strict producing and lenient consuming."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import Field, ValidationError

from contracts import (
    OGL_V3,
    Classification,
    ContractDefinitionError,
    ContractInfo,
    ContractModel,
    ContractValidationError,
    Event,
    Owner,
)
from contracts.common import PersonName, PostalAddress
from contracts.identifiers import NationalInsuranceNumber

ACME = Owner(code="acme", name="Acme Borough Council")
ADDRESS = {"lines": ["1 High Street"], "town": "Leeds", "postcode": "LS1 1AA"}


def info(**overrides: Any) -> ContractInfo:
    """A valid ContractInfo with some fields replaced."""
    fields: dict[str, Any] = {
        "event_type": "uk.gov.acme.thing-happened",
        "version": 1,
        "owner": ACME,
        "description": "A thing happened.",
        "example": {"name": {"family_name": "Smith"}, "address": ADDRESS},
    }
    fields.update(overrides)
    return ContractInfo(**fields)


class Resident(ContractModel):
    name: PersonName
    nino: NationalInsuranceNumber | None = None


class ThingHappenedV1(Event):
    contract = info(personal_data=("name.family_name", "address.postcode"))

    name: PersonName
    address: PostalAddress
    residents: tuple[Resident, ...] = ()
    note: str | None = Field(default=None, max_length=20)


def test_derived_names_follow_the_naming_rules() -> None:
    """CloudEvents type, topic and event name are derived from type, owner and version."""
    contract = info(version=3)
    assert contract.cloudevents_type == "uk.gov.acme.thing-happened.v3"
    assert contract.topic == "acme.thing-happened.v3"
    assert contract.event_name == "thing-happened"
    assert contract.classification is Classification.OFFICIAL


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"event_type": "gov.uk.acme.thing"}, "reverse-DNS uk.gov.<owner>.<event-name>"),
        ({"event_type": "uk.gov.acme.Thing-Happened"}, "reverse-DNS"),
        ({"event_type": "uk.gov.acme.thing_happened"}, "reverse-DNS"),
        ({"event_type": "uk.gov.acme.thing.happened"}, "reverse-DNS"),
        ({"event_type": "uk.gov.other.thing-happened"}, "differs from owner code 'acme'"),
        ({"version": 0}, "version must be an integer >= 1"),
        ({"version": True}, "version must be an integer >= 1"),
        ({"description": "  "}, "description must not be empty"),
        ({"classification": "OFFICIAL-SENSITIVE"}, "must be a Classification"),
        ({"handling_caveat": "sensitive"}, "must be upper-case words"),
        ({"personal_data": ("Name",)}, "dotted snake_case"),
        ({"personal_data": ("name", "name")}, "repeat"),
        ({"licence": OGL_V3, "personal_data": ("name",)}, "must not declare personal data"),
        ({"licence": OGL_V3, "handling_caveat": "SENSITIVE"}, "or a handling caveat"),
        ({"licence": OGL_V3, "classification": Classification.SECRET}, "only OFFICIAL"),
    ],
)
def test_contract_info_rejects_bad_metadata(overrides: dict[str, Any], message: str) -> None:
    """Invalid metadata fails when the contract is declared, naming the event type."""
    with pytest.raises(ContractDefinitionError) as caught:
        info(**overrides)
    assert message in str(caught.value)
    assert str(caught.value).startswith("contract '")


def test_owner_code_must_be_usable_in_a_topic() -> None:
    """Owner codes are lower-case alphanumerics because they start every topic name."""
    with pytest.raises(ContractDefinitionError, match="lower-case letters and digits"):
        Owner(code="Acme.Council", name="Acme")


def test_top_secret_is_spelled_as_the_marking() -> None:
    """The TOP SECRET classification serialises with a space, as it is marked."""
    assert info(classification=Classification.TOP_SECRET).describe()["classification"] == (
        "TOP SECRET"
    )


def test_event_without_contract_is_refused() -> None:
    """A subclass that forgets `contract = ContractInfo(...)` fails at class definition."""
    with pytest.raises(ContractDefinitionError, match="NoContractV1: must declare `contract"):

        class NoContractV1(Event):
            name: str


def test_class_name_must_carry_the_version() -> None:
    """A class named V1 that declares version 2 is a copy-paste error and is refused."""
    with pytest.raises(ContractDefinitionError, match="must end in V2"):

        class ThingHappenedV1(Event):
            contract = info(version=2)
            name: PersonName
            address: PostalAddress


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("nmae", "ThingHappenedV1 has no field 'nmae'"),
        ("name.surname", "name has no field 'surname'"),
        ("address.postcode.outward", "address.postcode has no field 'outward'"),
        ("residents.nino.x", "residents.nino has no field 'x'"),
    ],
)
def test_personal_data_paths_must_exist(path: str, message: str) -> None:
    """A personal-data path that names no field fails at class definition, naming the path."""
    with pytest.raises(ContractDefinitionError) as caught:

        class ThingHappenedV1(Event):
            contract = info(personal_data=(path,))
            name: PersonName
            address: PostalAddress
            residents: tuple[Resident, ...] = ()

    assert message in str(caught.value)
    assert repr(path) in str(caught.value)


def test_personal_data_paths_reach_into_optional_and_repeated_models() -> None:
    """Paths descend through `X | None` and `tuple[X, ...]` to nested models."""

    class ThingHappenedV1(Event):
        contract = info(personal_data=("residents.name.given_names", "residents.nino"))
        name: PersonName
        address: PostalAddress
        residents: tuple[Resident, ...] = ()

    assert ThingHappenedV1.contract.personal_data == (
        "residents.name.given_names",
        "residents.nino",
    )


def test_invalid_example_is_refused_naming_the_field() -> None:
    """An example that does not validate fails at class definition, naming the bad field."""
    with pytest.raises(ContractDefinitionError) as caught:

        class ThingHappenedV1(Event):
            contract = info(example={"name": {"family_name": "Smith"}, "address": {}})
            name: PersonName
            address: PostalAddress

    assert "example does not validate" in str(caught.value)
    assert "address.lines: Field required" in str(caught.value)


def test_producing_rejects_unknown_fields_at_every_level() -> None:
    """Producers cannot send a field the contract does not declare, even inside an object."""
    with pytest.raises(ValidationError) as caught:
        ThingHappenedV1.model_validate(
            {"name": {"family_name": "Smith", "nickname": "Smithy"}, "address": ADDRESS}
        )
    assert caught.value.errors()[0]["loc"] == ("name", "nickname")
    assert caught.value.errors()[0]["type"] == "extra_forbidden"


def test_events_are_frozen() -> None:
    """An event cannot be changed after it was validated."""
    event = ThingHappenedV1.example_event()
    with pytest.raises(ValidationError, match="frozen"):
        event.note = "changed"  # type: ignore[misc]


def test_consuming_ignores_unknown_fields_at_every_level() -> None:
    """Consumers accept data with fields added by a newer producer, and drop them."""
    data = {
        "name": {"family_name": "Smith", "nickname": "Smithy"},
        "address": {**ADDRESS, "country": "England"},
        "residents": [{"name": {"family_name": "Jones", "title": "Dr"}, "age": 40}],
        "added_in_a_later_revision": True,
    }
    event = ThingHappenedV1.from_consumed(data)
    assert event.name == PersonName(family_name="Smith")
    assert event.address.postcode == "LS1 1AA"
    assert event.residents[0].name.family_name == "Jones"
    assert "added_in_a_later_revision" not in event.model_dump()


def test_consuming_json_text_is_lenient_too() -> None:
    """JSON bytes straight off the wire are parsed with the same leniency."""
    raw = b'{"name": {"family_name": "Smith"}, "address": {"lines": ["1 High Street"],'
    raw += b' "town": "Leeds", "postcode": "ls11aa"}, "extra": [1, 2]}'
    event = ThingHappenedV1.from_consumed(raw)
    assert event.address.postcode == "LS1 1AA"


def test_consuming_still_validates_known_fields() -> None:
    """Leniency covers unknown fields only; a bad known field fails, naming type and field."""
    data = {"name": {"family_name": "Smith"}, "address": {**ADDRESS, "postcode": "QQ1 1AA"}}
    with pytest.raises(ContractValidationError) as caught:
        ThingHappenedV1.from_consumed(data)
    message = str(caught.value)
    assert message.startswith("uk.gov.acme.thing-happened.v1: ")
    assert "address.postcode: postcode first letter must not be Q, V or X" in message
    assert caught.value.problems == (
        "address.postcode: postcode first letter must not be Q, V or X",
    )


@pytest.mark.parametrize(
    "raw",
    [b"not json", b"[1, 2]", b"", "\x00", b'{"name": ' * 5000],
    ids=["garbage", "array", "empty", "nul", "deeply-nested"],
)
def test_consuming_malformed_json_is_a_contract_validation_error(raw: str | bytes) -> None:
    """Undecodable or non-object JSON is reported as a ContractValidationError, not a crash."""
    with pytest.raises(ContractValidationError, match=r"^uk\.gov\.acme\.thing-happened\.v1: "):
        ThingHappenedV1.from_consumed(raw)


def test_consuming_leniency_does_not_leak_into_producing() -> None:
    """After a lenient parse, strict construction of the same model still refuses extras."""
    ThingHappenedV1.from_consumed({"name": {"family_name": "A"}, "address": ADDRESS, "x": 1})
    with pytest.raises(ValidationError, match=r"Extra inputs are not permitted"):
        ThingHappenedV1.model_validate({"name": {"family_name": "A"}, "address": ADDRESS, "x": 1})
