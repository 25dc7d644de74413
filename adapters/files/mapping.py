"""The file kinds' own conversions: events to CSV cells, safely, and to fixed-width records.

Reading needs no conversion beyond the parsers: a CSV row or a fixed-width record is already
the flat ``{field: value}`` dict the declarative ``Mapper`` consumes. Writing turns an event's
data (its JSON form) into the cells of one CSV row or the text of one fixed-width record.

CSV cells are neutralised against formula injection as OWASP recommends: a cell starting with
``=``, ``+``, ``-``, ``@``, a tab or a carriage return would be run as a formula by a spreadsheet
that opens the batch file, so it is prefixed with ``'``. The cost is that a negative number
written as text (``-5``) becomes ``'-5``; columns a spreadsheet must read as numbers should
come from int or decimal fields, which are written unprefixed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any, Final

from adapters.files.config import CsvColumn
from adapters.files.fixed_width import lookup

FORMULA_STARTS: Final = ("=", "+", "-", "@", "\t", "\r")


def neutralise(cell: str) -> str:
    """``cell`` made safe to open in a spreadsheet: formula triggers get a leading ``'``."""
    return "'" + cell if cell.startswith(FORMULA_STARTS) else cell


def csv_cells(data: Mapping[str, Any], columns: Sequence[CsvColumn]) -> list[str]:
    """One CSV row from event ``data`` (JSON form): a cell per column, neutralised text."""
    return [_cell(lookup(data, column.path)) for column in columns]


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float | Decimal):
        return str(value)  # a number is data, even a negative one: no formula risk
    if isinstance(value, Mapping | list):
        raise TypeError("a CSV cell needs a single value, not an object or list")
    return neutralise(str(value))


def position(file_name: str, line: int) -> str:
    """Where a record sits, as rejections report it."""
    return f"file {file_name} line {line}"
