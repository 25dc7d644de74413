"""The compatibility checker: FULL compatibility of contract schemas within one major version."""

from __future__ import annotations

import copy
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jsonschema  # no stubs pinned; used only here
import pytest
from pydantic import BaseModel, Field

from contracts import compatibility
from contracts.compatibility import (
    BaselineError,
    Violation,
    check_baseline,
    check_documents,
    compare_schemas,
    load_baseline,
    schema_notes,
)

CONTRACT = "uk.gov.gro.death-registered v1"
PATH = "uk.gov.gro.death-registered/v1.schema.json"


def death_registered() -> dict[str, Any]:
    """A small contract schema in the export format, with nested objects, $defs and a union."""
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "urn:govbus:contract:uk.gov.gro.death-registered:v1",
        "title": "DeathRegisteredV1",
        "description": "A death was registered at a register office.",
        "type": "object",
        "properties": {
            "registration_id": {
                "type": "string",
                "pattern": "^[A-Z0-9]{10}$",
                "minLength": 10,
                "maxLength": 10,
            },
            "record_type": {"type": "string", "const": "death", "default": "death"},
            "date_of_death": {"type": "string", "format": "date"},
            "age": {"type": "integer", "minimum": 0, "maximum": 130},
            "weight_kg": {"type": "number", "multipleOf": 0.5},
            "cause": {
                "anyOf": [{"type": "string", "maxLength": 200}, {"type": "null"}],
                "default": None,
            },
            "status": {"$ref": "#/$defs/Status"},
            "names": {"type": "array", "items": {"type": "string"}, "minItems": 1, "maxItems": 5},
            "deceased": {"$ref": "#/$defs/Person"},
        },
        "required": ["registration_id", "date_of_death", "status", "deceased"],
        "$defs": {
            "Status": {"type": "string", "enum": ["registered", "amended"]},
            "Person": {
                "type": "object",
                "properties": {
                    "name": {"type": "string"},
                    "nino": {"type": "string", "pattern": "^[A-Z]{2}[0-9]{6}[A-D]$"},
                    "address": {"$ref": "#/$defs/Address"},
                },
                "required": ["name"],
            },
            "Address": {
                "type": "object",
                "properties": {
                    "postcode": {"type": "string", "maxLength": 8},
                    "uprn": {"type": "integer"},
                },
                "required": ["postcode"],
            },
        },
        "x-govbus": {
            "type": "uk.gov.gro.death-registered",
            "version": 1,
            "cloudevents_type": "uk.gov.gro.death-registered.v1",
            "topic": "gro.death-registered.v1",
            "owner": "gro",
            "owner_name": "General Register Office",
            "classification": "OFFICIAL",
            "handling_caveat": "SENSITIVE",
            "personal_data": ["deceased.name", "deceased.nino"],
            "licence": None,
        },
    }


Mutation = Callable[[dict[str, Any]], object]


def props(schema: dict[str, Any]) -> Any:
    return schema["properties"]


def person(schema: dict[str, Any]) -> Any:
    return schema["$defs"]["Person"]["properties"]


def address(schema: dict[str, Any]) -> Any:
    return schema["$defs"]["Address"]["properties"]


def meta(schema: dict[str, Any]) -> Any:
    return schema["x-govbus"]


def verdict(mutate: Mutation) -> list[tuple[str, str]]:
    """(field, rule) of every violation after applying `mutate` to a copy of the contract."""
    new = death_registered()
    mutate(new)
    return [(v.field, v.rule) for v in compare_schemas(death_registered(), new, contract=CONTRACT)]


COMPATIBLE: list[tuple[str, str]] = []

