"""``Govbus.app()`` under FastStream's own runner (``faststream run``) on a real broker."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import textwrap
from pathlib import Path

import httpx
from aiokafka.admin import AIOKafkaAdminClient

from bus.messaging.codec import Codec
from bus.messaging.publisher import Publication, Publisher
from bus.testing.kafka import eventually, free_port, unique_topic
from contracts.catalogue.gro import DeathRegisteredV1

# Commits only when draining (interval 10 minutes), so the committed offsets show what the
# SIGTERM drain did; the last event is slow, so it is in hand when SIGTERM arrives.
SERVICE = """
    import asyncio
    import os
    from pathlib import Path

    from bus.faststream import Govbus
    from bus.foundation.settings import Settings
    from contracts.catalogue.gro import DeathRegisteredV1

    bus = Govbus("pensions", settings=Settings(), commit_interval_s=600)
    log = Path(os.environ["HANDLED_LOG"])


    @bus.subscriber(DeathRegisteredV1, name=os.environ["SUBSCRIBER"])
    async def handle(event: DeathRegisteredV1) -> None:
        if event.entry_number == int(os.environ["SLOW_ENTRY"]):
            with log.open("a") as out:
                out.write("started\\n")
            await asyncio.sleep(1.0)
        with log.open("a") as out:
            out.write(f"{event.entry_number}\\n")


    app = bus.app()
"""


def _lines(path: Path) -> list[str]:
    return path.read_text().splitlines() if path.exists() else []


async def test_faststream_run_serves_delivers_and_drains_and_commits_on_sigterm(
    kafka_bootstrap: str, tmp_path: Path
) -> None:
    """Under `faststream run` the app creates its topics, is ready, handles events; SIGTERM
    lets the record in hand finish, commits every handled offset and exits 0."""
    prefix = unique_topic("fs-app") + "."
    group = unique_topic("fs-app-group")
    (tmp_path / "pensions_app.py").write_text(textwrap.dedent(SERVICE))
    handled = tmp_path / "handled.log"
    port = free_port()
    env = os.environ | {
        "GOVBUS_KAFKA_BOOTSTRAP": kafka_bootstrap,
        "GOVBUS_TOPIC_PREFIX": prefix,
        "GOVBUS_HEALTH_PORT": str(port),
        "HANDLED_LOG": str(handled),
        "SUBSCRIBER": group,
        "SLOW_ENTRY": "20",
    }
    faststream = Path(sys.executable).with_name("faststream")
    process = await asyncio.create_subprocess_exec(
        str(faststream), "run", "--app-dir", str(tmp_path), "pensions_app:app",
        env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=5) as client:

            async def ready() -> bool:
                try:
                    return (await client.get("/readyz")).status_code == 200
                except httpx.TransportError:
                    return False

            for _ in range(300):
                if await ready() or process.returncode is not None:
                    break
                await asyncio.sleep(0.1)
            assert await ready(), "the app never became ready"
        codec = Codec(source="urn:govbus:gro", topic_prefix=prefix)
        example = dict(DeathRegisteredV1.contract.example)
        events = [
            Publication(
                DeathRegisteredV1.model_validate(example | {"entry_number": n}), key=f"DR-{n}"
            )
            for n in range(1, 21)
        ]
        async with Publisher(bootstrap=kafka_bootstrap, codec=codec, name="gro") as publisher:
            await publisher.publish_many(events[:-1])
            await eventually(lambda: len(_lines(handled)) == 19, what="19 events handled")
            await publisher.publish_many(events[-1:])
        await eventually(lambda: "started" in _lines(handled), what="the slow event in hand")
        process.send_signal(signal.SIGTERM)
        output, _ = await asyncio.wait_for(process.communicate(), 60)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    assert process.returncode == 0, output.decode()
    numbers = sorted(int(line) for line in _lines(handled) if line != "started")
    assert numbers == list(range(1, 21))
    assert await _committed_total(kafka_bootstrap, group) == 20


async def _committed_total(bootstrap: str, group: str) -> int:
    """The offsets ``group`` committed, added up over its partitions."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        offsets = await admin.list_consumer_group_offsets(group)
    finally:
        await admin.close()
    return sum(max(entry.offset, 0) for entry in offsets.values())
