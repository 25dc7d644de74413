"""Structural comparison of two JSON Schema documents in govbus's export format.

`SchemaDiff` walks the baseline ("old") and current ("new") schema of one contract version side by
side and records every change that breaks old consumers reading new events (forward) or new
consumers reading old events (backward). The rules, and where they differ from Confluent Schema
Registry, are listed in `contracts.compatibility`; this module holds only the walk.

The walk is bounded: nesting deeper than `MAX_DEPTH`, more than `MAX_NODES` compared schemas, and
`$ref` cycles or dangling `$ref`s each end in a finding, never in a `RecursionError` and never in a
silent "compatible".
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import unquote

from contracts.schema_keywords import (
    BOTH_BREAK,
    MISSING,
    NEW_BREAKS,
    OLD_BREAKS,
    allowed_values,
    canonical,
    compare_bound,
    compare_scalar,
    compare_unique_items,
    default_detail,
    inferred_kinds,
    show,
    values_for_kind,
)

MAX_DEPTH: Final = 64
"""Deepest schema nesting compared; pydantic models rarely pass 15 levels."""

MAX_NODES: Final = 20_000
"""Most schema pairs compared per contract; a real contract has a few hundred."""

_PLAIN_NAME = re.compile(r"[A-Za-z0-9_\-]+")

# Keywords this checker does not reason about. Any change to one is reported rather than passed:
# an unexplained change is never "compatible".
_UNSUPPORTED: Final = (
    "patternProperties",
    "propertyNames",
    "dependentRequired",
    "dependentSchemas",
    "unevaluatedProperties",
    "unevaluatedItems",
    "contains",
    "minContains",
    "maxContains",
    "if",
    "then",
    "else",
    "not",
    "contentEncoding",
    "contentMediaType",
)


@dataclass(frozen=True, slots=True)
class Finding:
    """One change found by the walk: `rule` and `detail` at dotted `field` path."""

    field: str
    rule: str
    detail: str


def field_path(parent: str, name: str) -> str:
    """Joins a property name onto a dotted path, quoting names that are not plain identifiers."""
    segment = name if _PLAIN_NAME.fullmatch(name) else json.dumps(name)
    return f"{parent}.{segment}" if parent else segment


@dataclass(slots=True)
class _Resolved:
    schema: Mapping[str, Any]
    key: str  # identifies a $ref target (with its overriding siblings); "" for inline schemas
    name: str = ""  # the last $ref followed to reach the schema, "" for inline schemas


class SchemaDiff:
    """Compares one contract version's baseline schema with its current schema."""

    def __init__(self, old_root: Mapping[str, Any], new_root: Mapping[str, Any]) -> None:
        self._roots = {"baseline": old_root, "current": new_root}
        self.findings: list[Finding] = []
        self.notes: list[Finding] = []
        self._nodes = 0
        self._too_large = False
        self._seen_pairs: set[tuple[str, str]] = set()

    def report(self, path: str, rule: str, detail: str) -> None:
        """Records a change that breaks old or new consumers."""
        self.findings.append(Finding(path, rule, detail))

    def _count(self, path: str) -> bool:
        """Counts one unit of work; False (reported once) when the budget is spent."""
        self._nodes += 1
        if self._nodes <= MAX_NODES:
            return True
        if not self._too_large:
            self._too_large = True
            self.report(path, "schema-too-large", f"more than {MAX_NODES} schemas to compare")
        return False

    def run(self) -> None:
        """Compares the two roots; a `RecursionError` anywhere becomes a finding."""
        try:
            self.compare(self._roots["baseline"], self._roots["current"], "", 0)
        except RecursionError:
            self.report("", "schema-too-deep", "the schema nests too deeply to compare safely")

    # -- one schema pair ---------------------------------------------------------------------

    def compare(self, old: Any, new: Any, path: str, depth: int) -> None:
        """Compares one old schema with the new schema at the same place in the data."""
        if depth > MAX_DEPTH:
            self.report(path, "schema-too-deep", f"schemas nest deeper than {MAX_DEPTH} levels")
            return
        if not self._count(path):
            return
        old_resolved = self._resolve(old, "baseline", path)
        new_resolved = self._resolve(new, "current", path)
        if old_resolved is None or new_resolved is None:
            return
        pair = (old_resolved.key or f"@{id(old)}", new_resolved.key or f"@{id(new)}")
        if old_resolved.key or new_resolved.key:
            # A $def reached again (through a cycle or from another field) was compared already;
            # its findings are reported once, at the first path that reached it.
            if pair in self._seen_pairs:
                return
            self._seen_pairs.add(pair)
        self._compare_resolved(old_resolved.schema, new_resolved.schema, path, depth)

    def _compare_resolved(
        self, old: Mapping[str, Any], new: Mapping[str, Any], path: str, depth: int
    ) -> None:
        old_default, new_default = old.get("default", MISSING), new.get("default", MISSING)
        if canonical(old_default) != canonical(new_default):
            self.notes.append(Finding(path, "default-changed", default_detail(old, new)))
        if "const" in old and "const" in new and canonical(old["const"]) != canonical(new["const"]):
            self.report(
                path,
                "const-changed",
                f"const changed from {show(old['const'])} to {show(new['const'])}, so {BOTH_BREAK}",
            )
            return
        for keyword in _UNSUPPORTED:
            before, after = (
                canonical(old.get(keyword, MISSING)),
                canonical(new.get(keyword, MISSING)),
            )
            if keyword == "not" and {before, after} <= {"{}", "<absent>"}:
                continue  # `not: {}` is the false schema, compared as "no type allowed"
            if before != after:
                self.report(
                    path,
                    "unsupported-change",
                    f"'{keyword}' changed from {show(old.get(keyword, MISSING))} to "
                    f"{show(new.get(keyword, MISSING))}, which this checker cannot prove safe, "
                    f"so it assumes {BOTH_BREAK}",
                )
        old_branches = self._branches(old, "baseline", path, depth)
        new_branches = self._branches(new, "current", path, depth)
        if old_branches is None or new_branches is None:
            return
        self._compare_kinds(old_branches, new_branches, path, depth)

    # -- $ref ------------------------------------------------------------------------------

    def _resolve(self, node: Any, side: str, path: str) -> _Resolved | None:
        """Follows `$ref`s to a schema, merging any sibling keywords found on the way."""
        if node is True:
            return _Resolved({}, "")
        if node is False:
            return _Resolved({"not": {}}, "")
        if not isinstance(node, Mapping):
            self.report(path, "invalid-schema", f"{side} schema is {show(node)}, not an object")
            return None
        chain: list[str] = []
        overrides: dict[str, Any] = {}
        current: Mapping[str, Any] = node
        while "$ref" in current:
            ref = current["$ref"]
            if not isinstance(ref, str) or ref in chain or len(chain) >= MAX_DEPTH:
                problem = "forms a cycle of $refs" if ref in chain else "cannot be followed"
                self.report(path, "ref-unresolved", f"{side} $ref {show(ref)} {problem}")
                return None
            chain.append(ref)
            overrides = {key: value for key, value in current.items() if key != "$ref"} | overrides
            target = _pointer(self._roots[side], ref)
            if target is True or target is False:
                target = {} if target else {"not": {}}
            if not isinstance(target, Mapping):
                self.report(
                    path,
                    "ref-unresolved",
                    f"{side} $ref {show(ref)} does not point at a schema in the same document",
                )
                return None
            current = target
        if not chain:
            return _Resolved(current, "")
        merged = {**current, **overrides} if overrides else current
        return _Resolved(merged, "->".join(chain) + "|" + canonical(overrides), chain[-1])

    # -- unions and types --------------------------------------------------------------------

    def _branches(
        self, schema: Mapping[str, Any], side: str, path: str, depth: int
    ) -> dict[str, list[_Resolved]] | None:
        """Splits a schema into one alternative per JSON type (anyOf, oneOf, type lists).

        Each alternative keeps the key of the `$ref` it came through, so that recursion through
        a union (`parent: Node | None`) is compared once, like recursion through a plain `$ref`.
        """
        collected: dict[str, list[_Resolved]] = {}
        if not self._collect(_Resolved(schema, ""), {}, side, path, depth, collected):
            return None
        if "number" in collected:
            # every integer is a number, so an integer alternative next to number adds nothing
            collected.pop("integer", None)
        return {
            kind: list({_label(branch): branch for branch in alternatives}.values())
            for kind, alternatives in collected.items()
        }

    def _collect(
        self,
        node: _Resolved,
        inherited: Mapping[str, Any],
        side: str,
        path: str,
        depth: int,
        into: dict[str, list[_Resolved]],
    ) -> bool:
        if depth > MAX_DEPTH:
            self.report(path, "schema-too-deep", f"schemas nest deeper than {MAX_DEPTH} levels")
            return False
        if not self._count(path):
            return False
        merged: dict[str, Any] = {**inherited, **node.schema}
        key = f"{node.key}|{canonical(inherited)}" if node.key else ""
        for combinator in ("allOf", "anyOf", "oneOf"):
            parts = merged.pop(combinator, None)
            if parts is None:
                continue
            if not isinstance(parts, list):
                self.report(path, "invalid-schema", f"{side} '{combinator}' is not a list")
                return False
            if combinator == "allOf":
                # pydantic wraps a $ref with siblings in a one-element allOf; merging the parts
                # is exact for that and a close approximation otherwise.
                name, part_keys = node.name, list[str]()
                for part in parts:
                    resolved = self._resolve(part, side, path)
                    if resolved is None:
                        return False
                    merged = {**merged, **resolved.schema}
                    name, part_keys = name or resolved.name, [*part_keys, resolved.key]
                if not key and all(part_keys):  # identified by its parts only if all are $refs
                    key = "&".join(part_keys) + "|" + canonical(merged)
                merged_node = _Resolved(merged, key, name)
                return self._collect(merged_node, {}, side, path, depth + 1, into)
            ok = True
            for part in parts:
                resolved = self._resolve(part, side, path)
                if resolved is None:
                    return False
                part_node = resolved if resolved.key else _Resolved(resolved.schema, key, node.name)
                ok = self._collect(part_node, merged, side, path, depth + 1, into) and ok
            return ok
        if merged.get("not") == {}:
            return True  # the false schema: no alternative at all
        declared = merged.get("type")
        if declared is None:
            kinds = inferred_kinds(merged)
        elif isinstance(declared, str):
            kinds = [declared]
        elif isinstance(declared, list) and all(isinstance(kind, str) for kind in declared):
            kinds = list(declared)
        else:
            self.report(path, "invalid-schema", f"{side} type {show(declared)} is not a type name")
            return False
        values = allowed_values(merged)
        for kind in kinds:
            branch = dict(merged)
            branch.pop("type", None)
            if values is not None:
                branch.pop("const", None)
                branch["enum"] = values_for_kind(values, kind)
                if not branch["enum"]:
                    continue  # `type: [string, null]` with `enum: ["a"]` does not allow null
            branch_key = f"{key}#{kind}" if key else ""
            into.setdefault(kind, []).append(_Resolved(branch, branch_key, node.name))
        return True

    def _compare_kinds(
        self,
        old: Mapping[str, list[_Resolved]],
        new: Mapping[str, list[_Resolved]],
        path: str,
        depth: int,
    ) -> None:
        if ("any" in old) != ("any" in new):
            if "any" in new:
                detail = f"type widened from {_kinds(old)} to any value, so {OLD_BREAKS}"
                self.report(path, "type-widened", detail)
            else:
                detail = f"type narrowed from any value to {_kinds(new)}, so {NEW_BREAKS}"
                self.report(path, "type-narrowed", detail)
            return
        pairs = [(kind, kind) for kind in sorted(old) if kind in new]
        removed = {kind for kind in old if kind not in new}
        added = {kind for kind in new if kind not in old}
        if "integer" in removed and "number" in added:
            pairs.append(("integer", "number"))
            removed.discard("integer")
            added.discard("number")
            self.report(
                path, "type-widened", f"type widened from integer to number, so {OLD_BREAKS}"
            )
        elif "number" in removed and "integer" in added:
            pairs.append(("number", "integer"))
            removed.discard("number")
            added.discard("integer")
            self.report(
                path, "type-narrowed", f"type narrowed from number to integer, so {NEW_BREAKS}"
            )
        if "null" in added:
            detail = f"null is now allowed besides {_kinds(old, 'nothing')}, so {OLD_BREAKS}"
            self.report(path, "nullable-added", detail)
        if "null" in removed:
            detail = f"null is no longer allowed, only {_kinds(new, 'nothing')}, so {NEW_BREAKS}"
            self.report(path, "nullable-removed", detail)
        added.discard("null")
        removed.discard("null")
        if added and removed:
            detail = f"type changed from {_kinds(old)} to {_kinds(new)}, so {BOTH_BREAK}"
            self.report(path, "type-changed", detail)
        elif added:
            detail = f"type widened from {_kinds(old)} to {_kinds(new)}, so {OLD_BREAKS}"
            self.report(path, "type-widened", detail)
        elif removed:
            detail = f"type narrowed from {_kinds(old)} to {_kinds(new)}, so {NEW_BREAKS}"
            self.report(path, "type-narrowed", detail)
        for old_kind, new_kind in pairs:
            befores, afters = old[old_kind], new[new_kind]
            if len(befores) == 1 and len(afters) == 1:
                self._compare_pair(new_kind, befores[0], afters[0], path, depth)
            else:
                self._compare_alternatives(new_kind, befores, afters, path, depth)

    def _compare_alternatives(
        self, kind: str, old: list[_Resolved], new: list[_Resolved], path: str, depth: int
    ) -> None:
        """Several alternatives of one JSON type (`Cat | Dog`): matched by $def name or shape."""
        old_by, new_by = {_label(b): b for b in old}, {_label(b): b for b in new}
        for label in sorted(old_by.keys() & new_by.keys()):
            self._compare_pair(kind, old_by[label], new_by[label], path, depth)
        removed = [label for label in sorted(old_by) if label not in new_by]
        added = [label for label in sorted(new_by) if label not in old_by]
        if removed:
            detail = f"{kind} alternatives {', '.join(removed)} removed, so {NEW_BREAKS}"
            self.report(path, "type-narrowed", detail)
        if added:
            detail = f"{kind} alternatives {', '.join(added)} added, so {OLD_BREAKS}"
            self.report(path, "type-widened", detail)

    def _compare_pair(
        self, kind: str, before: _Resolved, after: _Resolved, path: str, depth: int
    ) -> None:
        if before.key and after.key:
            if (before.key, after.key) in self._seen_pairs:
                return
            self._seen_pairs.add((before.key, after.key))
        self._compare_branch(kind, before.schema, after.schema, path, depth)

    # -- one JSON type -----------------------------------------------------------------------

    def _compare_branch(
        self, kind: str, old: Mapping[str, Any], new: Mapping[str, Any], path: str, depth: int
    ) -> None:
        for rule, detail in compare_scalar(kind, old, new):
            self.report(path, rule, detail)
        if kind == "array":
            self._compare_array(old, new, path, depth)
        elif kind == "object":
            self._compare_object(old, new, path, depth)

    def _compare_array(
        self, old: Mapping[str, Any], new: Mapping[str, Any], path: str, depth: int
    ) -> None:
        changes = compare_bound("minItems", old, new, greater_is_tighter=True)
        changes += compare_bound("maxItems", old, new, greater_is_tighter=False)
        for rule, detail in changes + compare_unique_items(old, new):
            self.report(path, rule, detail)
        old_prefix, new_prefix = old.get("prefixItems", []), new.get("prefixItems", [])
        if not isinstance(old_prefix, list) or not isinstance(new_prefix, list):
            self.report(path, "invalid-schema", "'prefixItems' is not a list")
            return
        for index in range(max(len(old_prefix), len(new_prefix))):
            self.compare(
                old_prefix[index] if index < len(old_prefix) else old.get("items", True),
                new_prefix[index] if index < len(new_prefix) else new.get("items", True),
                f"{path}[{index}]",
                depth + 1,
            )
        self.compare(old.get("items", True), new.get("items", True), f"{path}[]", depth + 1)

    def _compare_object(
        self, old: Mapping[str, Any], new: Mapping[str, Any], path: str, depth: int
    ) -> None:
        changes = compare_bound("minProperties", old, new, greater_is_tighter=True)
        for rule, detail in changes + compare_bound(
            "maxProperties", old, new, greater_is_tighter=False
        ):
            self.report(path, rule, detail)
        old_properties, new_properties = old.get("properties", {}), new.get("properties", {})
        old_required, new_required = old.get("required", []), new.get("required", [])
        if not (isinstance(old_properties, Mapping) and isinstance(new_properties, Mapping)):
            self.report(path, "invalid-schema", "'properties' is not an object")
            return
        if not (_names(old_required) and _names(new_required)):
            self.report(path, "invalid-schema", "'required' is not a list of names")
            return
        was_required, is_required = set(old_required), set(new_required)
        names = set(old_properties) | set(new_properties) | was_required | is_required
        for name in sorted(names, key=str):
            child = field_path(path, str(name))
            in_old, in_new = name in old_properties, name in new_properties
            if in_old and not in_new and name not in is_required:
                self._field_removed(child, old_properties[name], name in was_required)
                continue
            if in_new and not in_old and name not in was_required:
                if name in is_required:
                    detail = (
                        f"field added as required ({_brief(new_properties[name])}); old events "
                        f"lack it, so {NEW_BREAKS}"
                    )
                    self.report(child, "required-field-added", detail)
                continue
            if name in was_required and name not in is_required:
                detail = f"field was required and is now optional, so {OLD_BREAKS} that omit it"
                self.report(child, "field-made-optional", detail)
            elif name in is_required and name not in was_required:
                detail = f"field was optional and is now required, so {NEW_BREAKS} that omit it"
                self.report(child, "field-made-required", detail)
            self.compare(
                old_properties.get(name, True), new_properties.get(name, True), child, depth + 1
            )
        self._compare_additional(old, new, path, depth)

    def _field_removed(self, path: str, old_schema: Any, required: bool) -> None:
        if required:
            detail = f"required field (was {_brief(old_schema)}) removed, so {OLD_BREAKS}"
        else:
            # Under an open content model nothing fails to validate, but consumers that read the
            # field silently lose it, and the freed name could come back later with another type:
            # checked against the last baseline only, that would pass as "optional field added".
            detail = (
                f"optional field (was {_brief(old_schema)}) removed: old consumers lose it and the "
                "name could return with another type; deprecate it and remove it in a new major "
                "version"
            )
        self.report(path, "field-removed", detail)

    def _compare_additional(
        self, old: Mapping[str, Any], new: Mapping[str, Any], path: str, depth: int
    ) -> None:
        before = old.get("additionalProperties", True)
        after = new.get("additionalProperties", True)
        if before == after or (before in (True, {}) and after in (True, {})):
            return
        if after is False:
            detail = f"additionalProperties false closes the content model, so {NEW_BREAKS}"
            self.report(path, "constraint-tightened", detail)
        elif before is False:
            detail = f"additionalProperties false removed, so {OLD_BREAKS}"
            self.report(path, "constraint-loosened", detail)
        else:
            self.compare(before, after, f"{path}.*" if path else "*", depth + 1)