# (name, change, verdict a schema-registry user expects under FULL within a major version)
CHANGES: list[tuple[str, Mutation, list[tuple[str, str]]]] = [
    ("unchanged", lambda s: None, COMPATIBLE),
    ("description changed", lambda s: s.update(description="Registered deaths."), COMPATIBLE),
    ("property title added", lambda s: props(s)["age"].update(title="Age"), COMPATIBLE),
    ("examples added", lambda s: props(s)["age"].update(examples=[87]), COMPATIBLE),
    ("deprecated marked", lambda s: props(s)["age"].update(deprecated=True), COMPATIBLE),
    ("default changed", lambda s: props(s)["cause"].update(default="unknown"), COMPATIBLE),
    ("owner display name changed", lambda s: meta(s).update(owner_name="GRO"), COMPATIBLE),
    (
        "optional field added",
        lambda s: props(s).update(coroner={"type": "string"}),
        COMPATIBLE,
    ),
    (
        "optional nested field added",
        lambda s: address(s).update(town={"anyOf": [{"type": "string"}, {"type": "null"}]}),
        COMPATIBLE,
    ),
    (
        "$ref replaced by the same schema inline",
        lambda s: props(s).update(status={"type": "string", "enum": ["registered", "amended"]}),
        COMPATIBLE,
    ),
    (
        "$def renamed with the same shape",
        lambda s: (
            s["$defs"].update(RegistrationStatus=s["$defs"].pop("Status")),
            props(s).update(status={"$ref": "#/$defs/RegistrationStatus"}),
        ),
        COMPATIBLE,
    ),
    (
        "Optional written as a type list instead of anyOf",
        lambda s: props(s).update(cause={"type": ["string", "null"], "maxLength": 200}),
        COMPATIBLE,
    ),
    (
        "integer bound written as a float",
        lambda s: props(s)["age"].update(maximum=130.0),
        COMPATIBLE,
    ),
    (
        "required field added",
        lambda s: (props(s).update(coroner={"type": "string"}), s["required"].append("coroner")),
        [("coroner", "required-field-added")],
    ),
    (
        "required field with a default added (Confluent: compatible)",
        lambda s: (
            props(s).update(coroner={"type": "string", "default": "none"}),
            s["required"].append("coroner"),
        ),
        [("coroner", "required-field-added")],
    ),
    (
        "required field removed",
        lambda s: (props(s).pop("date_of_death"), s["required"].remove("date_of_death")),
        [("date_of_death", "field-removed")],
    ),
    ("optional field removed", lambda s: props(s).pop("age"), [("age", "field-removed")]),
    (
        "nested optional field removed",
        lambda s: person(s).pop("nino"),
        [("deceased.nino", "field-removed")],
    ),
    (
        "required field made optional",
        lambda s: s["required"].remove("date_of_death"),
        [("date_of_death", "field-made-optional")],
    ),
    (
        "optional field made required",
        lambda s: s["required"].append("age"),
        [("age", "field-made-required")],
    ),
    (
        "type changed string to integer",
        lambda s: props(s).update(registration_id={"type": "integer"}),
        [("registration_id", "type-changed")],
    ),
    (
        "type widened integer to number",
        lambda s: props(s)["age"].update(type="number"),
        [("age", "type-widened")],
    ),
    (
        "type narrowed number to integer",
        lambda s: props(s)["weight_kg"].update(type="integer"),
        [("weight_kg", "type-narrowed")],
    ),
    (
        "type added to a union",
        lambda s: props(s)["age"].update(type=["integer", "string"]),
        [("age", "type-widened")],
    ),
    (
        "nullable added (X to Optional[X])",
        lambda s: props(s).update(age={"anyOf": [props(s)["age"], {"type": "null"}]}),
        [("age", "nullable-added")],
    ),
    (
        "nullable removed (Optional[X] to X)",
        lambda s: props(s).update(cause={"type": "string", "maxLength": 200}),
        [("cause", "nullable-removed")],
    ),
    (
        "enum value added",
        lambda s: s["$defs"]["Status"]["enum"].append("corrected"),
        [("status", "enum-widened")],
    ),
    (
        "enum value removed",
        lambda s: s["$defs"]["Status"]["enum"].remove("amended"),
        [("status", "enum-narrowed")],
    ),
    (
        "enum value renamed",
        lambda s: s["$defs"]["Status"].update(enum=["registered", "corrected"]),
        [("status", "enum-narrowed"), ("status", "enum-widened")],
    ),
    (
        "const changed",
        lambda s: props(s)["record_type"].update(const="stillbirth"),
        [("record_type", "const-changed")],
    ),
    (
        "maxLength decreased in a nested $ref",
        lambda s: address(s)["postcode"].update(maxLength=7),
        [("deceased.address.postcode", "constraint-tightened")],
    ),
    (
        "maxLength increased",
        lambda s: props(s)["registration_id"].update(maxLength=12),
        [("registration_id", "constraint-loosened")],
    ),
    (
        "minLength increased",
        lambda s: props(s)["registration_id"].update(minLength=11),
        [("registration_id", "constraint-tightened")],
    ),
    (
        "maxLength added",
        lambda s: person(s)["name"].update(maxLength=100),
        [("deceased.name", "constraint-tightened")],
    ),
    (
        "minimum raised",
        lambda s: props(s)["age"].update(minimum=1),
        [("age", "constraint-tightened")],
    ),
    (
        "maximum removed",
        lambda s: props(s)["age"].pop("maximum"),
        [("age", "constraint-loosened")],
    ),
    (
        "exclusiveMaximum added",
        lambda s: props(s)["weight_kg"].update(exclusiveMaximum=500),
        [("weight_kg", "constraint-tightened")],
    ),
    (
        "exclusiveMinimum added",
        lambda s: props(s)["weight_kg"].update(exclusiveMinimum=0),
        [("weight_kg", "constraint-tightened")],
    ),
    (
        "personal data field unmarked",
        lambda s: meta(s)["personal_data"].remove("deceased.nino"),
        [("", "personal-data-changed")],
    ),
    (
        "event type changed",
        lambda s: meta(s).update(cloudevents_type="uk.gov.gro.death.v1"),
        [("", "event-type-changed")],
    ),
    (
        "multipleOf made coarser",
        lambda s: props(s)["weight_kg"].update(multipleOf=1),
        [("weight_kg", "constraint-tightened")],
    ),
    (
        "multipleOf made finer",
        lambda s: props(s)["weight_kg"].update(multipleOf=0.25),
        [("weight_kg", "constraint-loosened")],
    ),
    (
        "multipleOf changed to an unrelated step",
        lambda s: props(s)["weight_kg"].update(multipleOf=0.3),
        [("weight_kg", "constraint-changed")],
    ),
    (
        "pattern added",
        lambda s: props(s)["date_of_death"].update(pattern="^2"),
        [("date_of_death", "constraint-tightened")],
    ),
    (
        "pattern removed",
        lambda s: person(s)["nino"].pop("pattern"),
        [("deceased.nino", "constraint-loosened")],
    ),
    (
        "pattern changed",
        lambda s: props(s)["registration_id"].update(pattern="^[A-Z0-9]{10,}$"),
        [("registration_id", "pattern-changed")],
    ),
    (
        "minItems increased",
        lambda s: props(s)["names"].update(minItems=2),
        [("names", "constraint-tightened")],
    ),
    (
        "maxItems removed",
        lambda s: props(s)["names"].pop("maxItems"),
        [("names", "constraint-loosened")],
    ),
    (
        "uniqueItems added",
        lambda s: props(s)["names"].update(uniqueItems=True),
        [("names", "constraint-tightened")],
    ),
    (
        "array item type changed",
        lambda s: props(s)["names"].update(items={"type": "integer"}),
        [("names[]", "type-changed")],
    ),
    (
        "format added (Confluent: not checked)",
        lambda s: person(s)["name"].update(format="email"),
        [("deceased.name", "format-changed")],
    ),
    (
        "format changed date to date-time",
        lambda s: props(s)["date_of_death"].update(format="date-time"),
        [("date_of_death", "format-changed")],
    ),
    (
        "format removed",
        lambda s: props(s)["date_of_death"].pop("format"),
        [("date_of_death", "format-changed")],
    ),
    (
        "content model closed",
        lambda s: s.update(additionalProperties=False),
        [("", "constraint-tightened")],
    ),
    (
        "unsupported keyword changed",
        lambda s: props(s)["age"].update({"not": {"const": 13}}),
        [("age", "unsupported-change")],
    ),
    (
        "classification changed",
        lambda s: meta(s).update(classification="SECRET"),
        [("", "classification-changed")],
    ),
    (
        "handling caveat removed",
        lambda s: meta(s).update(handling_caveat=None),
        [("", "handling-caveat-changed")],
    ),
    (
        "personal data field added",
        lambda s: meta(s)["personal_data"].append("deceased.address.postcode"),
        [("", "personal-data-changed")],
    ),
    ("owner changed", lambda s: meta(s).update(owner="hmrc"), [("", "owner-changed")]),
    (
        "topic changed",
        lambda s: meta(s).update(topic="gro.deaths.v1"),
        [("", "topic-changed")],
    ),
    (
        "licence added",
        lambda s: meta(s).update(licence={"name": "Open Government Licence v3.0", "url": "x"}),
        [("", "licence-changed")],
    ),
]


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [pytest.param(mutate, expected, id=name) for name, mutate, expected in CHANGES],
)
def test_each_kind_of_change_gets_the_expected_verdict(
    mutate: Mutation, expected: list[tuple[str, str]]
) -> None:
    """Each kind of change is compatible, or breaks with exactly the expected rules and fields."""
    assert verdict(mutate) == sorted(expected)


