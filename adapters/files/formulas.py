"""Formula injection checked where file data enters the bus, on the event as mapped.

A spreadsheet runs a cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage
return as a formula (OWASP, CSV injection); ``=HYPERLINK(...)`` or ``+cmd|' /C calc'!A0`` in a
name field is an attack on whoever opens an export of it later, in any system the event
reaches. So a file source checks each event's **text** fields before it publishes: a contract
field that is a number or a date holds a number or a date, so ``-5`` there is never a formula;
and a text value that is only a number (``-5``, ``+447700900123``) is not one either, since a
spreadsheet reads it as that number. Constants from the mapping are the deployment's own text
and fields listed in ``formula_cells_exempt`` are not checked.

What happens to a record with a formula cell is the source's ``formula_cells`` setting:
``reject`` returns a reason naming the column and line (the record goes to the dead-letter
topic), ``flag`` publishes it, counts it and logs a warning that never includes the value.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Final

from pydantic import BaseModel

from adapters.files.config import FormulaCells
from adapters.files.mapping import FORMULA_STARTS
from bus.adapter_runtime.mapping import FieldRule, MappingConfig, template_fields
from bus.foundation import metrics

log = logging.getLogger(__name__)
# The first characters of a legacy value that may become a text field starting with a
# trigger: the mapper strips leading white space, so white space may hide one behind it.
_SIGNS: Final = frozenset("=+-@")
_PLAIN_NUMBER: Final = re.compile(r"[+-]?[0-9]+(?:\.[0-9]+)?")
_NAMES: Final = {"\t": "a tab", "\r": "a carriage return"}


@dataclass(frozen=True, slots=True)
class FormulaCell:
    """A text field of an event that a spreadsheet would run as a formula."""

    field: str  # dotted path in the contract, e.g. holder.family_name
    columns: tuple[str, ...]  # the legacy columns it was made from, as the mapping says
    trigger: str  # its first character

    def describe(self) -> str:
        """Where the formula is and how it starts, never the value itself."""
        columns = ", ".join(self.columns)
        where = f"column {columns} (field {self.field})" if columns else f"field {self.field}"
        start = _NAMES.get(self.trigger, repr(self.trigger))
        return f"{where} starts with {start}"


def formula_cells(event: BaseModel, *, exempt: Collection[str] = ()) -> list[FormulaCell]:
    """The text fields of ``event`` that start like a formula; ``exempt`` paths are skipped."""
    return [
        FormulaCell(field=path, columns=(), trigger=text[0])
        for path, text in _texts(event, "")
        if path not in exempt
        and text.startswith(FORMULA_STARTS)
        and not _PLAIN_NUMBER.fullmatch(text)
    ]


def _texts(value: Any, path: str) -> Iterator[tuple[str, str]]:
    """Every text value inside ``value`` with its dotted path (list positions left out)."""
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, BaseModel):
        for name in type(value).model_fields:
            yield from _texts(getattr(value, name), f"{path}.{name}" if path else name)
    elif isinstance(value, Mapping):
        for key, item in value.items():
            yield from _texts(item, f"{path}.{key}" if path else str(key))
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _texts(item, path)


class FormulaCheck:
    """Checks the events one source maps from ``mapping``; ``mode`` is reject or flag."""

    def __init__(
        self,
        mapping: MappingConfig,
        *,
        adapter: str,
        mode: FormulaCells,
        exempt: Collection[str] = (),
    ) -> None:
        self.mode = mode
        rules = {
            target: rule if isinstance(rule, FieldRule) else FieldRule(source=rule)
            for target, rule in mapping.fields.items()
        }
        self._columns = {target: _columns(rule) for target, rule in rules.items()}
        constants = {target for target, rule in rules.items() if _columns(rule) == ()}
        self._exempt = frozenset(exempt) | constants
        # A mapping function may build text from anything, so its events are always walked.
        self._always = mapping.function is not None
        self._counted = metrics.ADAPTER_FORMULA_CELLS.labels(adapter, "flagged")
        self._rejected = metrics.ADAPTER_FORMULA_CELLS.labels(adapter, "rejected")
        self._adapter = adapter

    def check(self, values: Mapping[str, Any], event: BaseModel, *, where: str) -> str | None:
        """The reason to reject the record at ``where``, or ``None`` to publish it.

        ``values`` are the legacy record's: when none of them could start a formula the
        event is not walked at all, which keeps the check off the hot path.
        """
        if not self._always and not _may_hold_formula(values):
            return None
        found = [
            FormulaCell(cell.field, self._columns.get(cell.field, ()), cell.trigger)
            for cell in formula_cells(event, exempt=self._exempt)
        ]
        if not found:
            return None
        cells = "; ".join(cell.describe() for cell in found)
        if self.mode == "reject":
            self._rejected.inc()
            return f"formula cell at {where}: {cells}, which a spreadsheet would run"
        self._counted.inc()
        log.warning(
            "adapter %s: formula cell at %s: %s; published (formula_cells = flag)",
            self._adapter, where, cells,
        )  # fmt: skip
        return None


def _may_hold_formula(values: Mapping[str, Any]) -> bool:
    """Whether a legacy value starts with a sign or white space (a loop: called per record)."""
    for value in values.values():
        if type(value) is str:
            first = value[:1]
            if first in _SIGNS or first.isspace():
                return True
    return False


def _columns(rule: FieldRule) -> tuple[str, ...]:
    if rule.source is not None:
        return (rule.source,)
    if rule.template is not None:
        return template_fields(rule.template)
    return ()
