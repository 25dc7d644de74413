"""`govbus dlq list | export | replay`: dead letters shown with their reasons and sent back.

Source rejects come from a real CSV drop folder read by the CSV source adapter; subscriber dead
letters carry the headers a subscriber writes.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from aiokafka import AIOKafkaProducer

from adapters.files import csv_source
from bus.adapter_runtime.mapping import Mapper
from bus.adapter_runtime.plugins import SourceContext
from bus.foundation.errors import ContractViolation
from bus.messaging.codec import Codec
from bus.messaging.dead_letter import Failure, dead_letter_headers
from bus.messaging.topic_names import TopicNames, dlq_topic
from bus.testing.adapters import running_source
from bus.testing.kafka import topic_size, unique_topic
from tests.integration.adapters.files.folders import csv_bytes, csv_config, drop, mapping, row
from tests.integration.bus.govbus_cli import govbus, read_all

ORIGINAL_HEADERS = [
    ("ce_specversion", b"1.0"),
    ("ce_source", b"urn:govbus:test"),
    ("ce_type", b"uk.gov.gro.death-registered.v1"),
    ("content-type", b"application/json"),
    ("x-binary", b"\x00\xff\xfe"),
]


async def _dead_letters(
    bootstrap: str, topic: str, originals: list[tuple[str, bytes | None]]
) -> None:
    """Write one dead letter of ``topic`` per (ce_id, key), as a subscriber would."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    try:
        for offset, (ce_id, key) in enumerate(originals):
            headers = dead_letter_headers(
                [ORIGINAL_HEADERS[0], ("ce_id", ce_id.encode()), *ORIGINAL_HEADERS[1:]],
                topic=topic, partition=2, offset=100 + offset,
                failure=Failure("handler", ValueError(f"handler failed on {ce_id}"), attempts=5),
                subscriber="pensions",
            )  # fmt: skip
            value = json.dumps({"ce_id": ce_id}).encode()
            await producer.send_and_wait(dlq_topic(topic), value, key=key, headers=headers)
    finally:
        await producer.stop()


def test_an_empty_or_absent_dlq_lists_nothing_and_replays_nothing(
    kafka_bootstrap: str, topic: str
) -> None:
    """A topic that never dead-lettered anything: no letters, status 0, nothing replayed."""
    listed = govbus(kafka_bootstrap, "dlq", "list", topic)
    assert listed.returncode == 0, listed.stderr
    assert listed.stdout.strip() == f"0 dead letter(s) on {topic}.dlq"
    as_json = govbus(kafka_bootstrap, "dlq", "list", topic, "--json")
    assert json.loads(as_json.stdout) == []
    replayed = govbus(kafka_bootstrap, "dlq", "replay", topic)
    assert replayed.returncode == 0, replayed.stderr
    assert replayed.stdout.strip() == f"replayed 0 dead letter(s) to {topic}"


async def test_list_shows_where_each_dead_letter_came_from_and_why(
    kafka_bootstrap: str, topic: str
) -> None:
    """Original partition/offset, stage, error class and message, attempts, time and ce_id."""
    await _dead_letters(kafka_bootstrap, topic, [("ev-1", b"k1"), ("ev-2", b"k2")])
    done = govbus(kafka_bootstrap, "dlq", "list", topic, "--json")
    assert done.returncode == 0, done.stderr
    letters = json.loads(done.stdout)
    assert [letter["ce_id"] for letter in letters] == ["ev-1", "ev-2"]
    first = letters[0]
    assert (first["topic"], first["partition"], first["offset"]) == (topic, 2, 100)
    assert (first["stage"], first["error_class"], first["attempts"]) == ("handler", "ValueError", 5)
    assert first["error_message"] == "handler failed on ev-1"
    assert first["time"]
    assert first["subscriber"] == "pensions"
    readable = govbus(kafka_bootstrap, "dlq", "list", topic)
    assert f"{topic}[2]@101" in readable.stdout
    assert "error     ValueError: handler failed on ev-2" in readable.stdout
    assert readable.stdout.strip().endswith(f"2 dead letter(s) on {topic}.dlq")