EXAMPLE: dict[str, Any] = {
    "registration_id": "AB12345678",
    "record_type": "death",
    "date_of_death": "2026-11-20",
    "age": 87,
    "weight_kg": 70.5,
    "cause": None,
    "status": "registered",
    "names": ["Ada"],
    "deceased": {
        "name": "Ada Lovelace",
        "nino": "QQ123456C",
        "address": {"postcode": "SW1A 1AA", "uprn": 100023336956},
    },
}


@pytest.mark.parametrize(
    "mutate",
    [pytest.param(mutate, id=name) for name, mutate, expected in CHANGES if expected == []],
)
def test_an_independent_validator_agrees_compatible_changes_accept_the_example(
    mutate: Mutation,
) -> None:
    """For every change judged compatible, jsonschema accepts the example under both schemas."""
    new = death_registered()
    mutate(new)
    for schema in (death_registered(), new):
        validator = jsonschema.Draft202012Validator(
            schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
        )
        assert list(validator.iter_errors(EXAMPLE)) == []


def test_the_table_covers_at_least_25_kinds_of_change() -> None:
    """The verdict table stays broad enough to serve as the reference for users."""
    assert len({name for name, _, _ in CHANGES}) >= 25
    assert len({rule for _, _, expected in CHANGES for _, rule in expected}) >= 20


