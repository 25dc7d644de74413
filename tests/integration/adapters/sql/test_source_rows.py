"""The SQL source read directly against real databases: watermarks, resumption and bad rows."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import orjson
import pytest

from adapters.sql import SqlConfig, SqlSource, SqlSourceConfig
from adapters.sql.connection import create_engine
from bus.adapter_runtime.mapping import Mapper
from bus.adapter_runtime.source import SourceRecord
from bus.foundation.errors import NotConnected
from tests.integration.adapters.sql.harness import MAPPING, Database, unique_table

STAMP_TYPE = {"sqlite": "TEXT", "postgresql": "TIMESTAMPTZ"}
BLOB_TYPE = {"sqlite": "BLOB", "postgresql": "BYTEA"}


@pytest.fixture(params=["sqlite", "postgres"])
def database(request: pytest.FixtureRequest) -> Database:
    """Each test runs against a SQLite file and against the PostgreSQL server."""
    return request.getfixturevalue(f"{request.param}_database")  # type: ignore[no-any-return]


async def deaths_table(database: Database, *, names: str = "TEXT") -> str:
    name = unique_table("deaths")
    await database.execute(
        f"CREATE TABLE {name} (id INTEGER PRIMARY KEY, entry_number INTEGER, "
        f"given_names {names}, family_name TEXT, place TEXT, "
        f"updated_at {STAMP_TYPE[database.kind]})"
    )
    return name


async def insert(database: Database, table: str, rows: list[dict[str, Any]]) -> None:
    defaults = {"given_names": "Joseph", "family_name": "Oduya", "place": "At home",
                "updated_at": "2025-03-04T10:00:00+00:00"}  # fmt: skip
    for row in rows:
        values = defaults | {"entry_number": row["id"]} | row
        columns = ", ".join(values)
        await database.execute(
            f"INSERT INTO {table} ({columns}) VALUES ({', '.join(':' + c for c in values)})",
            [values if database.kind == "sqlite" else _typed(values)],
        )


def _typed(values: dict[str, Any]) -> dict[str, Any]:
    stamp = values.get("updated_at")
    return values | ({"updated_at": datetime.fromisoformat(stamp)} if stamp else {})


def source(database: Database, table: str | None, **options: Any) -> SqlSource:
    settings = {"table": table, "key_column": "id", "poll_interval_s": 0} | options
    config = SqlConfig(url=database.url, source=SqlSourceConfig.model_validate(settings))
    return SqlSource(config, Mapper(MAPPING), name="rows")


async def drain(reader: SqlSource) -> list[SourceRecord]:
    found: list[SourceRecord] = []
    while batch := await reader.read():
        found += batch
    return found


def numbers(records: Sequence[SourceRecord]) -> list[int]:
    return [r.event.entry_number for r in records if r.event is not None]  # type: ignore[attr-defined]


async def test_rows_sharing_a_timestamp_are_neither_lost_nor_repeated(database: Database) -> None:
    """Batches that split rows of one timestamp resume on the key, from memory and from offsets."""
    table = await deaths_table(database)
    early, late = "2025-03-04T10:00:00+00:00", "2025-03-04T11:00:00+00:00"
    await insert(database, table, [{"id": i, "updated_at": early} for i in (1, 2, 3)])
    await insert(database, table, [{"id": i, "updated_at": late} for i in (4, 5)])
    await insert(database, table, [{"id": 0, "entry_number": 9, "updated_at": late}])
    reader = source(database, table, timestamp_column="updated_at", batch_size=2)
    await reader.open({})
    first = await reader.read()
    rest = await drain(reader)
    await reader.close()
    assert numbers(first) + numbers(rest) == [1, 2, 3, 9, 4, 5]
    assert first[-1].offset["key"] == 2
    assert str(first[-1].offset["ts"]).startswith("2025-03-04")
    again = source(database, table, timestamp_column="updated_at", batch_size=2)
    await again.open({(table,): first[-1].offset})
    assert numbers(await drain(again)) == [3, 9, 4, 5]
    await again.close()


async def test_a_row_updated_to_a_later_timestamp_is_read_again(database: Database) -> None:
    """With a timestamp watermark an update is a new change to publish."""
    table = await deaths_table(database)
    await insert(database, table, [{"id": 1}, {"id": 2}])
    reader = source(database, table, timestamp_column="updated_at")
    await reader.open({})
    assert numbers(await drain(reader)) == [1, 2]
    stamp = "2025-03-05T09:00:00+00:00"
    await database.execute(
        f"UPDATE {table} SET place = 'Hospital', updated_at = :ts WHERE id = 1",
        [{"ts": stamp if database.kind == "sqlite" else datetime.fromisoformat(stamp)}],
    )
    (again,) = await drain(reader)
    await reader.close()
    assert again.event is not None
    assert again.event.place_of_death == "Hospital"  # type: ignore[attr-defined]


async def test_a_key_watermark_resumes_after_the_stored_key(database: Database) -> None:
    """A source opened with a stored offset reads only rows with a greater key."""
    table = await deaths_table(database)
    await insert(database, table, [{"id": i} for i in range(1, 8)])
    reader = source(database, table, batch_size=3)
    await reader.open({(table,): {"key": 4}})
    found = await drain(reader)
    await reader.close()
    assert numbers(found) == [5, 6, 7]
    assert [r.offset for r in found] == [{"key": 5}, {"key": 6}, {"key": 7}]
    assert found[0].partition == (table,)


async def test_a_null_in_a_required_field_is_rejected_with_table_and_key(
    database: Database,
) -> None:
    """A NULL family name rejects that row, positioned by table and key; its neighbours map."""
    table = await deaths_table(database)
    await insert(database, table, [{"id": 1}, {"id": 2, "family_name": None}, {"id": 3}])
    reader = source(database, table)
    await reader.open({})
    found = await drain(reader)
    await reader.close()
    assert numbers(found) == [1, 3]
    (bad,) = [r.rejection for r in found if r.rejection is not None]
    assert bad.position == f"table {table} key 2"
    assert "family_name" in bad.reason
    assert orjson.loads(bad.raw)["family_name"] is None


async def test_a_huge_text_value_is_rejected_and_its_copy_is_cut(database: Database) -> None:
    """A 5 MB place of death is refused by the contract; the dead letter stays small."""
    table = await deaths_table(database)
    await insert(database, table, [{"id": 1, "place": "x" * 5_000_000}, {"id": 2}])
    reader = source(database, table, max_rejected_bytes=10_000)
    await reader.open({})
    found = await drain(reader)
    await reader.close()
    assert numbers(found) == [2]
    bad = found[0].rejection
    assert bad is not None
    assert "place_of_death" in bad.reason
    assert len(bad.raw) <= 10_000
    assert "[cut: 5000000 characters]" in orjson.loads(bad.raw)["place"]


async def test_bytes_that_are_not_utf8_reject_the_row_naming_the_column(
    database: Database,
) -> None:
    """A BLOB/bytea of UTF-8 maps as text; bytes that are not UTF-8 reject only their row."""
    table = await deaths_table(database, names=BLOB_TYPE[database.kind])
    await insert(database, table, [{"id": 1, "given_names": "Siân".encode()},
                                   {"id": 2, "given_names": b"\xc3\x28\xff"}])  # fmt: skip
    reader = source(database, table)
    await reader.open({})
    good, bad = await drain(reader)
    await reader.close()
    assert good.event is not None
    assert good.event.deceased_name.given_names == "Siân"  # type: ignore[attr-defined]
    assert bad.rejection is not None
    assert "'given_names'" in bad.rejection.reason
    assert "not UTF-8" in bad.rejection.reason
    assert orjson.loads(bad.rejection.raw)["given_names"] == {"base64": "wyj/"}


async def test_sqlite_text_that_is_not_utf8_rejects_only_its_row(
    sqlite_database: Database,
) -> None:
    """Invalid UTF-8 stored as SQLite TEXT does not stop the batch in the driver."""
    table = await deaths_table(sqlite_database)
    await insert(sqlite_database, table, [{"id": 1}, {"id": 3}])
    await sqlite_database.execute(
        f"INSERT INTO {table} (id, entry_number, given_names, family_name, place) "
        "VALUES (2, 2, CAST(X'C328' AS TEXT), 'Oduya', 'At home')"
    )
    reader = source(sqlite_database, table)
    await reader.open({})
    found = await drain(reader)
    await reader.close()
    assert numbers(found) == [1, 3]
    (bad,) = [r.rejection for r in found if r.rejection is not None]
    assert bad.position == f"table {table} key 2"
    assert "'given_names'" in bad.reason


async def test_sqlite_text_in_an_integer_column_is_rejected(sqlite_database: Database) -> None:
    """SQLite stores 'four hundred' in an INTEGER column; the row is rejected, not published."""
    table = await deaths_table(sqlite_database)
    await insert(sqlite_database, table, [{"id": 1}, {"id": 2, "entry_number": "four hundred"}])
    reader = source(sqlite_database, table)
    await reader.open({})
    good, bad = await drain(reader)
    await reader.close()
    assert good.event is not None
    assert bad.rejection is not None
    assert bad.rejection.position == f"table {table} key 2"
    assert "entry_number" in bad.rejection.reason
    assert "'four hundred' is not a valid int" in bad.rejection.reason


async def test_a_query_source_reads_only_what_its_select_returns(database: Database) -> None:
    """A SELECT with a filter and a join-free projection is polled like a table."""
    table = await deaths_table(database)
    await insert(database, table, [{"id": i, "place": "Hospice" if i % 2 else "At home"}
                                   for i in range(1, 7)])  # fmt: skip
    query = f"SELECT id, entry_number, given_names, family_name, place FROM {table} " + (
        "WHERE place = 'Hospice'"
    )
    reader = source(database, None, query=query, name="hospice_deaths", batch_size=2)
    await reader.open({})
    found = await drain(reader)
    await reader.close()
    assert numbers(found) == [1, 3, 5]
    assert {r.partition for r in found} == {("hospice_deaths",)}


async def test_a_missing_table_is_reported_as_not_connected(database: Database) -> None:
    """Opening a source on a table that does not exist is retried, naming the problem."""
    reader = source(database, "no_such_table")
    with pytest.raises(NotConnected, match="no_such_table"):
        await reader.open({})
    await reader.close()


async def test_source_connections_refuse_to_write(database: Database) -> None:
    """Even a statement that slipped past validation cannot write through a source connection."""
    from sqlalchemy import exc, text

    table = await deaths_table(database)
    engine = create_engine(database.url, connect_timeout_s=2, read_only=True)
    try:
        async with engine.begin() as connection:
            with pytest.raises(exc.DBAPIError, match=r"(?i)read.?only"):
                await connection.execute(text(f"DELETE FROM {table}"))
    finally:
        await engine.dispose()
