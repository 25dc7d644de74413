"""Runs the SQL source through the real runtime until killed (for the crash test).

Usage: python -m tests.integration.adapters.sql.run_source URL TABLE BOOTSTRAP PREFIX OFFSETS
"""

from __future__ import annotations

import asyncio
import sys

from adapters.sql import SqlConfig, SqlSource, SqlSourceConfig
from bus.adapter_runtime.mapping import Mapper
from bus.messaging.codec import Codec
from bus.testing.adapters import running_source
from tests.integration.adapters.sql.harness import MAPPING


async def main(url: str, table: str, bootstrap: str, prefix: str, offsets: str) -> None:
    config = SqlConfig(
        url=url,
        source=SqlSourceConfig(table=table, key_column="id", batch_size=100, poll_interval_s=0.05),
    )
    source = SqlSource(config, Mapper(MAPPING), name="crash")
    codec = Codec(source="urn:govbus:crash-test", topic_prefix=prefix)
    async with running_source(
        source, adapter="sql-crash", bootstrap=bootstrap, codec=codec, offsets_topic=offsets
    ):
        print("running", flush=True)
        await asyncio.Event().wait()  # until killed


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:6]))
