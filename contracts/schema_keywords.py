"""Compatibility rules for single JSON Schema keywords: enum, bounds, pattern, format.

Each `compare_*` function looks at one keyword of an old and a new schema of the same JSON type
and returns the changes that break consumers, as `(rule, detail)` pairs; the caller knows the
field path. "Tightened" (fewer values allowed) breaks new consumers reading old events;
"loosened" (more values allowed) breaks old consumers reading new events.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from typing import Any, Final

NEW_BREAKS: Final = "new consumers may reject old events"
OLD_BREAKS: Final = "old consumers may reject new events"
BOTH_BREAK: Final = "old consumers may reject new events and new consumers may reject old ones"

MISSING: Final = object()
"""Stands for an absent keyword, so that absent and `null` differ."""

Change = tuple[str, str]
"""A breaking change as `(rule, detail)`."""


def show(value: Any) -> str:
    """Renders a JSON value for a message: canonical, short, and on one line."""
    if value is MISSING:
        return "absent"
    try:
        text = json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)
    except (RecursionError, ValueError):
        text = "<unrepresentable value>"
    return text if len(text) <= 80 else text[:77] + "..."


def canonical(value: Any) -> str:
    """A hashable key for a JSON value under JSON Schema equality (1 == 1.0, true != 1)."""

    def normal(item: Any) -> Any:
        if isinstance(item, float) and item.is_integer():
            return int(item)
        if isinstance(item, list):
            return [normal(element) for element in item]
        if isinstance(item, dict):
            return {str(key): normal(element) for key, element in item.items()}
        return item

    if value is MISSING:
        return "<absent>"
    try:
        return json.dumps(normal(value), sort_keys=True, default=str)
    except (RecursionError, ValueError):
        return f"<unrepresentable {id(value)}>"


def kind_of(value: Any) -> str:
    """The JSON Schema type name of a JSON value (`1.0` is an integer, as in JSON Schema)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "integer" if value.is_integer() else "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"


_STRING_HINTS: Final = ("minLength", "maxLength", "pattern", "format")
_NUMBER_HINTS: Final = ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf")


def inferred_kinds(schema: Mapping[str, Any]) -> list[str]:
    """The JSON types a schema without `type` is about, judged from its keywords."""
    values = allowed_values(schema)
    if values is not None:
        return sorted({kind_of(value) for value in values})
    if "properties" in schema or "required" in schema:
        return ["object"]
    if "items" in schema or "prefixItems" in schema:
        return ["array"]
    if any(key in schema for key in _STRING_HINTS):
        return ["string"]
    if any(key in schema for key in _NUMBER_HINTS):
        return ["number"]
    return ["any"]


def allowed_values(schema: Mapping[str, Any]) -> list[Any] | None:
    """The values `const` or `enum` allow, or None when the schema does not list them."""
    if "const" in schema:
        return [schema["const"]]
    enum = schema.get("enum")
    return list(enum) if isinstance(enum, list) else None


def values_for_kind(values: list[Any], kind: str) -> list[Any]:
    """The listed values that are of JSON type `kind` (integers count as numbers)."""
    if kind == "any":
        return values
    if kind == "number":
        return [value for value in values if kind_of(value) in ("integer", "number")]
    return [value for value in values if kind_of(value) == kind]


def _exact(value: Any) -> Fraction | None:
    """A number as an exact fraction (0.1 stays 1/10); None for non-numbers, NaN and infinity."""
    if not isinstance(value, int | float) or isinstance(value, bool):
        return None
    try:
        return Fraction(Decimal(str(value)))
    except (InvalidOperation, ValueError, OverflowError):
        return None


def compare_scalar(kind: str, old: Mapping[str, Any], new: Mapping[str, Any]) -> list[Change]:
    """Enum values and, for strings and numbers, every bound, pattern and format."""
    changes = compare_values(old, new)
    if kind == "string":
        changes += compare_bound("minLength", old, new, greater_is_tighter=True)
        changes += compare_bound("maxLength", old, new, greater_is_tighter=False)
        changes += compare_pattern(old, new)
        changes += compare_format(old, new)
    elif kind in ("integer", "number"):
        for keyword in ("minimum", "exclusiveMinimum"):
            changes += compare_bound(keyword, old, new, greater_is_tighter=True)
        for keyword in ("maximum", "exclusiveMaximum"):
            changes += compare_bound(keyword, old, new, greater_is_tighter=False)
        changes += compare_multiple_of(old, new)
    return changes


