"""Configuration of the ``sql`` adapter kind: where the database is, what to read, where to write.

Every identifier (table, column) is checked here, once, against a plain-identifier pattern, and
is later quoted by SQLAlchemy; values only ever travel as bound parameters. A custom ``query``
must be one SELECT (or WITH ... SELECT) statement: it is run as a sub-query, inside a read-only
transaction, so a query that tried to write would fail in the database as well. The database URL
is a secret (it may carry a password): its text shows the password as ``***``.
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, SecretStr, model_validator
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,62}")
_FIELD_PATH = re.compile(r"(\$(id|source|type|time|subject)|[a-z_][a-z0-9_]*(\.[a-z_][a-z0-9_]*)*)")
# Statements and clauses that change data or the session; a SELECT has no use for any of them.
_WRITING = re.compile(
    r"\b(insert|update|delete|merge|upsert|replace|drop|alter|create|truncate|grant|revoke|"
    r"attach|detach|pragma|copy|call|execute|exec|do|vacuum|reindex|analyze|lock|set|reset|"
    r"begin|commit|rollback|savepoint|release|load|into|listen|notify)\b",
    re.IGNORECASE,
)


def identifier(value: str) -> str:
    """``value`` if it is a plain SQL identifier (letters, digits, ``_``; at most 63)."""
    if not _IDENTIFIER.fullmatch(value):
        raise ValueError(
            f"{value[:80]!r} is not a plain SQL identifier (letters, digits and _, "
            "not starting with a digit, at most 63 characters)"
        )
    return value


def select_only(query: str) -> str:
    """``query`` if it is one SELECT statement without comments, separators or writes."""
    text = query.strip()
    if not re.match(r"(select|with)\b", text, re.IGNORECASE):
        raise ValueError("query must be a SELECT (or WITH ... SELECT) statement")
    if ";" in text or "--" in text or "/*" in text:
        raise ValueError("query must be one statement without ';' or comments")
    if found := _WRITING.search(text):
        raise ValueError(f"query must only read; {found.group(0)!r} is not allowed in it")
    return text


def field_path(value: str) -> str:
    """``value`` if it is a dotted event field path or an envelope attribute such as ``$id``."""
    if not _FIELD_PATH.fullmatch(value):
        raise ValueError(
            f"{value[:80]!r} is not a dotted event field path (e.g. deceased_name.family_name) "
            "or one of $id, $source, $type, $time, $subject"
        )
    return value


class DatabaseUrl(SecretStr):
    """A SQLAlchemy URL kept out of logs and errors: shown with its password as ``***``."""

    def _display(self) -> str:
        try:
            return make_url(self.get_secret_value()).render_as_string(hide_password=True)
        except (ArgumentError, ValueError):
            return "**********"


Identifier = Annotated[str, AfterValidator(identifier)]
FieldPath = Annotated[str, AfterValidator(field_path)]


class SqlSourceConfig(BaseModel):
    """What a SQL source polls: a table or view, or a SELECT, ordered by its watermark."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    table: Identifier | None = Field(
        None, description="Table or view to poll. Give this or query, not both."
    )
    query: Annotated[str, AfterValidator(select_only)] | None = Field(
        None,
        description="A SELECT statement to poll instead of a table; it runs as a sub-query, so "
        "its result must include key_column (and timestamp_column if set).",
    )
    name: Identifier | None = Field(
        None,
        description="Source partition name of a query (rejections say 'table <name> key ...'); "
        "defaults to table.",
    )
    key_column: Identifier = Field(
        description="Incrementing key column: the watermark, or the tie-breaker between rows "
        "sharing a timestamp. Rows are read in order of it (after timestamp_column)."
    )
    timestamp_column: Identifier | None = Field(
        None,
        description="Timestamp watermark column (e.g. updated_at); rows are read in order of "
        "(timestamp, key), so rows sharing a timestamp are neither lost nor repeated. Rows "
        "with a NULL timestamp are never read.",
    )
    columns: tuple[Identifier, ...] = Field(
        (), description="Columns to read; all of them when empty."
    )
    batch_size: int = Field(500, ge=1, le=50_000, description="Rows read per poll at most.")
    poll_interval_s: float = Field(
        1.0, ge=0.0, le=3600.0, description="Least time between polls that found no new rows."
    )
    max_event_bytes: int = Field(
        900_000,
        ge=1024,
        description="A row whose event JSON is larger is rejected (Kafka refuses huge records).",
    )
    max_rejected_bytes: int = Field(
        64_000,
        ge=256,
        description="Long values in a rejected row's copy in the dead-letter topic are cut so "
        "the copy stays within this size.",
    )

    @model_validator(mode="after")
    def _table_or_query(self) -> SqlSourceConfig:
        if (self.table is None) == (self.query is None):
            raise ValueError("give exactly one of table or query")
        if self.query is not None and self.name is None:
            raise ValueError("a query needs a name (the source partition)")
        if self.columns:
            needed = [self.key_column, *([self.timestamp_column] if self.timestamp_column else [])]
            missing = [c for c in needed if c not in self.columns]
            if missing:
                raise ValueError(f"columns must include the watermark column(s) {missing}")
        return self

    @property
    def partition_name(self) -> str:
        """The table's name, or the query's."""
        return self.name or self.table or ""


class SqlSinkConfig(BaseModel):
    """Where a SQL sink writes: one row per event, once per event id."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    table: Identifier = Field(description="Target table; it exists before the sink starts.")
    columns: dict[Identifier, FieldPath] = Field(
        min_length=1,
        description="Target column to a dotted event field path (e.g. deceased_name.family_name) "
        "or an envelope attribute ($id, $source, $type, $time, $subject). Objects and lists "
        "are written as JSON text.",
    )
    event_id_column: Identifier = Field(
        "event_id",
        description="Column holding the event id (ce_id) under a UNIQUE constraint; a second "
        "delivery of the same event is then a no-op (INSERT ... ON CONFLICT DO NOTHING).",
    )

    @model_validator(mode="after")
    def _id_column_apart(self) -> SqlSinkConfig:
        if self.event_id_column in self.columns:
            raise ValueError(f"{self.event_id_column!r} is the event id column; do not map it")
        return self


class SqlConfig(BaseModel):
    """A SQL database reached through SQLAlchemy's asyncio engine (SQLite or PostgreSQL)."""

    # The input holds the URL, password and all: validation errors must not repeat it.
    model_config = ConfigDict(frozen=True, extra="forbid", hide_input_in_errors=True)

    url: DatabaseUrl = Field(
        description="SQLAlchemy URL with an asyncio driver: sqlite+aiosqlite:///path/to.db or "
        "postgresql+asyncpg://user:password@host:5432/database; a secret, shown with the "
        "password masked. Give the password with a reference, e.g. ${file:/run/secrets/db}."
    )
    connect_timeout_s: float = Field(
        10.0, gt=0, le=300, description="How long to wait for a connection before giving up."
    )
    source: SqlSourceConfig | None = Field(None, description="Poll the database as a source.")
    sink: SqlSinkConfig | None = Field(None, description="Write events into the database.")

    @model_validator(mode="after")
    def _driver(self) -> SqlConfig:
        url = self.url.get_secret_value()
        scheme = url.split("://", 1)[0] if "://" in url else ""
        if scheme not in ("sqlite+aiosqlite", "postgresql+asyncpg"):
            raise ValueError(
                f"url scheme {scheme[:40]!r} is not supported; use sqlite+aiosqlite or "
                "postgresql+asyncpg"
            )
        try:
            make_url(url)
        except (ArgumentError, ValueError):
            raise ValueError("url is not a valid SQLAlchemy URL") from None
        return self
