"""Configuration of the file adapters: kinds ``csv`` and ``fixed-width``, sources and sinks.

One model per kind serves both directions. As a **source** the folder is an inbox (a drop
folder) read in name order; as a **sink** it is the output folder batch files are written to.
Fields marked "source" or "sink" apply to that direction only.
"""

from __future__ import annotations

import codecs
from pathlib import Path
from typing import Final, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

FieldType = Literal["str", "int", "decimal", "date"]
CSV_FIELD_LIMIT = 131_072  # the stdlib csv module's default per-field limit, left untouched
# The encodings legacy files come in, by Python's canonical codec name. Each has a one-byte
# newline and delimiters, so records split on bytes before any decoding; other names of the
# same codec (utf8, latin1, windows-1252, ...) are accepted too.
ENCODINGS: Final = {
    "utf-8": "UTF-8 (the default)",
    "utf-8-sig": "UTF-8 with a byte order mark, as Excel writes it",
    "ascii": "US-ASCII",
    "iso8859-1": "latin-1, ISO 8859-1",
    "iso8859-15": "latin-9, ISO 8859-15 (latin-1 with the euro sign)",
    "cp1252": "Windows-1252, what most Windows exports call ANSI",
    "cp850": "DOS Western Europe",
    "cp437": "DOS United States",
    "cp500": "EBCDIC International (IBM mainframes)",
    "cp037": "EBCDIC US/Canada",
    "cp1140": "EBCDIC US/Canada with the euro sign",
}
EncodingErrors = Literal["strict", "replace"]
FormulaCells = Literal["reject", "flag", "allow"]


def _legacy_encoding(encoding: str) -> str:
    """``encoding`` if it names one of ``ENCODINGS``; otherwise a ``ValueError`` listing them."""
    try:
        canonical = codecs.lookup(encoding).name
    except LookupError:
        canonical = None
    if canonical not in ENCODINGS:
        known = ", ".join("latin-1" if name == "iso8859-1" else name for name in ENCODINGS)
        raise ValueError(f"unknown encoding {encoding!r}: use one of {known}") from None
    return encoding


def is_single_byte(encoding: str) -> bool:
    """Whether every character of the encoding is one byte (cp500, latin-1, cp1252, ascii)."""
    return all(len(chr(c).encode(encoding, errors="ignore")) <= 1 for c in range(256))


class FolderConfig(BaseModel):
    """What every file adapter shares: the folder, its limits and how files are picked up."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    folder: Path = Field(
        description="Source: the inbox (drop folder) to watch. Sink: the folder batch files "
        "are written to. Must exist; a missing folder is reported as the system being down."
    )
    encoding: str = Field(
        "utf-8",
        description="Text encoding of the files: utf-8, utf-8-sig, ascii, latin-1, iso-8859-15, "
        "cp1252 (Windows), cp850, cp437 (DOS), cp500, cp037, cp1140 (EBCDIC). Anything else "
        "is a configuration error.",
    )
    encoding_errors: EncodingErrors = Field(
        "strict",
        description="Source: what a record with bytes that are not valid in `encoding` does. "
        "strict: the record (row) is rejected to the dead-letter topic, naming its file, line "
        "and the bytes, and the rest of the file is published. replace: it is published with "
        "each bad byte replaced by U+FFFD.",
    )
    formula_cells: FormulaCells = Field(
        "reject",
        description="Source: what a record does whose text field starts like a spreadsheet "
        "formula (`=`, `+`, `-`, `@`, tab or carriage return; a value that is just a number "
        "such as `-5` or `+447700900123` is not one). reject (the default): the record goes to "
        "the dead-letter topic naming the column and line. flag: it is published, counted in "
        "govbus_adapter_formula_cells_total and logged without the value. allow: no check.",
    )
    formula_cells_exempt: tuple[str, ...] = Field(
        (),
        description="Source: contract fields (dotted paths, e.g. `contact.phone`) never "
        "checked for formulas, for text that legitimately starts with `+` or `-`.",
    )
    pattern: str = Field(
        "*.csv",
        description="Source: only file names matching this glob are picked up, so a writer can "
        "write `name.tmp` (or a hidden `.name`) and rename it when complete.",
    )
    settle_s: float = Field(
        2.0,
        ge=0,
        description="Source: a file is picked up only when its size and modification time have "
        "not changed for this many seconds (protects against writers that write in place).",
    )
    done_folder: Path | None = Field(
        None, description="Source: where finished files go; default `<folder>/done`."
    )
    quarantine_folder: Path | None = Field(
        None,
        description="Source: where unreadable files go, each with a `.reason.txt` next to it; "
        "default `<folder>/quarantine`.",
    )
    max_file_bytes: int = Field(
        1 << 30, ge=1, description="Source: larger files are quarantined unread."
    )
    max_record_bytes: int = Field(
        65_536,
        ge=16,
        le=CSV_FIELD_LIMIT,
        description="Source: a record (row or fixed-width record) larger than this is rejected "
        "without being held in memory.",
    )
    batch_size: int = Field(500, ge=1, description="Source: records returned per read.")
    stop_when_empty: bool = Field(
        False,
        description="Source: stop (end of input) when the inbox has no more files, for one-off "
        "loads; otherwise keep polling.",
    )
    file_name: str = Field(
        "batch-{date}-{seq:04d}.csv",
        description="Sink: name of each batch file; `{date}` is the UTC date (YYYY-MM-DD) the "
        "batch was opened, `{seq}` the next free sequence number for that date.",
    )
    max_records_per_file: int = Field(
        10_000, ge=1, description="Sink: a batch file is closed after this many records."
    )
    max_file_age_s: float = Field(
        300.0,
        gt=0,
        description="Sink: a batch file is closed this long after its first record, so a "
        "quiet period still hands a complete file over.",
    )

    @property
    def done(self) -> Path:
        return self.done_folder or self.folder / "done"

    @property
    def quarantine(self) -> Path:
        return self.quarantine_folder or self.folder / "quarantine"

    @field_validator("encoding")
    @classmethod
    def _encoding(cls, value: str) -> str:
        return _legacy_encoding(value)

    @field_validator("file_name")
    @classmethod
    def _file_name(cls, value: str) -> str:
        try:
            name = value.format(date="2026-01-01", seq=1)
        except (KeyError, IndexError, ValueError) as exc:
            raise ValueError(f"file_name {value!r}: use only {{date}} and {{seq}}: {exc}") from None
        if "/" in name or "\\" in name or name.startswith(".") or "{seq" not in value:
            raise ValueError(f"file_name {value!r} must be a plain name that uses {{seq}}")
        return value


class CsvColumn(BaseModel):
    """Sink: one column of the CSV batch file and where its value comes from."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(description="Column heading.")
    path: str = Field(description="Dotted path into the event's data, e.g. holder.family_name.")


