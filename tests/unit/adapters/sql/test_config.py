"""The SQL adapter's configuration refuses hostile identifiers and queries that are not reads."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from adapters.sql import KIND, SqlConfig, SqlSinkConfig, SqlSourceConfig
from bus.adapter_runtime.plugins import adapter_kinds

HOSTILE = [
    'deaths"; DROP TABLE deaths; --',
    "deaths; DELETE FROM deaths",
    "deaths WHERE 1=1",
    "deaths--",
    "dea ths",
    "1deaths",
    "d" * 64,
    "",
    "déaths",
]


@pytest.mark.parametrize("name", HOSTILE)
@pytest.mark.parametrize("field", ["table", "key_column", "timestamp_column", "columns"])
def test_hostile_identifiers_are_refused_naming_the_value(name: str, field: str) -> None:
    """Every identifier in a source config must be a plain SQL identifier."""
    settings: dict[str, Any] = {"table": "deaths", "key_column": "id"}
    settings[field] = [name] if field == "columns" else name
    with pytest.raises(ValidationError, match="not a plain SQL identifier"):
        SqlSourceConfig.model_validate(settings)


@pytest.mark.parametrize("name", HOSTILE)
def test_hostile_sink_tables_and_columns_are_refused(name: str) -> None:
    """A sink's table, columns and event id column are identifiers too."""
    for settings in (
        {"table": name, "columns": {"a": "entry_number"}},
        {"table": "t", "columns": {name: "entry_number"}},
        {"table": "t", "columns": {"a": "entry_number"}, "event_id_column": name},
    ):
        with pytest.raises(ValidationError, match="not a plain SQL identifier"):
            SqlSinkConfig.model_validate(settings)


@pytest.mark.parametrize(
    "query",
    [
        "DELETE FROM deaths",
        "UPDATE deaths SET place = 'x'",
        "SELECT * FROM deaths; DROP TABLE deaths",
        "SELECT * FROM deaths -- comment",
        "SELECT * FROM deaths /* comment */",
        "SELECT * INTO copy FROM deaths",
        "WITH gone AS (DELETE FROM deaths RETURNING *) SELECT * FROM gone",
        "SELECT * FROM deaths FOR UPDATE",
        "PRAGMA table_info(deaths)",
        "  insert into deaths values (1)",
    ],
)
def test_a_query_that_is_not_one_read_only_select_is_refused(query: str) -> None:
    """Only one SELECT (or WITH ... SELECT) without writes, separators or comments is allowed."""
    with pytest.raises(ValidationError, match="query must"):
        SqlSourceConfig(query=query, name="q", key_column="id")


def test_a_plain_select_with_a_name_is_accepted() -> None:
    """A filtering SELECT polls as the partition it is named."""
    config = SqlSourceConfig(
        query="SELECT id, updated_at FROM deaths WHERE district = 'Hartlepool'",
        name="hartlepool_deaths",
        key_column="id",
        timestamp_column="updated_at",
    )
    assert config.partition_name == "hartlepool_deaths"


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"key_column": "id"}, "exactly one of table or query"),
        ({"table": "t", "query": "SELECT 1", "name": "q", "key_column": "id"}, "exactly one"),
        ({"query": "SELECT id FROM t", "key_column": "id"}, "needs a name"),
        ({"table": "t", "key_column": "id", "columns": ["a"]}, "watermark column"),
        ({"table": "t", "key_column": "id", "batch_size": 0}, "batch_size"),
    ],
)
def test_inconsistent_source_settings_are_refused(settings: dict[str, Any], message: str) -> None:
    """The source must know what to poll and by which watermark."""
    with pytest.raises(ValidationError, match=message):
        SqlSourceConfig.model_validate(settings)


@pytest.mark.parametrize(
    "path", ["Deceased", "deceased..name", "a.b;drop", "$other", "x y", "name[0]"]
)
def test_sink_field_paths_must_be_dotted_names_or_envelope_attributes(path: str) -> None:
    """A column maps a dotted snake_case path or one of $id, $source, $type, $time, $subject."""
    with pytest.raises(ValidationError, match="dotted event field path"):
        SqlSinkConfig(table="t", columns={"c": path})


def test_only_asyncio_drivers_are_accepted() -> None:
    """A synchronous driver URL is refused at start-up, naming the scheme."""
    with pytest.raises(ValidationError, match="'postgresql' is not supported"):
        SqlConfig(url="postgresql://db/x")


def test_the_database_password_is_masked_wherever_the_config_is_shown() -> None:
    """repr, str and JSON of the config hide the password; the engine still gets the full URL."""
    url = "postgresql+asyncpg://gro:pa55-w0rd-xyz@db.internal:5432/register"
    config = SqlConfig(url=url, source=SqlSourceConfig(table="deaths", key_column="id"))
    for shown in (repr(config), str(config), str(config.url), config.model_dump_json()):
        assert "pa55-w0rd-xyz" not in shown
    assert "postgresql+asyncpg://gro:***@db.internal:5432/register" in repr(config)
    assert config.url.get_secret_value() == url


def test_an_unparsable_url_is_refused_without_echoing_it() -> None:
    """A URL SQLAlchemy cannot read is an error that does not repeat its text."""
    with pytest.raises(ValidationError) as caught:
        SqlConfig(url="postgresql+asyncpg://gro:s3cr3t@db:notaport/x")
    assert "not a valid SQLAlchemy URL" in str(caught.value)
    assert "s3cr3t" not in str(caught.value)


def test_the_kind_is_installed_as_an_entry_point() -> None:
    """Deployments find the sql kind through the govbus.adapters entry points."""
    assert adapter_kinds()["sql"] is KIND
    assert all(f.description for f in SqlSourceConfig.model_fields.values())
    assert all(f.description for f in SqlSinkConfig.model_fields.values())
    assert all(f.description for f in SqlConfig.model_fields.values())
