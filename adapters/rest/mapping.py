"""JSON in and out of an HTTP API: strict decoding, record lists, flat records, request bodies.

Decoding is stricter than ``json.loads``: the body must be UTF-8, ``NaN``/``Infinity`` and
numbers too large for a float are refused, and so are integers past Python's 4300-digit limit
and nesting deep enough to exhaust the parser; each failure is a ``BadBody`` whose message
says which. Large integers that fit stay exact (an id is never rounded through a float).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from bus.errors import GovbusError

MAX_FLAT_DEPTH = 8
_PLACEHOLDER = re.compile(r"\{([A-Za-z0-9_.]+)\}")
_MISSING = object()


class BadBody(GovbusError):
    """A response or request body that is not usable JSON."""


def decode_json(body: bytes) -> Any:
    """Parse ``body`` as strict JSON; raise ``BadBody`` saying what is wrong."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadBody(f"body is not UTF-8: byte {exc.start} is {body[exc.start]:#04x}") from None
    try:
        return json.loads(text, parse_constant=_refuse_constant, parse_float=_finite_float)
    except RecursionError:
        raise BadBody("body is not usable JSON: nested too deeply") from None
    except ValueError as exc:  # JSONDecodeError, and int() past the digit limit
        raise BadBody(f"body is not JSON: {exc}") from None


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"number {text[:40]} is too large for a float")
    return value


def at_path(document: Any, path: str) -> Any:
    """The value at a dotted path (``""`` is the document); ``KeyError`` naming the part."""
    node = document
    for part in path.split(".") if path else ():
        if not isinstance(node, Mapping) or part not in node:
            raise KeyError(part)
        node = node[part]
    return node


def flat_record(item: Mapping[str, Any]) -> dict[str, Any]:
    """A JSON object as the Mapper's record: top-level fields, plus dotted keys for nested ones.

    ``{"address": {"town": "Hull"}}`` gives ``address`` (the object) and ``address.town``, so a
    mapping can take a whole list (``"lines": "address.lines"``) or one nested value.
    """
    record: dict[str, Any] = dict(item)
    _flatten(item, "", record, 0)
    return record


def _flatten(node: Mapping[str, Any], prefix: str, into: dict[str, Any], depth: int) -> None:
    if depth >= MAX_FLAT_DEPTH:
        return
    for name, value in node.items():
        key = f"{prefix}{name}"
        if prefix:
            into[key] = value
        if isinstance(value, Mapping):
            _flatten(value, key + ".", into, depth + 1)


def render_path(template: str, data: Mapping[str, Any]) -> str:
    """Fill ``{field.path}`` placeholders with percent-encoded event values."""

    def value(match: re.Match[str]) -> str:
        found = _get(data, match.group(1))
        if found is _MISSING or found is None or found == "":
            raise KeyError(match.group(1))
        return quote(str(found), safe="")

    return _PLACEHOLDER.sub(value, template)


def placeholders(template: str) -> list[str]:
    """The event field paths a path template uses."""
    return _PLACEHOLDER.findall(template)


def build_body(
    rules: Mapping[str, str] | None,
    data: Mapping[str, Any],
    constants: Mapping[str, Any] | None = None,
) -> Any:
    """The request body: the event data, or body paths filled from event paths (absent: null),
    plus fixed ``constants``."""
    if rules is None and not constants:
        return dict(data)
    body: dict[str, Any] = {}
    values = {t: _get(data, s) for t, s in (rules or {}).items()} | dict(constants or {})
    for target, found in values.items():
        *parents, leaf = target.split(".")
        node = body
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = None if found is _MISSING else found
    return body


def _get(data: Mapping[str, Any], path: str) -> Any:
    try:
        return at_path(data, path)
    except KeyError:
        return _MISSING
