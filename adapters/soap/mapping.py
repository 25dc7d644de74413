"""The soap kind's own conversions: a zeep reply to flat records, and an event to arguments.

zeep turns a reply into objects; ``serialize_object`` makes them ordered dicts and lists of
Python values (``int``, ``Decimal``, ``date``, ``bool``...). A record's nested elements become
dotted keys (``address.postcode``), which a mapping's ``from`` can name.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import Enum
from typing import Any

from zeep.helpers import serialize_object

from adapters.soap.config import SoapSinkConfig
from contracts import Event


class ReplyShapeError(ValueError):
    """The reply has no list of records where ``result_path`` says."""


def records_in(reply: Any, result_path: str) -> list[Any]:
    """The records at ``result_path`` (dotted) in ``reply``; none for an empty reply."""
    node = serialize_object(reply)
    for part in [p for p in result_path.split(".") if p]:
        if node is None:
            return []
        if not isinstance(node, Mapping) or part not in node:
            raise ReplyShapeError(f"reply has no element {part!r} on the path {result_path!r}")
        node = node[part]
    if node is None:
        return []
    return list(node) if isinstance(node, list) else [node]


def flatten(record: Any, prefix: str = "") -> dict[str, Any]:
    """A record as a flat dict; nested elements under dotted keys, lists kept as lists."""
    if not isinstance(record, Mapping):
        return {prefix or "value": record}
    flat: dict[str, Any] = {}
    for name, value in record.items():
        key = f"{prefix}{name}"
        if isinstance(value, Mapping):
            flat |= flatten(value, key + ".")
        else:
            flat[key] = value
    return flat


def arguments_for(event: Event, event_id: str, config: SoapSinkConfig) -> dict[str, Any]:
    """The operation's arguments for ``event``: mapped fields, constants and the reference."""
    data = event.model_dump(mode="python")
    arguments: dict[str, Any] = dict(config.constants)
    for argument, path in config.arguments.items():
        value = _at(data, path)
        if value is not None:
            arguments[argument] = value.value if isinstance(value, Enum) else value
    if config.reference_argument:
        arguments[config.reference_argument] = event_id
    return arguments


def _at(data: Any, path: str) -> Any:
    for part in path.split("."):
        if not isinstance(data, Mapping):
            return None
        data = data.get(part)
    return data
