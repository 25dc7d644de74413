"""The drop-folder source: files in an inbox become events, each file once, in name order.

Picking up: a file is a candidate when its name matches ``pattern`` (writers write a temporary
name and rename) **and** its size and modification time have not changed for ``settle_s``
(for writers that write in place). Files are taken strictly in name order: a later file waits
while an earlier one is still settling. Hidden files (``.name``) are never picked up.

Each file is first checked whole (``inspect_file``); one that cannot be read at all goes to
``quarantine/`` with ``<name>.reason.txt`` beside it, and one rejection naming it goes to the
dead-letter topic. Otherwise its records are parsed, mapped and returned in batches: partition
``("inbox", name)``, offset ``{"line": n}`` (records up to line ``n`` published), identity
``"<name>/<line>"``, so a replay yields the same event ids. A row that cannot be decoded,
parsed or mapped, or (with ``formula_cells = "reject"``) whose text starts like a spreadsheet
formula, is a ``Rejection`` at ``"file <name> line <n>"``, and the rest of the file flows.
A file moves to ``done/`` only once the offset of its last record is stored (``committed``);
after a crash the file is read again from its stored offset and earlier lines are skipped. A
file name is its identity: a second file of the same name is treated as the same file.
"""

from __future__ import annotations

import asyncio
import contextlib
import fnmatch
import logging
import os
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from adapters.files.config import FolderConfig
from adapters.files.formulas import FormulaCheck
from adapters.files.mapping import position
from adapters.files.parsed import Parsed, Unreadable
from bus.adapter_runtime.mapping import Mapper
from bus.adapter_runtime.source import Offset, Partition, Rejection, SourceRecord
from bus.foundation.errors import EndOfInput, MappingError, NotConnected

log = logging.getLogger(__name__)
Parser = Callable[[BinaryIO], Iterator[Parsed]]
Inspector = Callable[[Path], str | None]
QUARANTINE_RAW = 1024


@dataclass
class _File:
    """A file being read, or read and waiting for its last offset to be stored."""

    name: str
    stream: BinaryIO | None = None
    records: Iterator[Parsed] | None = None
    skip_through: int = 0  # lines already published before this run
    last_emitted: int | None = None
    committed: int = 0
    exhausted: bool = False


@dataclass
class _Settling:
    size: int
    mtime_ns: int
    since: float = field(default_factory=time.monotonic)


