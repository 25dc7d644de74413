"""JSON in and out of an HTTP API: record lists, paths and request bodies.

Bodies are decoded strictly by ``bus.adapter_runtime.json_input``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

_PLACEHOLDER = re.compile(r"\{([A-Za-z0-9_.]+)\}")
_MISSING = object()


def at_path(document: Any, path: str) -> Any:
    """The value at a dotted path (``""`` is the document); ``KeyError`` naming the part."""
    node = document
    for part in path.split(".") if path else ():
        if not isinstance(node, Mapping) or part not in node:
            raise KeyError(part)
        node = node[part]
    return node


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