def compare_values(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[Change]:
    """`enum` (a `const` counts as a one-value enum): values added widen, removed narrow."""
    old_values, new_values = old.get("enum"), new.get("enum")
    if old_values is None and new_values is None:
        return []
    if not isinstance(old_values, list | None) or not isinstance(new_values, list | None):
        return [("invalid-schema", "'enum' is not a list")]
    if old_values is None:
        return [("enum-narrowed", f"values now restricted to {show(new_values)}, so {NEW_BREAKS}")]
    if new_values is None:
        detail = f"values no longer restricted to {show(old_values)}, so {OLD_BREAKS}"
        return [("enum-widened", detail)]
    old_keys = {canonical(value): value for value in old_values}
    new_keys = {canonical(value): value for value in new_values}
    added = [new_keys[key] for key in sorted(new_keys.keys() - old_keys.keys())]
    removed = [old_keys[key] for key in sorted(old_keys.keys() - new_keys.keys())]
    changes = []
    if added:
        detail = f"values {show(added)} added to {show(old_values)}, so {OLD_BREAKS}"
        changes.append(("enum-widened", detail))
    if removed:
        detail = f"values {show(removed)} removed from {show(old_values)}, so {NEW_BREAKS}"
        changes.append(("enum-narrowed", detail))
    return changes


def compare_bound(
    keyword: str, old: Mapping[str, Any], new: Mapping[str, Any], *, greater_is_tighter: bool
) -> list[Change]:
    """A numeric limit such as `maxLength` or `minimum`, compared exactly (no float rounding)."""
    before, after = old.get(keyword), new.get(keyword)
    if canonical(before) == canonical(after):
        return []
    old_limit, new_limit = _exact(before), _exact(after)
    if (before is not None and old_limit is None) or (after is not None and new_limit is None):
        detail = f"{keyword} changed from {show(before)} to {show(after)}, so {BOTH_BREAK}"
        return [("constraint-changed", detail)]
    if old_limit is None or new_limit is None:
        return _presence(keyword, before, after)
    if (new_limit > old_limit) == greater_is_tighter:
        detail = f"{keyword} changed from {show(before)} to {show(after)}, so {NEW_BREAKS}"
        return [("constraint-tightened", detail)]
    detail = f"{keyword} changed from {show(before)} to {show(after)}, so {OLD_BREAKS}"
    return [("constraint-loosened", detail)]


def compare_multiple_of(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[Change]:
    """`multipleOf`: a multiple of the old step tightens, a divisor of it loosens."""
    before, after = old.get("multipleOf"), new.get("multipleOf")
    if canonical(before) == canonical(after):
        return []
    old_step, new_step = _exact(before), _exact(after)
    if old_step and new_step:
        ratio = new_step / old_step
        change = f"multipleOf changed from {show(before)} to {show(after)}"
        if ratio.denominator == 1:  # every new multiple is an old one: fewer values allowed
            return [("constraint-tightened", f"{change}, so {NEW_BREAKS}")]
        if ratio.numerator == 1:
            return [("constraint-loosened", f"{change}, so {OLD_BREAKS}")]
    return _presence("multipleOf", before, after)


def compare_unique_items(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[Change]:
    """`uniqueItems: true` added tightens; removed loosens."""
    before, after = old.get("uniqueItems") is True, new.get("uniqueItems") is True
    if before == after:
        return []
    if after:
        return [("constraint-tightened", f"uniqueItems added, so {NEW_BREAKS}")]
    return [("constraint-loosened", f"uniqueItems removed, so {OLD_BREAKS}")]


def compare_pattern(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[Change]:
    """`pattern` added tightens, removed loosens, and any other change breaks both ways."""
    before, after = old.get("pattern"), new.get("pattern")
    if before == after:
        return []
    if before is not None and after is not None:
        # Whether one regular expression accepts a subset of another is not decidable in
        # general (Confluent's PATTERN_CHANGED is incompatible for the same reason).
        detail = f"pattern changed from {show(before)} to {show(after)}, so {BOTH_BREAK}"
        return [("pattern-changed", detail)]
    return _presence("pattern", before, after)


def compare_format(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[Change]:
    """`format` added breaks new consumers, removed breaks old ones, changed breaks both."""
    # Confluent does not compare `format` at all. govbus consumers parse it (a pydantic `date`
    # field rejects "2026-11-25T10:00:00"), so a format change is a change of type.
    before, after = old.get("format"), new.get("format")
    if before == after:
        return []
    if before is None:
        detail = f"format {show(after)} added, so {NEW_BREAKS}"
    elif after is None:
        detail = f"format {show(before)} removed, so {OLD_BREAKS}"
    else:
        detail = f"format changed from {show(before)} to {show(after)}, so {BOTH_BREAK}"
    return [("format-changed", detail)]


def default_detail(old: Mapping[str, Any], new: Mapping[str, Any]) -> str:
    """Describes a changed `default`, which is compatible: validators do not apply defaults."""
    if "default" not in old:
        change = f"default {show(new['default'])} added"
    elif "default" not in new:
        change = f"default {show(old['default'])} removed"
    else:
        change = f"default changed from {show(old['default'])} to {show(new['default'])}"
    return f"{change}; validators do not apply defaults, so only code relying on it notices"


def _presence(keyword: str, before: Any, after: Any) -> list[Change]:
    """A keyword added (tightened), removed (loosened) or changed otherwise (both)."""
    if before is None:
        return [("constraint-tightened", f"{keyword} {show(after)} added, so {NEW_BREAKS}")]
    if after is None:
        return [("constraint-loosened", f"{keyword} {show(before)} removed, so {OLD_BREAKS}")]
    detail = f"{keyword} changed from {show(before)} to {show(after)}, so {BOTH_BREAK}"
    return [("constraint-changed", detail)]
