"""CSV files to records with the stdlib csv module, one rejection per malformed row.

Rows are parsed with ``strict`` quoting, so a stray quote is an error rather than a guess. The
csv reader pulls lines through a feeder that counts lines and bytes per row and decodes each
line on its own: a row longer than ``max_record_bytes`` (one huge line, or an unclosed quote
swallowing the lines after it) is rejected as soon as it passes the limit, and a row with bytes
that are not valid in the file's encoding is parsed to its end (a quoted field may span lines)
and then rejected or, with ``encoding_errors = "replace"``, kept with U+FFFD in their place.
The csv module restarts its parser on every row, so a rejected row never spoils the next.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from typing import BinaryIO

from adapters.files.config import CsvConfig
from adapters.files.decoding import BadBytes, decode_line
from adapters.files.lines import RAW_KEPT, Line, split_lines
from adapters.files.parsed import Parsed, Unreadable


class _TooLarge(Exception):
    pass


class _Feeder:
    """Decoded lines for ``csv.reader``, recording which lines and bytes each row took."""

    def __init__(self, lines: Iterator[Line], *, encoding: str, limit: int) -> None:
        self._lines = lines
        self._encoding = encoding
        self._limit = limit
        self.first = 0
        self.last = 0
        self.size = 0
        self.raw = bytearray()
        self.bad: BadBytes | None = None  # the row's first undecodable bytes

    def begin(self) -> None:
        self.first = self.last + 1
        self.size = 0
        self.raw.clear()
        self.bad = None

    def __iter__(self) -> _Feeder:
        return self

    def __next__(self) -> str:
        line = next(self._lines)
        self.last = line.number
        self.size += len(line.data)
        if len(self.raw) < RAW_KEPT:
            self.raw += line.data[: RAW_KEPT - len(self.raw)]
        if line.oversized or self.size > self._limit:
            raise _TooLarge
        try:
            return line.data.decode(self._encoding)
        except UnicodeDecodeError:
            text, bad = decode_line(line.data, number=line.number, encoding=self._encoding)
            self.bad = self.bad or bad
            return text


def csv_rows(stream: BinaryIO, config: CsvConfig) -> Iterator[Parsed]:
    """The records of a CSV file; raise ``Unreadable`` if its header row is unusable."""
    feeder = _Feeder(
        split_lines(stream, separator="\n".encode(config.encoding), limit=config.max_record_bytes),
        encoding=config.encoding,
        limit=config.max_record_bytes,
    )
    reader = csv.reader(
        feeder,
        delimiter=config.delimiter,
        quotechar=config.quotechar,
        escapechar=config.escapechar,
        doublequote=config.doublequote,
        strict=True,
    )
    names = list(config.fieldnames) if config.fieldnames else None
    expect_header = config.header
    strict = config.encoding_errors == "strict"
    while True:
        feeder.begin()
        try:
            row = next(reader)
        except StopIteration:
            return
        except _TooLarge:
            if expect_header:
                raise Unreadable(
                    f"header row is larger than {config.max_record_bytes} bytes"
                ) from None
            yield _rejected(feeder, f"row is larger than {config.max_record_bytes} bytes")
            continue
        except csv.Error as exc:
            if expect_header:
                raise Unreadable(f"header row: {exc}") from None
            yield _rejected(feeder, f"malformed row: {exc}")
            continue
        if feeder.bad is not None and strict:
            if expect_header:
                raise Unreadable(f"header row: {feeder.bad.reason}")
            yield _rejected(feeder, feeder.bad.reason)
            continue
        if not row:
            continue  # a blank line is not a record
        if expect_header:
            expect_header = False
            names = names or _header(row)
            continue
        assert names is not None  # noqa: S101 - config demands fieldnames without a header
        if len(row) != len(names):
            yield _rejected(feeder, f"row has {len(row)} fields; expected {len(names)}")
            continue
        yield Parsed(
            feeder.first, feeder.last, bytes(feeder.raw), values=dict(zip(names, row, strict=True))
        )


def _header(row: list[str]) -> list[str]:
    names = [name.strip() for name in row]
    if names and names[0].startswith("\ufeff"):
        names[0] = names[0][1:]  # a byte order mark read as utf-8
    if any(not name for name in names):
        raise Unreadable("header row has an empty field name")
    if len(set(names)) != len(names):
        raise Unreadable(f"header row repeats a field name: {row!r}")
    return names


def _rejected(feeder: _Feeder, reason: str) -> Parsed:
    return Parsed(feeder.first, feeder.last, bytes(feeder.raw), reason=reason)