def _label(branch: _Resolved) -> str:
    """Names a union alternative: its $def, or its shape when it is inline."""
    return branch.name.rsplit("/", 1)[-1] if branch.name else show(branch.schema)


def _names(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(item, str) for item in value)


def _kinds(branches: Mapping[str, Any], empty: str = "no value") -> str:
    return " or ".join(sorted(branches)) if branches else empty


def _brief(schema: Any) -> str:
    """A few words on what a property held, for messages about the property as a whole."""
    if isinstance(schema, Mapping):
        if isinstance(schema.get("$ref"), str):
            return str(schema["$ref"].rsplit("/", 1)[-1])
        declared = schema.get("type")
        if isinstance(declared, str):
            return declared
        if "anyOf" in schema or "oneOf" in schema:
            return "a union"
    return "any value"


def _pointer(root: Mapping[str, Any], ref: str) -> Any:
    """Resolves a same-document JSON pointer reference (`#`, `#/$defs/Name`); None otherwise."""
    if ref == "#":
        return root
    if not ref.startswith("#/"):
        return None
    node: Any = root
    for raw in ref[2:].split("/"):
        token = unquote(raw).replace("~1", "/").replace("~0", "~")
        if isinstance(node, Mapping) and token in node:
            node = node[token]
        elif isinstance(node, list) and token.isdigit() and int(token) < len(node):
            node = node[int(token)]
        else:
            return None
    return node
