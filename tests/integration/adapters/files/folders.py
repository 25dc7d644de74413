"""Real folders for the file adapters' behaviour suites: a drop folder and an output folder.

The DVLA's cancelled-licence records serve as the legacy data, as a CSV export and as the
fixed-width EBCDIC file a mainframe sends (records back to back, no newlines).
"""

from __future__ import annotations

import csv
import io
import os
import shutil
from datetime import date
from pathlib import Path
from typing import Any, Literal

from adapters.files import csv_sink, csv_source, fixed_width_sink, fixed_width_source
from adapters.files.config import CsvColumn, CsvConfig, FixedWidthConfig, FixedWidthField
from adapters.files.fixed_width import parse_record
from bus.adapter_runtime.mapping import Mapper, MappingConfig
from bus.adapter_runtime.plugins import SourceContext
from bus.adapter_runtime.sink import Sink
from bus.adapter_runtime.source import Source
from contracts.catalogue.dvla import DrivingLicenceCancelledV1

Kind = Literal["csv", "fixed-width"]
CSV_HEADER = ["driver_number", "given_names", "family_name", "cancelled_on", "reason", "ref"]
LAYOUT = (
    FixedWidthField(name="record_type", start=1, length=1, const="D"),
    FixedWidthField(name="driver_number", start=2, length=16),
    FixedWidthField(name="family_name", start=18, length=30, path="holder.family_name"),
    FixedWidthField(name="given_names", start=48, length=30, path="holder.given_names"),
    FixedWidthField(name="cancelled_on", start=78, length=8, type="date"),
    FixedWidthField(name="reason", start=86, length=16),
    FixedWidthField(name="ref", start=102, length=20, path="tell_us_once_reference"),
)
RECORD_LENGTH = 121


def mapping(kind: Kind) -> MappingConfig:
    """Legacy DVLA record -> DrivingLicenceCancelledV1; the CSV writes dates as dd/mm/yyyy."""
    cancelled: dict[str, Any] = {"from": "cancelled_on", "type": "date"}
    if kind == "csv":
        cancelled["format"] = "%d/%m/%Y"
    return MappingConfig.model_validate(
        {
            "contract": "uk.gov.dvla.driving-licence-cancelled.v1",
            "key": "{driver_number}",
            "identity": "{ref}",
            "fields": {
                "driver_number": "driver_number",
                "holder.given_names": "given_names",
                "holder.family_name": "family_name",
                "cancelled_on": cancelled,
                "reason": "reason",
                "tell_us_once_reference": "ref",
            },
        }
    )


def fixed_width_config(folder: Path, **changes: Any) -> FixedWidthConfig:
    options: dict[str, Any] = {
        "folder": folder, "encoding": "cp500", "separator": "none", "settle_s": 0,
        "record_length": RECORD_LENGTH, "layout": LAYOUT,
    } | changes  # fmt: skip
    return FixedWidthConfig.model_validate(options)


def csv_config(folder: Path, **changes: Any) -> CsvConfig:
    columns = [
        CsvColumn(name="driver_number", path="driver_number"),
        CsvColumn(name="family_name", path="holder.family_name"),
        CsvColumn(name="given_names", path="holder.given_names"),
        CsvColumn(name="cancelled_on", path="cancelled_on"),
        CsvColumn(name="ref", path="tell_us_once_reference"),
    ]
    return CsvConfig.model_validate({"folder": folder, "settle_s": 0, "columns": columns} | changes)


def row(number: int) -> dict[str, Any]:
    """A good legacy record numbered ``number`` (its Tell Us Once reference is TUO-<n>)."""
    return {
        "driver_number": "ODUYA407191JE9AB",
        "given_names": "Joseph Emeka",
        "family_name": "Oduya",
        "cancelled_on": date(2025, 3, 5),
        "reason": "death-of-holder",
        "ref": f"TUO-{number}",
    }


def csv_bytes(rows: list[dict[str, Any]], *, header: bool = True) -> bytes:
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\r\n")
    if header:
        writer.writerow(CSV_HEADER)
    for values in rows:
        cells = dict(values)
        if isinstance(cells["cancelled_on"], date):
            cells["cancelled_on"] = cells["cancelled_on"].strftime("%d/%m/%Y")
        writer.writerow([cells[name] for name in CSV_HEADER])
    return text.getvalue().encode()


def fixed_width_record(values: dict[str, Any]) -> str:
    """One record as the mainframe lays it out (built by hand, not by the adapter)."""
    day = values["cancelled_on"]
    text: str = "D" + values["driver_number"].ljust(16) + values["family_name"].ljust(30)
    text += values["given_names"].ljust(30)
    text += day.strftime("%Y%m%d") if isinstance(day, date) else str(day).ljust(8)
    text += values["reason"].ljust(16) + values["ref"].ljust(20)
    assert len(text) == RECORD_LENGTH
    return text


