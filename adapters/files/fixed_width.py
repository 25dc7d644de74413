"""Fixed-width records both ways: parse a record by its layout, and lay values out in one.

A layout is what a COBOL copybook gives: for each field a name, a 1-based start column, a
length and a type. Reading, a record of the wrong length or a field that is not what its type
says (letters in a numeric field, an impossible date) rejects that record, naming the field
and its columns. Writing, text is padded with spaces and numbers with leading zeros; a value
that does not fit is an error naming the field, unless the field allows truncation (text only:
a number is never cut).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator, Mapping
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, BinaryIO

from adapters.files.config import FixedWidthConfig, FixedWidthField
from adapters.files.decoding import decode_line
from adapters.files.lines import fixed_records, split_lines
from adapters.files.parsed import Parsed

_NUMBER = re.compile(r"[+-]?[0-9]+")
_DECIMAL = re.compile(r"[+-]?[0-9]+(\.[0-9]*)?")


class LayoutError(ValueError):
    """A value does not fit its fixed-width field; ``field`` names it."""

    def __init__(self, message: str, *, field: str) -> None:
        super().__init__(message)
        self.field = field


def fixed_width_rows(stream: BinaryIO, config: FixedWidthConfig) -> Iterator[Parsed]:
    """The records of a fixed-width file, each decoded, parsed or rejected on its own."""
    strict = config.encoding_errors == "strict"
    if config.separator == "none":
        lines = fixed_records(stream, length=config.record_length)
    else:
        newline = "\n".encode(config.encoding)
        lines = split_lines(stream, separator=newline, limit=config.max_record_bytes)
    for line in lines:
        if line.number <= config.header_records:
            continue
        if line.oversized:
            yield Parsed(line.number, line.number, line.data, reason="record is far too long")
            continue
        text, bad = decode_line(line.data, number=line.number, encoding=config.encoding)
        if bad is not None and strict:
            yield Parsed(line.number, line.number, line.data, reason=bad.reason)
            continue
        if config.separator == "newline":
            text = text.removesuffix("\n").removesuffix("\r")
        if config.trailer_prefix and text.startswith(config.trailer_prefix):
            continue
        try:
            values = parse_record(text, config)
        except LayoutError as exc:
            yield Parsed(line.number, line.number, line.data, reason=str(exc))
            continue
        yield Parsed(line.number, line.number, line.data, values=values)


def parse_record(text: str, config: FixedWidthConfig) -> dict[str, Any]:
    """The values of one record; raise ``LayoutError`` for a wrong length or a bad field."""
    if len(text) != config.record_length:
        raise LayoutError(
            f"record is {len(text)} characters; the layout needs {config.record_length}",
            field="",
        )
    return {
        spec.name: _parse_field(spec, text[spec.start - 1 : spec.end]) for spec in config.layout
    }


def _parse_field(spec: FixedWidthField, text: str) -> Any:
    value = text.strip()
    if spec.type == "str":
        return text.rstrip()
    if not value or (spec.type == "date" and set(value) == {"0"}):
        return None  # blank, or the all-zero "no date" of many mainframe files
    where = f"field {spec.name} (columns {spec.start}-{spec.end})"
    if spec.type == "int":
        if not _NUMBER.fullmatch(value):
            raise LayoutError(f"{where}: {value!r} is not a whole number", field=spec.name)
        return int(value)
    if spec.type == "decimal":
        if not _DECIMAL.fullmatch(value):
            raise LayoutError(f"{where}: {value!r} is not a number", field=spec.name)
        number = Decimal(value)
        return number if "." in value else number.scaleb(-spec.scale)
    try:
        return datetime.strptime(value, spec.format).date()
    except ValueError:
        raise LayoutError(
            f"{where}: {value!r} is not a date in the form {spec.format}", field=spec.name
        ) from None


def format_record(data: Mapping[str, Any], config: FixedWidthConfig) -> str:
    """One record of exactly ``record_length`` characters from the event's ``data``."""
    record = [" "] * config.record_length
    for spec in config.layout:
        if spec.const is not None:
            value: Any = spec.const
        else:
            value = lookup(data, spec.path or spec.name)
        text = _format_field(spec, value)
        try:
            text.encode(config.encoding)
        except UnicodeEncodeError as exc:
            raise LayoutError(
                f"field {spec.name}: {exc.object[exc.start : exc.end]!r} cannot be written in "
                f"{config.encoding}",
                field=spec.name,
            ) from None
        record[spec.start - 1 : spec.end] = text
    return "".join(record)


def lookup(data: Mapping[str, Any], path: str) -> Any:
    """The value at a dotted ``path`` of event data; ``None`` where any part is absent."""
    node: Any = data
    for part in path.split("."):
        if not isinstance(node, Mapping) or part not in node:
            return None
        node = node[part]
    return node


def _format_field(spec: FixedWidthField, value: Any) -> str:
    if value is None:
        return " " * spec.length
    if spec.type == "str":
        text = str(value)
        if any(unicodedata.category(c) == "Cc" for c in text):
            raise LayoutError(
                f"field {spec.name}: control characters cannot be written", field=spec.name
            )
        if len(text) > spec.length:
            if not spec.truncate:
                raise LayoutError(
                    f"field {spec.name}: {text!r} is {len(text)} characters; the layout allows "
                    f"{spec.length} and truncation is off",
                    field=spec.name,
                )
            text = text[: spec.length]
        return text.ljust(spec.length)
    if spec.type == "date":
        day = value if isinstance(value, date) else date.fromisoformat(str(value))
        return _fits(spec, day.strftime(spec.format)).ljust(spec.length)
    number = _whole_number(spec, value)
    digits = str(abs(number)).zfill(spec.length - (number < 0))
    return _fits(spec, ("-" if number < 0 else "") + digits)


def _whole_number(spec: FixedWidthField, value: Any) -> int:
    if isinstance(value, bool):
        raise LayoutError(f"field {spec.name}: {value!r} is not a number", field=spec.name)
    try:
        scaled = Decimal(str(value)).scaleb(spec.scale if spec.type == "decimal" else 0)
    except InvalidOperation:
        raise LayoutError(
            f"field {spec.name}: {value!r} is not a number", field=spec.name
        ) from None
    if not scaled.is_finite():
        raise LayoutError(f"field {spec.name}: {value!r} is not a number", field=spec.name)
    if scaled != scaled.to_integral_value():
        raise LayoutError(
            f"field {spec.name}: {value!r} has more than {spec.scale} decimal places",
            field=spec.name,
        )
    return int(scaled)


def _fits(spec: FixedWidthField, text: str) -> str:
    if len(text) > spec.length:
        raise LayoutError(
            f"field {spec.name}: {text!r} needs {len(text)} characters; the layout allows "
            f"{spec.length} (numbers and dates are never truncated)",
            field=spec.name,
        )
    return text
