"""JSON Schema export: format, determinism, independent validation and the committed copy."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from contracts import SchemaDocumentError, default_registry
from contracts.export import (
    MAX_DOCUMENT_BYTES,
    current_documents,
    export_to,
    load_documents,
    render,
)
from contracts.packages import builtin_models, builtin_registry

SCHEMAS = Path(__file__).resolve().parents[3] / "contracts" / "schemas"
# govbus's own contracts only: contract packages a user installed are not in contracts/schemas.
DOCUMENTS = current_documents(builtin_registry())
SCHEMA_PATHS = sorted(p for p in DOCUMENTS if p.endswith(".schema.json"))
COMMITTED = load_documents(SCHEMAS)


def walk(node: Any) -> list[tuple[str, Any]]:
    """Every (key, value) pair anywhere in a JSON document."""
    pairs: list[tuple[str, Any]] = []
    if isinstance(node, dict):
        for key, value in node.items():
            pairs.append((key, value))
            pairs.extend(walk(value))
    elif isinstance(node, list):
        for item in node:
            pairs.extend(walk(item))
    return pairs


def validator(schema: dict[str, Any]) -> Draft202012Validator:
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


def test_committed_schemas_match_the_contracts(tmp_path: Path) -> None:
    """contracts/schemas/ is exactly what govbus's own models generate, byte for byte."""
    export_to(tmp_path, registry=builtin_registry())
    generated = {
        p.relative_to(tmp_path).as_posix(): p.read_bytes() for p in tmp_path.rglob("*.json")
    }
    committed = {p.relative_to(SCHEMAS).as_posix(): p.read_bytes() for p in SCHEMAS.rglob("*.json")}
    stale = sorted(set(committed) - set(generated))
    missing = sorted(set(generated) - set(committed))
    changed = sorted(p for p in set(generated) & set(committed) if generated[p] != committed[p])
    drift = {"changed": changed, "missing": missing, "stale": stale}
    assert not any(drift.values()), (
        f"contracts/schemas is out of date (changed: {changed}, missing: {missing},"
        f" stale: {stale}); run `govbus contracts export contracts/schemas` and commit the result"
    )


def test_every_contract_version_has_a_schema_and_an_example() -> None:
    """Two documents per registered contract version, in the agreed layout."""
    expected = set()
    for model in builtin_models():
        base = f"{model.contract.event_type}/v{model.contract.version}"
        expected |= {f"{base}.schema.json", f"{base}.example.json"}
    assert set(DOCUMENTS) == expected


@pytest.mark.parametrize("path", SCHEMA_PATHS)
def test_schema_passes_the_draft_2020_12_metaschema(path: str) -> None:
    """Each schema is valid JSON Schema draft 2020-12 according to `jsonschema`."""
    Draft202012Validator.check_schema(DOCUMENTS[path])


@pytest.mark.parametrize("path", sorted(p for p in COMMITTED if p.endswith(".schema.json")))
def test_committed_example_validates_against_its_schema(path: str) -> None:
    """Each committed example validates, formats included, against the committed schema."""
    example = COMMITTED[path.replace(".schema.json", ".example.json")]
    errors = list(validator(COMMITTED[path]).iter_errors(example))
    assert errors == []


@pytest.mark.parametrize(
    ("field", "value"),
    [("reported_at", "2025-05-06 17:42"), ("reported_at", "2025-13-06T17:42:10Z")],
)
def test_format_checking_rejects_a_bad_date_time(field: str, value: str) -> None:
    """`date-time` is really checked (rfc3339-validator installed), not passed as unknown."""
    path = "uk.gov.council.missed-bin-collection-reported/v1.schema.json"
    assert COMMITTED[path]["properties"][field]["format"] == "date-time"
    example = {**COMMITTED[path.replace(".schema.json", ".example.json")], field: value}
    errors = list(validator(COMMITTED[path]).iter_errors(example))
    assert [(e.validator, list(e.path)) for e in errors] == [("format", [field])]