def drop(inbox: Path, name: str, content: bytes) -> None:
    """Put a file in the inbox as a careful sender does: write a hidden name, then rename."""
    temporary = inbox / f".{name}.tmp"
    temporary.write_bytes(content)
    os.replace(temporary, inbox / name)


class Unplug:
    """Takes a folder down by replacing it with a regular file (chmod does not stop root)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.away = folder.with_name(folder.name + ".away")

    async def take_down(self) -> None:
        self.folder.rename(self.away)
        self.folder.write_text("not a folder\n")

    async def bring_up(self) -> None:
        self.folder.unlink()
        self.away.rename(self.folder)


class DropFolderHarness(Unplug):
    """``SourceHarness`` over a real inbox. Each ``add`` drops one new file, in name order.

    A drop folder consumes its files (they move to ``done/``); re-reading the same records, as
    the replay test does, is what an operator does by moving files back from ``done/``. So
    each new ``source()`` first puts every done file back into the inbox.
    """

    contract = DrivingLicenceCancelledV1

    def __init__(self, root: Path, kind: Kind) -> None:
        super().__init__(root / "inbox")
        self.folder.mkdir()
        self.kind = kind
        self.mapping = mapping(kind)
        self.files = 0

    def _name(self) -> str:
        self.files += 1
        return f"dvla-{self.files:04d}." + ("csv" if self.kind == "csv" else "dat")

    def _content(self, rows: list[dict[str, Any]]) -> bytes:
        if self.kind == "csv":
            return csv_bytes(rows)
        return "".join(fixed_width_record(r) for r in rows).encode("cp500")

    async def add(self, numbers: range) -> None:
        drop(self.folder, self._name(), self._content([row(n) for n in numbers]))

    async def add_bad(self) -> str:
        bad = row(0) | {"cancelled_on": "31/02/2025" if self.kind == "csv" else "20250231"}
        name = self._name()
        drop(self.folder, name, self._content([bad]))
        line = 2 if self.kind == "csv" else 1
        return f"file {name} line {line}"

    def config(self) -> CsvConfig | FixedWidthConfig:
        if self.kind == "csv":
            return csv_config(self.folder)
        return fixed_width_config(self.folder)

    def source(self, mapper: Mapper) -> Source:
        done = self.folder / "done"
        if done.is_dir():
            for path in done.iterdir():
                if not (self.folder / path.name).exists():
                    shutil.move(path, self.folder / path.name)
        context = SourceContext(name="files", mapper=mapper)
        config = self.config()
        if isinstance(config, CsvConfig):
            return csv_source(config, context)
        return fixed_width_source(config, context)

    def number_of(self, event: Any) -> int:
        return int(event.tell_us_once_reference.removeprefix("TUO-"))


class OutputFolderHarness(Unplug):
    """``SinkHarness`` over a real output folder; ``delivered`` reads the closed batch files."""

    contract = DrivingLicenceCancelledV1

    def __init__(self, root: Path, kind: Kind) -> None:
        super().__init__(root / "outbox")
        self.folder.mkdir()
        self.kind = kind

    def config(self) -> CsvConfig | FixedWidthConfig:
        limits: dict[str, Any] = {"max_file_age_s": 0.2, "max_records_per_file": 3}
        if self.kind == "csv":
            return csv_config(self.folder, **limits)
        return fixed_width_config(
            self.folder, separator="newline", file_name="dvla-{date}-{seq:04d}.dat", **limits
        )

    def sink(self) -> Sink:
        config = self.config()
        if isinstance(config, CsvConfig):
            return csv_sink(config)
        return fixed_width_sink(config)

    def event(self, number: int) -> DrivingLicenceCancelledV1:
        values = row(number)
        return DrivingLicenceCancelledV1.model_validate(
            {
                "driver_number": values["driver_number"],
                "holder": {"given_names": "Joseph Emeka", "family_name": "Oduya"},
                "cancelled_on": values["cancelled_on"],
                "reason": values["reason"],
                "tell_us_once_reference": values["ref"],
            }
        )

    def batch_files(self) -> list[Path]:
        """The closed batch files, as the collecting system sees them."""
        if not self.folder.is_dir():
            return []
        return sorted(p for p in self.folder.iterdir() if not p.name.startswith("."))

    def records(self) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        config = self.config()
        for path in self.batch_files():
            if isinstance(config, CsvConfig):
                found += csv.DictReader(io.StringIO(path.read_text(encoding="utf-8")))
            else:
                for line in path.read_bytes().decode("cp500").splitlines():
                    found.append(parse_record(line, config))
        return found

    async def delivered(self) -> list[int]:
        return [int(r["ref"].removeprefix("TUO-")) for r in self.records()]
