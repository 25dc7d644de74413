"""Reading contract documents in govbus's export format.

`govbus contracts export DIR` writes `DIR/<event-type>/v<N>.schema.json` (JSON Schema 2020-12 with
an `x-govbus` block) and `DIR/<event-type>/v<N>.example.json`. In Python the same set is a mapping
from relative path to parsed JSON, called "documents". This module turns documents into
`Contract` records for the publishers (AsyncAPI, catalogue site) and rejects anything malformed or
hostile with an `ExportFormatError` naming the document and the field, before anything is written.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from contracts.errors import ExportFormatError

# `load_documents` and its size limit live with the writer in `contracts.export`; they are
# re-exported here so a publisher needs only this module to go from a directory to contracts.
from contracts.export import DOCUMENT_PATH, MAX_DOCUMENT_BYTES, load_documents

__all__ = [
    "MAX_DOCUMENT_BYTES",
    "Contract",
    "ContractVersion",
    "ExportFormatError",
    "Licence",
    "load_documents",
    "read_contracts",
]

_FIELD_PATH = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*")


@dataclass(frozen=True, slots=True)
class Licence:
    """The open licence an event is published under."""

    name: str
    url: str


@dataclass(frozen=True, slots=True)
class ContractVersion:
    """One major version of a contract: its consumer schema, example and govbus metadata."""

    event_type: str
    version: int
    cloudevents_type: str
    topic: str
    owner: str
    owner_name: str
    classification: str
    handling_caveat: str | None
    personal_data: tuple[str, ...]
    licence: Licence | None
    schema: Mapping[str, Any]
    example: Mapping[str, Any] | None
    schema_path: str
    example_path: str | None

    @property
    def schema_id(self) -> str:
        """The schema's `$id` (what `ce_dataschema` carries), or "" if it has none."""
        value = self.schema.get("$id")
        return value if isinstance(value, str) else ""

    @property
    def description(self) -> str:
        """The schema's description, or "" if it has none."""
        value = self.schema.get("description")
        return value if isinstance(value, str) else ""


@dataclass(frozen=True, slots=True)
class Contract:
    """An event type with all its major versions, oldest first."""

    event_type: str
    owner: str
    owner_name: str
    versions: tuple[ContractVersion, ...]

    @property
    def latest(self) -> ContractVersion:
        """The highest major version."""
        return self.versions[-1]


def read_contracts(documents: Mapping[str, Mapping[str, Any]]) -> list[Contract]:
    """Validates `documents` and groups them into contracts sorted by owner then event type.

    Raises `ExportFormatError` for an unexpected path, a schema whose `x-govbus` block is missing,
    mistyped or disagrees with its path, an example without its schema, or a licence URL that is
    not http(s).
    """
    schemas: dict[tuple[str, int], tuple[str, Mapping[str, Any]]] = {}
    examples: dict[tuple[str, int], tuple[str, Mapping[str, Any]]] = {}
    for path in sorted(documents):
        match = DOCUMENT_PATH.fullmatch(path) if isinstance(path, str) else None
        if match is None:
            raise ExportFormatError(
                "expected '<event-type>/v<N>.schema.json' or '<event-type>/v<N>.example.json'",
                path=repr(path),
            )
        document = documents[path]
        if not isinstance(document, Mapping):
            raise ExportFormatError("must be a JSON object", path=path)
        key = (match["event_type"], int(match["version"]))
        (schemas if match["kind"] == "schema" else examples)[key] = (path, document)
    for key, (path, _) in examples.items():
        if key not in schemas:
            raise ExportFormatError("example has no schema next to it", path=path)

    versions = [
        _version(key, path, schema, examples.get(key)) for key, (path, schema) in schemas.items()
    ]
    by_type: dict[str, list[ContractVersion]] = {}
    for version in versions:
        by_type.setdefault(version.event_type, []).append(version)
    contracts = []
    for event_type, found in by_type.items():
        found.sort(key=lambda v: v.version)
        latest = found[-1]
        contracts.append(Contract(event_type, latest.owner, latest.owner_name, tuple(found)))
    contracts.sort(key=lambda c: (c.owner, c.event_type))
    return contracts


def _version(
    key: tuple[str, int],
    path: str,
    schema: Mapping[str, Any],
    example: tuple[str, Mapping[str, Any]] | None,
) -> ContractVersion:
    event_type, number = key
    meta = schema.get("x-govbus")
    if not isinstance(meta, Mapping):
        raise ExportFormatError("missing or not an object", path=path, field="x-govbus")

    def text(name: str, *, optional: bool = False) -> str | None:
        value = meta.get(name)
        if value is None and optional:
            return None
        if not isinstance(value, str) or not value.strip():
            raise ExportFormatError(
                "must be a non-empty string", path=path, field=f"x-govbus.{name}"
            )
        return value

    _, _, owner, event_name = event_type.split(".")
    expected = {
        "type": event_type,
        "cloudevents_type": f"{event_type}.v{number}",
        "topic": f"{owner}.{event_name}.v{number}",
        "owner": owner,
    }
    for name, want in expected.items():
        if text(name) != want:
            raise ExportFormatError(f"must be {want!r}", path=path, field=f"x-govbus.{name}")
    if meta.get("version") != number or isinstance(meta.get("version"), bool):
        raise ExportFormatError(f"must be {number}", path=path, field="x-govbus.version")
    if not isinstance(schema.get("properties", {}), Mapping):
        raise ExportFormatError("must be an object", path=path, field="properties")
    return ContractVersion(
        event_type=event_type,
        version=number,
        cloudevents_type=expected["cloudevents_type"],
        topic=expected["topic"],
        owner=owner,
        owner_name=str(text("owner_name")),
        classification=str(text("classification")),
        handling_caveat=text("handling_caveat", optional=True),
        personal_data=_personal_data(meta.get("personal_data"), path),
        licence=_licence(meta.get("licence"), path),
        schema=schema,
        example=example[1] if example else None,
        schema_path=path,
        example_path=example[0] if example else None,
    )


def _personal_data(value: object, path: str) -> tuple[str, ...]:
    field = "x-govbus.personal_data"
    if not isinstance(value, Sequence) or isinstance(value, str):
        raise ExportFormatError("must be a list of dotted field paths", path=path, field=field)
    for item in value:
        if not isinstance(item, str) or _FIELD_PATH.fullmatch(item) is None:
            raise ExportFormatError(f"{item!r} is not a dotted field path", path=path, field=field)
    return tuple(value)


def _licence(value: object, path: str) -> Licence | None:
    if value is None:
        return None
    field = "x-govbus.licence"
    if not isinstance(value, Mapping):
        raise ExportFormatError("must be null or {name, url}", path=path, field=field)
    name, url = value.get("name"), value.get("url")
    if not isinstance(name, str) or not name.strip():
        raise ExportFormatError("must be a non-empty string", path=path, field=f"{field}.name")
    # The URL becomes a link on the published site: only web addresses, never javascript: etc.
    if not isinstance(url, str) or re.fullmatch(r"https?://[^\s<>\"']+", url) is None:
        raise ExportFormatError("must be an http(s) URL", path=path, field=f"{field}.url")
    return Licence(name=name, url=url)
