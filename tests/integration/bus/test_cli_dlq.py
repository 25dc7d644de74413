"""`govbus dlq list | replay`: dead letters shown with their reasons and sent back byte for byte."""

from __future__ import annotations

import json

from aiokafka import AIOKafkaProducer

from bus.foundation.errors import ContractViolation
from bus.messaging.dead_letter import Failure, dead_letter_headers
from bus.messaging.topic_names import dlq_topic
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
