"""Flattening a published contract schema into the rows of a field table.

A reader wants one row per field, nested fields under their parent with a dotted path
(`deceased.name.family_name`), the type in words, whether it is required, its description, its
constraints, and whether it is personal data. The schema is the export format's JSON Schema
2020-12 as pydantic emits it: `$ref`s into `$defs`, optional fields as `anyOf [X, null]`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["FieldRow", "field_names", "field_rows"]

_MAX_DEPTH = 12
_CONSTRAINTS = (
    ("format", "format"),
    ("pattern", "pattern"),
    ("minLength", "min length"),
    ("maxLength", "max length"),
    ("minimum", "minimum"),
    ("maximum", "maximum"),
    ("exclusiveMinimum", "greater than"),
    ("exclusiveMaximum", "less than"),
    ("minItems", "min items"),
    ("maxItems", "max items"),
)


@dataclass(frozen=True, slots=True)
class FieldRow:
    """One field of an event's data, as shown in a field table."""

    path: str
    type: str
    required: bool
    nullable: bool
    description: str
    constraints: tuple[str, ...]
    personal: bool
    depth: int


def field_rows(schema: Mapping[str, Any], personal_data: Iterable[str]) -> list[FieldRow]:
    """Returns the schema's fields in document order, parents before their children.

    A field is personal when its dotted path, or the path of an object containing it, is listed in
    `personal_data`. Recursive definitions are listed once and then named, not expanded again.
    """
    defs = schema.get("$defs")
    walker = _Walker(defs if isinstance(defs, Mapping) else {}, frozenset(personal_data))
    walker.walk_object(schema, prefix="", depth=0, seen=())
    return walker.rows


def field_names(schema: Mapping[str, Any]) -> list[str]:
    """Returns every dotted field path in the schema (what the catalogue search matches)."""
    return [row.path for row in field_rows(schema, ())]


class _Walker:
    def __init__(self, defs: Mapping[str, Any], personal: frozenset[str]) -> None:
        self.defs = defs
        self.personal = personal
        self.rows: list[FieldRow] = []

    def walk_object(
        self, node: Mapping[str, Any], *, prefix: str, depth: int, seen: tuple[str, ...]
    ) -> None:
        properties = node.get("properties")
        if not isinstance(properties, Mapping) or depth > _MAX_DEPTH:
            return
        required = node.get("required")
        required_names = set(required) if isinstance(required, list) else set()
        for name, raw in properties.items():
            path = f"{prefix}{name}"
            field, nullable, ref_names = self.resolve(raw if isinstance(raw, Mapping) else {})
            child = field
            items = field.get("items")
            if field.get("type") == "array" and isinstance(items, Mapping):
                child, _, item_refs = self.resolve(items)
                ref_names = ref_names + item_refs
            recursive = any(ref in seen for ref in ref_names)
            kind = _type_label(field, self.defs)
            self.rows.append(
                FieldRow(
                    path=path,
                    type=f"{kind} (recursive)" if recursive else kind,
                    required=name in required_names,
                    nullable=nullable,
                    description=_text(field.get("description") or field.get("title")),
                    constraints=_constraints(field),
                    personal=self.is_personal(path),
                    depth=depth,
                )
            )
            if not recursive:
                self.walk_object(child, prefix=f"{path}.", depth=depth + 1, seen=seen + ref_names)

    def resolve(self, node: Mapping[str, Any]) -> tuple[dict[str, Any], bool, tuple[str, ...]]:
        """Follows `$ref`s and unwraps `anyOf [X, null]`; the referring node's keys win."""
        merged: dict[str, Any] = {}
        nullable = False
        refs: list[str] = []
        current: Mapping[str, Any] = node
        for _ in range(_MAX_DEPTH):
            options = current.get("anyOf")
            if isinstance(options, list):
                non_null = [
                    o for o in options if not (isinstance(o, Mapping) and o.get("type") == "null")
                ]
                if len(non_null) < len(options):
                    nullable = True
                if len(non_null) == 1 and isinstance(non_null[0], Mapping):
                    merged = {**current, **merged}
                    merged.pop("anyOf", None)
                    current = non_null[0]
                    continue
            ref = current.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/$defs/"):
                name = ref.removeprefix("#/$defs/")
                target = self.defs.get(name)
                merged = {**current, **merged}
                merged.pop("$ref", None)
                refs.append(name)
                if isinstance(target, Mapping):
                    current = target
                    continue
            break
        return {**current, **merged}, nullable, tuple(refs)

    def is_personal(self, path: str) -> bool:
        return any(path == p or path.startswith(f"{p}.") for p in self.personal)


def _type_label(field: Mapping[str, Any], defs: Mapping[str, Any]) -> str:
    kind = field.get("type")
    if isinstance(kind, list):
        return " or ".join(str(k) for k in kind)
    if kind == "array":
        items = field.get("items")
        inner = _type_label(items, defs) if isinstance(items, Mapping) else "any"
        return f"array of {inner}"
    if isinstance(kind, str):
        return kind
    if "$ref" in field:
        return "object"
    if "enum" in field or "const" in field:
        return "value"
    if any(key in field for key in ("anyOf", "oneOf", "allOf")):
        return "one of several shapes"
    return "any"


def _constraints(field: Mapping[str, Any]) -> tuple[str, ...]:
    found = [f"{label}: {_text(field[key])}" for key, label in _CONSTRAINTS if key in field]
    if isinstance(field.get("enum"), list):
        found.append("one of: " + ", ".join(_text(value) for value in field["enum"]))
    if "const" in field:
        found.append(f"always: {_text(field['const'])}")
    if "default" in field:
        found.append(f"default: {json.dumps(field['default'], ensure_ascii=False)}")
    return tuple(found)


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)
