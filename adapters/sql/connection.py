"""Engines for the ``sql`` adapter kind and the one place database errors are sorted.

SQLite connections are opened per use (no pool): a database file that has gone away is then
noticed at the next poll instead of being read through a stale handle. SQLite text comes back
that is not UTF-8 comes back as ``NotUtf8`` bytes instead of failing the whole batch in the
driver, so the adapter can reject that one row. PostgreSQL connections are pooled and pinged first.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

from sqlalchemy import event, exc, text
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.pool import ConnectionPoolEntry, NullPool

from bus.foundation.errors import NotConnected


def create_engine(url: str, *, connect_timeout_s: float, read_only: bool) -> AsyncEngine:
    """An engine for ``url``; with ``read_only`` every connection refuses to write."""
    if url.startswith("sqlite"):
        engine = create_async_engine(
            url, poolclass=NullPool, connect_args={"timeout": connect_timeout_s}
        )

        @event.listens_for(engine.sync_engine, "connect")
        def _sqlite_session(connection: DBAPIConnection, record: ConnectionPoolEntry) -> None:
            connection.driver_connection.text_factory = _sqlite_text
            if read_only:
                cursor = connection.cursor()
                cursor.execute("PRAGMA query_only = ON")
                cursor.close()

        return engine
    options: dict[str, Any] = {"timeout": connect_timeout_s}
    if read_only:
        options["server_settings"] = {"default_transaction_read_only": "on"}
    return create_async_engine(
        url, pool_size=2, max_overflow=2, pool_pre_ping=True, connect_args=options
    )


@contextlib.asynccontextmanager
async def connected(
    engine: AsyncEngine, *, system: str, begin: bool = False
) -> AsyncIterator[AsyncConnection]:
    """A connection (in a transaction if ``begin``); unreachable databases raise NotConnected.

    Connection-level failures (refused, timed out, dropped, file gone, server shutting down)
    become ``NotConnected``; statement errors propagate for the caller to judge.
    """
    try:
        async with engine.connect() as connection:
            if begin:
                async with connection.begin():
                    yield connection
            else:
                yield connection
    except exc.DBAPIError as error:
        if is_connection_error(error):
            raise NotConnected(f"{system}: {_first_line(error)}", system=system) from error
        raise
    except (OSError, TimeoutError) as error:
        raise NotConnected(f"{system}: {error!r}", system=system) from error


def is_connection_error(error: exc.DBAPIError) -> bool:
    """Whether ``error`` means the database cannot be reached, rather than a bad statement."""
    if error.connection_invalidated or isinstance(error, exc.InterfaceError):
        return True
    if isinstance(error, exc.OperationalError):
        # SQLite's OperationalError also covers a missing table or a write refused by
        # query_only; those are statements the operator must fix, and show as not connected
        # only when the file itself cannot be opened or is locked.
        message = str(error.orig).lower()
        return not ("no such" in message or "readonly" in message or "syntax error" in message)
    # asyncpg's errors arrive as plain DBAPIError; their SQLSTATE tells them apart:
    # 08 connection exception, 57P operator intervention (shutdown, starting up), 53300 too
    # many connections.
    state = sqlstate(error)
    return state.startswith(("08", "57P")) or state == "53300"


def is_refused_row(error: exc.DBAPIError) -> bool:
    """Whether the database refused the row's values (constraint, type, length), for good."""
    if isinstance(error, exc.IntegrityError | exc.DataError):
        return True
    # SQLSTATE 22 data exception, 23 integrity constraint violation.
    return sqlstate(error).startswith(("22", "23"))


def sqlstate(error: exc.DBAPIError) -> str:
    """The SQLSTATE of a PostgreSQL error; empty for SQLite."""
    return str(getattr(error.orig, "sqlstate", "") or "")


async def ping(engine: AsyncEngine, *, system: str) -> None:
    """Connect once and run a trivial statement; raise NotConnected if the database is down."""
    async with connected(engine, system=system) as connection:
        await connection.execute(text("SELECT 1"))


class NotUtf8(bytes):
    """SQLite text whose bytes are not UTF-8, as the database holds them."""


def _sqlite_text(data: bytes) -> str | NotUtf8:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return NotUtf8(data)


def _first_line(error: BaseException) -> str:
    orig = getattr(error, "orig", None)
    return (str(orig) if orig is not None else str(error)).strip().splitlines()[0][:300]