def test_detail_names_old_and_new_values_and_who_breaks() -> None:
    """A violation's detail names both values and which consumers break."""
    new = death_registered()
    address(new)["postcode"]["maxLength"] = 7
    (violation,) = compare_schemas(death_registered(), new, contract=CONTRACT)
    assert "from 8 to 7" in violation.detail
    assert "new consumers" in violation.detail


def test_str_of_violation_is_one_line_naming_contract_field_and_rule() -> None:
    """`str(violation)` is `<contract>: <field>: <rule>: <detail>` on a single line."""
    violation = Violation(CONTRACT, "deceased.nino", "field-removed", "gone")
    assert str(violation) == f"{CONTRACT}: deceased.nino: field-removed: gone"
    whole = Violation(CONTRACT, "", "contract-removed", "line one\nline two\u2028three")
    assert len(str(whole).splitlines()) == 1
    assert str(whole).startswith(f"{CONTRACT}: (whole contract): contract-removed: line one")


def test_hostile_property_names_are_quoted_and_stay_on_one_line() -> None:
    """A property name with dots or line breaks is quoted in the path and never splits a line."""
    old, new = death_registered(), death_registered()
    props(old)["evil\nname.x"] = {"type": "string"}
    (violation,) = compare_schemas(old, new, contract=CONTRACT)
    assert violation.field == '"evil\\nname.x"'
    assert len(str(violation).splitlines()) == 1


def test_violations_are_sorted_and_independent_of_key_order() -> None:
    """The same change set gives the same list whatever order the documents' keys are in."""
    new = death_registered()
    props(new).pop("age")
    address(new)["postcode"]["maxLength"] = 7
    meta(new)["topic"] = "gro.deaths.v1"
    forward = compare_schemas(death_registered(), new, contract=CONTRACT)
    reordered = json.loads(json.dumps(new, sort_keys=True))
    reordered["properties"] = dict(reversed(list(reordered["properties"].items())))
    backward = compare_schemas(death_registered(), reordered, contract=CONTRACT)
    assert forward == backward
    assert forward == sorted(forward, key=lambda v: (v.contract, v.field, v.rule, v.detail))
    assert [v.field for v in forward] == ["", "age", "deceased.address.postcode"]


def test_default_change_is_a_note_not_a_violation() -> None:
    """A changed default is compatible but shows up in the notes for the reviewer."""
    new = death_registered()
    props(new)["cause"]["default"] = "unknown"
    assert compare_schemas(death_registered(), new, contract=CONTRACT) == []
    (note,) = schema_notes(death_registered(), new, contract=CONTRACT)
    assert (note.field, note.rule) == ("cause", "default-changed")
    assert '"unknown"' in note.detail


# -- nested objects, $ref and recursion -------------------------------------------------------


def test_a_shared_def_is_compared_once_and_reported_at_the_first_path() -> None:
    """A $def used by two fields yields one violation, at the first path in sorted order."""
    old = death_registered()
    props(old)["informant"] = {
        "type": "object",
        "properties": {"home": {"$ref": "#/$defs/Address"}},
    }
    new = copy.deepcopy(old)
    address(new)["uprn"]["type"] = "string"
    violations = compare_schemas(old, new, contract=CONTRACT)
    assert [(v.field, v.rule) for v in violations] == [("deceased.address.uprn", "type-changed")]


