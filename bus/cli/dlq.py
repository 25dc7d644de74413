"""`govbus dlq list | replay TOPIC`: inspect a topic's dead letters and send them back after a fix.

Both read ``TOPIC.dlq`` from its beginning up to the end it has when the command starts, then
stop; dead letters written meanwhile wait for the next run. ``replay`` sends each dead letter
back to TOPIC as the original record, byte for byte: the same value, key and headers, with
only govbus's ``govbus_dlq_*`` headers removed, so it keeps its ``ce_id``. That makes replay
safe to repeat: a subscriber drops an event whose ``ce_id`` it has already handled. Without
``--id`` every dead letter in the DLQ is replayed; replayed dead letters stay in the DLQ (Kafka
topics are append-only), so a later ``replay`` sends them again, to the same harmless effect.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from typing import Annotated, Any

import typer
from aiokafka import AIOKafkaProducer

from bus.cli.connection import (
    DEFAULT_DEADLINE_S,
    assign_all,
    group_less_consumer,
    resolve_bootstrap,
    run_client,
)
from bus.cli.output import load_settings
from bus.cli.tail import printable
from bus.foundation.errors import RejectedRecord
from bus.messaging.dead_letter import reasons, strip_dead_letter_headers
from bus.messaging.envelope import from_kafka
from bus.messaging.publisher import SAFE_PRODUCER
from bus.messaging.topic_names import dlq_topic

app = typer.Typer(
    help="Dead letters: list them, and replay them after a fix.", no_args_is_help=True
)

Topic = Annotated[
    str, typer.Argument(help="The original topic, e.g. gro.death-registered.v1 (not .dlq).")
]


@dataclass(frozen=True, slots=True)
class DeadLetter:
    """A record on a dead-letter topic, with govbus's reasons read from its headers."""

    record: Any  # aiokafka's ConsumerRecord
    reasons: dict[str, str]
    ce_id: str | None

    def summary(self) -> dict[str, Any]:
        """What `govbus dlq list --json` prints for this dead letter."""
        why = self.reasons
        return {
            "dlq_partition": self.record.partition,
            "dlq_offset": self.record.offset,
            "topic": why.get("topic"),
            "partition": _integer(why.get("partition")),
            "offset": _integer(why.get("offset")),
            "stage": why.get("stage"),
            "error_class": why.get("error_class"),
            "error_message": why.get("error_message"),
            "attempts": _integer(why.get("attempts")),
            "time": why.get("time"),
            "subscriber": why.get("subscriber"),
            "ce_id": self.ce_id,
        }


def _integer(text: str | None) -> int | None:
    return int(text) if text is not None and text.isdigit() else None


def _ce_id(record: Any) -> str | None:
    for name, value in record.headers:
        if name.lower() == "ce_id" and value is not None:
            return str(value.decode("utf-8", "replace"))
    try:  # a structured-mode record carries its id in the value
        return from_kafka(strip_dead_letter_headers(list(record.headers)), record.value).id
    except RejectedRecord:
        return None


async def read_dead_letters(bootstrap: str, topic: str) -> list[DeadLetter]:
    """Every dead letter of ``topic`` up to the DLQ's end offsets at the start, oldest first."""
    consumer = group_less_consumer(bootstrap)
    letters: list[DeadLetter] = []
    try:
        await consumer.start()
        assigned = await assign_all(consumer, bootstrap, dlq_topic(topic))
        if assigned is None:
            return letters
        await consumer.seek_to_beginning(*assigned)
        ends = await consumer.end_offsets(assigned)
        remaining = {tp for tp in assigned if await consumer.position(tp) < ends[tp]}
        async with asyncio.timeout(DEFAULT_DEADLINE_S):
            while remaining:
                batch = await consumer.getmany(*remaining, timeout_ms=500)
                for tp, records in batch.items():
                    letters += [
                        DeadLetter(record, reasons(list(record.headers)), _ce_id(record))
                        for record in records
                        if record.offset < ends[tp]
                    ]
                remaining = {tp for tp in remaining if await consumer.position(tp) < ends[tp]}
    finally:
        await consumer.stop()
    # Partitions interleave; the order they were dead-lettered in is what an operator follows.
    return sorted(
        letters, key=lambda d: (d.reasons.get("time", ""), d.record.partition, d.record.offset)
    )


