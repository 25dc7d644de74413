"""A source that polls a SQL table, view or SELECT in watermark order.

Each poll reads at most ``batch_size`` rows after the last one read, ordered by the key column,
or by ``(timestamp, key)`` when a timestamp watermark is set, so rows sharing a timestamp are
neither lost nor repeated. Every row becomes a record whose offset is its watermark
(``{"key": 981}`` or ``{"ts": "2025-03-04T10:00:00", "key": 981}``) in the partition
``(<table>,)``; a row the mapper refuses, with bytes that are not UTF-8, or whose event is too
large, becomes a rejection positioned ``table <t> key <k>``. Polls run in read-only
transactions; only bound parameters reach the database, identifiers are validated and quoted.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping, Sequence
from typing import Any

import orjson
from sqlalchemy import ColumnElement, Select, and_, column, literal_column, or_, select, table, text
from sqlalchemy import exc as sa_exc
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.sql.elements import ColumnClause
from sqlalchemy.sql.selectable import FromClause

from adapters.sql.config import SqlConfig, SqlSourceConfig
from adapters.sql.connection import connected, create_engine
from adapters.sql.mapping import NotText, like, record_of, rejected_copy, scalar
from bus.adapter_runtime.mapping import Mapper
from bus.adapter_runtime.source import Offset, Partition, Rejection, SourceRecord
from bus.foundation.errors import ConfigError, MappingError, NotConnected


class SqlSource:
    """Polls one table or query of one database; see the module docstring for the rules."""

    def __init__(self, config: SqlConfig, mapper: Mapper, *, name: str = "sql") -> None:
        if config.source is None:
            raise ConfigError(f"adapter {name!r}: kind sql needs a [source] table to read")
        self._config = config
        self._options: SqlSourceConfig = config.source
        self._mapper = mapper
        self._system = f"{name} ({config.source.partition_name})"
        self.partition: Partition = (config.source.partition_name,)
        self._engine: AsyncEngine | None = None
        self._from = self._source_clause(self._options)
        self._after: dict[str, Any] | None = None  # watermark of the last row read, as stored
        self._typed: dict[str, Any] | None = None  # the same, as the column's Python types
        self._last_empty = 0.0

    async def open(self, resume_from: Mapping[Partition, Offset]) -> None:
        """Connect and check the source can be selected; resume after the stored watermark."""
        self._engine = create_engine(
            self._config.url.get_secret_value(),
            connect_timeout_s=self._config.connect_timeout_s,
            read_only=True,
        )
        stored = resume_from.get(self.partition)
        self._after = dict(stored) if stored else None
        self._typed = None
        try:
            async with connected(self._engine, system=self._system) as connection:
                await connection.execute(self._select().limit(0))
        except sa_exc.DBAPIError as error:
            raise NotConnected(
                f"{self._system}: cannot select from the source: {_reason(error)}",
                system=self._system,
            ) from error

    async def read(self) -> Sequence[SourceRecord]:
        """The next rows after the watermark, as records; empty when there are none yet."""
        if self._engine is None:
            raise NotConnected(f"{self._system}: not open", system=self._system)
        pause = self._options.poll_interval_s - (time.monotonic() - self._last_empty)
        if pause > 0:
            await asyncio.sleep(pause)
        try:
            async with connected(self._engine, system=self._system, begin=True) as connection:
                if self._after is not None and self._typed is None:
                    self._typed = await self._typed_watermark(connection)
                    if self._typed is None:
                        return self._empty()
                result = await connection.execute(self._select().limit(self._options.batch_size))
                rows = [dict(row) for row in result.mappings()]
        except sa_exc.DBAPIError as error:
            # A statement the database refuses (a column dropped, a table renamed) is retried
            # with backoff like an outage: it needs the operator, and nothing is skipped.
            raise NotConnected(f"{self._system}: {_reason(error)}", system=self._system) from error
        if not rows:
            return self._empty()
        records = [self._record(row) for row in rows]
        last = rows[-1]
        self._typed = {name: last[col] for name, col in self._watermark_columns().items()}
        self._after = {name: scalar(value) for name, value in self._typed.items()}
        return records

    async def committed(self, partition: Partition, offset: Offset) -> None:
        """Nothing to do: the bus stores the watermark."""

    async def close(self) -> None:
        """Release the database connections."""
        engine, self._engine = self._engine, None
        if engine is not None:
            await engine.dispose()

    def _empty(self) -> list[SourceRecord]:
        self._last_empty = time.monotonic()
        return []

    def _record(self, row: dict[str, Any]) -> SourceRecord:
        key = row.get(self._options.key_column)
        offset = {name: scalar(row[col]) for name, col in self._watermark_columns().items()}
        position = f"table {self.partition[0]} key {scalar(key)}"
        identity = f"{self.partition[0]}/{scalar(key)}"
        try:
            mapped = self._mapper.map(record_of(row))
            size = len(orjson.dumps(mapped.event.model_dump(mode="json")))
            if size > self._options.max_event_bytes:
                raise MappingError(
                    f"event is {size} bytes; the limit is {self._options.max_event_bytes}"
                )
        except (MappingError, NotText) as error:
            raw = rejected_copy(row, limit=self._options.max_rejected_bytes)
            rejection = Rejection(reason=str(error), position=position, raw=raw)
            return SourceRecord(self.partition, offset, identity, rejection=rejection)
        return SourceRecord(
            self.partition,
            offset,
            mapped.identity,
            event=mapped.event,
            key=mapped.key,
            subject=mapped.subject,
        )

    def _watermark_columns(self) -> dict[str, str]:
        """Offset name to column: ``ts`` first (when set), then ``key``."""
        names = {"key": self._options.key_column}
        if self._options.timestamp_column:
            return {"ts": self._options.timestamp_column} | names
        return names

    async def _typed_watermark(self, connection: Any) -> dict[str, Any] | None:
        """The stored watermark in the columns' own Python types, from one sample row."""
        columns = self._watermark_columns()
        sample_query = select(*(self._from.c[col] for col in columns.values()))
        sample_query = sample_query.where(*(self._from.c[c].is_not(None) for c in columns.values()))
        sample = (await connection.execute(sample_query.limit(1))).first()
        if sample is None or self._after is None:
            return None
        try:
            return {name: like(sample[i], self._after[name]) for i, name in enumerate(columns)}
        except (KeyError, ValueError) as error:
            raise ConfigError(
                f"{self._system}: stored offset {self._after} does not fit the watermark columns"
            ) from error

    def _select(self) -> Select[Any]:
        options = self._options
        source = self._from
        key = source.c[options.key_column]
        if options.columns:
            query: Select[Any] = select(*(source.c[c] for c in options.columns))
        else:
            query = select(literal_column("*")).select_from(source)
        order: list[ColumnElement[Any]] = [key]
        where: ColumnElement[bool] | None = None
        typed = self._typed
        if options.timestamp_column:
            stamp = source.c[options.timestamp_column]
            order.insert(0, stamp)
            query = query.where(stamp.is_not(None))
            if typed is not None:
                where = or_(stamp > typed["ts"], and_(stamp == typed["ts"], key > typed["key"]))
        elif typed is not None:
            where = key > typed["key"]
        if where is not None:
            query = query.where(where)
        return query.order_by(*order)

    @staticmethod
    def _source_clause(options: SqlSourceConfig) -> FromClause:
        names = [options.key_column, options.timestamp_column, *options.columns]
        declared: list[ColumnClause[Any]] = [
            column(n) for n in dict.fromkeys(n for n in names if n)
        ]
        if options.query is not None:
            return text(options.query).columns(*declared).subquery("govbus_source")
        assert options.table is not None  # noqa: S101 - the config requires table or query
        return table(options.table, *declared)


def _reason(error: sa_exc.DBAPIError) -> str:
    orig = getattr(error, "orig", None)
    return (str(orig) if orig is not None else str(error)).strip().splitlines()[0][:300]
