"""Dead letters as an operator reads them: where each came from, why, and the record itself.

Two kinds share the dead-letter headers (see ``bus.messaging.dead_letter``):

- a **subscriber's** dead letter is an event it could not handle, from an event topic: shown
  with its original topic, partition and offset, the subscriber, the stage and the reason;
- a **source reject** is a raw legacy record a source adapter could not turn into an event:
  shown with the adapter, its position (``file badges.csv line 7``, ``table deaths id 981``),
  the stage, the reason and the raw record.

Everything shown comes from Kafka and is escaped (control characters, ANSI escapes, bidi
overrides) and bounded, so a hostile or huge record cannot take over the terminal.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any, Literal

from aiokafka import TopicPartition

from bus.cli.connection import DEFAULT_DEADLINE_S, assign_all, group_less_consumer
from bus.cli.safe_text import bounded, printable, raw_text
from bus.foundation.errors import RejectedRecord
from bus.messaging.dead_letter import is_source_reject, reasons, strip_dead_letter_headers
from bus.messaging.envelope import from_kafka

# A raw row on a terminal is shown up to this many characters; `dlq export` gives it whole.
MAX_RECORD_SHOWN = 4096
# `--json` output carries more of the record, still bounded.
MAX_RECORD_JSON = 64 * 1024

Kind = Literal["source_reject", "subscriber"]


@dataclass(frozen=True, slots=True)
class DeadLetter:
    """A record on a dead-letter topic, with govbus's reasons read from its headers."""

    record: Any  # aiokafka's ConsumerRecord
    reasons: dict[str, str]
    ce_id: str | None

    @classmethod
    def of(cls, record: Any) -> DeadLetter:
        """The dead letter ``record`` is, with its reasons and (for an event) its ce_id."""
        why = reasons(list(record.headers))
        return cls(record, why, None if is_source_reject(why) else _ce_id(record))

    @property
    def kind(self) -> Kind:
        return "source_reject" if is_source_reject(self.reasons) else "subscriber"

    @property
    def key(self) -> str | None:
        key = self.record.key
        return None if key is None else printable(raw_text(key), keep_newlines=False)

    def record_text(self, limit: int) -> str:
        """The dead-lettered value as escaped text, at most ``limit`` characters of it."""
        return bounded(printable(raw_text(self.record.value)), limit)

    def summary(self) -> dict[str, Any]:
        """What `govbus dlq list --json` prints for this dead letter (texts escaped)."""
        why = {name: printable(value, keep_newlines=False) for name, value in self.reasons.items()}
        common = {
            "kind": self.kind,
            "dlq_partition": self.record.partition,
            "dlq_offset": self.record.offset,
            "stage": why.get("stage"),
            "error_class": why.get("error_class"),
            "error_message": why.get("error_message"),
            "time": why.get("time"),
        }
        if self.kind == "source_reject":
            value = self.record.value
            return common | {
                "adapter": why.get("adapter"),
                "position": why.get("position"),
                "identity": self.key,
                "record": self.record_text(MAX_RECORD_JSON),
                "record_bytes": 0 if value is None else len(value),
            }
        return common | {
            "topic": why.get("topic"),
            "partition": _integer(why.get("partition")),
            "offset": _integer(why.get("offset")),
            "attempts": _integer(why.get("attempts")),
            "subscriber": why.get("subscriber"),
            "ce_id": None if self.ce_id is None else printable(self.ce_id, keep_newlines=False),
        }

    def position(self) -> str:
        """Where the record came from: its legacy position, or its event topic and offset."""
        s = self.summary()
        if s["kind"] == "source_reject":
            return str(s["position"] or "-")
        return f"{s['topic'] or '?'}[{_or_dash(s['partition'])}]@{_or_dash(s['offset'])}"


def _integer(text: str | None) -> int | None:
    return int(text) if text is not None and text.isdigit() else None


def _or_dash(value: object) -> str:
    return "-" if value is None else str(value)


def _ce_id(record: Any) -> str | None:
    for name, value in record.headers:
        if name.lower() == "ce_id" and value is not None:
            return str(value.decode("utf-8", "replace"))
    try:  # a structured-mode record carries its id in the value
        return from_kafka(strip_dead_letter_headers(list(record.headers)), record.value).id
    except RejectedRecord:
        return None


def readable(letter: DeadLetter, *, replayed: bool | None = None) -> str:
    """The text ``govbus dlq list`` and ``govbus tail`` print for one dead letter."""
    s = letter.summary()
    where = f"(dead letter {s['dlq_partition']}@{s['dlq_offset']})"
    error = f"{s['error_class'] or '-'}: {s['error_message'] or ''}"
    if s["kind"] == "source_reject":
        lines = [
            f"--- {letter.position()}  {where}",
            f"adapter   {s['adapter'] or '-'}",
            f"identity  {s['identity'] or '-'}",
            f"stage     {s['stage'] or '-'}",
            f"error     {error}",
            f"time      {s['time'] or '-'}",
            "record    " + letter.record_text(MAX_RECORD_SHOWN).replace("\n", "\n          "),
        ]
        return "\n".join(lines)
    lines = [
        f"--- {letter.position()}  {where}",
        f"ce_id     {s['ce_id'] or '-'}",
        f"stage     {s['stage'] or '-'}",
        f"error     {error}",
        f"attempts  {_or_dash(s['attempts'])}",
        f"time      {s['time'] or '-'}",
        f"by        {s['subscriber'] or '-'}",
    ]
    if replayed is not None:
        lines.append(f"replayed  {'yes' if replayed else 'no'}")
    return "\n".join(lines)


@dataclass(frozen=True, slots=True)
class DeadLetterTopic:
    """The dead letters on a topic up to the end offsets it had when reading started."""

    topic: str
    letters: list[DeadLetter] = field(default_factory=list)
    ends: dict[int, int] = field(default_factory=dict)  # partition -> end offset read up to
    exists: bool = True


async def read_dead_letters(bootstrap: str, topic: str) -> DeadLetterTopic:
    """Every dead letter on ``topic`` up to its end offsets at the start, oldest first."""
    consumer = group_less_consumer(bootstrap)
    letters: list[DeadLetter] = []
    try:
        await consumer.start()
        assigned = await assign_all(consumer, bootstrap, topic)
        if assigned is None:
            return DeadLetterTopic(topic, exists=False)
        await consumer.seek_to_beginning(*assigned)
        ends: dict[TopicPartition, int] = await consumer.end_offsets(assigned)
        remaining = {tp for tp in assigned if await consumer.position(tp) < ends[tp]}
        async with asyncio.timeout(DEFAULT_DEADLINE_S):
            while remaining:
                batch = await consumer.getmany(*remaining, timeout_ms=500)
                for tp, records in batch.items():
                    letters += [DeadLetter.of(r) for r in records if r.offset < ends[tp]]
                remaining = {tp for tp in remaining if await consumer.position(tp) < ends[tp]}
    finally:
        await consumer.stop()
    # Partitions interleave; the order they were dead-lettered in is what an operator follows.
    letters.sort(key=lambda d: (d.reasons.get("time", ""), d.record.partition, d.record.offset))
    return DeadLetterTopic(topic, letters, {tp.partition: end for tp, end in ends.items()})
