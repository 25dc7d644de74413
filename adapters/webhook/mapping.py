"""A webhook body as a record: strict JSON decoding, the record dict, and its identity.

Decoding refuses what ``json.loads`` lets through: bytes that are not UTF-8, ``NaN`` and
``Infinity``, numbers too large for a float, integers past Python's 4300-digit limit and
nesting that exhausts the parser. Large integers that fit stay exact.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping
from typing import Any

MAX_FLAT_DEPTH = 8
MAX_DELIVERY_ID = 200


class BadBody(ValueError):
    """A body that is not a usable JSON object; the message says why."""


def decode_object(body: bytes) -> dict[str, Any]:
    """Parse ``body`` as strict JSON holding one object; raise ``BadBody`` saying why not."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadBody(f"body is not UTF-8: byte {exc.start} is {body[exc.start]:#04x}") from None
    try:
        document = json.loads(text, parse_constant=_refuse_constant, parse_float=_finite_float)
    except RecursionError:
        raise BadBody("body is not usable JSON: nested too deeply") from None
    except ValueError as exc:  # JSONDecodeError, and int() past the digit limit
        raise BadBody(f"body is not JSON: {exc}") from None
    if not isinstance(document, dict):
        raise BadBody(f"body must be a JSON object, not {type(document).__name__}")
    return document


def flat_record(item: Mapping[str, Any]) -> dict[str, Any]:
    """Top-level fields plus dotted keys for nested ones (``address.town``), for the Mapper."""
    record: dict[str, Any] = dict(item)
    _flatten(item, "", record, 0)
    return record


def identity(path: str, delivery_id: str | None, body: bytes) -> str:
    """``<path>/<delivery id>``, or ``<path>/sha256:<hash of body>`` without a usable id."""
    if delivery_id and len(delivery_id) <= MAX_DELIVERY_ID and delivery_id.isprintable():
        return f"{path}/{delivery_id.strip()}"
    return f"{path}/sha256:{hashlib.sha256(body).hexdigest()}"


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
