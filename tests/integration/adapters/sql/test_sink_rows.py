"""The SQL sink written to directly: idempotence, refused rows and outages after opening."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from adapters.sql import SqlConfig, SqlSink, SqlSinkConfig
from bus.foundation.errors import MappingError, NotConnected
from bus.messaging.envelope import Envelope
from bus.messaging.subscriber import Delivery
from contracts.catalogue.gro import DeathRegisteredV1
from tests.integration.adapters.sql.harness import (
    EXAMPLE,
    Database,
    SqlSinkHarness,
    unique_table,
)


@pytest.fixture(params=["sqlite", "postgres"])
def database(request: pytest.FixtureRequest) -> Database:
    """Each test runs against a SQLite file and against the PostgreSQL server."""
    return request.getfixturevalue(f"{request.param}_database")  # type: ignore[no-any-return]


def delivery(event_id: str) -> Delivery:
    envelope = Envelope(
        id=event_id,
        source="urn:govbus:test",
        type="uk.gov.gro.death-registered.v1",
        time=datetime(2025, 3, 4, 10, 0, tzinfo=UTC),
    )
    return Delivery(envelope=envelope, topic="t", partition=0, offset=0, key=None, attempt=1)


def event(number: int, **changes: object) -> DeathRegisteredV1:
    return DeathRegisteredV1.model_validate({**EXAMPLE, "entry_number": number, **changes})


async def opened(harness: SqlSinkHarness) -> SqlSink:
    await harness.create()
    sink = harness.sink()
    await sink.open()
    return sink


async def test_the_same_event_id_twice_writes_one_row_with_the_mapped_columns(
    database: Database,
) -> None:
    """A redelivery is a no-op; columns hold fields, nested objects as JSON, envelope values."""
    harness = SqlSinkHarness(database)
    sink = await opened(harness)
    await sink.deliver(event(5), delivery("id-5"))
    await sink.deliver(event(5), delivery("id-5"))
    await sink.deliver(event(6), delivery("id-6"))
    await sink.close()
    rows = await database.rows(
        f"SELECT event_id, entry_number, family_name, deceased_name, event_type "
        f"FROM {harness.table} ORDER BY entry_number"
    )
    assert rows == [
        ("id-5", 5, "Oduya", '{"given_names":"Joseph Emeka","family_name":"Oduya"}',
         "uk.gov.gro.death-registered.v1"),
        ("id-6", 6, "Oduya", '{"given_names":"Joseph Emeka","family_name":"Oduya"}',
         "uk.gov.gro.death-registered.v1"),
    ]  # fmt: skip


async def test_a_row_the_table_refuses_is_a_non_retriable_error(database: Database) -> None:
    """A NULL for a NOT NULL column raises MappingError (dead-lettered), naming the event."""
    harness = SqlSinkHarness(database)
    await harness.create()
    config = SqlConfig(url=database.url, sink=SqlSinkConfig(
        table=harness.table, columns={"entry_number": "deceased_nino"}))  # fmt: skip
    sink = SqlSink(config, DeathRegisteredV1)
    await sink.open()
    with pytest.raises(MappingError, match="refused event id-1") as caught:
        await sink.deliver(event(1, deceased_nino=None), delivery("id-1"))
    await sink.close()
    assert not caught.value.retriable
    assert await harness.delivered() == []


async def test_a_value_too_long_for_its_column_is_refused_by_postgres(
    postgres_database: Database,
) -> None:
    """PostgreSQL enforces VARCHAR(3); the event is refused, not retried."""
    table = unique_table("short")
    await postgres_database.execute(
        f"CREATE TABLE {table} (event_id TEXT NOT NULL UNIQUE, family_name VARCHAR(3))"
    )
    config = SqlConfig(url=postgres_database.url, sink=SqlSinkConfig(
        table=table, columns={"family_name": "deceased_name.family_name"}))  # fmt: skip
    sink = SqlSink(config, DeathRegisteredV1)
    await sink.open()
    with pytest.raises(MappingError, match="too long"):
        await sink.deliver(event(1), delivery("id-1"))
    await sink.close()


async def test_a_database_lost_after_opening_is_not_connected_until_it_is_back(
    database: Database,
) -> None:
    """Deliveries raise NotConnected while the database is down, then write once."""
    harness = SqlSinkHarness(database)
    sink = await opened(harness)
    await harness.take_down()
    try:
        with pytest.raises(NotConnected):
            await sink.deliver(event(3), delivery("id-3"))
    finally:
        await harness.bring_up()
    await sink.deliver(event(3), delivery("id-3"))
    await sink.deliver(event(3), delivery("id-3"))
    await sink.close()
    assert await harness.delivered() == [3]


async def test_a_missing_table_is_reported_when_the_sink_opens(database: Database) -> None:
    """Opening a sink on a table that does not exist raises NotConnected naming it."""
    config = SqlConfig(url=database.url, sink=SqlSinkConfig(
        table="no_such_table", columns={"entry_number": "entry_number"}))  # fmt: skip
    sink = SqlSink(config, DeathRegisteredV1)
    with pytest.raises(NotConnected, match="no_such_table"):
        await sink.open()
    await sink.close()