class CsvConfig(FolderConfig):
    """Kind ``csv``: comma-separated files read with Python's csv module."""

    delimiter: str = Field(",", min_length=1, max_length=1, description="Field delimiter.")
    quotechar: str = Field('"', min_length=1, max_length=1, description="Quote character.")
    escapechar: str | None = Field(
        None, min_length=1, max_length=1, description="Escape character, if the dialect has one."
    )
    doublequote: bool = Field(True, description="A doubled quote inside quotes is one quote.")
    header: bool = Field(
        True, description="Source: the first row holds the field names. Sink: write a header."
    )
    fieldnames: tuple[str, ...] | None = Field(
        None,
        description="Source: field names for files without a header row (or to override it). "
        "Rows with a different number of fields are rejected.",
    )
    columns: tuple[CsvColumn, ...] = Field(
        (), description="Sink: the columns of each batch file, in order."
    )

    @model_validator(mode="after")
    def _names(self) -> CsvConfig:
        if not self.header and not self.fieldnames:
            raise ValueError("without a header row, give fieldnames")
        if self.fieldnames is not None and len(set(self.fieldnames)) != len(self.fieldnames):
            raise ValueError("fieldnames must be unique")
        return self


class FixedWidthField(BaseModel):
    """One field of a fixed-width record, as a COBOL copybook gives it (1-based columns)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(description="Field name (the key the mapping reads).")
    start: int = Field(ge=1, description="First column, counting from 1.")
    length: int = Field(ge=1, description="Width in characters.")
    type: FieldType = Field(
        "str",
        description="str (right-padded text), int (digits, optional sign), decimal (digits "
        "with `scale` implied decimal places, as PIC 9(5)V99), date (per `format`).",
    )
    scale: int = Field(0, ge=0, le=18, description="Implied decimal places of a decimal.")
    format: str = Field("%Y%m%d", description="strftime/strptime format of a date field.")
    path: str | None = Field(
        None, description="Sink: dotted path into the event's data; default the name."
    )
    const: str | None = Field(None, description="Sink: a constant value, e.g. a record type.")
    truncate: bool = Field(
        False, description="Sink: cut text that is too long instead of rejecting the event."
    )

    @property
    def end(self) -> int:
        """Column just past the field, 0-based, i.e. a slice end."""
        return self.start - 1 + self.length


class FixedWidthConfig(FolderConfig):
    """Kind ``fixed-width``: records of one fixed length laid out by a copybook."""

    pattern: str = Field("*.dat", description="Source: file names to pick up (glob).")
    file_name: str = Field(
        "batch-{date}-{seq:04d}.dat", description="Sink: name of each batch file."
    )
    record_length: int = Field(ge=1, le=CSV_FIELD_LIMIT, description="Characters per record.")
    layout: tuple[FixedWidthField, ...] = Field(min_length=1, description="The record layout.")
    separator: Literal["newline", "none"] = Field(
        "newline",
        description="newline: one record per line (text transfer). none: records back to back "
        "(binary transfer, RECFM=FB); needs a single-byte encoding such as cp500.",
    )
    header_records: int = Field(0, ge=0, description="Source: leading records to skip.")
    trailer_prefix: str | None = Field(
        None, min_length=1, description="Source: records starting with this are trailers, skipped."
    )

    @model_validator(mode="after")
    def _layout(self) -> FixedWidthConfig:
        names = [f.name for f in self.layout]
        if len(set(names)) != len(names):
            raise ValueError("layout field names must be unique")
        previous = None
        for spec in sorted(self.layout, key=lambda f: f.start):
            if spec.end > self.record_length:
                raise ValueError(f"layout field {spec.name!r} ends past record_length")
            if previous is not None and spec.start <= previous.end:
                raise ValueError(f"layout fields {previous.name!r} and {spec.name!r} overlap")
            previous = spec
        if self.separator == "none" and not is_single_byte(self.encoding):
            raise ValueError(f"separator none needs a single-byte encoding, not {self.encoding}")
        return self
