"""Real SQL databases under a test's control, and the suite harnesses built on them."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool

from adapters.sql import SqlConfig, SqlSink, SqlSinkConfig, SqlSource, SqlSourceConfig
from bus.adapter_runtime.mapping import Mapper, MappingConfig
from contracts import Event
from contracts.catalogue.gro import DeathRegisteredV1
from tests.integration.adapters.sql.postgres import PostgresServer

EXAMPLE = DeathRegisteredV1.contract.example


def address_and_informant(record: Any) -> dict[str, Any]:
    """The parts of the test contract a row does not hold (used as a mapping function)."""
    return {"deceased_address": EXAMPLE["deceased_address"], "informant": EXAMPLE["informant"]}


MAPPING = MappingConfig(
    contract="uk.gov.gro.death-registered.v1",
    key="{id}",
    identity="deaths/{id}",
    fields={
        "registration_district": {"const": "Hartlepool"},
        "entry_number": {"from": "entry_number", "type": "int"},
        "registered_on": {"const": "2025-03-04"},
        "local_authority": {"const": "E06000001"},
        "deceased_name.given_names": "given_names",
        "deceased_name.family_name": "family_name",
        "deceased_date_of_birth": {"const": "1941-07-19"},
        "date_of_death": {"const": "2025-03-01"},
        "place_of_death": "place",
    },
    function="tests.integration.adapters.sql.harness:address_and_informant",
)


class Database:
    """A SQLite file or a PostgreSQL database the test can write to, take down and bring up."""

    def __init__(self, url: str, *, sqlite_dir: Path | None = None,
                 server: PostgresServer | None = None) -> None:  # fmt: skip
        self.url = url
        self.kind = "sqlite" if sqlite_dir is not None else "postgresql"
        self._dir = sqlite_dir
        self._server = server
        self.engine: AsyncEngine = create_async_engine(url, poolclass=NullPool)

    async def execute(self, statement: str, params: list[dict[str, Any]] | None = None) -> None:
        async with self.engine.begin() as connection:
            await connection.execute(text(statement), params or [{}])

    async def rows(self, statement: str) -> list[tuple[Any, ...]]:
        async with self.engine.connect() as connection:
            return [tuple(row) for row in await connection.execute(text(statement))]

    async def take_down(self) -> None:
        """SQLite: its folder disappears (as a lost share would); PostgreSQL: the server stops."""
        if self._dir is not None:
            self._dir.rename(self._dir.with_name(self._dir.name + "-away"))
        elif self._server is not None:
            self._server.stop()

    async def bring_up(self) -> None:
        if self._dir is not None:
            self._dir.with_name(self._dir.name + "-away").rename(self._dir)
        elif self._server is not None:
            self._server.start()

    async def close(self) -> None:
        await self.engine.dispose()


def unique_table(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:10]}"


class SqlSourceHarness:
    """A ``deaths`` table in a real database, read by the SQL source in key order."""

    contract: type[Event] = DeathRegisteredV1
    mapping: MappingConfig = MAPPING

    def __init__(self, database: Database, **options: Any) -> None:
        self.database = database
        self.table = unique_table("deaths")
        self.options = options

    async def create(self) -> None:
        key = "INTEGER PRIMARY KEY" if self.database.kind == "sqlite" else "SERIAL PRIMARY KEY"
        await self.database.execute(
            f"CREATE TABLE {self.table} (id {key}, entry_number INTEGER, given_names TEXT, "
            "family_name TEXT, place TEXT, updated_at TEXT)"
        )

    async def add(self, numbers: range) -> None:
        await self.database.execute(
            f"INSERT INTO {self.table} (entry_number, given_names, family_name, place) "
            "VALUES (:n, :given, :family, :place)",
            [
                {"n": n, "given": f"Given {n}", "family": "Oduya", "place": "At home"}
                for n in numbers
            ],
        )

    async def add_bad(self) -> str:
        await self.database.execute(
            f"INSERT INTO {self.table} (entry_number, given_names, family_name, place) "
            "VALUES (999, 'No', NULL, 'At home')"
        )
        ((key,),) = await self.database.rows(f"SELECT max(id) FROM {self.table}")
        return f"table {self.table} key {key}"

    def config(self, **options: Any) -> SqlConfig:
        source = {"table": self.table, "key_column": "id", "poll_interval_s": 0.05}
        return SqlConfig(
            url=self.database.url,
            connect_timeout_s=2,
            source=SqlSourceConfig.model_validate(source | self.options | options),
        )

    def source(self, mapper: Mapper) -> SqlSource:
        return SqlSource(self.config(), mapper, name="suite")

    def number_of(self, event: Any) -> int:
        return int(event.entry_number)

    async def take_down(self) -> None:
        await self.database.take_down()

    async def bring_up(self) -> None:
        await self.database.bring_up()


class SqlSinkHarness:
    """A ``registered_deaths`` table with a UNIQUE event_id column, written by the SQL sink."""

    contract: type[Event] = DeathRegisteredV1

    def __init__(self, database: Database) -> None:
        self.database = database
        self.table = unique_table("registered_deaths")

    async def create(self) -> None:
        await self.database.execute(
            f"CREATE TABLE {self.table} (event_id TEXT NOT NULL UNIQUE, entry_number INTEGER "
            "NOT NULL, family_name VARCHAR(100), deceased_name TEXT, event_type TEXT)"
        )

    def config(self) -> SqlConfig:
        sink = SqlSinkConfig(
            table=self.table,
            columns={
                "entry_number": "entry_number",
                "family_name": "deceased_name.family_name",
                "deceased_name": "deceased_name",
                "event_type": "$type",
            },
        )
        return SqlConfig(url=self.database.url, connect_timeout_s=2, sink=sink)

    def sink(self) -> SqlSink:
        return SqlSink(self.config(), self.contract, name="suite")

    def event(self, number: int) -> Event:
        return DeathRegisteredV1.model_validate({**EXAMPLE, "entry_number": number})

    async def delivered(self) -> list[int]:
        found = await self.database.rows(f"SELECT entry_number FROM {self.table}")
        return [row[0] for row in found]

    async def take_down(self) -> None:
        await self.database.take_down()

    async def bring_up(self) -> None:
        await self.database.bring_up()
