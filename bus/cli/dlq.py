"""`govbus dlq list | export | replay TOPIC`: read dead letters, hand them to a clerk, send back.

TOPIC names a dead-letter topic or the topic it belongs to, with or without the deployment's
``GOVBUS_TOPIC_PREFIX``: ``gro.death-registered.v1``, ``gro.death-registered.v1.dlq`` and
``govbus.adapter.council-badges.dlq`` (a source adapter's rejected legacy records) all work,
resolved by ``bus.messaging.topic_names``.

Every command reads the dead-letter topic from its beginning up to the end it has when the
command starts, then stops; dead letters written meanwhile wait for the next run.

``replay`` sends each dead letter of an event topic back to it as the original record, byte
for byte (the same value, key and headers, with only govbus's ``govbus_dlq_*`` headers
removed), so it keeps its ``ce_id``. What was replayed is recorded in Kafka
(``bus.cli.replays``), so a second replay, from any machine and after any restart, sends only
dead letters not replayed before. A source adapter's rejects are raw legacy rows, not events:
``replay`` refuses them and says how to correct and re-send them instead.
"""

from __future__ import annotations

import asyncio
import csv
import io
import json
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, NoReturn, TextIO

import typer
from aiokafka import AIOKafkaProducer

from bus.broker.client import client_options
from bus.cli.connection import DEFAULT_DEADLINE_S, resolve_bootstrap, run_client
from bus.cli.dead_letters import DeadLetter, DeadLetterTopic, read_dead_letters, readable
from bus.cli.output import fail_on_govbus_error, load_settings
from bus.cli.replays import Replayed, read_replayed, record_replayed, too_long
from bus.cli.safe_text import bounded, printable, raw_text, spreadsheet_cell
from bus.messaging.dead_letter import strip_dead_letter_headers
from bus.messaging.publisher import SAFE_PRODUCER
from bus.messaging.topic_names import TopicNames, dlq_topic

app = typer.Typer(
    help="Dead letters: list them, export them for correction, replay them after a fix.",
    no_args_is_help=True,
)

Topic = Annotated[
    str,
    typer.Argument(
        help="The topic whose dead letters to read, e.g. gro.death-registered.v1, or a "
        "dead-letter topic itself (gro.death-registered.v1.dlq, "
        "govbus.adapter.<adapter>.dlq); GOVBUS_TOPIC_PREFIX is added if missing."
    ),
]

# A spreadsheet cell holds at most 32,767 characters; a longer record is cut with a note.
MAX_CSV_CELL = 32_000
CSV_COLUMNS = (
    "position", "reason", "stage", "record", "error_class", "time", "adapter", "subscriber",
    "ce_id", "key", "dead_letter",
)  # fmt: skip


class _Target:
    """A dead-letter topic named on the command line, with its settings and cluster."""

    def __init__(self, topic: str) -> None:
        self.settings = load_settings()
        self.names = TopicNames(self.settings.topic_prefix)
        self.dead_letters = self.names.dead_letters_named(topic)
        self.adapter = self.names.adapter_of(self.dead_letters)
        self.origin = self.names.origin_of(self.dead_letters)
        self.bootstrap = resolve_bootstrap(self.settings)
        with fail_on_govbus_error():
            self.options = client_options(self.settings, self.bootstrap)

    def read(self) -> DeadLetterTopic:
        return run_client(
            read_dead_letters(self.bootstrap, self.dead_letters), bootstrap=self.bootstrap
        )

    def replayed(self) -> dict[int, Replayed]:
        """What earlier replays sent back; nothing for an adapter's rejects or a missing topic."""
        if self.origin is None:
            return {}
        group = self.names.replay_group(self.dead_letters)
        return run_client(read_replayed(self.options, group), bootstrap=self.bootstrap)


def _was_replayed(letter: DeadLetter, record: Mapping[int, Replayed]) -> bool:
    replayed = record.get(letter.record.partition)
    return replayed is not None and letter.record.offset in replayed


