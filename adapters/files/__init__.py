"""File adapters: drop-folder sources and batch-file sinks, kinds ``csv`` and ``fixed-width``.

``CSV_KIND`` reads and writes comma-separated files with the stdlib csv module;
``FIXED_WIDTH_KIND`` reads and writes fixed-width records laid out by a copybook, in any
single-byte encoding such as EBCDIC ``cp500``. See ``config.py`` for every setting.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Mapping
from functools import partial
from typing import Any

from adapters.files.config import CsvConfig, FixedWidthConfig, FolderConfig
from adapters.files.csv_rows import csv_rows
from adapters.files.fixed_width import fixed_width_rows, format_record
from adapters.files.formulas import FormulaCheck
from adapters.files.lines import inspect_file
from adapters.files.mapping import csv_cells, neutralise
from adapters.files.sink import BatchFileSink
from adapters.files.source import DropFolderSource
from bus.adapter_runtime.plugins import AdapterKind, SinkContext, SourceContext
from bus.foundation.errors import ConfigError

__all__ = [
    "CSV_KIND",
    "FIXED_WIDTH_KIND",
    "BatchFileSink",
    "CsvConfig",
    "DropFolderSource",
    "FixedWidthConfig",
    "csv_sink",
    "csv_source",
    "fixed_width_sink",
    "fixed_width_source",
]


def csv_source(config: CsvConfig, context: SourceContext) -> DropFolderSource:
    """A drop-folder source of CSV files."""
    inspector = partial(
        inspect_file,
        max_bytes=config.max_file_bytes,
        needs_content=config.header,
    )
    return DropFolderSource(
        config,
        mapper=context.mapper,
        parser=partial(csv_rows, config=config),
        inspector=inspector,
        formulas=_formula_check(config, context),
    )


def fixed_width_source(config: FixedWidthConfig, context: SourceContext) -> DropFolderSource:
    """A drop-folder source of fixed-width files."""
    inspector = partial(
        inspect_file,
        max_bytes=config.max_file_bytes,
        record_length=config.record_length if config.separator == "none" else None,
    )
    return DropFolderSource(
        config,
        mapper=context.mapper,
        parser=partial(fixed_width_rows, config=config),
        inspector=inspector,
        formulas=_formula_check(config, context),
    )


def _formula_check(config: FolderConfig, context: SourceContext) -> FormulaCheck | None:
    if config.formula_cells == "allow":
        return None
    return FormulaCheck(
        context.mapper.config,
        adapter=context.name,
        mode=config.formula_cells,
        exempt=config.formula_cells_exempt,
    )


def _csv_line(config: CsvConfig, cells: list[str]) -> bytes:
    text = io.StringIO()
    csv.writer(
        text,
        delimiter=config.delimiter,
        quotechar=config.quotechar,
        escapechar=config.escapechar,
        doublequote=config.doublequote,
        lineterminator="\r\n",  # RFC 4180
    ).writerow(cells)
    return text.getvalue().encode(_record_encoding(config.encoding))


def _record_encoding(encoding: str) -> str:
    """The codec of one record: utf-8-sig's byte order mark belongs once, at the file's start."""
    return "utf-8" if codecs.lookup(encoding).name == "utf-8-sig" else encoding


def _file_start(encoding: str) -> bytes:
    return codecs.BOM_UTF8 if codecs.lookup(encoding).name == "utf-8-sig" else b""


def csv_sink(config: CsvConfig, context: SinkContext | None = None) -> BatchFileSink:
    """A batch-file sink writing CSV, neutralised against formula injection."""
    if not config.columns:
        raise ConfigError("a csv sink needs columns: give [[columns]] with name and path")

    def render(data: Mapping[str, Any]) -> bytes:
        return _csv_line(config, csv_cells(data, config.columns))

    header = [neutralise(column.name) for column in config.columns]
    first = _csv_line(config, header) if config.header else b""
    return BatchFileSink(config, render=render, header=_file_start(config.encoding) + first)


def fixed_width_sink(config: FixedWidthConfig, context: SinkContext | None = None) -> BatchFileSink:
    """A batch-file sink writing fixed-width records, one per line unless ``separator`` none."""
    end = "\n" if config.separator == "newline" else ""
    encoding = _record_encoding(config.encoding)

    def render(data: Mapping[str, Any]) -> bytes:
        return (format_record(data, config) + end).encode(encoding)

    return BatchFileSink(config, render=render, header=_file_start(config.encoding))


CSV_KIND = AdapterKind(
    name="csv",
    summary="CSV files: a drop-folder source and a batch-file sink.",
    config=CsvConfig,
    source=csv_source,
    sink=csv_sink,
)
FIXED_WIDTH_KIND = AdapterKind(
    name="fixed-width",
    summary="Fixed-width (copybook) files, e.g. EBCDIC: a drop-folder source and a batch sink.",
    config=FixedWidthConfig,
    source=fixed_width_source,
    sink=fixed_width_sink,
)
