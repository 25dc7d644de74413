"""Start-up time and memory of the local Kafka: cold (empty jar cache), warm, one and three nodes.

    .venv/bin/python -m bench.kafka_start [--skip-cold]

Each run uses its own temporary home and cache, and stops what it started. RSS is read from
/proc after the cluster answered, and again after 5,000 1 KB records were written with acks=all.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import shutil
import tempfile
import time
from pathlib import Path

from aiokafka import AIOKafkaProducer

from bus.broker.local import LocalKafka
from bus.foundation.settings import Settings


def _rss_mib(pid: str) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def _load(bootstrap: str, records: int) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True)
    await producer.start()
    try:
        payload = b"x" * 1024
        futures = [await producer.send("bench.start", payload) for _ in range(records)]
        await asyncio.gather(*futures)
    finally:
        await producer.stop()


def measure(label: str, *, nodes: int, cache: Path) -> None:
    home = Path(tempfile.mkdtemp(prefix="govbus-bench-"))
    cluster = LocalKafka(
        Settings(kafka_home=home, cache_dir=cache, kafka_backend="jars", kafka_bootstrap=None)
    )
    started = time.perf_counter()
    result = cluster.up(nodes=nodes)
    elapsed = time.perf_counter() - started
    try:
        pids = [node.handle for node in cluster.status().nodes]
        ready = [_rss_mib(pid) for pid in pids]
        asyncio.run(_load(result.bootstrap, 5_000))
        loaded = [_rss_mib(pid) for pid in pids]
    finally:
        cluster.down()
        shutil.rmtree(home, ignore_errors=True)
    print(
        f"{label:<28} {elapsed:6.1f} s   RSS per node ready: "
        f"{', '.join(f'{m:.0f}' for m in ready)} MiB; after load: "
        f"{', '.join(f'{m:.0f}' for m in loaded)} MiB (total {sum(loaded):.0f} MiB)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--skip-cold", action="store_true", help="skip the empty-cache run")
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)  # the client's retries while the topic is created
    warm_cache = Settings(kafka_bootstrap=None).cache_dir
    if not args.skip_cold:
        cold_cache = Path(tempfile.mkdtemp(prefix="govbus-cold-cache-"))
        try:
            measure("1 node, cold (resolve jars)", nodes=1, cache=cold_cache)
        finally:
            shutil.rmtree(cold_cache, ignore_errors=True)
    measure("1 node, warm", nodes=1, cache=warm_cache)
    measure("3 nodes, warm", nodes=3, cache=warm_cache)


if __name__ == "__main__":
    main()