def test_nested_inline_objects_report_the_dotted_path() -> None:
    """A change three levels down inline is reported at its dotted path."""
    old = death_registered()
    props(old)["inquest"] = {
        "type": "object",
        "properties": {"court": {"type": "object", "properties": {"code": {"type": "string"}}}},
    }
    new = copy.deepcopy(old)
    props(new)["inquest"]["properties"]["court"]["properties"]["code"]["type"] = "integer"
    violations = compare_schemas(old, new, contract=CONTRACT)
    assert [(v.field, v.rule) for v in violations] == [("inquest.court.code", "type-changed")]


def test_optional_ref_becoming_required_and_non_null_reports_both() -> None:
    """`Optional[Address] = None` to `Address` is two breaks: required and null removed."""
    old = death_registered()
    person(old)["address"] = {"anyOf": [{"$ref": "#/$defs/Address"}, {"type": "null"}]}
    new = death_registered()
    new["$defs"]["Person"]["required"].append("address")
    violations = compare_schemas(old, new, contract=CONTRACT)
    assert [(v.field, v.rule) for v in violations] == [
        ("deceased.address", "field-made-required"),
        ("deceased.address", "nullable-removed"),
    ]


def with_union() -> dict[str, Any]:
    """The contract with a discriminated union of two models, as pydantic emits it."""
    schema = death_registered()
    schema["$defs"]["Burial"] = {
        "type": "object",
        "properties": {"kind": {"const": "burial"}, "cemetery": {"type": "string"}},
        "required": ["kind"],
    }
    schema["$defs"]["Cremation"] = {
        "type": "object",
        "properties": {"kind": {"const": "cremation"}, "crematorium": {"type": "string"}},
        "required": ["kind"],
    }
    props(schema)["disposal"] = {
        "oneOf": [{"$ref": "#/$defs/Burial"}, {"$ref": "#/$defs/Cremation"}],
        "discriminator": {"propertyName": "kind"},
    }
    return schema


def union_verdict(mutate: Mutation) -> list[tuple[str, str]]:
    new = with_union()
    mutate(new)
    return [(v.field, v.rule) for v in compare_schemas(with_union(), new, contract=CONTRACT)]


def test_union_alternatives_are_matched_by_def_name() -> None:
    """In `Burial | Cremation` a change inside one model is reported inside that model."""

    def tighten(schema: dict[str, Any]) -> None:
        schema["$defs"]["Cremation"]["properties"]["crematorium"]["maxLength"] = 50
        schema["$defs"]["Burial"]["description"] = "Buried in a cemetery."

    assert union_verdict(tighten) == [("disposal.crematorium", "constraint-tightened")]


def test_union_alternative_added_or_removed() -> None:
    """Adding a model to a union breaks old consumers; removing one breaks new consumers."""
    sea = {"type": "object", "properties": {"kind": {"const": "sea"}}, "required": ["kind"]}

    def add(schema: dict[str, Any]) -> None:
        schema["$defs"]["Sea"] = sea
        props(schema)["disposal"]["oneOf"].append({"$ref": "#/$defs/Sea"})

    def remove(schema: dict[str, Any]) -> None:
        props(schema)["disposal"]["oneOf"].pop()

    assert union_verdict(add) == [("disposal", "type-widened")]
    assert union_verdict(remove) == [("disposal", "type-narrowed")]


def test_ref_wrapped_in_all_of_equals_the_plain_ref() -> None:
    """`allOf: [{$ref}]` with a description (older pydantic) is the same schema as the $ref."""
    new = death_registered()
    props(new)["deceased"] = {"allOf": [{"$ref": "#/$defs/Person"}], "description": "Who died."}
    assert compare_schemas(death_registered(), new, contract=CONTRACT) == []
    person(new)["name"]["minLength"] = 1
    violations = compare_schemas(death_registered(), new, contract=CONTRACT)
    assert [(v.field, v.rule) for v in violations] == [("deceased.name", "constraint-tightened")]


def test_current_document_that_is_not_an_object_is_a_violation() -> None:
    """A current 'schema' that is a list fails as invalid-schema instead of raising."""
    violations = check_documents(documents(), {PATH: [1, 2]})  # type: ignore[dict-item]
    assert [(v.field, v.rule) for v in violations] == [("", "invalid-schema")]


