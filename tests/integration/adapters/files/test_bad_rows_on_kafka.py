"""Drop folders through the real runtime and Kafka: bad rows, a kill mid-file, silent inboxes."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from adapters.files import csv_source
from bus.adapter_runtime.mapping import Mapper
from bus.adapter_runtime.plugins import SourceContext
from bus.foundation import metrics
from bus.messaging import dead_letter
from bus.messaging.codec import Codec
from bus.messaging.topic_names import TopicNames
from bus.testing.adapters import running_source
from bus.testing.kafka import eventually, read_records, topic_size, unique_topic
from contracts.catalogue.dvla import DrivingLicenceCancelledV1
from tests.integration.adapters.files.folders import csv_bytes, csv_config, drop, mapping, row

ROWS = 5000
LATIN1_LINES = (31, 4701)  # file lines (the header is line 1) holding a Latin-1 byte
FORMULA_LINE = 402
ROOT = Path(__file__).resolve().parents[4]


def _export(inbox: Path) -> None:
    """A UTF-8 export of ROWS rows with two Latin-1 rows and one formula cell in it."""
    lines = csv_bytes([row(n) for n in range(1, ROWS + 1)]).split(b"\r\n")
    for line in LATIN1_LINES:
        lines[line - 1] = lines[line - 1].replace(b"Joseph Emeka", b"Jos\xe9 Emeka")
    lines[FORMULA_LINE - 1] = lines[FORMULA_LINE - 1].replace(
        b"Joseph Emeka", b'"=HYPERLINK(""https://evil.example"")"'
    )
    drop(inbox, "badges.csv", b"\r\n".join(lines))


def _source(inbox: Path, adapter: str) -> Any:
    config = csv_config(inbox, batch_size=20)
    return csv_source(config, SourceContext(name=adapter, mapper=Mapper(mapping("csv"))))


async def _start(*args: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "tests.integration.adapters.files.run_source", *args,
        cwd=ROOT, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip


async def _all(bootstrap: str, topic: str) -> list[Any]:
    return await read_records(bootstrap, topic, count=await topic_size(bootstrap, topic))


async def test_bad_rows_go_to_the_dlq_and_a_kill_mid_file_loses_no_row(
    tmp_path: Path, kafka_bootstrap: str
) -> None:
    """Killed with SIGKILL mid-file, then restarted: each good row is on Kafka, bad rows on DLQ."""
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    _export(inbox)
    prefix = unique_topic("rows") + "."
    adapter = "badges"
    topic = prefix + DrivingLicenceCancelledV1.contract.topic
    args = (str(inbox), kafka_bootstrap, prefix, unique_topic("offsets"), adapter)
    first = await _start(*args)
    try:
        async with asyncio.timeout(30):
            while (at_kill := await topic_size(kafka_bootstrap, topic, timeout_s=0.5)) < 200:
                await asyncio.sleep(0.02)
    finally:
        os.kill(first.pid, signal.SIGKILL)
        await first.wait()
    assert at_kill < ROWS - 3, "the file was finished before the kill"
    assert (inbox / "badges.csv").exists()
    second = await _start(*args)
    try:
        await eventually(lambda: (inbox / "done" / "badges.csv").exists(), what="file done")
    finally:
        second.kill()
        await second.wait()

    ids: defaultdict[int, set[bytes]] = defaultdict(set)
    for record in await _all(kafka_bootstrap, topic):
        event = DrivingLicenceCancelledV1.from_consumed(record.value)
        reference = event.tell_us_once_reference or ""
        ids[int(reference.removeprefix("TUO-"))].add(dict(record.headers)["ce_id"])
    bad = {line - 1 for line in (*LATIN1_LINES, FORMULA_LINE)}  # a row's number is its line - 1
    assert sorted(ids) == [n for n in range(1, ROWS + 1) if n not in bad]  # no good row lost
    assert all(len(found) == 1 for found in ids.values())  # a repeat carries the same ce_id

    letters = await _all(kafka_bootstrap, TopicNames(prefix).adapter_dead_letters(adapter))
    found = {
        reasons["position"]: (reasons["stage"], reasons["error_message"])
        for reasons in (dead_letter.reasons(list(letter.headers)) for letter in letters)
    }
    assert sorted(found) == [f"file badges.csv line {n}" for n in (31, FORMULA_LINE, 4701)]
    for line in LATIN1_LINES:
        stage, message = found[f"file badges.csv line {line}"]
        assert stage == "mapping"
        assert message.startswith(f"not valid utf-8 text at line {line} byte 21: \\xe9 (")
    stage, message = found[f"file badges.csv line {FORMULA_LINE}"]
    assert stage == "formula"
    assert message.startswith(f"formula cell at file badges.csv line {FORMULA_LINE}: column given")
    raw = {letter.value for letter in letters if b"TUO-30\r\n" in letter.value}
    assert raw == {b"ODUYA407191JE9AB,Jos\xe9 Emeka,Oduya,05/03/2025,death-of-holder,TUO-30\r\n"}


async def test_the_last_record_time_moves_only_when_a_read_returns_records(
    tmp_path: Path, kafka_bootstrap: str
) -> None:
    """An empty inbox is a successful poll, not a record; a dropped file sets the last record."""
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    adapter = unique_topic("nightly").replace(".", "-")
    codec = Codec(source="urn:govbus:test", topic_prefix=unique_topic("nightly") + ".")
    last_success = metrics.ADAPTER_LAST_SUCCESS.labels(adapter)
    last_record = metrics.SOURCE_LAST_RECORD.labels(adapter)
    async with running_source(
        _source(inbox, adapter), adapter=adapter, bootstrap=kafka_bootstrap, codec=codec,
        offsets_topic=unique_topic("offsets"), poll_interval_s=0.05,
    ):  # fmt: skip
        await eventually(lambda: last_success._value.get() > 0, what="a first poll")
        polled = last_success._value.get()
        await eventually(lambda: last_success._value.get() > polled, what="a second poll")
        assert last_record._value.get() == 0

        dropped_at = time.time()
        drop(inbox, "nightly.csv", csv_bytes([row(1)]))
        await eventually(lambda: last_record._value.get() > 0, what="the file's record read")
        read_at = last_record._value.get()
        assert read_at >= dropped_at

        await eventually(lambda: last_success._value.get() > read_at + 0.2, what="later polls")
        assert last_record._value.get() == read_at
