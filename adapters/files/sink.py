"""The batch-file sink: events written into rolling batch files a legacy system collects.

A mainframe batch taker expects a few complete files a day with predictable names, not a file
per event: so events go into the **open batch**, a hidden ``.<name>.part`` file in the output
folder, and the batch is **closed** (renamed to ``<name>``, e.g. ``dvla-2026-11-25-0001.dat``)
after ``max_records_per_file`` records, ``max_file_age_s`` after its first record, or when the
sink closes. The rename is atomic and the folder is fsynced, so a collector matching ``*.dat``
sees a whole file or none, never a half-written one.

Idempotency by ce_id uses a **ledger**, ``.govbus-ledger`` in the output folder: one line
``<ce_id> TAB <file name> TAB <bytes of that file after the record>`` per event. ``deliver``
writes the record into the open batch at its expected end, fsyncs, then appends the ledger line
and fsyncs; the ledger line is the commit point. An event whose ce_id is in the ledger is not
written again (a redelivery, a replay by another consumer group, a restart). On ``open`` a torn
last ledger line is cut off and every open batch is cut back to its last ledger entry (dropping
a record written without its ledger line: that event was not acknowledged, so it comes again),
then closed. The ledger also keeps batch names from being reused after the collector took the
files away. It grows by about 60 bytes per event; rotating it is left to operations.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from adapters.files.config import FolderConfig
from adapters.files.fixed_width import LayoutError
from bus.foundation.errors import MappingError, NotConnected
from bus.messaging.subscriber import Delivery
from contracts import Event

log = logging.getLogger(__name__)
LEDGER = ".govbus-ledger"
Render = Callable[[Mapping[str, Any]], bytes]


@dataclass
class _Batch:
    name: str
    size: int
    count: int
    opened: float


class BatchFileSink:
    """Writes events into batch files in ``config.folder``; see the module docstring."""

    def __init__(self, config: FolderConfig, *, render: Render, header: bytes = b"") -> None:
        self._config = config
        self._render = render
        self._header = header
        self._ids: set[str] = set()
        self._names: set[str] = set()
        self._ledger_size = 0
        self._batch: _Batch | None = None
        self._lock = asyncio.Lock()
        self._timer: asyncio.Task[None] | None = None
        self._recovered = False

    async def open(self) -> None:
        """Recover the folder; if it is unreachable now, recovery waits for the first delivery
        (which fails with ``NotConnected`` until the folder is back, and is retried)."""
        async with self._lock:
            try:
                await asyncio.to_thread(self._recover)
            except NotConnected as exc:
                log.warning("output folder not ready, recovering on first delivery: %s", exc)
        self._timer = asyncio.create_task(self._close_old_batches())

    async def deliver(self, event: Event, delivery: Delivery) -> None:
        ce_id = delivery.envelope.id
        async with self._lock:
            if ce_id in self._ids:
                return
            try:
                record = self._render(event.model_dump(mode="json"))
            except LayoutError as exc:
                raise MappingError(f"event {ce_id}: {exc}", field=exc.field) from None
            except (TypeError, ValueError) as exc:
                raise MappingError(f"event {ce_id}: {exc}") from None
            await asyncio.to_thread(self._write, ce_id, record)

    async def close(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            with contextlib.suppress(BaseException):
                await self._timer
        async with self._lock:
            if self._batch is not None:
                try:
                    await asyncio.to_thread(self._close_batch)
                except OSError as exc:  # closed (renamed) on the next open instead
                    log.warning("batch %s could not be closed: %s", self._batch.name, exc)

    def _folder(self) -> Path:
        folder = self._config.folder
        if not folder.is_dir():
            raise NotConnected(f"output folder {folder} is not a folder", system="files")
        return folder

    def _write(self, ce_id: str, record: bytes) -> None:
        """Write one record and its ledger line, each fsynced; the ledger line commits it."""
        if not self._recovered:
            self._recover()
        try:
            folder = self._folder()
            if self._batch is not None and self._batch.count >= self._config.max_records_per_file:
                self._close_batch()  # a close that failed after the last record
            if self._batch is None:
                self._batch = _Batch(self._free_name(), 0, 0, time.monotonic())
            batch = self._batch
            data = record if batch.size else self._header + record
            _write_at(folder / _part(batch.name), batch.size, data)
            line = f"{ce_id}\t{batch.name}\t{batch.size + len(data)}\n".encode()
            _write_at(folder / LEDGER, self._ledger_size, line)
        except OSError as exc:
            raise NotConnected(
                f"cannot write to {self._config.folder}: {exc}", system="files"
            ) from exc
        self._ledger_size += len(line)
        self._ids.add(ce_id)
        self._names.add(batch.name)
        batch.size += len(data)
        batch.count += 1
        if batch.count >= self._config.max_records_per_file:
            with contextlib.suppress(OSError):  # retried by the timer or on close
                self._close_batch()

    def _close_batch(self) -> None:
        assert self._batch is not None  # noqa: S101 - callers check
        folder = self._folder()
        os.rename(folder / _part(self._batch.name), folder / self._batch.name)
        _fsync_folder(folder)
        self._batch = None

    async def _close_old_batches(self) -> None:
        tick = min(1.0, self._config.max_file_age_s / 4)
        while True:
            await asyncio.sleep(tick)
            async with self._lock:
                batch = self._batch
                if batch is None or time.monotonic() - batch.opened < self._config.max_file_age_s:
                    continue
                try:
                    await asyncio.to_thread(self._close_batch)
                except (OSError, NotConnected) as exc:
                    log.warning("batch %s could not be closed yet: %s", batch.name, exc)

    def _free_name(self) -> str:
        today = datetime.now(UTC).date().isoformat()
        folder = self._config.folder
        seq = 1
        while True:
            name = self._config.file_name.format(date=today, seq=seq)
            taken = name in self._names or (folder / name).exists()
            if not taken and not (folder / _part(name)).exists():
                return name
            seq += 1

    def _recover(self) -> None:
        """Load the ledger, cut a torn tail, cut back and close batches left open."""
        folder = self._folder()
        ledger = folder / LEDGER
        try:
            content = ledger.read_bytes()
        except FileNotFoundError:
            content = b""
        except OSError as exc:
            raise NotConnected(f"cannot read {ledger}: {exc}", system="files") from exc
        complete = content[: content.rfind(b"\n") + 1]
        ends: dict[str, int] = {}
        for line in complete.decode(errors="replace").splitlines():
            parts = line.split("\t")
            if len(parts) != 3 or not parts[2].isdigit():
                log.warning("ledger %s: skipping a damaged line %r", ledger, line[:200])
                continue
            ce_id, name, end = parts
            self._ids.add(ce_id)
            self._names.add(name)
            ends[name] = int(end)
        try:
            if len(complete) != len(content):
                os.truncate(ledger, len(complete))
            self._ledger_size = len(complete)
            for part in folder.glob(".*.part"):
                name = part.name[1 : -len(".part")]
                if name not in ends:
                    part.unlink()  # no record of it was committed
                    continue
                os.truncate(part, ends[name])
                os.rename(part, folder / name)
            _fsync_folder(folder)
            self._recovered = True
        except OSError as exc:
            raise NotConnected(f"cannot recover {folder}: {exc}", system="files") from exc


def _part(name: str) -> str:
    return f".{name}.part"


def _write_at(path: Path, offset: int, data: bytes) -> None:
    """Write ``data`` at ``offset``, dropping anything after it (a failed earlier attempt)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o644)
    try:
        os.ftruncate(fd, offset)
        written = 0
        while written < len(data):
            written += os.pwrite(fd, data[written:], offset + written)
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_folder(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
