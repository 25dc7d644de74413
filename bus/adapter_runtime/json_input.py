"""Strict JSON from legacy systems (HTTP bodies, webhooks) and flat records for the Mapper.

Decoding refuses what ``json.loads`` lets through: bytes that are not UTF-8, ``NaN`` and
``Infinity``, numbers too large for a float, integers past Python's 4300-digit limit and
nesting that exhausts the parser; each is a ``BadJson`` whose message says which. Large
integers that fit stay exact, so an id is never rounded through a float.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any

from bus.foundation.errors import BadJson

__all__ = ["BadJson", "decode_json", "decode_object", "flat_record"]

MAX_FLAT_DEPTH = 8


def decode_json(body: bytes) -> Any:
    """Parse ``body`` as strict JSON; raise ``BadJson`` saying what is wrong."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadJson(f"body is not UTF-8: byte {exc.start} is {body[exc.start]:#04x}") from None
    try:
        return json.loads(text, parse_constant=_refuse_constant, parse_float=_finite_float)
    except RecursionError:
        raise BadJson("body is not usable JSON: nested too deeply") from None
    except ValueError as exc:  # JSONDecodeError, and int() past the digit limit
        raise BadJson(f"body is not JSON: {exc}") from None


def decode_object(body: bytes) -> dict[str, Any]:
    """Parse ``body`` as strict JSON holding one object; raise ``BadJson`` saying why not."""
    document = decode_json(body)
    if not isinstance(document, dict):
        raise BadJson(f"body must be a JSON object, not {type(document).__name__}")
    return document


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


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"number {text[:40]} is too large for a float")
    return value