@pytest.mark.parametrize("path", SCHEMA_PATHS)
def test_schema_has_the_agreed_top_level(path: str) -> None:
    """`$schema`, `$id`, title and `x-govbus` are set as the export format says."""
    schema = DOCUMENTS[path]
    meta = schema["x-govbus"]
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"] == f"urn:govbus:contract:{meta['type']}:v{meta['version']}"
    assert path == f"{meta['type']}/v{meta['version']}.schema.json"
    assert schema["type"] == "object"
    model = default_registry.get(meta["type"], meta["version"])
    assert schema["title"] == model.__name__
    assert meta["cloudevents_type"] == f"{meta['type']}.v{meta['version']}"
    assert meta["topic"].startswith(f"{meta['owner']}.")
    assert set(meta) == {
        "type", "version", "cloudevents_type", "topic", "owner", "owner_name",
        "classification", "handling_caveat", "personal_data", "licence",
    }  # fmt: skip


@pytest.mark.parametrize("path", SCHEMA_PATHS)
def test_schema_is_open_to_unknown_fields(path: str) -> None:
    """No `additionalProperties: false` anywhere, and refs stay inside the document."""
    pairs = walk(DOCUMENTS[path])
    assert ("additionalProperties", False) not in pairs
    assert all(v.startswith("#/$defs/") for k, v in pairs if k == "$ref")
    example = DOCUMENTS[path.replace(".schema.json", ".example.json")]
    assert validator(DOCUMENTS[path]).is_valid({**example, "added_later": {"x": 1}})


@pytest.mark.parametrize(
    ("path", "field", "bad"),
    [
        ("uk.gov.dwp.state-pension-payment-stopped/v1", "nino", "BG123456A"),
        ("uk.gov.dwp.state-pension-payment-stopped/v1", "nino", "ab123456c"),
        ("uk.gov.dwp.state-pension-payment-stopped/v1", "stopped_from", "2025-02-30"),
        ("uk.gov.council.missed-bin-collection-reported/v1", "local_authority", "E05011118"),
        ("uk.gov.council.missed-bin-collection-reported/v1", "street_usrn", 123456789),
        ("uk.gov.council.missed-bin-collection-reported/v1", "container", "skip"),
        ("uk.gov.council.missed-bin-collection-reported/v1", "street_name", "Moseley\nRoad"),
    ],
)
def test_schema_carries_identifier_rules_to_other_languages(
    path: str, field: str, bad: object
) -> None:
    """A consumer with only the schema rejects the identifiers Python rejects."""
    schema = DOCUMENTS[f"{path}.schema.json"]
    example = DOCUMENTS[f"{path}.example.json"]
    assert not validator(schema).is_valid({**example, field: bad})


def test_postcode_rule_reaches_nested_addresses() -> None:
    """Patterns inside `$defs` apply to nested objects such as an address."""
    schema = DOCUMENTS["uk.gov.gro.death-registered/v2.schema.json"]
    example = json.loads(json.dumps(DOCUMENTS["uk.gov.gro.death-registered/v2.example.json"]))
    example["deceased"]["usual_address"]["postcode"] = "QA1 1AA"
    assert not validator(schema).is_valid(example)


def test_rendering_is_deterministic() -> None:
    """Two generations render identically, with sorted keys and a trailing newline."""
    again = current_documents()
    for path, document in DOCUMENTS.items():
        text = render(document)
        assert text == render(again[path])
        assert text.endswith("}\n")
        assert list(json.loads(text)) == sorted(document)


def test_export_returns_written_paths_and_prunes_stale_documents(tmp_path: Path) -> None:
    """Export writes every document and removes ones no contract produces any more."""
    stale = tmp_path / "uk.gov.acme.gone" / "v1.schema.json"
    stale.parent.mkdir()
    stale.write_text("{}")
    unrelated = tmp_path / "README.md"
    unrelated.write_text("kept")
    written = export_to(tmp_path, registry=builtin_registry())
    assert sorted(p.relative_to(tmp_path).as_posix() for p in written) == sorted(DOCUMENTS)
    assert not stale.exists()
    assert unrelated.read_text() == "kept"
    assert load_documents(tmp_path) == DOCUMENTS


