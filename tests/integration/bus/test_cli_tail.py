"""`govbus tail`: records printed readably or as JSON; bad records shown with their reason."""

from __future__ import annotations

import asyncio
import json
import sys

from aiokafka import AIOKafkaProducer

from bus.messaging.codec import Codec
from bus.messaging.dead_letter import ADAPTER, ERROR_CLASS, ERROR_MESSAGE, POSITION, STAGE
from bus.messaging.publisher import Publisher
from bus.messaging.topic_names import TopicNames
from contracts import default_registry
from tests.integration.bus.govbus_cli import ROOT, environment, govbus

DEATH = default_registry.by_cloudevents_type("uk.gov.gro.death-registered.v1")


async def _publish_example(bootstrap: str, topic: str, *, key: str) -> str:
    """Publish the contract's example on ``topic`` through the bus; return its event id."""
    codec = Codec(source="urn:govbus:test", topic_prefix=topic.removesuffix(DEATH.contract.topic))
    async with Publisher(bootstrap=bootstrap, codec=codec, name="test") as publisher:
        return await publisher.publish(DEATH.example_event(), key=key, subject="DR-1")


async def _produce_raw(
    bootstrap: str, topic: str, value: bytes, headers: list[tuple[str, bytes]]
) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap)
    await producer.start()
    try:
        await producer.send_and_wait(topic, value, key=b"raw", headers=headers)
    finally:
        await producer.stop()


async def test_tail_prints_events_and_bad_records_with_reasons(
    kafka_bootstrap: str, topic: str
) -> None:
    """A good event shows its attributes and data; garbage shows the stage that refused it."""
    events = f"{topic}.{DEATH.contract.topic}"
    event_id = await _publish_example(kafka_bootstrap, events, key="DR-1")
    await _produce_raw(kafka_bootstrap, events, b"\xff not json", [("ce_specversion", b"1.0")])
    done = govbus(kafka_bootstrap, "tail", events, "--from-beginning", "--max", "2", "--json")
    assert done.returncode == 0, done.stderr
    shown = [json.loads(line) for line in done.stdout.splitlines()]
    assert len(shown) == 2
    good = next(s for s in shown if s["key"] == "DR-1")
    bad = next(s for s in shown if s["key"] == "raw")
    assert (good["id"], good["type"], good["subject"]) == (
        event_id,
        DEATH.contract.cloudevents_type,
        "DR-1",
    )
    assert good["data"]["entry_number"] == DEATH.contract.example["entry_number"]
    assert good["error"] is None
    assert bad["error"]["stage"] == "envelope"
    assert "ce_id is missing" in bad["error"]["message"]


async def test_readable_output_shows_attributes_position_and_pretty_data(
    kafka_bootstrap: str, topic: str
) -> None:
    """The readable form names type, id, key, subject, partition/offset and indents the JSON."""
    events = f"{topic}.{DEATH.contract.topic}"
    event_id = await _publish_example(kafka_bootstrap, events, key="DR-7")
    done = govbus(kafka_bootstrap, "tail", events, "--from-beginning", "--max", "1")
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert f"{events}[" in out
    assert "]@0" in out
    assert f"id       {event_id}" in out
    assert "type     uk.gov.gro.death-registered.v1" in out
    assert "key      DR-7" in out
    assert "subject  DR-1" in out
    assert '\n  "entry_number": 412,' in out


async def test_control_characters_in_a_record_are_escaped(kafka_bootstrap: str, topic: str) -> None:
    """An ANSI escape sequence in a key or header is printed escaped, never sent to the terminal."""
    headers = [
        ("ce_specversion", b"1.0"), ("ce_id", b"x\x1b[2J"), ("ce_source", b"s"),
        ("ce_type", b"evil\x1b]0;owned\x07"), ("content-type", b"application/json"),
    ]  # fmt: skip
    await _produce_raw(kafka_bootstrap, topic, b'{"note": "\\u009b31m"}', headers)
    done = govbus(kafka_bootstrap, "tail", topic, "--from-beginning", "--max", "1")
    assert done.returncode == 0, done.stderr
    assert "\x1b" not in done.stdout
    assert "\x9b" not in done.stdout
    assert "\x07" not in done.stdout
    assert "x\\x1b[2J" in done.stdout
    assert "error    type:" in done.stdout


