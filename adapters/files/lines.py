"""Reading files safely: whole-file checks, and records split with a bound on their size.

A file is checked once before any of it is published (``inspect_file``): too large, binary (a
NUL byte), or a fixed-length file whose size is not a whole number of records means it cannot
be read at all and goes to quarantine. Records are then split from the bytes with a size bound,
so one enormous line is skipped to its end and reported, never held in memory whole. Text is
decoded per record by the parsers (``decoding.py``): bytes that are not valid in the file's
encoding spoil their record only, not the file.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

CHUNK = 1 << 16
RAW_KEPT = 4096  # bytes of an oversized record kept for its rejection


@dataclass(frozen=True, slots=True)
class Line:
    """One record's bytes as split from the file, numbered from 1.

    ``data`` includes the separator if there was one; an ``oversized`` line keeps only its
    first ``RAW_KEPT`` bytes.
    """

    number: int
    data: bytes
    oversized: bool = False


def split_lines(stream: BinaryIO, *, separator: bytes, limit: int) -> Iterator[Line]:
    """Lines of ``stream`` split after ``separator``; a line longer than ``limit`` is cut."""
    buffer = b""
    number = 0
    skipping: bytearray | None = None  # the kept head of an oversized line being skipped
    while True:
        chunk = stream.read(CHUNK)
        buffer += chunk
        start = 0
        while True:
            end = buffer.find(separator, start)
            if end < 0:
                break
            piece = buffer[start : end + 1]
            start = end + 1
            number += 1
            if skipping is not None:
                yield Line(number, bytes(skipping), oversized=True)
                skipping = None
            elif len(piece) > limit:
                yield Line(number, piece[:RAW_KEPT], oversized=True)
            else:
                yield Line(number, piece)
        buffer = buffer[start:]
        if skipping is None and len(buffer) > limit:
            skipping = bytearray(buffer[:RAW_KEPT])
        if skipping is not None:
            buffer = b""  # the rest of this line is dropped unread, by design
        if not chunk:
            if skipping is not None:
                yield Line(number + 1, bytes(skipping), oversized=True)
            elif buffer:
                yield Line(number + 1, buffer)
            return


def fixed_records(stream: BinaryIO, *, length: int) -> Iterator[Line]:
    """Records of exactly ``length`` bytes back to back (the last may be short)."""
    number = 0
    while data := stream.read(length):
        number += 1
        yield Line(number, data)


def inspect_file(
    path: Path,
    *,
    max_bytes: int,
    record_length: int | None = None,
    needs_content: bool = False,
) -> str | None:
    """Why the file cannot be read at all, or ``None`` if it can.

    ``record_length`` is given for back-to-back fixed-length records; ``needs_content`` says an
    empty file is unreadable (a CSV whose header row is missing).
    """
    size = path.stat().st_size
    if size > max_bytes:
        return f"file is {size} bytes; the limit is {max_bytes}"
    if size == 0 and needs_content:
        return "file is empty: the header row is missing"
    if record_length is not None and size % record_length:
        return (
            f"file is truncated: {size} bytes is not a whole number of {record_length}-byte records"
        )
    position = 0
    with path.open("rb") as stream:
        while chunk := stream.read(CHUNK):
            # NUL is 0x00 in every encoding allowed (config.ENCODINGS), and never in text.
            nul = chunk.find(b"\0")
            if nul >= 0:
                return f"binary content: a NUL byte at byte {position + nul}"
            position += len(chunk)
    return None
