"""JSON Schema export: one schema and one example document per contract version.

Layout (relative paths are the keys of a "documents" mapping)::

    <event-type>/v<N>.schema.json    JSON Schema draft 2020-12 of the data, as consumers see it
    <event-type>/v<N>.example.json   one valid example of the data

Schemas are generated in pydantic's *validation* mode: they describe what a consumer must
accept. In that mode a field with a default is optional, which is exactly the rule that lets a
new consumer read old events that predate the field; serialization mode would mark it required
because producers always emit it. Every `additionalProperties: false` is removed, because
consumers ignore unknown fields; producers stay strict in Python instead.

Rendering is deterministic (sorted keys, two-space indent, UTF-8, trailing newline) so the
committed copy in `contracts/schemas/` can be compared byte for byte in CI.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, Final

from contracts.base import EVENT_TYPE_PATTERN, Event
from contracts.errors import SchemaDocumentError
from contracts.registry import Registry, default_registry

JSON_SCHEMA_DIALECT: Final = "https://json-schema.org/draft/2020-12/schema"
#: Largest document file `load_documents` reads; a contract schema is a few kilobytes.
MAX_DOCUMENT_BYTES: Final = 1_000_000
#: A document's relative path, with groups `event_type`, `version` and `kind` (schema/example).
#: Only files in this layout are read, written or pruned; anything else in a directory is left.
#: Anchored on both ends, because a path is also a file name the catalogue site writes.
DOCUMENT_PATH: Final = re.compile(
    rf"(?P<event_type>{EVENT_TYPE_PATTERN.pattern})"
    r"/v(?P<version>[1-9][0-9]{0,3})\.(?P<kind>schema|example)\.json"
)


def schema_id(model: type[Event]) -> str:
    """The stable `$id` of a contract version, e.g. `urn:govbus:contract:uk.gov.gro.x:v1`."""
    info = model.contract
    return f"urn:govbus:contract:{info.event_type}:v{info.version}"


def document_paths(model: type[Event]) -> tuple[str, str]:
    """The relative paths of a contract version's schema and example documents."""
    info = model.contract
    base = f"{info.event_type}/v{info.version}"
    return f"{base}.schema.json", f"{base}.example.json"


def contract_schema(model: type[Event]) -> dict[str, Any]:
    """The published JSON Schema of one contract version (see the module docstring)."""
    generated = model.model_json_schema(mode="validation", ref_template="#/$defs/{model}")
    schema: dict[str, Any] = _without_closed_objects(generated)
    schema.update(
        {
            "$schema": JSON_SCHEMA_DIALECT,
            "$id": schema_id(model),
            "title": model.__name__,
            "description": model.contract.description,
            "x-govbus": model.contract.describe(),
        }
    )
    return schema


def contract_example(model: type[Event]) -> dict[str, Any]:
    """The declared example, validated through the model and dumped as JSON data."""
    return model.example_event().model_dump(mode="json")


def current_documents(registry: Registry | None = None) -> dict[str, dict[str, Any]]:
    """Schemas and examples of every contract version in `registry` (default: the catalogue)."""
    documents: dict[str, dict[str, Any]] = {}
    for model in registry if registry is not None else default_registry:
        schema_path, example_path = document_paths(model)
        documents[schema_path] = contract_schema(model)
        documents[example_path] = contract_example(model)
    return dict(sorted(documents.items()))


def render(document: dict[str, Any]) -> str:
    """The canonical text of a document: sorted keys, 2-space indent, trailing newline."""
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def export_to(directory: Path, *, registry: Registry | None = None) -> list[Path]:
    """Write the current documents under `directory` and return the written paths, sorted.

    Creates the directory if needed. Documents in the layout that no longer belong to a
    registered contract are deleted, so the directory mirrors the registry exactly; other
    files are left alone. Raises `SchemaDocumentError` if the directory cannot be written.
    """
    documents = current_documents(registry)
    if directory.exists() and not directory.is_dir():
        raise SchemaDocumentError("exists and is not a directory", path=directory)
    try:
        directory.mkdir(parents=True, exist_ok=True)
        for stale in sorted(set(_document_files(directory)) - set(documents)):
            (directory / stale).unlink()
        written = []
        for relative, document in documents.items():
            path = directory / relative
            path.parent.mkdir(exist_ok=True)
            path.write_text(render(document), encoding="utf-8")
            written.append(path)
    except OSError as exc:
        raise SchemaDocumentError(
            f"cannot write schema documents: {exc.strerror or exc}", path=directory
        ) from exc
    return written


def load_documents(directory: Path) -> dict[str, dict[str, Any]]:
    """Read every document in the export layout under `directory`, keyed by relative path.

    Files of other names, and anything that is not a regular file, are ignored. Raises
    `SchemaDocumentError` naming the path if the directory is missing, or a document is larger
    than `MAX_DOCUMENT_BYTES`, cannot be read, is not UTF-8 JSON, or is not a JSON object.
    """
    if not directory.is_dir():
        raise SchemaDocumentError("schema directory does not exist", path=directory)
    return {path: _load(directory / path) for path in sorted(_document_files(directory))}


def _load(path: Path) -> dict[str, Any]:
    try:
        # Checked before reading: a stray multi-gigabyte file must not be pulled into memory.
        if path.stat().st_size > MAX_DOCUMENT_BYTES:
            raise SchemaDocumentError(f"larger than {MAX_DOCUMENT_BYTES} bytes", path=path)
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise SchemaDocumentError(f"not UTF-8 ({exc.reason})", path=path) from exc
    except OSError as exc:
        raise SchemaDocumentError(f"cannot read: {exc.strerror or exc}", path=path) from exc
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise SchemaDocumentError(
            f"malformed JSON at line {exc.lineno} column {exc.colno}: {exc.msg}", path=path
        ) from exc
    except RecursionError as exc:
        raise SchemaDocumentError("malformed JSON: nested too deeply", path=path) from exc
    if not isinstance(document, dict):
        raise SchemaDocumentError(
            f"expected a JSON object, found {type(document).__name__}", path=path
        )
    return document


def _document_files(directory: Path) -> list[str]:
    """Relative paths of the regular files under `directory` that match the export layout."""
    found = []
    for path in directory.glob("*/*.json"):
        relative = path.relative_to(directory).as_posix()
        if DOCUMENT_PATH.fullmatch(relative) and path.is_file():
            found.append(relative)
    return found


def _without_closed_objects(node: Any) -> Any:  # JSON in, JSON out
    """A copy of a schema with every `additionalProperties: false` removed, at any depth."""
    if isinstance(node, dict):
        return {
            key: _without_closed_objects(value)
            for key, value in node.items()
            if not (key == "additionalProperties" and value is False)
        }
    if isinstance(node, list):
        return [_without_closed_objects(item) for item in node]
    return node
