"""Databases for the SQL adapter's tests: SQLite files and a PostgreSQL server of our own."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from tests.integration.adapters.sql.harness import Database
from tests.integration.adapters.sql.postgres import PostgresServer, server_binaries

DATABASE = "govbus_test"


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    """A PostgreSQL server on 127.0.0.1 for the session, stopped and removed at its end."""
    binaries = server_binaries()
    if binaries is None:
        pytest.fail("PostgreSQL is not installed: run `make system-deps` (Debian: postgresql)")
    server = PostgresServer(binaries)
    try:
        server.start()
        server.create_database(DATABASE)
        yield server
    finally:
        server.close()


@pytest.fixture
async def sqlite_database(tmp_path: Path) -> AsyncIterator[Database]:
    """A fresh SQLite file in a folder of its own (so the folder can be taken away)."""
    folder = tmp_path / "legacy"
    folder.mkdir()
    database = Database(f"sqlite+aiosqlite:///{folder / 'legacy.db'}", sqlite_dir=folder)
    yield database
    await database.close()


@pytest.fixture
async def postgres_database(postgres: PostgresServer) -> AsyncIterator[Database]:
    """The session's PostgreSQL database (each harness uses tables of its own)."""
    database = Database(postgres.url(DATABASE), server=postgres)
    yield database
    await database.close()
    if not (postgres.data / "postmaster.pid").exists():
        postgres.start()  # a test that took the server down and failed before bringing it up