async def test_replay_sends_the_original_records_back_byte_for_byte(
    kafka_bootstrap: str, topic: str
) -> None:
    """Value, key (also a null key) and headers arrive unchanged, without govbus_dlq_ headers."""
    await _dead_letters(kafka_bootstrap, topic, [("ev-1", b"k1"), ("ev-2", None)])
    done = govbus(kafka_bootstrap, "dlq", "replay", topic)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"replayed 2 dead letter(s) to {topic}"
    records = await read_all(kafka_bootstrap, topic, expected=2)
    got = sorted((r.value, r.key, list(r.headers)) for r in records)
    assert got == sorted(
        (
            json.dumps({"ce_id": ce_id}).encode(),
            key,
            [ORIGINAL_HEADERS[0], ("ce_id", ce_id.encode()), *ORIGINAL_HEADERS[1:]],
        )
        for ce_id, key in (("ev-1", b"k1"), ("ev-2", None))
    )


async def test_replay_with_ids_sends_only_those_and_each_once(
    kafka_bootstrap: str, topic: str
) -> None:
    """`--id` filters by ce_id; an event dead-lettered twice is replayed once per invocation."""
    await _dead_letters(kafka_bootstrap, topic, [("ev-1", b"k"), ("ev-2", b"k"), ("ev-1", b"k")])
    done = govbus(kafka_bootstrap, "dlq", "replay", topic, "--id", "ev-1")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"replayed 1 dead letter(s) to {topic}"
    records = await read_all(kafka_bootstrap, topic, expected=2, timeout_s=3)
    assert [dict(r.headers)["ce_id"] for r in records] == [b"ev-1"]


async def test_dry_run_and_unknown_ids_send_nothing(kafka_bootstrap: str, topic: str) -> None:
    """--dry-run shows what would go; an --id with no dead letter fails and replays nothing."""
    await _dead_letters(kafka_bootstrap, topic, [("ev-1", b"k")])
    dry = govbus(kafka_bootstrap, "dlq", "replay", topic, "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert dry.stdout.strip().endswith(f"would replay 1 dead letter(s) to {topic}")
    unknown = govbus(kafka_bootstrap, "dlq", "replay", topic, "--id", "ev-1", "--id", "nope")
    assert unknown.returncode == 1
    assert "no dead letter on" in unknown.stderr
    assert "'nope'" in unknown.stderr
    assert await read_all(kafka_bootstrap, topic, expected=1, timeout_s=3) == []


async def test_dead_letters_from_the_dlq_are_read_even_with_a_hostile_reason(
    kafka_bootstrap: str, topic: str
) -> None:
    """A reason with terminal escapes is listed escaped; a contract-stage letter keeps its stage."""
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap)
    await producer.start()
    try:
        headers = dead_letter_headers(
            [("ce_id", b"ev-9")], topic=topic, partition=0, offset=7,
            failure=Failure("contract", ContractViolation("bad \x1b[31mred"), attempts=0),
            subscriber="council",
        )  # fmt: skip
        await producer.send_and_wait(dlq_topic(topic), b"{}", headers=headers)
    finally:
        await producer.stop()
    done = govbus(kafka_bootstrap, "dlq", "list", topic)
    assert done.returncode == 0, done.stderr
    assert "\x1b" not in done.stdout
    assert "stage     contract" in done.stdout
    assert "ContractViolation: bad \\x1b[31mred" in done.stdout


HOSTILE_NAME = '=HYPERLINK("http://evil.example")\x1b[2J\u202e'


def _drop_export(inbox: Path) -> None:
    """Drop a CSV export whose lines 3 (a bad date) and 5 (hostile and undated) are bad."""
    rows = [row(1), row(2) | {"cancelled_on": "31/02/2025"}, row(3)]
    rows += [row(4) | {"family_name": HOSTILE_NAME, "cancelled_on": "not a date"}, row(5), row(6)]
    inbox.mkdir()
    drop(inbox, "dvla-cancelled.csv", csv_bytes(rows))