@app.command("list")
def list_dead_letters(
    topic: Topic,
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON array.")] = False,
) -> None:
    """Show each dead letter: where it came from, why it failed, when, and what it holds.

    A source adapter's reject shows the adapter, the record's position (file and line, or its
    place in the legacy system), the stage, the reason and the raw record, escaped. An event a
    subscriber could not handle shows its original topic, partition and offset, the
    subscriber, the stage, the reason, its ce_id and whether it has been replayed.
    """
    target = _Target(topic)
    found = target.read()
    record = target.replayed() if found.letters else {}
    if as_json:
        shown = [letter.summary() for letter in found.letters]
        for letter, summary in zip(found.letters, shown, strict=True):
            if letter.kind == "subscriber":
                summary["replayed"] = _was_replayed(letter, record)
        typer.echo(json.dumps(shown, indent=2, ensure_ascii=True))
        return
    for letter in found.letters:
        replayed = None if letter.kind == "source_reject" else _was_replayed(letter, record)
        typer.echo(readable(letter, replayed=replayed))
    typer.echo(f"{len(found.letters)} dead letter(s) on {target.dead_letters}")


def csv_row(letter: DeadLetter) -> list[str]:
    """One dead letter as a row of ``CSV_COLUMNS``, safe to open in a spreadsheet.

    Every cell is escaped (control and bidi characters) and neutralised against formula
    injection; the record is its raw text (invalid UTF-8 bytes as ``\\xNN``), cut at
    ``MAX_CSV_CELL`` characters.
    """
    s = letter.summary()
    source = s["kind"] == "source_reject"
    cells = [
        letter.position(),
        s["error_message"] or "",
        s["stage"] or "",
        bounded(printable(raw_text(letter.record.value)), MAX_CSV_CELL),
        s["error_class"] or "",
        s["time"] or "",
        (s["adapter"] or "") if source else "",
        "" if source else (s["subscriber"] or ""),
        "" if source else (s["ce_id"] or ""),
        letter.key or "",
        f"{s['dlq_partition']}@{s['dlq_offset']}",
    ]
    return [spreadsheet_cell(cell) for cell in cells]


def write_csv(letters: list[DeadLetter], out: TextIO) -> None:
    """Write a header and one row per dead letter to ``out``."""
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    writer.writerows(csv_row(letter) for letter in letters)


@app.command("export")
def export(
    topic: Topic,
    as_csv: Annotated[bool, typer.Option("--csv", help="Write CSV (the one format).")] = False,
    out: Annotated[
        Path | None,
        typer.Option("--out", help="Write to this file (UTF-8 with a BOM, for spreadsheets)."),
    ] = None,
) -> None:
    """Write every dead letter as one CSV row, for a clerk to correct the records.

    Columns: position, reason, stage, record, then error_class, time, adapter, subscriber,
    ce_id, key and dead_letter (partition@offset on the dead-letter topic). Cells that a
    spreadsheet would run as a formula start with a ' instead.
    """
    if not as_csv:
        typer.echo("govbus: choose the export format: --csv", err=True)
        raise typer.Exit(2)
    target = _Target(topic)
    letters = target.read().letters
    if out is None:
        write_csv(letters, sys.stdout)
        sys.stdout.flush()
    else:
        text = io.StringIO()
        write_csv(letters, text)
        try:
            out.write_text(text.getvalue(), encoding="utf-8-sig", newline="")
        except OSError as exc:
            typer.echo(f"govbus: cannot write {printable(str(out))}: {exc.strerror}", err=True)
            raise typer.Exit(1) from exc
    shown = "standard output" if out is None else printable(str(out))
    typer.echo(
        f"exported {len(letters)} dead letter(s) from {target.dead_letters} to {shown}", err=True
    )


def _refuse_source_rejects(target: _Target, adapter: str | None) -> NoReturn:
    typer.echo(
        f"govbus: {target.dead_letters} holds legacy records that source adapter "
        f"{printable(adapter or '?')!r} rejected: raw rows, not events, so they cannot be "
        "replayed onto an event topic. Export them with "
        f"`govbus dlq export {target.dead_letters} --csv --out rejects.csv`, correct each "
        "record at its position (in the file, or in the legacy system), and send it again: "
        "for a file adapter, drop a new file holding only the corrected rows into its inbox.",
        err=True,
    )
    raise typer.Exit(1)


