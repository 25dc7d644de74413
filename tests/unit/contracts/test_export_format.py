"""Reading documents in the export format: grouping, and clear errors for bad input."""

import copy
from pathlib import Path

import jsonschema
import pytest

from contracts.export_format import ExportFormatError, load_documents, read_contracts

FIXTURES = Path(__file__).parents[2] / "fixtures" / "contracts_export"
GRO = "uk.gov.gro.death-registered/v1.schema.json"


@pytest.fixture
def documents():
    return load_documents(FIXTURES)


def test_contracts_are_grouped_by_event_type_with_versions_oldest_first(documents):
    """Each event type becomes one contract holding all its major versions in order."""
    contracts = read_contracts(documents)
    by_type = {c.event_type: c for c in contracts}
    assert set(by_type) == {path.split("/")[0] for path in documents}
    dvla = by_type["uk.gov.dvla.licence-surrendered"]
    assert [v.version for v in dvla.versions] == [1, 2]
    assert dvla.latest.topic == "dvla.licence-surrendered.v2"
    assert dvla.latest.example == documents["uk.gov.dvla.licence-surrendered/v2.example.json"]


def test_contracts_are_sorted_by_owner_then_event_type(documents):
    """The order does not depend on the order of the mapping."""
    reordered = dict(reversed(list(documents.items())))
    assert read_contracts(reordered) == read_contracts(documents)
    owners = [c.owner for c in read_contracts(documents)]
    assert owners == sorted(owners)


def test_metadata_is_read_from_the_x_govbus_block(documents):
    """Owner, handling, personal data and licence come through as typed values."""
    by_type = {c.event_type: c.latest for c in read_contracts(documents)}
    gro = by_type["uk.gov.gro.death-registered"]
    assert gro.handling_caveat == "SENSITIVE"
    assert "deceased.nino" in gro.personal_data
    assert gro.licence is None
    assert gro.schema_id == "urn:govbus:contract:uk.gov.gro.death-registered:v1"
    ons = by_type["uk.gov.ons.population-estimate-published"]
    assert ons.licence is not None
    assert ons.licence.name == "Open Government Licence v3.0"


@pytest.mark.parametrize(
    "bad_path",
    [
        "../../etc/passwd",
        "uk.gov.gro.death-registered/../v1.schema.json",
        "/abs/v1.schema.json",
        "uk.gov.gro.death-registered/v0.schema.json",
        "gro/v1.schema.json",
        "uk.gov.gro.death-registered/v1.schema.json.html",
    ],
)
def test_unexpected_paths_are_rejected_by_name(documents, bad_path):
    """A path outside the export layout (for example a traversal) is refused before any use."""
    documents[bad_path] = documents[GRO]
    with pytest.raises(ExportFormatError, match="expected '<event-type>") as caught:
        read_contracts(documents)
    assert bad_path in str(caught.value)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("topic", "gro.something-else.v1", "x-govbus.topic: must be 'gro.death-registered.v1'"),
        ("owner", "dvla", "x-govbus.owner: must be 'gro'"),
        ("version", True, "x-govbus.version: must be 1"),
        ("version", 2, "x-govbus.version: must be 1"),
        ("owner_name", "", "x-govbus.owner_name: must be a non-empty string"),
        ("personal_data", "deceased.nino", "x-govbus.personal_data: must be a list"),
        ("personal_data", ["deceased nino"], "is not a dotted field path"),
        ("licence", {"name": "OGL", "url": "javascript:alert(1)"}, "x-govbus.licence.url"),
        ("licence", {"name": "", "url": "https://example.org/"}, "x-govbus.licence.name"),
        ("licence", "OGL", "x-govbus.licence: must be null"),
    ],
)
def test_bad_metadata_names_the_document_and_field(documents, field, value, message):
    """Malformed or hostile x-govbus values fail with the document path and the field."""
    schema = copy.deepcopy(documents[GRO])
    schema["x-govbus"][field] = value
    documents[GRO] = schema
    with pytest.raises(ExportFormatError) as caught:
        read_contracts(documents)
    assert GRO in str(caught.value)
    assert message in str(caught.value)


def test_missing_x_govbus_block_is_reported(documents):
    """A schema without its govbus metadata cannot be published."""
    del documents[GRO]["x-govbus"]
    with pytest.raises(ExportFormatError, match="x-govbus: missing"):
        read_contracts(documents)


def test_example_without_schema_is_reported(documents):
    """An example must sit next to the schema it illustrates."""
    del documents[GRO]
    with pytest.raises(ExportFormatError, match="example has no schema"):
        read_contracts(documents)


def test_fixture_examples_validate_against_their_schemas(documents):
    """The committed test documents are themselves valid export output."""
    for contract in read_contracts(documents):
        for version in contract.versions:
            validator = jsonschema.Draft202012Validator(
                version.schema, format_checker=jsonschema.FormatChecker()
            )
            validator.validate(version.example)
