"""The ``sql`` adapter kind: poll a SQL table as a source, write events to one as a sink.

SQLite (``sqlite+aiosqlite``) and PostgreSQL (``postgresql+asyncpg``) through SQLAlchemy's
asyncio engine. See ``config`` for every setting.
"""

from __future__ import annotations

from adapters.sql.config import SqlConfig, SqlSinkConfig, SqlSourceConfig
from adapters.sql.sink import SqlSink
from adapters.sql.source import SqlSource
from bus.adapter_runtime.plugins import AdapterKind, SinkContext, SourceContext


def _source(config: SqlConfig, context: SourceContext) -> SqlSource:
    return SqlSource(config, context.mapper, name=context.name)


def _sink(config: SqlConfig, context: SinkContext) -> SqlSink:
    return SqlSink(config, context.contract, name=context.name)


KIND = AdapterKind(
    name="sql",
    summary="Poll a SQL table or SELECT in watermark order; write events as rows, once per id.",
    config=SqlConfig,
    source=_source,
    sink=_sink,
)

__all__ = ["KIND", "SqlConfig", "SqlSink", "SqlSinkConfig", "SqlSource", "SqlSourceConfig"]
