"""The SQL source and sink pass the behaviour suites against SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from tests.adapters.sink_suite import SinkBehaviour
from tests.adapters.source_suite import SourceBehaviour
from tests.integration.adapters.sql.harness import Database, SqlSinkHarness, SqlSourceHarness


class TestSqliteSource(SourceBehaviour):
    adapter = "sql-sqlite-suite"

    @pytest.fixture
    async def harness(self, sqlite_database: Database) -> SqlSourceHarness:
        harness = SqlSourceHarness(sqlite_database)
        await harness.create()
        return harness


class TestPostgresSource(SourceBehaviour):
    adapter = "sql-postgres-suite"

    @pytest.fixture
    async def harness(self, postgres_database: Database) -> SqlSourceHarness:
        harness = SqlSourceHarness(postgres_database)
        await harness.create()
        return harness


class TestSqliteSink(SinkBehaviour):
    @pytest.fixture
    async def harness(self, sqlite_database: Database) -> SqlSinkHarness:
        harness = SqlSinkHarness(sqlite_database)
        await harness.create()
        return harness


class TestPostgresSink(SinkBehaviour):
    @pytest.fixture
    async def harness(self, postgres_database: Database) -> SqlSinkHarness:
        harness = SqlSinkHarness(postgres_database)
        await harness.create()
        return harness
