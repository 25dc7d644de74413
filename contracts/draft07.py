"""Restating a published JSON Schema 2020-12 as draft-07, for embedding in an AsyncAPI document.

govbus publishes consumer schemas as JSON Schema draft 2020-12. AsyncAPI 3.0.0 names only draft-07
among the JSON Schema formats (`application/schema+json;version=draft-07`), and the official parser
validates payloads only for the formats it knows: under a 2020-12 format string it accepts any
payload unchecked. So the AsyncAPI document carries each schema restated in draft-07, which for
the keywords pydantic emits means the same thing, and points at the 2020-12 original by its `$id`.

The restatement:
- drops `$schema` and `$id` (the embedded copy lives inside the AsyncAPI document, so local `$ref`s
  must resolve against that document, not against the contract's URN);
- rewrites `#/$defs/...` references to `ref_base + "/$defs/..."`, the copy's place in the document;
- wraps a `$ref` that has sibling keywords in `allOf`, because draft-07 ignores `$ref` siblings;
- turns `prefixItems`/`items` into draft-07 `items`/`additionalItems` and
  `dependentRequired`/`dependentSchemas` into `dependencies`;
- refuses 2020-12-only keywords it cannot restate (`unevaluatedProperties`, `$dynamicRef`, ...)
  with an `ExportFormatError`, rather than publishing a schema that means something else.
Values of `default`, `examples`, `enum` and `const` are data, copied untouched.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from contracts.export_format import ExportFormatError

__all__ = ["to_draft07"]

_SCHEMA_MAPS = frozenset({"properties", "patternProperties", "$defs", "definitions"})
_SCHEMA_LISTS = frozenset({"allOf", "anyOf", "oneOf"})
_SCHEMA_VALUES = frozenset(
    {"additionalProperties", "items", "contains", "not", "if", "then", "else", "propertyNames"}
)
_UNSUPPORTED = frozenset(
    {
        "unevaluatedProperties",
        "unevaluatedItems",
        "$anchor",
        "$dynamicRef",
        "$dynamicAnchor",
        "$recursiveRef",
        "$recursiveAnchor",
        "$vocabulary",
        "minContains",
        "maxContains",
        "contentSchema",
    }
)
_DROPPED_AT_ROOT = frozenset({"$schema", "$id", "x-govbus"})


def to_draft07(schema: Mapping[str, Any], *, ref_base: str, document: str) -> dict[str, Any]:
    """Returns a draft-07 restatement of the 2020-12 `schema` (see the module docstring).

    `ref_base` is the JSON pointer fragment where the copy will sit (e.g.
    `#/components/messages/X/payload/schema`); `document` names the source in errors.
    """
    root = {key: value for key, value in schema.items() if key not in _DROPPED_AT_ROOT}
    return _convert(root, ref_base=ref_base, document=document, where="")


def _convert(
    node: Mapping[str, Any], *, ref_base: str, document: str, where: str
) -> dict[str, Any]:
    def sub(value: object, at: str) -> Any:
        if isinstance(value, bool):
            return value
        if not isinstance(value, Mapping):
            raise ExportFormatError("must be a schema object or boolean", path=document, field=at)
        return _convert(value, ref_base=ref_base, document=document, where=at)

    out: dict[str, Any] = {}
    for key, value in node.items():
        at = f"{where}/{key}"
        if key in _UNSUPPORTED:
            raise ExportFormatError(
                "2020-12 keyword has no draft-07 equivalent", path=document, field=at
            )
        if key == "$ref":
            out[key] = _rewrite_ref(value, ref_base=ref_base, document=document, at=at)
        elif key in _SCHEMA_MAPS:
            out[key] = {
                name: sub(item, f"{at}/{name}") for name, item in _mapping(value, document, at)
            }
        elif key in _SCHEMA_LISTS:
            out[key] = [sub(item, f"{at}/{i}") for i, item in enumerate(_list(value, document, at))]
        elif key == "prefixItems":
            out["items"] = [
                sub(item, f"{at}/{i}") for i, item in enumerate(_list(value, document, at))
            ]
        elif key == "items" and "prefixItems" in node:
            out["additionalItems"] = sub(value, at)
        elif key in _SCHEMA_VALUES:
            out[key] = sub(value, at)
        elif key == "dependentRequired":
            out.setdefault("dependencies", {}).update(
                {name: list(item) for name, item in _mapping(value, document, at)}
            )
        elif key == "dependentSchemas":
            out.setdefault("dependencies", {}).update(
                {name: sub(item, f"{at}/{name}") for name, item in _mapping(value, document, at)}
            )
        else:
            out[key] = copy.deepcopy(value)
    if "$ref" in out and len(out) > 1:
        ref = out.pop("$ref")
        out["allOf"] = [{"$ref": ref}, *out.get("allOf", [])]
    return out


def _rewrite_ref(value: object, *, ref_base: str, document: str, at: str) -> str:
    if not isinstance(value, str) or not value.startswith("#/$defs/"):
        raise ExportFormatError(
            f"{value!r}: only references into this schema's $defs ('#/$defs/...') can be published",
            path=document,
            field=at,
        )
    return ref_base + value[1:]


def _mapping(value: object, document: str, at: str) -> list[tuple[str, Any]]:
    if not isinstance(value, Mapping):
        raise ExportFormatError("must be an object", path=document, field=at)
    return [(str(name), item) for name, item in value.items()]


def _list(value: object, document: str, at: str) -> list[Any]:
    if not isinstance(value, list):
        raise ExportFormatError("must be a list", path=document, field=at)
    return value
