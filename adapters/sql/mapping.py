"""Rows to records and events to rows: the ``sql`` kind's own conversions.

A polled row becomes the flat dict the declarative ``Mapper`` reads. Text arrives from SQLite
as bytes (see ``connection``), and BLOB/bytea values are bytes too: UTF-8 bytes become text,
anything else rejects the row naming the column. A rejected row travels to the dead-letter
topic as JSON, with long values cut so one huge row cannot exceed what Kafka accepts.

For a sink, each target column takes a dotted field path of the event's JSON data (objects and
lists are stored as JSON text) or an envelope attribute (``$id``, ``$type``, ...).
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

import orjson

from bus.messaging.envelope import Envelope
from contracts import Event

_CUT = 200  # characters kept of a value cut from a rejected row's copy


class NotText(ValueError):
    """A column holds bytes that are not UTF-8 text."""

    def __init__(self, column: str) -> None:
        super().__init__(f"column {column!r} holds bytes that are not UTF-8 text")
        self.column = column


def record_of(row: Mapping[str, Any]) -> dict[str, Any]:
    """The Mapper's record for ``row``: bytes decoded as UTF-8; raises ``NotText`` otherwise."""
    record: dict[str, Any] = {}
    for column, value in row.items():
        if isinstance(value, bytes | bytearray | memoryview):
            try:
                value = bytes(value).decode("utf-8")
            except UnicodeDecodeError:
                raise NotText(column) from None
        record[column] = value
    return record


def scalar(value: Any) -> str | int:
    """A watermark value as an offset stores it: an int stays, anything else is text."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).decode("utf-8", "backslashreplace")
    return str(value)


def like(sample: Any, stored: str | int) -> Any:
    """``stored`` (from an offset) as the Python type of ``sample`` (a value from the column).

    Drivers such as asyncpg compare only like with like, so a stored ISO timestamp must be a
    ``datetime`` again before it is bound against a timestamp column.
    """
    if sample is None or (isinstance(stored, int) and not isinstance(sample, str)):
        return stored
    text = str(stored)
    if isinstance(sample, datetime):
        return datetime.fromisoformat(text)
    if isinstance(sample, date):
        return date.fromisoformat(text)
    if isinstance(sample, time):
        return time.fromisoformat(text)
    if isinstance(sample, bool | int):
        return int(text)
    if isinstance(sample, Decimal):
        return Decimal(text)
    if isinstance(sample, float):
        return float(text)
    if isinstance(sample, bytes | bytearray | memoryview):
        return text.encode("utf-8", "surrogateescape")
    return text


def rejected_copy(row: Mapping[str, Any], *, limit: int) -> bytes:
    """``row`` as JSON for the dead-letter topic, long values cut to keep it within ``limit``."""
    shown = {column: _shown(value) for column, value in row.items()}
    raw = _dumps(shown)
    if len(raw) <= limit:
        return raw
    for column, value in shown.items():
        if isinstance(value, str) and len(value) > _CUT:
            shown[column] = f"{value[:_CUT]}... [cut: {len(value)} characters]"
    raw = _dumps(shown)
    return raw if len(raw) <= limit else raw[:limit]


def _shown(value: Any) -> Any:
    if isinstance(value, bytes | bytearray | memoryview):
        data = bytes(value)
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            return {"base64": base64.b64encode(data).decode("ascii")}
    return value


def _dumps(value: Any) -> bytes:
    return orjson.dumps(value, default=str, option=orjson.OPT_NON_STR_KEYS)


def row_of(
    event: Event, envelope: Envelope, columns: Mapping[str, str]
) -> dict[str, str | int | float | bool | None]:
    """The target row of ``event``: each column's field path looked up in the event's JSON."""
    data = event.model_dump(mode="json")
    attributes: dict[str, Any] = {
        "$id": envelope.id,
        "$source": envelope.source,
        "$type": envelope.type,
        "$time": envelope.time.isoformat() if envelope.time else None,
        "$subject": envelope.subject,
    }
    row: dict[str, str | int | float | bool | None] = {}
    for column, path in columns.items():
        value = attributes[path] if path.startswith("$") else _lookup(data, path)
        if isinstance(value, dict | list):
            value = orjson.dumps(value).decode()
        row[column] = value
    return row


def _lookup(data: Any, path: str) -> Any:
    node = data
    for part in path.split("."):
        if not isinstance(node, dict):
            return None
        node = node.get(part)
    return node