def test_recursive_schema_through_ref_and_optional_union_is_compared() -> None:
    """A self-referencing model (`parent: Node | None`, `children: list[Node]`) compares fine."""
    node: dict[str, Any] = {
        "type": "object",
        "properties": {
            "name": {"type": "string"},
            "parent": {"anyOf": [{"$ref": "#/$defs/Node"}, {"type": "null"}], "default": None},
            "children": {"type": "array", "items": {"$ref": "#/$defs/Node"}},
        },
        "required": ["name"],
    }
    old: dict[str, Any] = {"$ref": "#/$defs/Node", "$defs": {"Node": node}}
    old["x-govbus"] = meta(death_registered())
    assert compare_schemas(old, copy.deepcopy(old), contract=CONTRACT) == []
    new = copy.deepcopy(old)
    new["$defs"]["Node"]["properties"]["name"]["maxLength"] = 3
    fields = {v.field for v in compare_schemas(old, new, contract=CONTRACT)}
    assert "name" in fields
    assert all(v.endswith("name") for v in fields)


def test_root_self_reference_is_compared() -> None:
    """`$ref: "#"` back to the document root does not loop."""
    old = death_registered()
    props(old)["previous"] = {"$ref": "#"}
    new = copy.deepcopy(old)
    props(new)["age"]["maximum"] = 120
    violations = compare_schemas(old, new, contract=CONTRACT)
    assert ("age", "constraint-tightened") in [(v.field, v.rule) for v in violations]


@pytest.mark.parametrize(
    ("ref", "defs"),
    [
        pytest.param("#/$defs/Missing", {}, id="dangling"),
        pytest.param("https://example.com/x.json", {}, id="external"),
        pytest.param(
            "#/$defs/A", {"A": {"$ref": "#/$defs/B"}, "B": {"$ref": "#/$defs/A"}}, id="cycle"
        ),
        pytest.param(42, {}, id="not-a-string"),
    ],
)
def test_unresolvable_ref_in_current_is_a_violation(ref: Any, defs: dict[str, Any]) -> None:
    """A $ref that cannot be followed fails the check instead of passing as compatible."""
    new = death_registered()
    new["$defs"].update(defs)
    props(new)["status"] = {"$ref": ref}
    violations = compare_schemas(death_registered(), new, contract=CONTRACT)
    assert [(v.field, v.rule) for v in violations] == [("status", "ref-unresolved")]


def test_malformed_schema_parts_are_violations_not_crashes() -> None:
    """Wrong shapes inside the current schema are reported as invalid-schema at their field."""
    new = death_registered()
    person(new)["address"] = {"type": "object", "properties": 5}
    props(new)["age"] = "integer"
    props(new)["names"]["items"] = {"type": 7}
    rules = [(v.field, v.rule) for v in compare_schemas(death_registered(), new, contract=CONTRACT)]
    assert rules == [
        ("age", "invalid-schema"),
        ("deceased.address", "invalid-schema"),
        ("names[]", "invalid-schema"),
    ]


def test_missing_metadata_in_current_is_a_violation() -> None:
    """A current schema without x-govbus cannot be checked and fails."""
    new = death_registered()
    del new["x-govbus"]
    violations = compare_schemas(death_registered(), new, contract=CONTRACT)
    assert [(v.field, v.rule) for v in violations] == [("", "invalid-schema")]


# -- hostile input ----------------------------------------------------------------------------


def nested_objects(levels: int, leaf: dict[str, Any]) -> dict[str, Any]:
    schema = leaf
    for _ in range(levels):
        schema = {"type": "object", "properties": {"x": schema}}
    return schema


def test_deeply_nested_schema_is_a_violation_not_a_recursion_error() -> None:
    """Nesting far past the limit ends in schema-too-deep on both equal and changed schemas."""
    old = nested_objects(5000, {"type": "string"}) | {"x-govbus": meta(death_registered())}
    new = nested_objects(5000, {"type": "integer"}) | {"x-govbus": meta(death_registered())}
    violations = compare_schemas(old, new, contract=CONTRACT)
    assert {v.rule for v in violations} == {"schema-too-deep"}


def test_deeply_nested_unions_are_a_violation_not_a_recursion_error() -> None:
    """anyOf inside anyOf thousands deep is bounded like nested objects."""

    def unions(levels: int) -> dict[str, Any]:
        schema: dict[str, Any] = {"type": "string"}
        for _ in range(levels):
            schema = {"anyOf": [schema, {"type": "null"}]}
        return schema | {"x-govbus": meta(death_registered())}

    violations = compare_schemas(unions(5000), unions(5000), contract=CONTRACT)
    assert {v.rule for v in violations} == {"schema-too-deep"}


