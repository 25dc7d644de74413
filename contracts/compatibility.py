"""FULL_TRANSITIVE compatibility of published contract schemas within one major version.

A contract version's JSON Schema (the export format: `<event-type>/v<N>.schema.json`) describes
its data as a consumer sees it, with an open content model: consumers ignore fields they do not
know, and producers are strict pydantic models that never send undeclared fields. Within one major
version every change must be both *forward* compatible (old consumers read new events) and
*backward* compatible (new consumers read old events). The checker compares the current documents
with a committed baseline and reports each change that breaks either direction as a `Violation`.
The only changes accepted are optional fields added and annotations changed, and nothing may be
removed, so checking against the last committed baseline is enough for FULL_TRANSITIVE.

Rules (rule names are the `Violation.rule` values; "breaks old" = old consumers may reject new
events, "breaks new" = new consumers may reject old events, "new major" = receivers must act)::

    change                                              verdict          rule
    --------------------------------------------------  ---------------  -------------------------
    description, title, examples, deprecated changed    compatible       -
    optional property added                             compatible (1)   -
    default added, changed or removed                   compatible       (note: default-changed)
    new contract version (only in current)              compatible       -
    contract version removed from current               breaks old       contract-removed
    required property added (even with a default) (2)   breaks new       required-field-added
    required property removed                           breaks old       field-removed
    optional property removed (3)                       breaks old       field-removed
    required -> optional                                breaks old       field-made-optional
    optional -> required                                breaks new       field-made-required
    type changed (string -> integer)                    breaks both      type-changed
    type widened (integer -> number, type added)        breaks old       type-widened
    type narrowed (number -> integer, type removed)     breaks new       type-narrowed
    null allowed (X -> Optional[X])                     breaks old       nullable-added
    null no longer allowed (Optional[X] -> X)           breaks new       nullable-removed
    enum values added, or enum dropped                  breaks old       enum-widened
    enum values removed, or enum added                  breaks new       enum-narrowed
    const changed                                       breaks both      const-changed
    bound added or tightened: minLength, maxLength,     breaks new       constraint-tightened
      minimum, maximum, exclusiveMinimum/Maximum,
      minItems, maxItems, uniqueItems, multipleOf,
      pattern added, additionalProperties: false
    the same bounds removed or loosened                 breaks old       constraint-loosened
    multipleOf changed to neither a multiple nor a      breaks both      constraint-changed
      divisor of the old one
    pattern changed (4)                                 breaks both      pattern-changed
    format added / removed / changed (5)                new / old / both format-changed
    alternative added to a union of one type (Cat|Dog)  breaks old       type-widened
    alternative removed from such a union               breaks new       type-narrowed
    keyword not reasoned about changed (not, if, ...)   breaks both      unsupported-change
    x-govbus type, version or cloudevents_type changed  new major        event-type-changed
    x-govbus topic changed                              new major        topic-changed
    x-govbus owner changed                              new major        owner-changed
    x-govbus classification changed (6)                 new major        classification-changed
    x-govbus handling_caveat changed (6)                new major        handling-caveat-changed
    x-govbus personal_data list changed (6)             new major        personal-data-changed
    x-govbus licence changed (6)                        new major        licence-changed
    version N > 1 without an upcaster from N-1 (7)      breaks new       upcaster-missing
    $ref dangling or cyclic, malformed schema           unknown: fails   ref-unresolved,
                                                                         invalid-schema
    nesting deeper than 64, over 20 000 schemas         unknown: fails   schema-too-deep,
                                                                         schema-too-large

Nested objects are compared property by property (`deceased.address.postcode`), array items at
`field[]` (tuple positions at `field[0]`), `$ref`s are followed into `$defs` (a `$def` used from
several fields is compared once and reported at the first path, in sorted order), and `anyOf`,
`oneOf` and type lists are compared as one alternative per JSON type; several alternatives of
one type (a discriminated union of models) are matched by `$def` name.

Where this differs from Confluent Schema Registry's JSON Schema checker, and why:

1. Confluent rejects an optional property added to an open content model
   (`PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL`, `OPTIONAL_PROPERTY_ADDED_TO_OPEN_CONTENT_MODEL` in 8.x;
   confluentinc/schema-registry#1458, #1529, #2927) because an old producer *might* have sent that
   name with another type. govbus producers are strict models that never send undeclared fields,
   and rule 3 stops a name being freed and reused, so adding an optional field is safe.
2. Confluent accepts `REQUIRED_ATTRIBUTE_WITH_DEFAULT_ADDED`. In JSON Schema `default` is an
   annotation: a validator does not fill it in, so old events without the field fail the new
   schema. A required field is breaking with or without a default.
3. Under an open content model a removed optional field still validates, and Confluent's backward
   check accepts it (`PROPERTY_REMOVED_FROM_OPEN_CONTENT_MODEL`); its FULL check rejects it only
   because the forward direction looks like a property added. govbus rejects it for its own
   reasons: consumers that read the field silently lose data they were promised, and the freed
   name could come back later with another type, which a check against the last baseline alone
   would pass as "optional field added". Deprecate the field; remove it in the next major version.
4. As in Confluent: whether one regular expression accepts a subset of another is not decidable
   in general, so any pattern change is treated as breaking both ways.
5. Confluent ignores `format`. govbus consumers parse it (a pydantic `date` rejects a date-time),
   so a format change is a change of type.
6. Handling metadata is part of the contract: receivers configured access, retention and
   protective marking for the old values, and events already on the topic keep the old ones.
   Raising or lowering a marking, or changing which fields are personal data, needs the receivers
   to act, so it is a new major version. `owner_name` (a display name) may change freely.
7. Registries check schemas only. govbus also checks the code: a new major version needs an
   upcaster from the previous one (`check_upcasters`), so consumers that move to it still read
   the events published in the old version while producers move over.

Recursive and cyclic `$ref`s, which have overflowed the stack of registries' checkers
(confluentinc/schema-registry#1549, #3779; Aiven-Open/karapace#1329), are compared once per pair
of `$def`s, and oversized input ends in a finding, never in a crash or a silent pass.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from contracts.base import Event
from contracts.registry import Registry
from contracts.schema_diff import Finding, SchemaDiff
from contracts.schema_keywords import show
from contracts.upcasting import Upcasters

SCHEMA_SUFFIX: Final = ".schema.json"
MAX_BASELINE_FILE_BYTES: Final = 8 * 1024 * 1024
"""Largest baseline schema file read; real ones are a few kilobytes."""

_SUBSCRIPTION: Final = "consumers subscribed by the old value stop matching"
_HANDLING: Final = (
    "receivers set up their handling for the old value, and events already published keep it"
)
_METADATA_RULES: Final = (
    ("type", "event-type-changed", _SUBSCRIPTION),
    ("version", "event-type-changed", _SUBSCRIPTION),
    ("cloudevents_type", "event-type-changed", _SUBSCRIPTION),
    ("topic", "topic-changed", "old consumers stay subscribed to the old topic"),
    ("owner", "owner-changed", "the event type and topic are named for the owner"),
    ("classification", "classification-changed", _HANDLING),
    ("handling_caveat", "handling-caveat-changed", _HANDLING),
    ("licence", "licence-changed", "receivers' terms of reuse change"),
)


def _one_line(text: str) -> str:
    return "".join(char if char.isprintable() else f"\\u{ord(char):04x}" for char in text)


@dataclass(frozen=True, slots=True)
class _Finding:
    """What the checker says about one field of one contract, printed on one line."""

    contract: str
    field: str
    rule: str
    detail: str

    def __str__(self) -> str:
        """One line `<contract>: <field>: <rule>: <detail>`; no field reads `(whole contract)`."""
        field = self.field or "(whole contract)"
        return _one_line(f"{self.contract}: {field}: {self.rule}: {self.detail}")


class Violation(_Finding):
    """A change between baseline and current that breaks old or new consumers of a contract."""

    __slots__ = ()


class Note(_Finding):
    """A compatible change worth telling a reviewer about (for example a changed default)."""

    __slots__ = ()


class BaselineError(Exception):
    """The committed baseline cannot be read; the message names the path and what is wrong."""

    def __init__(self, message: str, *, path: Path | None = None) -> None:
        super().__init__(message)
        self.path = path


def _sorted(items: Iterable[Violation]) -> list[Violation]:
    return sorted(set(items), key=lambda v: (v.contract, v.field, v.rule, v.detail))


def _diff(old: Mapping[str, Any], new: Mapping[str, Any]) -> SchemaDiff:
    diff = SchemaDiff(old, new)
    diff.run()
    return diff


def compare_schemas(
    old: Mapping[str, Any], new: Mapping[str, Any], *, contract: str
) -> list[Violation]:
    """Every breaking change from baseline schema `old` to current schema `new`, sorted."""
    if not isinstance(old, Mapping) or not isinstance(new, Mapping):
        side = "baseline" if not isinstance(old, Mapping) else "current"
        return [Violation(contract, "", "invalid-schema", f"the {side} schema is not an object")]
    findings = list(_metadata_findings(old, new))
    findings += _diff(old, new).findings
    return _sorted(Violation(contract, f.field, f.rule, f.detail) for f in findings)


def schema_notes(old: Mapping[str, Any], new: Mapping[str, Any], *, contract: str) -> list[Note]:
    """Compatible changes a reviewer should still see (`default-changed`), sorted."""
    notes = {Note(contract, f.field, f.rule, f.detail) for f in _diff(old, new).notes}
    return sorted(notes, key=lambda n: (n.field, n.rule, n.detail))


def _metadata_findings(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[Finding]:
    before, after = old.get("x-govbus"), new.get("x-govbus")
    if not isinstance(before, Mapping) or not isinstance(after, Mapping):
        side = "baseline" if not isinstance(before, Mapping) else "current"
        return [Finding("", "invalid-schema", f"{side} schema has no x-govbus metadata object")]
    findings = []
    for key, rule, reason in _METADATA_RULES:
        if before.get(key) != after.get(key):
            detail = (
                f"x-govbus {key} changed from {show(before.get(key))} to {show(after.get(key))}; "
                f"{reason}, so this needs a new major version"
            )
            findings.append(Finding("", rule, detail))
    was, now = before.get("personal_data") or [], after.get("personal_data") or []
    if not isinstance(was, list) or not isinstance(now, list):
        findings.append(Finding("", "invalid-schema", "x-govbus personal_data is not a list"))
    elif set(map(str, was)) != set(map(str, now)):
        added = sorted(set(map(str, now)) - set(map(str, was)))
        removed = sorted(set(map(str, was)) - set(map(str, now)))
        changes = [f"marked {show(added)}"] if added else []
        changes += [f"unmarked {show(removed)}"] if removed else []
        detail = (
            f"personal data fields {' and '.join(changes)}; receivers' data protection (access, "
            "retention, impact assessments) was agreed for the old list"
        )
        findings.append(Finding("", "personal-data-changed", detail))
    return findings


def contract_name(document: Mapping[str, Any], relative_path: str) -> str:
    """`"<event type> v<N>"` from a schema's x-govbus, or from its path when that is missing."""
    metadata = document.get("x-govbus")
    if isinstance(metadata, Mapping) and "type" in metadata and "version" in metadata:
        return f"{metadata['type']} v{metadata['version']}"
    event_type, _, file_name = relative_path.rpartition("/")
    return f"{event_type} {file_name.removesuffix(SCHEMA_SUFFIX)}".strip()