async def test_tail_from_the_end_prints_only_what_arrives_after_it_started(
    kafka_bootstrap: str, topic: str
) -> None:
    """Without --from-beginning, an event published before tail started is not printed."""
    events = f"{topic}.{DEATH.contract.topic}"
    await _publish_example(kafka_bootstrap, events, key="before")
    tail = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bus", "tail", events, "--max", "1", "--timeout", "60", "--json",
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, cwd=ROOT,
        env=environment(kafka_bootstrap),
    )  # fmt: skip
    try:
        assert tail.stderr is not None
        ready = (await asyncio.wait_for(tail.stderr.readline(), 60)).decode()
        assert "from the end" in ready, ready
        await _publish_example(kafka_bootstrap, events, key="after")
        out, err = await asyncio.wait_for(tail.communicate(), 60)
    finally:
        if tail.returncode is None:
            tail.kill()
    assert tail.returncode == 0, err
    (line,) = out.decode().splitlines()
    assert json.loads(line)["key"] == "after"


def test_tail_stops_by_itself_after_the_timeout(kafka_bootstrap: str, topic: str) -> None:
    """On a topic that never gets a record, --timeout ends tail with status 0 and no output."""
    done = govbus(kafka_bootstrap, "tail", topic, "--timeout", "2")
    assert done.returncode == 0, done.stderr
    assert done.stdout == ""
    assert f"waiting for topic {topic}" in done.stderr


async def test_tail_on_a_dlq_prints_dead_letters_with_position_and_reason(
    kafka_bootstrap: str, topic: str
) -> None:
    """A source reject on a DLQ shows file, line, stage, reason and row, not a CloudEvents error."""
    dead_letters = TopicNames(topic + ".").adapter_dead_letters("dvla-inbox")
    headers = [
        (ERROR_CLASS, b"MappingError"), (ERROR_MESSAGE, b"cancelled_on: 31/02/2025 is no date"),
        (STAGE, b"mapping"), (POSITION, b"file dvla.csv line 3"), (ADAPTER, b"dvla-inbox"),
    ]  # fmt: skip
    await _produce_raw(kafka_bootstrap, dead_letters, b"ODUYA,\x1b[31m,31/02/2025\r\n", headers)
    done = govbus(
        kafka_bootstrap, "tail", "govbus.adapter.dvla-inbox.dlq", "--from-beginning", "--max", "1",
        GOVBUS_TOPIC_PREFIX=topic + ".",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "ce_specversion is missing" not in done.stdout
    assert "--- file dvla.csv line 3" in done.stdout
    assert "stage     mapping" in done.stdout
    assert "error     MappingError: cancelled_on: 31/02/2025 is no date" in done.stdout
    assert "record    ODUYA,\\x1b[31m,31/02/2025" in done.stdout
    assert "\x1b" not in done.stdout
    as_json = govbus(
        kafka_bootstrap, "tail", dead_letters, "--from-beginning", "--max", "1", "--json"
    )
    shown = json.loads(as_json.stdout)
    assert shown["dead_letter"]["position"] == "file dvla.csv line 3"
    assert shown["dead_letter"]["adapter"] == "dvla-inbox"


async def test_tail_applies_the_topic_prefix_as_govbus_run_does(
    kafka_bootstrap: str, topic: str
) -> None:
    """`tail gro.death-registered.v1` with GOVBUS_TOPIC_PREFIX reads the prefixed topic."""
    prefix = topic + "."
    event_id = await _publish_example(kafka_bootstrap, prefix + DEATH.contract.topic, key="DR-1")
    done = govbus(
        kafka_bootstrap, "tail", DEATH.contract.topic, "--from-beginning", "--max", "1", "--json",
        "--timeout", "30", GOVBUS_TOPIC_PREFIX=prefix,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["id"] == event_id
