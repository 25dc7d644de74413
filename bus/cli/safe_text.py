"""Untrusted text made safe to show: on a terminal, and in a CSV file a clerk opens.

Record contents come from legacy systems and other organisations. An escape sequence in a
header must not drive the terminal, a right-to-left override must not reorder what an operator
reads, a megabyte row must not flood the screen, and a cell starting with ``=`` must not run as
a formula when a spreadsheet opens the export.
"""

from __future__ import annotations

# As OWASP recommends for CSV injection: a spreadsheet runs a cell starting with one of these.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def printable(text: str, *, keep_newlines: bool = True) -> str:
    """``text`` with control, bidi and other invisible characters escaped (``\\x1b``, ``\\u202e``).

    Newlines are kept unless ``keep_newlines`` is false; every other character that is not
    printable is escaped, so the result cannot move the cursor or reorder the line.
    """
    return "".join(
        c if c.isprintable() or (keep_newlines and c == "\n") else _escape(c) for c in text
    )


def _escape(character: str) -> str:
    code = ord(character)
    if code < 0x100:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def bounded(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters, saying how many more there were."""
    if len(text) <= limit:
        return text
    return text[:limit] + f" ... ({len(text) - limit} more characters)"


def raw_text(raw: bytes | None) -> str:
    """Raw bytes as text: UTF-8 where valid, other bytes as ``\\xNN``; one line end removed.

    A legacy row in another encoding (a Latin-1 ``\\xe9``) stays visible instead of being
    replaced or dropped.
    """
    if raw is None:
        return ""
    text = raw.decode("utf-8", "backslashreplace")
    return text.removesuffix("\n").removesuffix("\r")


def spreadsheet_cell(text: str) -> str:
    """``text`` safe for a spreadsheet cell: a formula trigger at the start gets a leading ``'``.

    Leading spaces do not hide a trigger, since some spreadsheets skip them.
    """
    return "'" + text if text.lstrip(" ").startswith(FORMULA_STARTS) else text