def check_documents(
    baseline: Mapping[str, Mapping[str, Any]], current: Mapping[str, Mapping[str, Any]]
) -> list[Violation]:
    """Compares each baseline `*.schema.json` with the current document at the same path.

    A baseline schema with no current counterpart is `contract-removed`; a schema only in
    `current` is a new contract version and is fine. Other documents (examples) are ignored.
    """
    violations: list[Violation] = []
    for relative_path in sorted(baseline):
        if not relative_path.endswith(SCHEMA_SUFFIX):
            continue
        old = baseline[relative_path]
        name = contract_name(old, relative_path)
        new = current.get(relative_path)
        if new is None:
            detail = (
                f"{relative_path} is in the baseline but no longer exported, so old consumers "
                "lose the contract they subscribe to"
            )
            violations.append(Violation(name, "", "contract-removed", detail))
            continue
        violations += compare_schemas(old, new, contract=name)
    return _sorted(violations)


def check_upcasters(
    models: Iterable[type[Event]], registry: Registry, upcasters: Upcasters
) -> list[Violation]:
    """An `upcaster-missing` violation for each version N > 1 of `models` that has no upcaster
    from version N-1, when N-1 is registered in `registry`.

    Without that link a consumer of the new major version cannot read events still published
    in the previous one, so moving consumers over would drop them.
    """
    violations = []
    for model in models:
        info = model.contract
        previous = info.version - 1
        if previous < 1 or (info.event_type, previous) not in registry:
            continue
        if not upcasters.has_step(info.event_type, previous):
            detail = (
                f"v{info.version} is a new major version but no upcaster converts"
                f" v{previous} events to it; register one with"
                f" @default_upcasters.register({registry.get(info.event_type, previous).__name__},"
                f" {model.__name__})"
            )
            name = f"{info.event_type} v{info.version}"
            violations.append(Violation(name, "", "upcaster-missing", detail))
    return _sorted(violations)


