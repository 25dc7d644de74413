"""Dead letters shown to operators and exported for clerks: both kinds, escaped and bounded."""

from __future__ import annotations

import csv
import io

import pytest
from aiokafka.structs import ConsumerRecord

from bus.cli.dead_letters import MAX_RECORD_SHOWN, DeadLetter, readable
from bus.cli.dlq import CSV_COLUMNS, MAX_CSV_CELL, csv_row, write_csv
from bus.cli.safe_text import printable, spreadsheet_cell
from bus.messaging.dead_letter import (
    ADAPTER,
    ERROR_CLASS,
    ERROR_MESSAGE,
    POSITION,
    STAGE,
    TIME,
    Failure,
    dead_letter_headers,
)


def _record(value: bytes, headers: list[tuple[str, bytes]], key: bytes | None = None) -> object:
    return ConsumerRecord(
        topic="govbus.adapter.badges.dlq", partition=0, offset=3, timestamp=0, timestamp_type=0,
        key=key, value=value, checksum=None, serialized_key_size=0,
        serialized_value_size=len(value), headers=headers,
    )  # fmt: skip


def _reject(raw: bytes, *, reason: str = "issued_on: not a date") -> DeadLetter:
    headers = [
        (ERROR_CLASS, b"MappingError"),
        (ERROR_MESSAGE, reason.encode()),
        (STAGE, b"mapping"),
        (POSITION, b"file badges.csv line 7"),
        (ADAPTER, b"council-badges"),
        (TIME, b"2026-03-01T09:00:00+00:00"),
    ]
    return DeadLetter.of(_record(raw, headers, key=b"badges.csv/7"))


def test_a_source_reject_shows_adapter_position_stage_reason_and_raw_record() -> None:
    """Not ``?[None]@None``: the file and line, the adapter, why, and the row itself."""
    letter = _reject(b"BB-0042,Jane Doe,31/02/2026\r\n")
    shown = readable(letter)
    assert "?[None]@None" not in shown
    assert shown.startswith("--- file badges.csv line 7  (dead letter 0@3)")
    assert "adapter   council-badges" in shown
    assert "stage     mapping" in shown
    assert "error     MappingError: issued_on: not a date" in shown
    assert "record    BB-0042,Jane Doe,31/02/2026" in shown
    summary = letter.summary()
    assert (summary["kind"], summary["adapter"], summary["position"]) == (
        "source_reject", "council-badges", "file badges.csv line 7",
    )  # fmt: skip
    assert summary["identity"] == "badges.csv/7"
    assert summary["record_bytes"] == 29


@pytest.mark.parametrize(
    ("raw", "hidden"),
    [
        (b"name,\x1b[2J\x1b[31mred\r\n", "\x1b"),  # ANSI: clear screen, colour
        ("tot\u202egnp.exe,\u200b".encode(), "\u202e"),  # bidi override, zero-width space
        (b"caf\xe9,\x00,\x07", "\x00"),  # Latin-1 byte, NUL, bell
    ],
)
def test_a_hostile_raw_record_is_shown_escaped(raw: bytes, hidden: str) -> None:
    """Control characters, escapes and bidi overrides are shown as ``\\x..``, never sent."""
    shown = readable(_reject(raw, reason="bad\x1b]0;title\x07 row"))
    assert hidden not in shown
    assert not any(c in shown for c in ("\x1b", "\u200b", "\x07"))
    assert "\\x1b]0;title\\x07" in shown


def test_a_latin1_byte_stays_visible_instead_of_being_replaced() -> None:
    """The byte a clerk must fix is shown as ``\\xe9``, not as a replacement character."""
    assert "record    caf\\xe9,ok" in readable(_reject(b"caf\xe9,ok\n"))


def test_a_huge_row_is_cut_on_the_terminal_with_a_note() -> None:
    """A megabyte row shows its start and how much more there is."""
    shown = readable(_reject(b"x" * 1_000_000))
    assert len(shown) < MAX_RECORD_SHOWN + 1000
    assert f"({1_000_000 - MAX_RECORD_SHOWN} more characters)" in shown


def test_a_subscriber_dead_letter_shows_its_origin_subscriber_stage_and_reason() -> None:
    """Original topic, partition and offset, who dead-lettered it, at which stage, and why."""
    headers = dead_letter_headers(
        [("ce_id", b"ev-1")], topic="gro.death-registered.v1", partition=2, offset=40,
        failure=Failure("handler", ValueError("pensions said no"), attempts=5),
        subscriber="dwp-pensions.stop",
    )  # fmt: skip
    letter = DeadLetter.of(_record(b"{}", headers))
    shown = readable(letter, replayed=True)
    assert shown.startswith("--- gro.death-registered.v1[2]@40  (dead letter 0@3)")
    assert "by        dwp-pensions.stop" in shown
    assert "stage     handler" in shown
    assert "error     ValueError: pensions said no" in shown
    assert "replayed  yes" in shown
    assert letter.summary()["kind"] == "subscriber"


@pytest.mark.parametrize("cell", ['=HYPERLINK("http://x")', "+1", "-2+3", "@SUM(A1)", " =1"])
def test_a_cell_a_spreadsheet_would_run_starts_with_a_quote(cell: str) -> None:
    """Formula triggers, also after leading spaces, are neutralised with a leading quote."""
    assert spreadsheet_cell(cell) == "'" + cell


def test_plain_cells_are_left_as_they_are() -> None:
    """Names, dates and positions that start with letters or digits are unchanged."""
    assert spreadsheet_cell("Jane Doe") == "Jane Doe"
    assert spreadsheet_cell("2026-03-01") == "2026-03-01"


def test_the_csv_export_has_one_safe_row_per_dead_letter() -> None:
    """Position, reason, stage and the raw record first; formulas and escapes neutralised."""
    letters = [
        _reject(b'BB-1,"=HYPERLINK(""http://evil"")",01/01/2026\r\n', reason="=cmd|' /C calc'!A0"),
        _reject(b"BB-2,\x1b[31mred," + b"y" * 100_000),
    ]
    out = io.StringIO()
    write_csv(letters, out)
    header, first, second = list(csv.reader(io.StringIO(out.getvalue())))
    assert tuple(header) == CSV_COLUMNS
    row = dict(zip(header, first, strict=True))
    assert row["position"] == "file badges.csv line 7"
    assert row["reason"] == "'=cmd|' /C calc'!A0"
    assert row["stage"] == "mapping"
    assert row["record"] == 'BB-1,"=HYPERLINK(""http://evil"")",01/01/2026'
    assert row["adapter"] == "council-badges"
    assert row["dead_letter"] == "0@3"
    record = dict(zip(header, second, strict=True))["record"]
    assert record.startswith("BB-2,\\x1b[31mred,yyy")
    assert len(record) < MAX_CSV_CELL + 100
    assert all(not cell.startswith(("=", "+", "-", "@")) for cell in first + second)


def test_a_raw_record_starting_with_a_formula_is_neutralised() -> None:
    """A row whose first cell is a formula cannot run when the export is opened."""
    (cell,) = [c for c in csv_row(_reject(b"=1+1,x")) if "1+1" in c]
    assert cell == "'=1+1,x"


def test_printable_can_escape_newlines_for_one_line_fields() -> None:
    """A reason with a newline cannot forge a second line of output."""
    assert printable("a\nb", keep_newlines=False) == "a\\x0ab"
