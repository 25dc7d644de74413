"""One bad byte rejects one row: per-record decoding, legacy encodings and encoding_errors."""

from __future__ import annotations

import ast

import pytest
from pydantic import ValidationError

from adapters.files.config import CsvConfig, FixedWidthConfig
from adapters.files.decoding import escaped
from tests.integration.adapters.files.folders import (
    LAYOUT,
    csv_bytes,
    drop,
    fixed_width_record,
    row,
)
from tests.unit.adapters.files.test_drop_folder import (
    HEADER,
    csv_folder,
    fw_folder,
    good,
    read_all,
    refs,
    rejections,
)

LATIN1_ROW = b"ODUYA407191JE9AB,Jos\xe9,Oduya,05/03/2025,death-of-holder,TUO-%d\r\n"


async def test_a_latin1_byte_in_a_utf8_file_rejects_only_its_row(tmp_path):
    """Of 50 rows, the one with a Latin-1 byte is rejected at its line; the other 49 publish."""
    source = csv_folder(tmp_path)
    rows = [good(n) for n in range(1, 51)]
    rows[29] = LATIN1_ROW % 30
    source_file = HEADER + b"".join(rows)
    drop(source._config.folder, "badges.csv", source_file)
    records = await read_all(source)
    assert refs(records) == [f"TUO-{n}" for n in range(1, 51) if n != 30]
    ((where, reason),) = rejections(records)
    assert where == "file badges.csv line 31"
    assert reason.startswith("not valid utf-8 text at line 31 byte 21: \\xe9 (")
    (rejected,) = [r for r in records if r.rejection]
    assert rejected.rejection is not None
    assert rejected.rejection.raw == LATIN1_ROW % 30
    assert rejected.rejection.stage == "mapping"
    assert (source._config.folder / "done" / "badges.csv").exists()


async def test_a_bad_byte_in_a_quoted_field_spanning_lines_rejects_that_record_alone(tmp_path):
    """A bad byte on a record's second line rejects the record; the next keeps its own line."""
    source = csv_folder(tmp_path)
    spanning = b'ODUYA407191JE9AB,"Joseph\r\nEm\xffeka",Oduya,05/03/2025,death-of-holder,TUO-2\r\n'
    drop(source._config.folder, "a.csv", HEADER + good(1) + spanning + good(3) + good(4))
    records = await read_all(source)
    assert refs(records) == ["TUO-1", "TUO-3", "TUO-4"]
    ((where, reason),) = rejections(records)
    assert where == "file a.csv line 3"
    assert "at line 4 byte 3: \\xff" in reason
    assert [(r.identity, r.offset) for r in records] == [
        ("a.csv/2", {"line": 2}),
        ("a.csv/3", {"line": 4}),
        ("a.csv/5", {"line": 5}),
        ("a.csv/6", {"line": 6}),
    ]


async def test_after_a_restart_a_bad_row_before_the_stored_offset_is_not_rejected_again(tmp_path):
    """Resumed after line 3 (the bad row included), only later rows are read, with their ids."""
    source = csv_folder(tmp_path)
    drop(source._config.folder, "a.csv", HEADER + good(1) + LATIN1_ROW % 2 + good(3) + good(4))
    records = await read_all(source, {("inbox", "a.csv"): {"line": 3}})
    assert rejections(records) == []
    assert [r.identity for r in records] == ["a.csv/4", "a.csv/5"]


async def test_with_encoding_errors_replace_the_row_is_published_with_the_replacement_sign(
    tmp_path,
):
    """encoding_errors = "replace" publishes the row, the bad byte shown as U+FFFD."""
    source = csv_folder(tmp_path, encoding_errors="replace")
    drop(source._config.folder, "a.csv", HEADER + good(1) + LATIN1_ROW % 2)
    records = await read_all(source)
    assert rejections(records) == []
    assert [r.event.holder.given_names for r in records] == ["Joseph", "Jos\ufffd"]  # type: ignore[union-attr]


async def test_a_windows_1252_export_reads_its_pound_sign_and_curly_quotes(tmp_path):
    """With encoding cp1252, bytes 0xA3 and 0x92 read as the pound sign and apostrophe."""
    source = csv_folder(tmp_path, encoding="cp1252")
    named = b"ODUYA407191JE9AB,Jos\xe9 \xa35,O\x92Duya,05/03/2025,death-of-holder,TUO-1\r\n"
    drop(source._config.folder, "a.csv", HEADER + named)
    (record,) = await read_all(source)
    assert record.event is not None
    assert record.event.holder.given_names == "José £5"  # type: ignore[attr-defined]
    assert record.event.holder.family_name == "O\u2019Duya"  # type: ignore[attr-defined]