async def _csv_rejects(bootstrap: str, inbox: Path, prefix: str) -> str:
    """Run the CSV source on a file of 4 good and 2 bad rows; return the adapter's DLQ topic."""
    _drop_export(inbox)
    config = csv_config(inbox, stop_when_empty=True)
    source = csv_source(config, SourceContext(name="files", mapper=Mapper(mapping("csv"))))
    codec = Codec(source="urn:govbus:test", topic_prefix=prefix)
    async with running_source(
        source, adapter="dvla-inbox", bootstrap=bootstrap, codec=codec,
        offsets_topic=unique_topic("offsets"),
    ) as running:  # fmt: skip
        await running.task
    dead_letters = TopicNames(prefix).adapter_dead_letters("dvla-inbox")
    assert await topic_size(bootstrap, dead_letters) == 2
    return dead_letters


async def test_list_shows_each_source_reject_with_file_line_reason_and_raw_row(
    kafka_bootstrap: str, topic: str, tmp_path: Path
) -> None:
    """A CSV source's rejects show adapter, file and line, stage, reason and the row, escaped."""
    prefix = topic + "."
    dead_letters = await _csv_rejects(kafka_bootstrap, tmp_path / "inbox", prefix)
    done = govbus(
        kafka_bootstrap, "dlq", "list", "govbus.adapter.dvla-inbox.dlq",
        GOVBUS_TOPIC_PREFIX=prefix,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "?[None]@None" not in out
    assert "--- file dvla-cancelled.csv line 3" in out
    assert "--- file dvla-cancelled.csv line 5" in out
    assert "adapter   dvla-inbox" in out
    assert "stage     mapping" in out
    assert "31/02/2025" in out
    assert "record    ODUYA407191JE9AB,Joseph Emeka,Oduya,31/02/2025" in out
    assert "\x1b" not in out
    assert "\u202e" not in out
    assert "\\x1b[2J\\u202e" in out
    assert out.strip().endswith(f"2 dead letter(s) on {dead_letters}")
    as_json = govbus(kafka_bootstrap, "dlq", "list", dead_letters, "--json")
    letters = json.loads(as_json.stdout)
    assert [(d["kind"], d["adapter"], d["position"]) for d in letters] == [
        ("source_reject", "dvla-inbox", "file dvla-cancelled.csv line 3"),
        ("source_reject", "dvla-inbox", "file dvla-cancelled.csv line 5"),
    ]
    assert all(d["error_message"] and d["stage"] == "mapping" for d in letters)


async def test_export_csv_gives_a_clerk_one_safe_row_per_reject(
    kafka_bootstrap: str, topic: str, tmp_path: Path
) -> None:
    """Position, reason, stage and raw row per reject; formula cells cannot run when opened."""
    prefix = topic + "."
    await _csv_rejects(kafka_bootstrap, tmp_path / "inbox", prefix)
    out = tmp_path / "rejects.csv"
    done = govbus(
        kafka_bootstrap, "dlq", "export", "govbus.adapter.dvla-inbox", "--csv", "--out", str(out),
        GOVBUS_TOPIC_PREFIX=prefix,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "exported 2 dead letter(s)" in done.stderr
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8-sig"))))
    assert [r["position"] for r in rows] == [
        "file dvla-cancelled.csv line 3",
        "file dvla-cancelled.csv line 5",
    ]
    assert all(r["stage"] == "mapping" and r["reason"] for r in rows)
    assert (
        rows[0]["record"] == "ODUYA407191JE9AB,Joseph Emeka,Oduya,31/02/2025,death-of-holder,TUO-2"
    )
    hostile = rows[1]["record"]
    assert "\\x1b[2J" in hostile
    assert "\x1b" not in hostile
    cells = [cell for r in rows for cell in r.values()]
    assert not any(cell.startswith(("=", "+", "-", "@")) for cell in cells)
    without_flag = govbus(kafka_bootstrap, "dlq", "export", "govbus.adapter.dvla-inbox.dlq")
    assert without_flag.returncode == 2
    assert "--csv" in without_flag.stderr


async def test_replay_refuses_source_rejects_and_says_how_to_fix_and_redrop(
    kafka_bootstrap: str, topic: str, tmp_path: Path
) -> None:
    """Raw legacy rows never go onto an event topic; the message names export and re-drop."""
    prefix = topic + "."
    dead_letters = await _csv_rejects(kafka_bootstrap, tmp_path / "inbox", prefix)
    done = govbus(kafka_bootstrap, "dlq", "replay", dead_letters, GOVBUS_TOPIC_PREFIX=prefix)
    assert done.returncode == 1
    assert "cannot be replayed onto an event topic" in done.stderr
    assert f"govbus dlq export {dead_letters} --csv" in done.stderr
    assert "drop a new file" in done.stderr
    assert done.stdout == ""


async def test_a_second_replay_even_from_a_fresh_process_sends_nothing_twice(
    kafka_bootstrap: str, topic: str
) -> None:
    """Replays are recorded in Kafka: a rerun sends only dead letters written since."""
    await _dead_letters(kafka_bootstrap, topic, [("ev-1", b"k1"), ("ev-2", b"k2")])
    first = govbus(kafka_bootstrap, "dlq", "replay", topic)
    assert first.stdout.strip() == f"replayed 2 dead letter(s) to {topic}", first.stderr
    again = govbus(kafka_bootstrap, "dlq", "replay", topic)
    assert again.returncode == 0, again.stderr
    assert again.stdout.strip() == (
        f"replayed 0 dead letter(s) to {topic} (2 replayed before, not sent again)"
    )
    await _dead_letters(kafka_bootstrap, topic, [("ev-3", b"k3")])
    third = govbus(kafka_bootstrap, "dlq", "replay", topic)
    assert third.stdout.strip().startswith(f"replayed 1 dead letter(s) to {topic}")
    records = await read_all(kafka_bootstrap, topic, expected=4, timeout_s=3)
    assert sorted(dict(r.headers)["ce_id"] for r in records) == [b"ev-1", b"ev-2", b"ev-3"]
    listed = json.loads(govbus(kafka_bootstrap, "dlq", "list", topic, "--json").stdout)
    assert [d["replayed"] for d in listed] == [True, True, True]


async def test_dead_letters_replayed_by_id_are_not_sent_again_by_a_full_replay(
    kafka_bootstrap: str, topic: str
) -> None:
    """An --id replay is recorded too; the full replay after it sends only the others."""
    await _dead_letters(kafka_bootstrap, topic, [("ev-1", b"k"), ("ev-2", b"k"), ("ev-3", b"k")])
    picked = govbus(kafka_bootstrap, "dlq", "replay", topic, "--id", "ev-2")
    assert picked.stdout.strip() == f"replayed 1 dead letter(s) to {topic}", picked.stderr
    rest = govbus(kafka_bootstrap, "dlq", "replay", topic)
    assert rest.stdout.strip() == (
        f"replayed 2 dead letter(s) to {topic} (1 replayed before, not sent again)"
    )
    records = await read_all(kafka_bootstrap, topic, expected=4, timeout_s=3)
    assert sorted(dict(r.headers)["ce_id"] for r in records) == [b"ev-1", b"ev-2", b"ev-3"]
    forced = govbus(kafka_bootstrap, "dlq", "replay", topic, "--id", "ev-2", "--again")
    assert forced.stdout.strip() == f"replayed 1 dead letter(s) to {topic}", forced.stderr


async def test_dlq_commands_apply_the_topic_prefix_however_the_topic_is_named(
    kafka_bootstrap: str, topic: str
) -> None:
    """With GOVBUS_TOPIC_PREFIX, the bare, prefixed and .dlq names all read the same DLQ."""
    prefix = topic + "."
    events = prefix + "gro.death-registered.v1"
    await _dead_letters(kafka_bootstrap, events, [("ev-1", b"k1")])
    for given in (
        "gro.death-registered.v1",
        "gro.death-registered.v1.dlq",
        events,
        dlq_topic(events),
    ):
        done = govbus(kafka_bootstrap, "dlq", "list", given, GOVBUS_TOPIC_PREFIX=prefix)
        assert done.returncode == 0, done.stderr
        assert done.stdout.strip().endswith(f"1 dead letter(s) on {dlq_topic(events)}"), given
        assert ".dlq.dlq" not in done.stdout
    replayed = govbus(
        kafka_bootstrap, "dlq", "replay", "gro.death-registered.v1.dlq", GOVBUS_TOPIC_PREFIX=prefix
    )
    assert replayed.stdout.strip() == f"replayed 1 dead letter(s) to {events}", replayed.stderr
    (record,) = await read_all(kafka_bootstrap, events, expected=1)
    assert dict(record.headers)["ce_id"] == b"ev-1"