def load_baseline(directory: Path) -> dict[str, dict[str, Any]]:
    """Reads every `*.schema.json` under `directory`, keyed by POSIX path relative to it.

    Raises `BaselineError` when the directory is missing or not a directory, holds no schemas,
    or a file is too large, not UTF-8, not JSON, too deeply nested, not an object, or lacks the
    x-govbus metadata with its `type` and `version`.
    """
    if not directory.exists():
        raise BaselineError(f"baseline directory {directory} does not exist", path=directory)
    if not directory.is_dir():
        raise BaselineError(f"baseline {directory} is not a directory", path=directory)
    documents: dict[str, dict[str, Any]] = {}
    for path in sorted(directory.rglob(f"*{SCHEMA_SUFFIX}")):
        if path.is_file():
            documents[path.relative_to(directory).as_posix()] = _read_schema(path)
    if not documents:
        raise BaselineError(
            f"baseline directory {directory} holds no *{SCHEMA_SUFFIX} files", path=directory
        )
    return documents


def _read_schema(path: Path) -> dict[str, Any]:
    try:
        size = path.stat().st_size
        if size > MAX_BASELINE_FILE_BYTES:
            message = f"{size} bytes, more than the {MAX_BASELINE_FILE_BYTES} allowed"
            raise BaselineError(f"baseline schema {path} is too large: {message}", path=path)
        document = json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise BaselineError(f"cannot read baseline schema {path}: {error}", path=path) from error
    except UnicodeDecodeError as error:
        raise BaselineError(f"baseline schema {path} is not UTF-8: {error}", path=path) from error
    except json.JSONDecodeError as error:
        raise BaselineError(f"baseline schema {path} is not JSON: {error}", path=path) from error
    except RecursionError as error:
        raise BaselineError(f"baseline schema {path} nests too deeply", path=path) from error
    if not isinstance(document, dict):
        raise BaselineError(f"baseline schema {path} is not a JSON object", path=path)
    metadata = document.get("x-govbus")
    if not isinstance(metadata, dict):
        raise BaselineError(f"baseline schema {path} has no x-govbus metadata object", path=path)
    for key in ("type", "version"):
        if key not in metadata:
            raise BaselineError(f"baseline schema {path} lacks x-govbus {key}", path=path)
    return document


def check_baseline(baseline_dir: Path, current: Mapping[str, Mapping[str, Any]]) -> list[Violation]:
    """`check_documents` against the baseline read from `baseline_dir` (see `load_baseline`)."""
    return check_documents(load_baseline(baseline_dir), current)