def test_self_referencing_union_is_bounded() -> None:
    """`A = anyOf[A, A]` (infinite, exponential if expanded) ends quickly in a violation."""
    old = death_registered()
    old["$defs"]["A"] = {"anyOf": [{"$ref": "#/$defs/A"}, {"$ref": "#/$defs/A"}]}
    props(old)["a"] = {"$ref": "#/$defs/A"}
    started = time.monotonic()
    violations = compare_schemas(old, copy.deepcopy(old), contract=CONTRACT)
    assert time.monotonic() - started < 10
    assert {v.rule for v in violations} <= {"schema-too-deep", "schema-too-large"}
    assert violations


def test_fan_out_through_shared_defs_stays_linear() -> None:
    """Defs that each reference the next twice (2**40 paths) compare in well under a second."""
    old = death_registered()
    for level in range(40):
        target = {"$ref": f"#/$defs/D{level + 1}"}
        old["$defs"][f"D{level}"] = {"type": "object", "properties": {"l": target, "r": target}}
    old["$defs"]["D40"] = {"type": "string"}
    props(old)["tree"] = {"$ref": "#/$defs/D0"}
    new = copy.deepcopy(old)
    new["$defs"]["D40"]["maxLength"] = 5
    started = time.monotonic()
    violations = compare_schemas(old, new, contract=CONTRACT)
    assert time.monotonic() - started < 2
    assert [v.rule for v in violations] == ["constraint-tightened"]
    assert violations[0].field == "tree" + ".l" * 40


def test_huge_schema_is_a_violation_not_a_hang() -> None:
    """More properties than the node budget ends in one schema-too-large violation."""
    old = death_registered()
    props(old).update({f"f{i}": {"type": "string"} for i in range(30_000)})
    violations = compare_schemas(old, copy.deepcopy(old), contract=CONTRACT)
    assert [v.rule for v in violations] == ["schema-too-large"]


# -- documents, baselines and removed contracts -----------------------------------------------


def documents(**changes: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {PATH: death_registered(), **changes}


def test_contract_removed_from_current_is_a_violation() -> None:
    """A baseline schema with no current counterpart is reported against the whole contract."""
    violations = check_documents(documents(), {})
    assert [(v.contract, v.field, v.rule) for v in violations] == [
        (CONTRACT, "", "contract-removed")
    ]


def test_new_contract_version_and_examples_are_fine() -> None:
    """A version only in current is allowed, and example documents are not compared."""
    v2 = death_registered()
    meta(v2)["version"] = 2
    current = {
        PATH: death_registered(),
        "uk.gov.gro.death-registered/v2.schema.json": v2,
        "uk.gov.gro.death-registered/v1.example.json": {"anything": 1},
    }
    baseline = {PATH: death_registered(), "uk.gov.gro.death-registered/v1.example.json": {}}
    assert check_documents(baseline, current) == []


def test_check_documents_names_each_contract_and_sorts_across_contracts() -> None:
    """Violations from several contracts carry their own names and come out sorted."""
    other = death_registered()
    meta(other).update(type="uk.gov.dwp.pension-stopped", version=3)
    other_path = "uk.gov.dwp.pension-stopped/v3.schema.json"
    changed_other, changed_gro = copy.deepcopy(other), death_registered()
    props(changed_other).pop("age")
    props(changed_gro).pop("age")
    violations = check_documents(
        {PATH: death_registered(), other_path: other},
        {other_path: changed_other, PATH: changed_gro},
    )
    assert [(v.contract, v.field) for v in violations] == [
        ("uk.gov.dwp.pension-stopped v3", "age"),
        (CONTRACT, "age"),
    ]


def write_baseline(directory: Path, documents: dict[str, Any]) -> Path:
    for relative, document in documents.items():
        target = directory / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(document), encoding="utf-8")
    return directory


def test_load_baseline_keys_schemas_by_relative_path(tmp_path: Path) -> None:
    """Only *.schema.json files are loaded, keyed by their POSIX path under the directory."""
    write_baseline(
        tmp_path, {PATH: death_registered(), "uk.gov.gro.death-registered/v1.example.json": {}}
    )
    assert load_baseline(tmp_path) == {PATH: death_registered()}


def test_check_baseline_finds_changes_against_a_committed_directory(tmp_path: Path) -> None:
    """End to end: a committed baseline and a changed current set give the violation."""
    write_baseline(tmp_path, {PATH: death_registered()})
    current = death_registered()
    current["required"].append("age")
    violations = check_baseline(tmp_path, {PATH: current})
    assert [str(v) for v in violations] == [
        f"{CONTRACT}: age: field-made-required: field was optional and is now required, "
        "so new consumers may reject old events that omit it"
    ]