def readable(letter: DeadLetter) -> str:
    """The text ``govbus dlq list`` prints for one dead letter."""
    s = letter.summary()
    return printable(
        "\n".join(
            [
                f"--- {s['topic'] or '?'}[{s['partition']}]@{s['offset']}"
                f"  (dead letter {s['dlq_partition']}@{s['dlq_offset']})",
                f"ce_id     {s['ce_id'] or '-'}",
                f"stage     {s['stage'] or '-'}",
                f"error     {s['error_class'] or '-'}: {s['error_message'] or ''}",
                f"attempts  {s['attempts'] if s['attempts'] is not None else '-'}",
                f"time      {s['time'] or '-'}",
                f"by        {s['subscriber'] or '-'}",
            ]
        )
    )


@app.command("list")
def list_dead_letters(
    topic: Topic,
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON array.")] = False,
) -> None:
    """Show each dead letter of TOPIC: where it came from, why it failed, when, its ce_id."""
    bootstrap = resolve_bootstrap(load_settings())
    letters = run_client(read_dead_letters(bootstrap, topic), bootstrap=bootstrap)
    if as_json:
        typer.echo(json.dumps([letter.summary() for letter in letters], indent=2))
        return
    for letter in letters:
        typer.echo(readable(letter))
    typer.echo(f"{len(letters)} dead letter(s) on {dlq_topic(topic)}")


def choose(letters: list[DeadLetter], topic: str, ids: list[str]) -> list[DeadLetter]:
    """The dead letters to replay: those of ``topic`` with a wanted ``ce_id``, each id once.

    Exits with status 1, replaying nothing, if a wanted id has no dead letter.
    """
    wanted = set(ids)
    chosen: list[DeadLetter] = []
    seen: set[str] = set()
    for letter in letters:
        origin = letter.reasons.get("topic")
        if origin is not None and origin != topic:
            typer.echo(
                f"govbus: skipping dead letter {letter.record.partition}@{letter.record.offset}: "
                f"it came from "
                f"{printable(origin)!r}, not {topic!r}",
                err=True,
            )
            continue
        if wanted and letter.ce_id not in wanted:
            continue
        if letter.ce_id is not None:
            # The same event dead-lettered twice needs one replay: subscribers dedup by ce_id.
            if letter.ce_id in seen:
                continue
            seen.add(letter.ce_id)
        chosen.append(letter)
    missing = sorted(wanted - seen)
    if missing:
        shown = ", ".join(repr(printable(i)) for i in missing)
        typer.echo(f"govbus: no dead letter on {dlq_topic(topic)} has ce_id {shown}", err=True)
        raise typer.Exit(1)
    return chosen


async def send_back(bootstrap: str, topic: str, letters: list[DeadLetter]) -> int:
    """Send each dead letter's original record to ``topic`` with acks=all; await every ack."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, **SAFE_PRODUCER)
    try:
        await producer.start()
        async with asyncio.timeout(DEFAULT_DEADLINE_S):
            futures = [
                await producer.send(
                    topic,
                    letter.record.value,
                    key=letter.record.key,
                    headers=strip_dead_letter_headers(list(letter.record.headers)),
                )
                for letter in letters
            ]
            await asyncio.gather(*futures)
    finally:
        await producer.stop()
    return len(futures)


@app.command("replay")
def replay(
    topic: Topic,
    ids: Annotated[
        list[str] | None,
        typer.Option("--id", help="Replay only the dead letter with this ce_id (repeatable)."),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Show what would be replayed; send nothing.")
    ] = False,
) -> None:
    """Send TOPIC's dead letters back to TOPIC, byte for byte, after the cause was fixed.

    Every dead letter is replayed unless --id picks some. Each keeps its ce_id, so subscribers
    drop any they already handled: replaying twice is harmless.
    """
    bootstrap = resolve_bootstrap(load_settings())
    letters = run_client(read_dead_letters(bootstrap, topic), bootstrap=bootstrap)
    chosen = choose(letters, topic, ids or [])
    if dry_run:
        for letter in chosen:
            typer.echo(readable(letter))
        typer.echo(f"would replay {len(chosen)} dead letter(s) to {topic}")
        return
    replayed = run_client(send_back(bootstrap, topic, chosen), bootstrap=bootstrap) if chosen else 0
    typer.echo(f"replayed {replayed} dead letter(s) to {topic}")
