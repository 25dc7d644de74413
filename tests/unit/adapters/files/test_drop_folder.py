"""The drop-folder source read directly (no Kafka): bad input, quarantine, resume, pick-up."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Any

import pytest

from adapters.files import csv_source, fixed_width_source
from adapters.files.config import FixedWidthField
from bus.adapter_runtime.mapping import Mapper
from bus.adapter_runtime.plugins import SourceContext
from bus.adapter_runtime.source import SourceRecord
from bus.foundation.errors import EndOfInput, NotConnected
from tests.integration.adapters.files.folders import (
    LAYOUT,
    RECORD_LENGTH,
    Unplug,
    csv_bytes,
    csv_config,
    drop,
    fixed_width_config,
    fixed_width_record,
    mapping,
    row,
)

HEADER = b"driver_number,given_names,family_name,cancelled_on,reason,ref\r\n"
GOOD = b"ODUYA407191JE9AB,Joseph,Oduya,05/03/2025,death-of-holder,TUO-%d\r\n"


def good(number: int) -> bytes:
    return GOOD % number


def csv_folder(tmp_path: Path, **changes: Any) -> Any:
    inbox = tmp_path / "inbox"
    inbox.mkdir(exist_ok=True)
    context = SourceContext(name="t", mapper=Mapper(mapping("csv")))
    return csv_source(csv_config(inbox, **changes), context)


def fw_folder(tmp_path: Path, **changes: Any) -> Any:
    inbox = tmp_path / "inbox"
    inbox.mkdir(exist_ok=True)
    context = SourceContext(name="t", mapper=Mapper(mapping("fixed-width")))
    return fixed_width_source(fixed_width_config(inbox, **changes), context)


async def read_all(source: Any, resume: dict[Any, Any] | None = None) -> list[SourceRecord]:
    """Open, read until nothing more comes, committing each batch as the runner would."""
    await source.open(resume or {})
    records: list[SourceRecord] = []
    while batch := await source.read():
        records += batch
        last: dict[Any, Any] = {}
        for record in batch:
            last[record.partition] = record.offset
        for partition, offset in last.items():
            await source.committed(partition, offset)
    await source.close()
    return records


def refs(records: list[SourceRecord]) -> list[str]:
    return [r.event.tell_us_once_reference for r in records if r.event is not None]  # type: ignore[attr-defined]


def rejections(records: list[SourceRecord]) -> list[tuple[str, str]]:
    return [(r.rejection.position, r.rejection.reason) for r in records if r.rejection]


async def test_a_row_with_bad_quoting_is_rejected_with_its_line_and_the_rest_flow(tmp_path):
    """Text after a closing quote ("Jo"seph) rejects that row only, at its line."""
    source = csv_folder(tmp_path)
    bad = b'ODUYA407191JE9AB,"Jo"seph,Oduya,05/03/2025,death-of-holder,TUO-9\r\n'
    drop(source._config.folder, "a.csv", HEADER + good(1) + bad + good(2))
    records = await read_all(source)
    assert refs(records) == ["TUO-1", "TUO-2"]
    ((where, reason),) = rejections(records)
    assert where == "file a.csv line 3"
    assert "malformed row" in reason


async def test_a_row_with_the_wrong_number_of_fields_is_rejected(tmp_path):
    """A row with a field missing is rejected saying how many fields it had."""
    source = csv_folder(tmp_path)
    drop(source._config.folder, "a.csv", HEADER + b"ODUYA407191JE9AB,Joseph,Oduya\r\n" + good(1))
    records = await read_all(source)
    assert refs(records) == ["TUO-1"]
    assert rejections(records) == [("file a.csv line 2", "row has 3 fields; expected 6")]


async def test_a_wrong_type_or_missing_value_is_a_mapping_rejection_naming_the_field(tmp_path):
    """An impossible date and an empty required name are rejected naming the contract field."""
    source = csv_folder(tmp_path)
    wrong_date = b"ODUYA407191JE9AB,Joseph,Oduya,31/02/2025,death-of-holder,TUO-7\r\n"
    no_name = b"ODUYA407191JE9AB,Joseph,,05/03/2025,death-of-holder,TUO-8\r\n"
    drop(source._config.folder, "a.csv", HEADER + wrong_date + no_name + good(1))
    records = await read_all(source)
    assert refs(records) == ["TUO-1"]
    (date_line, date_reason), (name_line, name_reason) = rejections(records)
    assert (date_line, name_line) == ("file a.csv line 2", "file a.csv line 3")
    assert "cancelled_on" in date_reason
    assert "family_name" in name_reason


async def test_a_huge_row_is_rejected_without_being_held_whole(tmp_path):
    """A 2 MB line is rejected with only its first bytes kept; the next row still flows."""
    source = csv_folder(tmp_path, max_record_bytes=4096)
    huge = b"ODUYA407191JE9AB," + b"x" * 2_000_000 + b",Oduya,05/03/2025,death-of-holder,TUO-3\r\n"
    drop(source._config.folder, "a.csv", HEADER + good(1) + huge + good(2))
    records = await read_all(source)
    assert refs(records) == ["TUO-1", "TUO-2"]
    (rejected,) = [r.rejection for r in records if r.rejection]
    assert rejected.position == "file a.csv line 3"
    assert "larger than 4096 bytes" in rejected.reason
    assert len(rejected.raw) <= 4096


async def test_an_unclosed_quote_at_the_end_of_a_truncated_file_is_rejected(tmp_path):
    """A file cut off inside a quoted field rejects its last row; earlier rows publish."""
    source = csv_folder(tmp_path)
    drop(source._config.folder, "a.csv", HEADER + good(1) + b'ODUYA407191JE9AB,"Jos')
    records = await read_all(source)
    assert refs(records) == ["TUO-1"]
    ((where, reason),) = rejections(records)
    assert where == "file a.csv line 3"
    assert "malformed row" in reason


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"driver_number,given_n\xe4mes,family_name\r\n", "header row: not valid utf-8"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary content"),
        (b"", "file is empty"),
        (b"ref,ref\r\nTUO-1,TUO-2\r\n", "repeats a field name"),
    ],
    ids=["header-not-utf8", "binary", "empty", "duplicate-header"],
)
async def test_an_unreadable_file_is_quarantined_with_its_reason(tmp_path, content, reason):
    """Files that cannot be read at all go to quarantine/ with a reason file; one rejection."""
    source = csv_folder(tmp_path)
    drop(source._config.folder, "a.csv", content)
    records = await read_all(source)
    ((where, said),) = rejections(records)
    assert where == "file a.csv"
    assert reason in said
    quarantine = source._config.folder / "quarantine"
    assert (quarantine / "a.csv").read_bytes() == content
    assert reason in (quarantine / "a.csv.reason.txt").read_text()
    assert not (source._config.folder / "a.csv").exists()


async def test_a_file_over_the_size_limit_is_quarantined_unread(tmp_path):
    """A file larger than max_file_bytes is quarantined, naming the limit."""
    source = csv_folder(tmp_path, max_file_bytes=100)
    drop(source._config.folder, "a.csv", HEADER + good(1) + good(2))
    records = await read_all(source)
    assert rejections(records) == [("file a.csv", rejections(records)[0][1])]
    assert "the limit is 100" in rejections(records)[0][1]


async def test_a_header_only_file_publishes_nothing_and_is_done(tmp_path):
    """A file with a header and no rows is finished: moved to done/, nothing published."""
    source = csv_folder(tmp_path)
    drop(source._config.folder, "a.csv", HEADER)
    assert await read_all(source) == []
    assert (source._config.folder / "done" / "a.csv").exists()


async def test_files_are_read_in_name_order_and_move_to_done_only_when_committed(tmp_path):
    """Records follow file-name order; a file stays in the inbox until its last offset is stored."""
    source = csv_folder(tmp_path)
    inbox = source._config.folder
    drop(inbox, "b.csv", csv_bytes([row(3)]))
    drop(inbox, "a.csv", csv_bytes([row(1), row(2)]))
    await source.open({})
    batch = await source.read()
    assert refs(list(batch)) == ["TUO-1", "TUO-2", "TUO-3"]
    assert [r.offset for r in batch] == [{"line": 2}, {"line": 3}, {"line": 2}]
    assert [r.identity for r in batch] == ["a.csv/2", "a.csv/3", "b.csv/2"]
    assert sorted(p.name for p in inbox.glob("*.csv")) == ["a.csv", "b.csv"]
    await source.committed(("inbox", "a.csv"), {"line": 3})
    assert (inbox / "done" / "a.csv").exists()
    assert (inbox / "b.csv").exists()
    await source.close()


async def test_after_a_crash_a_file_resumes_after_its_stored_offset_with_the_same_ids(tmp_path):
    """Restarted with offset line 3, only later lines publish, with the identities they had."""
    source = csv_folder(tmp_path)
    drop(source._config.folder, "a.csv", csv_bytes([row(n) for n in range(1, 6)]))
    records = await read_all(source, {("inbox", "a.csv"): {"line": 3}})
    assert refs(records) == ["TUO-3", "TUO-4", "TUO-5"]
    assert [r.identity for r in records] == ["a.csv/4", "a.csv/5", "a.csv/6"]
    assert (source._config.folder / "done" / "a.csv").exists()


async def test_a_file_fully_published_before_a_crash_is_moved_to_done_without_republishing(
    tmp_path,
):
    """A crash between storing the last offset and the move: the restart only moves the file."""
    source = csv_folder(tmp_path)
    drop(source._config.folder, "a.csv", csv_bytes([row(1), row(2)]))
    assert await read_all(source, {("inbox", "a.csv"): {"line": 3}}) == []
    assert (source._config.folder / "done" / "a.csv").exists()


async def test_only_matching_settled_files_are_picked_up(tmp_path):
    """A temporary name is ignored, and a file still changing waits for the settle time."""
    source = csv_folder(tmp_path, settle_s=0.3)
    inbox = source._config.folder
    (inbox / "a.csv.tmp").write_bytes(csv_bytes([row(1)]))
    (inbox / "b.csv").write_bytes(csv_bytes([row(2)]))
    await source.open({})
    assert await source.read() == []  # b.csv first seen now
    os.utime(inbox / "b.csv", ns=(1, 1))  # it changed: the settle time starts again
    assert await source.read() == []
    await asyncio.sleep(0.35)
    assert refs(list(await source.read())) == ["TUO-2"]
    await source.close()


async def test_an_inbox_that_is_not_a_folder_is_reported_not_connected(tmp_path):
    """An inbox replaced by a plain file makes open and read raise NotConnected."""
    source = csv_folder(tmp_path)
    unplug = Unplug(source._config.folder)
    await unplug.take_down()
    with pytest.raises(NotConnected, match="not a readable folder"):
        await source.open({})
    await unplug.bring_up()
    await source.open({})
    await unplug.take_down()
    with pytest.raises(NotConnected):
        await source.read()


async def test_a_one_off_load_ends_when_the_inbox_is_empty(tmp_path):
    """With stop_when_empty, the source raises EndOfInput once every file is done."""
    source = csv_folder(tmp_path, stop_when_empty=True)
    drop(source._config.folder, "a.csv", csv_bytes([row(1)]))
    await source.open({})
    batch = await source.read()
    await source.committed(batch[-1].partition, batch[-1].offset)
    with pytest.raises(EndOfInput):
        await source.read()


async def test_a_truncated_fixed_length_file_is_quarantined(tmp_path):
    """Back-to-back records with a partial last record cannot be read: quarantine."""
    source = fw_folder(tmp_path)
    content = (fixed_width_record(row(1)) + fixed_width_record(row(2))[:50]).encode("cp500")
    drop(source._config.folder, "a.dat", content)
    ((where, reason),) = rejections(await read_all(source))
    assert where == "file a.dat"
    assert f"not a whole number of {RECORD_LENGTH}-byte records" in reason


async def test_a_record_of_the_wrong_length_or_a_bad_number_is_rejected_with_its_line(tmp_path):
    """Line-separated records: a short one and one with letters in a number are rejected."""
    amount = FixedWidthField(name="amount", start=122, length=5, type="int")
    layout = (*LAYOUT, amount)
    source = fw_folder(
        tmp_path, separator="newline", encoding="latin-1", record_length=126, layout=layout
    )
    good_line = fixed_width_record(row(1)) + "00042"
    bad_number = fixed_width_record(row(2)) + "4X2  "
    short = fixed_width_record(row(3))
    text = "\n".join([good_line, short, bad_number, good_line.replace("TUO-1 ", "TUO-4 ")]) + "\n"
    drop(source._config.folder, "a.dat", text.encode("latin-1"))
    records = await read_all(source)
    assert refs(records) == ["TUO-1", "TUO-4"]
    assert rejections(records) == [
        ("file a.dat line 2", "record is 121 characters; the layout needs 126"),
        ("file a.dat line 3", "field amount (columns 122-126): '4X2' is not a whole number"),
    ]


async def test_header_and_trailer_records_are_skipped(tmp_path):
    """A header record and a trailer starting with its prefix are not published."""
    source = fw_folder(tmp_path, header_records=1, trailer_prefix="T")
    header = "H" + "DVLA CANCELLATIONS".ljust(RECORD_LENGTH - 1)
    trailer = "T" + "000000002".ljust(RECORD_LENGTH - 1)
    text = header + fixed_width_record(row(1)) + fixed_width_record(row(2)) + trailer
    drop(source._config.folder, "a.dat", text.encode("cp500"))
    records = await read_all(source)
    assert refs(records) == ["TUO-1", "TUO-2"]
    assert [r.identity for r in records] == ["a.dat/2", "a.dat/3"]
    assert (source._config.folder / "done" / "a.dat").exists()
