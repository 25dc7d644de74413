"""Declarative mapping from legacy records to contract events; failures name the field."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from pydantic import ValidationError

from bus.adapter_runtime.mapping import FieldRule, Mapper, MappingConfig
from bus.foundation.errors import MappingError
from contracts.catalogue.gro import DeathRegisteredV1

ROW = {
    "id": 981,
    "district": " Hartlepool ",
    "entry_no": "412",
    "reg_date": "04/03/2025",
    "la": "E06000001",
    "forenames": "Joseph Emeka",
    "surname": "Oduya",
    "dob": "1941-07-19",
    "nino": "AB123456C",
    "addr1": "14 Seaview Terrace",
    "town": "Hartlepool",
    "postcode": "TS24 0PP",
    "dod": "2025-03-01",
    "place": "University Hospital of Hartlepool",
    "inf_forenames": "Margaret Ann",
    "inf_surname": "Oduya",
    "inf_qual": "Daughter",
}


def _config(**overrides: Any) -> MappingConfig:
    fields: dict[str, Any] = {
        "registration_district": "district",
        "entry_number": {"from": "entry_no", "type": "int"},
        "registered_on": {"from": "reg_date", "type": "date", "format": "%d/%m/%Y"},
        "local_authority": "la",
        "deceased_name.given_names": "forenames",
        "deceased_name.family_name": "surname",
        "deceased_date_of_birth": {"from": "dob", "type": "date"},
        "deceased_nino": "nino",
        "deceased_address.lines": {"template": "{addr1}"},
        "deceased_address.town": "town",
        "deceased_address.postcode": "postcode",
        "date_of_death": {"from": "dod", "type": "date"},
        "place_of_death": "place",
        "informant.name.given_names": "inf_forenames",
        "informant.name.family_name": "inf_surname",
        "informant.qualification": "inf_qual",
    }
    document = {
        "contract": "uk.gov.gro.death-registered.v1",
        "key": "DR-{id}",
        "identity": "deaths/{id}",
        "subject": "death/{entry_no}",
        "fields": fields,
    } | overrides
    return MappingConfig.model_validate(document)


def _lines_as_list(row: dict[str, Any]) -> dict[str, Any]:
    """A mapping function: what a declarative rule cannot say (lists, nested addresses)."""
    return {
        "deceased_address": {"lines": [row["addr1"]]},
        "informant": {
            "address": {"lines": ["3 Elwick Road"], "town": "Hartlepool", "postcode": "TS26 9BP"}
        },
    }


def test_a_legacy_row_becomes_a_valid_event_with_key_identity_and_subject() -> None:
    """Renames, conversions and templates produce the contract instance."""
    config = _config(function="tests.unit.bus.adapter_runtime.test_mapping:_lines_as_list")
    mapped = Mapper(config).map(ROW)
    assert isinstance(mapped.event, DeathRegisteredV1)
    assert mapped.event.registration_district == "Hartlepool"
    assert mapped.event.entry_number == 412
    assert mapped.event.registered_on == date(2025, 3, 4)
    assert (mapped.key, mapped.identity, mapped.subject) == ("DR-981", "deaths/981", "death/412")


@pytest.mark.parametrize(
    ("row_change", "field", "reason"),
    [
        ({"entry_no": "four hundred"}, "entry_number", "not a valid int"),
        ({"reg_date": "2025-03-04"}, "registered_on", "not a valid date"),
        ({"nino": "QQ123456C"}, "deceased_nino", "deceased_nino"),
        ({"postcode": "not a postcode"}, "deceased_address.postcode", "postcode"),
        ({"entry_no": "1" * 5000}, "entry_number", "entry_number"),
    ],
)
def test_a_bad_legacy_value_is_rejected_naming_the_field(
    row_change: dict[str, str], field: str, reason: str
) -> None:
    """A value that cannot convert or breaks the contract names the target field."""
    config = _config(function="tests.unit.bus.adapter_runtime.test_mapping:_lines_as_list")
    with pytest.raises(MappingError, match=reason) as caught:
        Mapper(config).map(ROW | row_change)
    assert caught.value.field.startswith(field.split(".")[0])
    assert len(str(caught.value)) < 2000


def test_a_missing_legacy_field_names_both_fields() -> None:
    """A record without a mapped legacy field is rejected, naming target and source."""
    row = {k: v for k, v in ROW.items() if k != "town"}
    with pytest.raises(
        MappingError, match=r"deceased_address\.town: legacy field 'town' is missing"
    ):
        Mapper(_config()).map(row)


def test_optional_fields_are_left_out_when_empty() -> None:
    """An optional rule with an empty legacy value does not set the field."""
    config = _config(
        function="tests.unit.bus.adapter_runtime.test_mapping:_lines_as_list",
        fields=_config().fields | {"deceased_address.uprn": {"from": "uprn", "optional": True}},
    )
    mapped = Mapper(config).map(ROW | {"uprn": "  "})
    assert isinstance(mapped.event, DeathRegisteredV1)
    assert mapped.event.deceased_address.uprn is None


@pytest.mark.parametrize(
    "template", ["{0.__class__}", "{id.__class__}", "{id[0]}", "{id!r}", "{id:>99999}", "{"]
)
def test_templates_only_name_plain_fields(template: str) -> None:
    """Attribute access, indexing, conversions and format specs are refused at start-up."""
    with pytest.raises(ValidationError, match="template"):
        _config(key=template)


def test_a_rule_has_exactly_one_origin() -> None:
    """from, const and template are mutually exclusive, and one is required."""
    with pytest.raises(ValidationError, match="exactly one"):
        FieldRule.model_validate({"from": "a", "const": 1})
    with pytest.raises(ValidationError, match="exactly one"):
        FieldRule.model_validate({"type": "int"})


@pytest.mark.parametrize(
    ("document", "field"),
    [
        ({"contract": "uk.gov.gro.no-such-event.v1"}, "contract"),
        ({"function": "no.such.module:function"}, "function"),
        ({"function": "json:no_such_function"}, "function"),
    ],
)
def test_a_mapping_that_cannot_work_fails_at_start_up(document: dict[str, str], field: str) -> None:
    """Unknown contracts and unloadable functions are reported before any record is read."""
    with pytest.raises(MappingError) as caught:
        Mapper(_config(**document))
    assert caught.value.field == field


def test_a_function_that_raises_rejects_only_that_record() -> None:
    """An exception inside a mapping function becomes a MappingError for the record."""
    with pytest.raises(MappingError, match="mapping function failed"):
        Mapper(_config(function="tests.unit.bus.adapter_runtime.test_mapping:_explode")).map(ROW)


def _explode(row: dict[str, Any]) -> dict[str, Any]:
    raise KeyError("surprise")