def test_export_into_a_file_is_a_clear_error(tmp_path: Path) -> None:
    """Exporting onto an existing file fails naming the path."""
    target = tmp_path / "schemas"
    target.write_text("not a directory")
    with pytest.raises(SchemaDocumentError, match="schemas: exists and is not a directory"):
        export_to(target)


def test_load_missing_directory_is_a_clear_error(tmp_path: Path) -> None:
    """Loading from a directory that does not exist names it."""
    with pytest.raises(SchemaDocumentError, match="nowhere: schema directory does not exist"):
        load_documents(tmp_path / "nowhere")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b'{"type": "object",', "malformed JSON at line 1 column 19"),
        (b"", "malformed JSON at line 1 column 1"),
        (b"[1, 2]", "expected a JSON object, found list"),
        (b"\xff\xfe{}", "not UTF-8"),
        (b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
    ],
)
def test_load_malformed_document_names_the_file(
    tmp_path: Path, content: bytes, message: str
) -> None:
    """Broken JSON, non-objects and bad encodings fail naming the file and the problem."""
    path = tmp_path / "uk.gov.acme.thing" / "v1.schema.json"
    path.parent.mkdir()
    path.write_bytes(content)
    with pytest.raises(SchemaDocumentError) as caught:
        load_documents(tmp_path)
    assert str(path) in str(caught.value)
    assert message in str(caught.value)


def test_load_ignores_files_outside_the_layout(tmp_path: Path) -> None:
    """Only `<event-type>/v<N>.(schema|example).json` files are documents."""
    (tmp_path / "notes.json").write_text("not json")
    (tmp_path / "uk.gov.acme.thing").mkdir()
    (tmp_path / "uk.gov.acme.thing" / "draft.json").write_text("not json")
    (tmp_path / "uk.gov.acme.thing" / "v1.schema.json").write_text('{"a": 1}')
    assert load_documents(tmp_path) == {"uk.gov.acme.thing/v1.schema.json": {"a": 1}}


def test_load_refuses_oversized_documents_without_reading_them(tmp_path: Path) -> None:
    """A document over the size limit fails naming the file; the limit itself is accepted."""
    folder = tmp_path / "uk.gov.acme.thing"
    folder.mkdir()
    (folder / "v1.schema.json").write_text(" " * (MAX_DOCUMENT_BYTES - 2) + "{}")
    assert load_documents(tmp_path) == {"uk.gov.acme.thing/v1.schema.json": {}}
    (folder / "v1.schema.json").write_text(" " * (MAX_DOCUMENT_BYTES - 1) + "{}")
    with pytest.raises(SchemaDocumentError, match=r"v1\.schema\.json: larger than 1000000 bytes"):
        load_documents(tmp_path)


def test_load_skips_paths_that_are_not_regular_files(tmp_path: Path) -> None:
    """A device or directory named like a document is skipped, never read (it could be endless)."""
    folder = tmp_path / "uk.gov.acme.thing"
    folder.mkdir()
    (folder / "v1.schema.json").symlink_to("/dev/zero")
    (folder / "v1.example.json").mkdir()
    (folder / "v2.schema.json").write_text("{}")
    assert load_documents(tmp_path) == {"uk.gov.acme.thing/v2.schema.json": {}}


def test_load_unreadable_document_names_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A document the process may not read fails naming the file (simulated: tests run as root)."""
    path = tmp_path / "uk.gov.acme.thing" / "v1.schema.json"
    path.parent.mkdir()
    path.write_text("{}")

    def refuse(self: Path, *args: Any, **kwargs: Any) -> str:
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(Path, "read_text", refuse)
    expected = r"v1\.schema\.json: cannot read: Permission denied"
    with pytest.raises(SchemaDocumentError, match=expected):
        load_documents(tmp_path)
