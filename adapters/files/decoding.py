"""Bytes to text one line at a time, so one undecodable byte spoils one record, not a file.

A line that is valid in the file's encoding decodes as usual (the fast path). A line that is
not is decoded with each bad byte replaced by U+FFFD, so the parser still finds the record's
end (a quoted CSV field may span lines: decoding a whole file or giving up mid-record would lose
track of where the next record starts). The first bad bytes of the record are kept as a
:class:`BadBytes`; with ``encoding_errors = "strict"`` the parser rejects the record with
``BadBytes.reason``, with ``"replace"`` it publishes the replaced text.

Bytes shown in a reason are escaped as Python writes bytes (``\\xe9``, ``\\r``, ``\\\\``) and cut to
a few dozen, so a reason is always short printable ASCII, whatever the file held.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

SHOWN_BYTES: Final = 32  # the most bytes a reason shows of a record
CONTEXT_BYTES: Final = 12  # bytes shown either side of the bad ones


def escaped(data: bytes, *, limit: int = SHOWN_BYTES) -> str:
    """``data`` as printable ASCII (``Jos\\xe9``), cut to ``limit`` bytes with ``...``."""
    shown = repr(data[:limit])[2:-1]  # b'...': the escapes without the quotes
    return shown + ("..." if len(data) > limit else "")


@dataclass(frozen=True, slots=True)
class BadBytes:
    """Where a line stops being valid text: its ``line``, the byte ``column`` and the bytes."""

    line: int
    column: int  # 1-based byte position in the line
    data: bytes  # the bytes the codec could not decode
    around: bytes  # the bad bytes with up to CONTEXT_BYTES either side
    encoding: str
    why: str  # the codec's own words, e.g. "invalid continuation byte"

    @property
    def reason(self) -> str:
        """One line for the dead-letter headers: where, which bytes, and the bytes around them."""
        return (
            f"not valid {self.encoding} text at line {self.line} byte {self.column}: "
            f"{escaped(self.data)} ({self.why}) in {escaped(self.around)}"
        )


def decode_line(data: bytes, *, number: int, encoding: str) -> tuple[str, BadBytes | None]:
    """The text of line ``number``, with U+FFFD for bad bytes, and the first bad bytes if any."""
    try:
        return data.decode(encoding), None
    except UnicodeDecodeError as exc:
        start = max(0, exc.start - CONTEXT_BYTES)
        bad = BadBytes(
            line=number,
            column=exc.start + 1,
            data=data[exc.start : exc.end],
            around=data[start : exc.end + CONTEXT_BYTES],
            encoding=encoding,
            why=exc.reason,
        )
        return data.decode(encoding, errors="replace"), bad
