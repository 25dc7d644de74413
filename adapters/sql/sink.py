"""A sink that writes each event as one row of a SQL table, once per event id.

The row carries the event id in ``event_id_column``, which the table holds under a UNIQUE
constraint; the insert is ``INSERT ... ON CONFLICT (event_id) DO NOTHING`` on SQLite and
PostgreSQL alike, so a redelivered event (a replay, a retry after a lost acknowledgement)
changes nothing. A database that cannot be reached raises ``NotConnected`` (retried with
backoff); a row the database refuses (a NOT NULL column left empty, a value too long or of the
wrong type) raises ``MappingError``, which dead-letters the event at once.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import column, select, table
from sqlalchemy import exc as sa_exc
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.sql.config import SqlConfig, SqlSinkConfig
from adapters.sql.connection import connected, create_engine, is_refused_row
from adapters.sql.mapping import row_of
from bus.foundation.errors import ConfigError, MappingError, NotConnected
from bus.messaging.subscriber import Delivery
from contracts import Event

_DIALECTS = ("sqlite", "postgresql")


class SqlSink:
    """Writes events of one contract version into one table; see the module docstring."""

    def __init__(self, config: SqlConfig, contract: type[Event], *, name: str = "sql") -> None:
        if config.sink is None:
            raise ConfigError(f"adapter {name!r}: kind sql needs a [sink] table to write")
        self._config = config
        self._options: SqlSinkConfig = config.sink
        self.contract = contract
        self._system = f"{name} ({config.sink.table})"
        columns = [self._options.event_id_column, *self._options.columns]
        self._table = table(self._options.table, *(column(c) for c in columns))
        self._engine: AsyncEngine | None = None

    async def open(self) -> None:
        """Connect and check the table has the mapped columns; NotConnected if unreachable."""
        engine = create_engine(
            self._config.url.get_secret_value(),
            connect_timeout_s=self._config.connect_timeout_s,
            read_only=False,
        )
        if engine.dialect.name not in _DIALECTS:
            await engine.dispose()
            raise ConfigError(f"{self._system}: dialect {engine.dialect.name!r} is not supported")
        self._engine = engine
        try:
            async with connected(engine, system=self._system) as connection:
                await connection.execute(select(*self._table.c).limit(0))
        except sa_exc.DBAPIError as error:
            raise NotConnected(
                f"{self._system}: the table or its columns cannot be read: {_reason(error)}",
                system=self._system,
            ) from error

    async def deliver(self, event: Event, delivery: Delivery) -> None:
        """Insert the event's row unless a row with its event id is already there."""
        if self._engine is None:
            await self.open()
        engine = self._engine
        assert engine is not None  # noqa: S101 - open() set it or raised
        values: dict[str, Any] = row_of(event, delivery.envelope, self._options.columns)
        values[self._options.event_id_column] = delivery.envelope.id
        index = [self._options.event_id_column]
        statement = (
            sqlite.insert(self._table).values(values).on_conflict_do_nothing(index_elements=index)
            if engine.dialect.name == "sqlite"
            else postgresql.insert(self._table)
            .values(values)
            .on_conflict_do_nothing(index_elements=index)
        )
        try:
            async with connected(engine, system=self._system, begin=True) as connection:
                await connection.execute(statement)
        except sa_exc.DBAPIError as error:
            if is_refused_row(error):
                raise MappingError(
                    f"{self._system} refused event {delivery.envelope.id}: {_reason(error)}"
                ) from error
            # Unknown columns, a missing table or an unexpected type error in the statement:
            # the operator must act; retried with backoff until the runtime dead-letters it.
            raise NotConnected(f"{self._system}: {_reason(error)}", system=self._system) from error

    async def close(self) -> None:
        """Release the database connections."""
        engine, self._engine = self._engine, None
        if engine is not None:
            await engine.dispose()


def _reason(error: sa_exc.DBAPIError) -> str:
    orig = getattr(error, "orig", None)
    return (str(orig) if orig is not None else str(error)).strip().splitlines()[0][:300]
