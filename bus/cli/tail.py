"""`govbus tail TOPIC`: print a topic's records as they arrive, readably or as JSON lines.

The consumer belongs to no consumer group: it reads every partition, commits nothing and takes
no partition from a subscriber. A record that cannot be decoded is printed with the reason, and
tailing goes on. A dead letter (on a ``.dlq`` topic) is printed as ``govbus dlq list`` prints it:
where it came from, why, and for a source adapter's reject the raw record, escaped. The topic is
named with or without ``GOVBUS_TOPIC_PREFIX``, as ``govbus run`` names it. ``--max`` and
``--timeout`` make it stop by itself.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from datetime import UTC, datetime
from typing import Annotated, Any

import orjson
import typer
from aiokafka import AIOKafkaConsumer

from bus.cli.connection import assign_all, group_less_consumer, resolve_bootstrap, run_client
from bus.cli.dead_letters import DeadLetter
from bus.cli.dead_letters import readable as readable_dead_letter
from bus.cli.output import load_settings
from bus.cli.safe_text import printable
from bus.foundation.errors import RejectedRecord
from bus.messaging.dead_letter import is_dead_letter
from bus.messaging.envelope import Envelope, from_kafka
from bus.messaging.topic_names import TopicNames
from contracts import ContractError, default_registry

# A terminal is not the place for a megabyte of JSON; the rest is cut with a note.
MAX_SHOWN_CHARS = 64 * 1024


def describe(record: Any) -> dict[str, Any]:
    """A consumed record as plain data: position, CloudEvents attributes, data, and any error.

    ``error`` is ``None`` or ``{"stage": ..., "message": ...}`` with the stage of the check that
    refused the record (envelope, json, type, contract), as a subscriber would dead-letter it.
    """
    shown: dict[str, Any] = {
        "topic": record.topic,
        "partition": record.partition,
        "offset": record.offset,
        "timestamp": datetime.fromtimestamp(record.timestamp / 1000, UTC).isoformat(),
        "key": None if record.key is None else record.key.decode("utf-8", "backslashreplace"),
        "type": None,
        "id": None,
        "source": None,
        "subject": None,
        "time": None,
        "data": None,
        "error": None,
    }
    try:
        envelope = from_kafka(record.headers, record.value)
    except RejectedRecord as exc:
        shown["error"] = {"stage": exc.stage, "message": str(exc)}
        return shown
    shown |= _attributes(envelope)
    try:
        shown["data"] = orjson.loads(envelope.data)
    except orjson.JSONDecodeError as exc:
        shown["error"] = {"stage": "json", "message": f"value is not JSON: {exc}"}
        return shown
    try:
        model = default_registry.by_cloudevents_type(envelope.type)
    except ContractError:
        shown["error"] = {"stage": "type", "message": "ce_type is not a known contract"}
        return shown
    try:
        model.from_consumed(shown["data"])
    except ContractError as exc:
        shown["error"] = {"stage": "contract", "message": str(exc)}
    return shown


def _attributes(envelope: Envelope) -> dict[str, Any]:
    return {
        "type": envelope.type,
        "id": envelope.id,
        "source": envelope.source,
        "subject": envelope.subject,
        "time": envelope.time.isoformat() if envelope.time else None,
    }


def readable(shown: dict[str, Any]) -> str:
    """The text ``govbus tail`` prints for one described record."""
    lines = [
        f"--- {shown['topic']}[{shown['partition']}]@{shown['offset']}  {shown['timestamp']}",
        f"time     {shown['time'] or '-'}",
        f"type     {shown['type'] or '-'}",
        f"id       {shown['id'] or '-'}",
        f"key      {shown['key'] if shown['key'] is not None else '-'}",
        f"subject  {shown['subject'] or '-'}",
    ]
    if shown["error"] is not None:
        lines.append(f"error    {shown['error']['stage']}: {shown['error']['message']}")
    if shown["data"] is not None:
        text = json.dumps(shown["data"], indent=2, ensure_ascii=False)
        if len(text) > MAX_SHOWN_CHARS:
            text = text[:MAX_SHOWN_CHARS] + f"\n... ({len(text) - MAX_SHOWN_CHARS} more characters)"
        lines.append(text)
    return printable("\n".join(lines))


def dead_letter_shown(record: Any) -> dict[str, Any]:
    """A dead letter as plain data: its place on the dead-letter topic and its summary."""
    return {
        "topic": record.topic,
        "partition": record.partition,
        "offset": record.offset,
        "timestamp": datetime.fromtimestamp(record.timestamp / 1000, UTC).isoformat(),
        "dead_letter": DeadLetter.of(record).summary(),
    }


def shown_as(record: Any, *, as_json: bool) -> str:
    """The line(s) ``govbus tail`` prints for ``record``: a dead letter, or an event."""
    if is_dead_letter(list(record.headers)):
        if as_json:
            return json.dumps(dead_letter_shown(record), ensure_ascii=True)
        return readable_dead_letter(DeadLetter.of(record))
    shown = describe(record)
    return json.dumps(shown, ensure_ascii=True) if as_json else readable(shown)


async def _wait_and_assign(
    consumer: AIOKafkaConsumer, bootstrap: str, topic: str, from_beginning: bool
) -> None:
    """Assign ``topic`` once it exists; a topic created meanwhile is read from its beginning."""
    created_meanwhile = False
    while (assigned := await assign_all(consumer, bootstrap, topic)) is None:
        if not created_meanwhile:
            typer.echo(f"waiting for topic {topic} to exist", err=True)
        created_meanwhile = True
        await asyncio.sleep(1.0)
    if from_beginning or created_meanwhile:
        await consumer.seek_to_beginning(*assigned)
    else:
        await consumer.seek_to_end(*assigned)
    for partition in assigned:
        await consumer.position(partition)  # resolve now, so nothing published after is missed
    start = "beginning" if from_beginning or created_meanwhile else "end"
    typer.echo(f"tailing {topic} ({len(assigned)} partitions) from the {start}", err=True)


async def _tail(
    bootstrap: str,
    topic: str,
    *,
    from_beginning: bool,
    max_records: int | None,
    timeout_s: float | None,
    as_json: bool,
) -> None:
    consumer = group_less_consumer(bootstrap)
    printed = 0
    try:
        await consumer.start()
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(timeout_s):
                await _wait_and_assign(consumer, bootstrap, topic, from_beginning)
                while max_records is None or printed < max_records:
                    batch = await consumer.getmany(timeout_ms=500)
                    for records in batch.values():
                        for record in records:
                            if max_records is not None and printed >= max_records:
                                break
                            typer.echo(shown_as(record, as_json=as_json))
                            printed += 1
    finally:
        await consumer.stop()


def tail(
    topic: Annotated[
        str,
        typer.Argument(
            help="The topic to read, e.g. gro.death-registered.v1 or its .dlq; "
            "GOVBUS_TOPIC_PREFIX is added if missing."
        ),
    ],
    from_beginning: Annotated[
        bool, typer.Option("--from-beginning", help="Start at the oldest record, not the end.")
    ] = False,
    max_records: Annotated[
        int | None, typer.Option("--max", min=1, help="Stop after printing N records.")
    ] = None,
    timeout_s: Annotated[
        float | None, typer.Option("--timeout", min=0.1, help="Stop after S seconds.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object per line.")] = (
        False
    ),
) -> None:
    """Print a topic's records as they arrive, without joining a consumer group."""
    settings = load_settings()
    bootstrap = resolve_bootstrap(settings)
    run_client(
        _tail(
            bootstrap,
            TopicNames(settings.topic_prefix).named(topic),
            from_beginning=from_beginning,
            max_records=max_records,
            timeout_s=timeout_s,
            as_json=as_json,
        ),
        bootstrap=bootstrap,
    )