BAD_FILES: list[tuple[str, bytes, str]] = [
    ("malformed JSON", b'{"type": "object",', "is not JSON"),
    ("not an object", b"[1, 2]", "is not a JSON object"),
    ("no x-govbus", json.dumps({"type": "object"}).encode(), "no x-govbus"),
    ("x-govbus not an object", json.dumps({"x-govbus": []}).encode(), "no x-govbus"),
    (
        "x-govbus without type",
        json.dumps({"x-govbus": {"version": 1}}).encode(),
        "lacks x-govbus type",
    ),
    ("nested too deeply", b"[" * 200_000 + b"]" * 200_000, "nests too deeply"),
    ("not UTF-8", b'{"title": "\xff"}', "is not UTF-8"),
]


@pytest.mark.parametrize(
    ("content", "message"),
    [pytest.param(content, message, id=name) for name, content, message in BAD_FILES],
)
def test_unreadable_baseline_file_raises_naming_the_path(
    tmp_path: Path, content: bytes, message: str
) -> None:
    """A bad baseline file raises BaselineError naming the file, never reads as compatible."""
    write_baseline(tmp_path, {"uk.gov.gro.other/v1.schema.json": death_registered()})
    bad = tmp_path / PATH
    bad.parent.mkdir(parents=True)
    bad.write_bytes(content)
    with pytest.raises(BaselineError, match=message) as raised:
        check_baseline(tmp_path, {PATH: death_registered()})
    assert str(bad) in str(raised.value)
    assert raised.value.path == bad


def test_oversized_baseline_file_raises(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A baseline file over the size limit is refused before it is parsed."""
    write_baseline(tmp_path, {PATH: death_registered()})
    monkeypatch.setattr(compatibility, "MAX_BASELINE_FILE_BYTES", 100)
    with pytest.raises(BaselineError, match="too large"):
        load_baseline(tmp_path)


def test_missing_baseline_directory_raises(tmp_path: Path) -> None:
    """A baseline directory that does not exist is an error naming it."""
    missing = tmp_path / "schemas"
    with pytest.raises(BaselineError, match="does not exist") as raised:
        check_baseline(missing, {PATH: death_registered()})
    assert str(missing) in str(raised.value)


def test_baseline_that_is_a_file_raises(tmp_path: Path) -> None:
    """A baseline path that is a file is an error naming it."""
    file = tmp_path / "schemas"
    file.write_text("{}")
    with pytest.raises(BaselineError, match="not a directory"):
        load_baseline(file)


def test_baseline_without_schemas_raises(tmp_path: Path) -> None:
    """An empty baseline (or one with only examples) is an error, not an empty pass."""
    write_baseline(tmp_path, {"uk.gov.gro.death-registered/v1.example.json": {}})
    with pytest.raises(BaselineError, match=r"no \*\.schema\.json") as raised:
        check_baseline(tmp_path, {PATH: death_registered()})
    assert str(tmp_path) in str(raised.value)


# -- a schema as pydantic emits it ------------------------------------------------------------


class AddressV1(BaseModel):
    postcode: str = Field(pattern=r"^[A-Z]{1,2}[0-9][A-Z0-9]? ?[0-9][A-Z]{2}$", max_length=8)
    uprn: int | None = None


class DeathRegisteredV1(BaseModel):
    registration_id: str
    address: AddressV1 | None = None


class DeathRegisteredV1WithCoroner(DeathRegisteredV1):
    coroner: str | None = None


class DeathRegisteredV1AddressRequired(BaseModel):
    registration_id: str
    address: AddressV1


def exported(model: type[BaseModel]) -> dict[str, Any]:
    return model.model_json_schema() | {"x-govbus": meta(death_registered())}


def test_pydantic_optional_field_added_is_compatible() -> None:
    """Adding `coroner: str | None = None` to a pydantic contract passes."""
    old, new = exported(DeathRegisteredV1), exported(DeathRegisteredV1WithCoroner)
    new["title"] = old["title"]
    assert compare_schemas(old, new, contract=CONTRACT) == []


def test_pydantic_optional_model_made_required_breaks() -> None:
    """`address: AddressV1 | None = None` to `address: AddressV1` breaks new consumers."""
    old, new = exported(DeathRegisteredV1), exported(DeathRegisteredV1AddressRequired)
    violations = compare_schemas(old, new, contract=CONTRACT)
    assert [(v.field, v.rule) for v in violations] == [
        ("address", "field-made-required"),
        ("address", "nullable-removed"),
    ]