class DropFolderSource:
    """Reads the inbox of ``config`` with ``parser``; see the module docstring."""

    def __init__(
        self,
        config: FolderConfig,
        *,
        mapper: Mapper,
        parser: Parser,
        inspector: Inspector,
        formulas: FormulaCheck | None = None,
    ) -> None:
        self._config = config
        self._mapper = mapper
        self._formulas = formulas
        self._parser = parser
        self._inspector = inspector
        self._stored: dict[str, int] = {}
        self._files: dict[str, _File] = {}
        self._order: list[str] = []  # names in self._files, in the order they were opened
        self._settling: dict[str, _Settling] = {}
        self._waiting = False  # a file is in the inbox but still settling

    async def open(self, resume_from: Mapping[Partition, Offset]) -> None:
        self._stored = {
            partition[1]: int(offset.get("line", 0))
            for partition, offset in resume_from.items()
            if len(partition) == 2 and partition[0] == "inbox"
        }
        self._inbox()
        try:
            self._config.done.mkdir(parents=True, exist_ok=True)
            self._config.quarantine.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise NotConnected(
                f"cannot create done/quarantine folders: {exc}", system="files"
            ) from exc

    async def read(self) -> Sequence[SourceRecord]:
        inbox = self._inbox()
        batch: list[SourceRecord] = []
        while len(batch) < self._config.batch_size:
            current = self._reading()
            if current is None:
                name = self._next_name(inbox)
                if name is None:
                    break
                current = await self._start(inbox, name, batch)
                if current is None:
                    continue
            assert current.records is not None  # noqa: S101 - set by _start
            try:
                parsed = next(current.records, None)
            except Unreadable as exc:  # e.g. its header row: nothing of it was published
                self._close_stream(current)
                self._forget(current)
                batch.append(self._quarantine(inbox / current.name, str(exc)))
                continue
            if parsed is None:
                self._finish_reading(current)
                continue
            if parsed.last_line <= current.skip_through:
                continue  # published before a restart
            batch.append(self._record(current, parsed))
        if not (batch or self._files or self._waiting) and self._config.stop_when_empty:
            raise EndOfInput(f"inbox {inbox} is empty")
        return batch

    async def committed(self, partition: Partition, offset: Offset) -> None:
        name = partition[1]
        line = int(offset.get("line", 0))
        self._stored[name] = line
        current = self._files.get(name)
        if current is not None:
            current.committed = line
            if current.exhausted:
                self._done(current)

    async def close(self) -> None:
        for current in self._files.values():
            self._close_stream(current)
        self._files.clear()
        self._order.clear()

    def _inbox(self) -> Path:
        inbox = self._config.folder
        if not inbox.is_dir():
            raise NotConnected(f"inbox {inbox} is not a readable folder", system="files")
        return inbox

    def _reading(self) -> _File | None:
        for name in self._order:
            current = self._files[name]
            if not current.exhausted:
                return current
        return None

    def _next_name(self, inbox: Path) -> str | None:
        """The first file in name order that is ready, or ``None`` (the first may be settling)."""
        try:
            entries = sorted(
                (entry for entry in os.scandir(inbox) if self._candidate(entry)),
                key=lambda entry: entry.name,
            )
        except OSError as exc:
            raise NotConnected(f"inbox {inbox} cannot be listed: {exc}", system="files") from exc
        present = {entry.name for entry in entries}
        self._settling = {n: s for n, s in self._settling.items() if n in present}
        self._waiting = False
        for entry in entries:
            try:
                stat = entry.stat()
            except OSError:
                continue  # renamed away meanwhile
            if self._settled(entry.name, stat.st_size, stat.st_mtime_ns):
                return entry.name
            self._waiting = True
            return None
        return None

    def _candidate(self, entry: os.DirEntry[str]) -> bool:
        return (
            not entry.name.startswith(".")
            and entry.name not in self._files
            and fnmatch.fnmatchcase(entry.name, self._config.pattern)
            and entry.is_file(follow_symlinks=False)
        )

    def _settled(self, name: str, size: int, mtime_ns: int) -> bool:
        if self._config.settle_s <= 0:
            return True
        seen = self._settling.get(name)
        if seen is None or (seen.size, seen.mtime_ns) != (size, mtime_ns):
            self._settling[name] = _Settling(size, mtime_ns)
            return False
        return time.monotonic() - seen.since >= self._config.settle_s

    async def _start(self, inbox: Path, name: str, batch: list[SourceRecord]) -> _File | None:
        """Open ``name`` for reading, or quarantine it (adding its rejection to ``batch``)."""
        self._settling.pop(name, None)
        path = inbox / name
        try:
            # A whole-file pass; in a thread so a large file does not stall the event loop.
            reason = await asyncio.to_thread(self._inspector, path)
            stream: BinaryIO = path.open("rb")
        except OSError as exc:
            reason = f"cannot be read: {exc}"
        if reason is not None:
            batch.append(self._quarantine(path, reason))
            return None
        current = _File(name, stream, skip_through=self._stored.get(name, 0))
        current.records = self._parser(stream)
        self._files[name] = current
        self._order.append(name)
        return current

    def _record(self, current: _File, parsed: Parsed) -> SourceRecord:
        name = current.name
        current.last_emitted = parsed.last_line
        partition = ("inbox", name)
        offset = {"line": parsed.last_line}
        identity = f"{name}/{parsed.first_line}"
        where = position(name, parsed.first_line)
        reason = parsed.reason
        stage = "mapping"  # what every other record a file source rejects reports
        if parsed.values is not None:
            try:
                mapped = self._mapper.map(parsed.values)
            except MappingError as exc:
                reason = str(exc)
            else:
                if self._formulas is not None:
                    reason = self._formulas.check(parsed.values, mapped.event, where=where)
                if reason is None:
                    return SourceRecord(
                        partition, offset, identity, event=mapped.event, key=mapped.key,
                        subject=mapped.subject,
                    )  # fmt: skip
                stage = "formula"
        rejection = Rejection(reason or "unreadable record", where, parsed.raw, stage=stage)
        return SourceRecord(partition, offset, identity, rejection=rejection)

    def _finish_reading(self, current: _File) -> None:
        current.exhausted = True
        self._close_stream(current)
        if current.last_emitted is None or current.committed >= current.last_emitted:
            self._done(current)  # nothing (more) to wait for

    @staticmethod
    def _close_stream(current: _File) -> None:
        if current.stream is not None:
            with contextlib.suppress(OSError):
                current.stream.close()
            current.stream = None

    def _done(self, current: _File) -> None:
        config = self._config
        try:
            os.replace(config.folder / current.name, _free_path(config.done, current.name))
        except OSError as exc:
            # Left in the inbox: read again later, its stored offset skips every line.
            log.warning("file %s could not be moved to %s: %s", current.name, config.done, exc)
        self._forget(current)

    def _forget(self, current: _File) -> None:
        self._files.pop(current.name, None)
        with contextlib.suppress(ValueError):
            self._order.remove(current.name)

    def _quarantine(self, path: Path, reason: str) -> SourceRecord:
        """Move an unreadable file to quarantine with its reason; a rejection reports it."""
        raw = b""
        with contextlib.suppress(OSError), path.open("rb") as stream:
            raw = stream.read(QUARANTINE_RAW)
        target = _free_path(self._config.quarantine, path.name)
        try:
            os.replace(path, target)
            target.with_name(target.name + ".reason.txt").write_text(reason + "\n")
        except OSError as exc:
            log.warning("file %s could not be quarantined: %s", path.name, exc)
        log.warning("file %s quarantined: %s", path.name, reason)
        rejection = Rejection(f"file quarantined: {reason}", f"file {path.name}", raw)
        return SourceRecord(
            ("inbox", path.name), {"line": 0}, f"{path.name}/quarantined", rejection=rejection
        )


def _free_path(folder: Path, name: str) -> Path:
    """``folder/name``, or ``name.1``, ``name.2``... if a file of that name is already there."""
    target = folder / name
    number = 0
    while target.exists():
        number += 1
        target = folder / f"{name}.{number}"
    return target