async def test_a_byte_windows_1252_leaves_undefined_rejects_its_row(tmp_path):
    """0x81 has no character in cp1252: that row is rejected naming cp1252, the next flows."""
    source = csv_folder(tmp_path, encoding="cp1252")
    drop(
        source._config.folder,
        "a.csv",
        HEADER + (LATIN1_ROW % 1).replace(b"\xe9", b"\x81") + good(2),
    )
    records = await read_all(source)
    assert refs(records) == ["TUO-2"]
    ((_, reason),) = rejections(records)
    assert reason.startswith("not valid cp1252 text at line 2 byte 21: \\x81")


async def test_utf8_sig_drops_the_byte_order_mark_of_a_file_without_a_header(tmp_path):
    """With utf-8-sig, a BOM before the first row is not part of its first value."""
    source = csv_folder(
        tmp_path,
        encoding="utf-8-sig",
        header=False,
        fieldnames=["driver_number", "given_names", "family_name", "cancelled_on", "reason", "ref"],
    )
    drop(source._config.folder, "a.csv", b"\xef\xbb\xbf" + csv_bytes([row(1)], header=False))
    (record,) = await read_all(source)
    assert record.event is not None
    assert record.event.driver_number == "ODUYA407191JE9AB"  # type: ignore[attr-defined]


async def test_a_fixed_width_record_with_a_byte_outside_ascii_is_rejected_alone(tmp_path):
    """Line-separated ASCII records: the one holding 0xA3 is rejected at its line."""
    source = fw_folder(tmp_path, separator="newline", encoding="ascii")
    lines = [fixed_width_record(row(n)).encode("ascii") for n in (1, 2, 3)]
    lines[1] = lines[1].replace(b"Oduya", b"Od\xa3ya")
    drop(source._config.folder, "a.dat", b"\n".join(lines) + b"\n")
    records = await read_all(source)
    assert refs(records) == ["TUO-1", "TUO-3"]
    ((where, reason),) = rejections(records)
    assert where == "file a.dat line 2"
    assert reason.startswith("not valid ascii text at line 2 byte 20: \\xa3")


async def test_the_bytes_a_reason_shows_are_escaped_and_bounded(tmp_path):
    """Control and non-text bytes appear as escapes; a long run of them is cut short."""
    source = csv_folder(tmp_path)
    hostile = b"ODUYA407191JE9AB,\x1b[31m" + b"\xff" * 5000 + b",Oduya,05/03/2025,x,TUO-1\r\n"
    drop(source._config.folder, "a.csv", HEADER + hostile + good(2))
    records = await read_all(source)
    assert refs(records) == ["TUO-2"]
    ((_, reason),) = rejections(records)
    assert reason.isascii()
    assert reason.isprintable()
    assert "\\x1b[31m\\xff" in reason
    assert len(reason) < 300


def test_escaped_bytes_round_trip_to_what_the_file_held():
    """What a reason shows of bytes is Python's own escaping, so it reads back exactly."""
    data = b'say "x" \\ \xe9\r\n\x00'
    assert ast.literal_eval("b'" + escaped(data) + "'") == data
    assert escaped(b"x" * 40) == "x" * 32 + "..."


@pytest.mark.parametrize(
    "encoding",
    ["utf-8", "UTF8", "utf-8-sig", "cp1252", "windows-1252", "latin-1", "latin1", "iso-8859-15",
     "ascii", "cp850", "cp437", "cp500", "cp037", "cp1140"],
)  # fmt: skip
def test_the_common_legacy_encodings_and_their_usual_names_are_accepted(tmp_path, encoding):
    """Each supported encoding validates under the names exports and mainframes give it."""
    assert CsvConfig(folder=tmp_path, encoding=encoding).encoding == encoding


@pytest.mark.parametrize("encoding", ["klingon", "utf-16", "utf-32", "shift_jis", "rot13", ""])
def test_an_unknown_or_unsupported_encoding_is_a_config_error_listing_the_choices(
    tmp_path, encoding
):
    """An encoding outside the list fails validation naming it and the encodings that work."""
    with pytest.raises(ValidationError) as caught:
        CsvConfig(folder=tmp_path, encoding=encoding)
    message = str(caught.value)
    assert f"unknown encoding {encoding!r}" in message
    assert "utf-8, utf-8-sig, ascii, latin-1" in message
    assert "cp1252" in message


def test_encoding_errors_takes_only_strict_or_replace(tmp_path):
    """encoding_errors = "ignore" (which would drop bytes silently) is refused."""
    with pytest.raises(ValidationError, match="encoding_errors"):
        FixedWidthConfig(
            folder=tmp_path, record_length=121, layout=LAYOUT, encoding_errors="ignore"
        )
