"""The source contract: how an adapter turns what a legacy system did into events.

A source reads; the runtime does everything else. Every record carries its *source partition*
(e.g. ``("registrar", "deaths")`` or ``("inbox", "dvla-2026-11-25.dat")``) and the *offset* just
past it (``{"id": 981}``, ``{"line": 1234}``). The runtime publishes a batch, waits until Kafka
acknowledged every event in it, stores the last offset per partition in the bus's compacted
offsets topic, and only then tells the source with ``committed``. A source never writes its own
checkpoint. A record the source cannot map is returned as a rejection; the runtime writes it to
the adapter's dead-letter topic with its position and reason, and the flow continues.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from contracts import Event

Partition = tuple[str, ...]
Offset = Mapping[str, str | int]


@dataclass(frozen=True, slots=True)
class Rejection:
    """A legacy record that could not become an event: why, where, and its raw bytes."""

    reason: str
    position: str  # "file deaths.csv line 12", "table deaths id 981", "GET https://..."
    raw: bytes
    stage: str = "mapping"  # or e.g. "parse" for input that is not even a record
    error_class: str = "MappingError"


@dataclass(frozen=True, slots=True)
class SourceRecord:
    """One legacy record read: an event to publish, or a rejection; with its position.

    ``identity`` names the record in the legacy system (``"deaths/981"``); with the source and
    the contract version it determines the event id, so a replay yields the same ``ce_id``.
    """

    partition: Partition
    offset: Offset
    identity: str
    event: Event | None = None
    key: str = ""
    subject: str | None = None
    rejection: Rejection | None = None

    def __post_init__(self) -> None:
        if (self.event is None) == (self.rejection is None):
            raise ValueError("a source record carries either an event or a rejection")


class Source(Protocol):
    """Reads one legacy system and turns what it did into contract events.

    Called by the runtime only, from one task, never concurrently:

    1. ``open(resume_from)`` once, with the offsets the bus last stored for each partition
       (empty on the first run). Raises ``NotConnected`` if the system cannot be reached.
    2. ``read()`` repeatedly; returns a batch in offset order, possibly empty (the runtime then
       waits the poll interval). Raises ``NotConnected`` to be closed and reopened with backoff,
       ``EndOfInput`` when a finite input is drained. It may block on the legacy system, never
       on Kafka; cancellation while it blocks must leave nothing half-done.
    3. ``committed(partition, offset)`` after the records up to ``offset`` are safely in Kafka
       and their offset is stored (e.g. a file source then moves a finished file to ``done/``).
       The runtime reads one batch ahead, so ``read()`` may return the next batch before
       ``committed`` is called for the last one; the two are never called at the same time.
    4. ``close()`` once, also after cancellation or an error; it must not raise.
    """

    async def open(self, resume_from: Mapping[Partition, Offset]) -> None: ...

    async def read(self) -> Sequence[SourceRecord]: ...

    async def committed(self, partition: Partition, offset: Offset) -> None: ...

    async def close(self) -> None: ...