def choose(
    letters: list[DeadLetter],
    topic: str,
    ids: list[str],
    *,
    replayed: Mapping[int, Replayed],
    again: bool,
) -> tuple[list[DeadLetter], list[DeadLetter], int]:
    """The dead letters to replay to ``topic``, those this replay covers, and how many it skips.

    A dead letter covered but not chosen was dead-lettered from another topic (skipped with a
    warning) or repeats a ``ce_id`` already chosen (subscribers dedup by ``ce_id``). Dead
    letters replayed before are skipped unless ``again``. With ``ids`` only dead letters with a
    wanted ``ce_id`` count; exits with status 1, replaying nothing, if a wanted id has no dead
    letter at all.
    """
    wanted = set(ids)
    chosen: list[DeadLetter] = []
    covered: list[DeadLetter] = []
    seen: set[str] = set()
    before: set[str] = set()
    skipped = 0
    for letter in letters:
        if wanted and letter.ce_id not in wanted:
            continue
        if not again and _was_replayed(letter, replayed):
            skipped += 1
            if letter.ce_id is not None:
                before.add(letter.ce_id)
            continue
        covered.append(letter)
        origin = letter.reasons.get("topic")
        if origin is not None and origin != topic:
            typer.echo(
                f"govbus: skipping dead letter {letter.record.partition}@{letter.record.offset}: "
                f"it came from {printable(origin, keep_newlines=False)!r}, not {topic!r}",
                err=True,
            )
            continue
        if letter.ce_id is not None:
            # The same event dead-lettered twice needs one replay: subscribers dedup by ce_id.
            if letter.ce_id in seen:
                continue
            seen.add(letter.ce_id)
        chosen.append(letter)
    missing = sorted(wanted - seen - before)
    if missing:
        shown = ", ".join(repr(printable(i, keep_newlines=False)) for i in missing)
        typer.echo(f"govbus: no dead letter on {dlq_topic(topic)} has ce_id {shown}", err=True)
        raise typer.Exit(1)
    return chosen, covered, skipped


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


def _new_record(
    found: DeadLetterTopic,
    before: Mapping[int, Replayed],
    covered: list[DeadLetter],
    *,
    everything: bool,
) -> dict[int, Replayed]:
    """The replay record after this replay: up to the end read, or plus the letters covered."""
    if everything:
        return {p: before.get(p, Replayed()).up_to(end) for p, end in found.ends.items()}
    record = dict(before)
    for letter in covered:
        partition = letter.record.partition
        record[partition] = record.get(partition, Replayed()).with_offsets([letter.record.offset])
    return {p: r for p, r in record.items() if r != before.get(p)}


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
    again: Annotated[
        bool, typer.Option("--again", help="Also send dead letters an earlier replay sent.")
    ] = False,
) -> None:
    """Send a topic's dead letters back to it, byte for byte, after the cause was fixed.

    Every dead letter not replayed before is sent unless --id picks some; each keeps its
    ce_id. What was sent is recorded in Kafka, so running replay again sends only dead letters
    written since. A source adapter's rejected legacy records are refused: export them, correct
    them and send them again through the adapter.
    """
    target = _Target(topic)
    origin = target.origin
    if origin is None:  # an adapter's dead-letter topic
        _refuse_source_rejects(target, target.adapter)
        return
    found = target.read()
    rejects = [letter for letter in found.letters if letter.kind == "source_reject"]
    if rejects:
        _refuse_source_rejects(target, rejects[0].reasons.get("adapter"))
    before = target.replayed() if found.letters else {}
    chosen, covered, skipped = choose(
        found.letters, origin, ids or [], replayed=before, again=again
    )
    record = _new_record(found, before, covered, everything=not ids)
    if (partition := too_long(record)) is not None:
        typer.echo(
            f"govbus: too many scattered dead letters on partition {partition} of "
            f"{target.dead_letters} were replayed one by one to record them all; replay the "
            "rest without --id",
            err=True,
        )
        raise typer.Exit(1)
    note = f" ({skipped} replayed before, not sent again)" if skipped else ""
    if dry_run:
        for letter in chosen:
            typer.echo(readable(letter))
        typer.echo(f"would replay {len(chosen)} dead letter(s) to {origin}{note}")
        return
    bootstrap = target.bootstrap
    sent = run_client(send_back(bootstrap, origin, chosen), bootstrap=bootstrap) if chosen else 0
    if record and found.exists:
        group = target.names.replay_group(target.dead_letters)
        run_client(
            record_replayed(target.options, group, target.dead_letters, record),
            bootstrap=bootstrap,
        )
    typer.echo(f"replayed {sent} dead letter(s) to {origin}{note}")
