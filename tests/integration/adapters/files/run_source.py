"""Runs a CSV drop-folder source through the real runtime until killed (for the crash test).

Usage: python -m tests.integration.adapters.files.run_source INBOX BOOTSTRAP PREFIX OFFSETS ADAPTER
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from adapters.files import csv_source
from bus.adapter_runtime.mapping import Mapper
from bus.adapter_runtime.plugins import SourceContext
from bus.messaging.codec import Codec
from bus.testing.adapters import running_source
from tests.integration.adapters.files.folders import csv_config, mapping


async def main(inbox: str, bootstrap: str, prefix: str, offsets: str, adapter: str) -> None:
    config = csv_config(Path(inbox), batch_size=20)
    source = csv_source(config, SourceContext(name=adapter, mapper=Mapper(mapping("csv"))))
    codec = Codec(source="urn:govbus:crash-test", topic_prefix=prefix)
    async with running_source(
        source, adapter=adapter, bootstrap=bootstrap, codec=codec, offsets_topic=offsets,
        poll_interval_s=0.05,
    ):  # fmt: skip
        await asyncio.Event().wait()  # until killed


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:6]))
