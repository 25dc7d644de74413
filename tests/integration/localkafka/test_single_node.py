"""The session's real broker: records go through it with acks=all, and `up` reuses it."""

from __future__ import annotations

import os
import subprocess
import sys

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer


async def test_a_record_written_with_acks_all_is_read_back(
    kafka_bootstrap: str, topic: str
) -> None:
    """A producer with acks=all and idempotence writes; a consumer reads the same bytes back."""
    producer = AIOKafkaProducer(
        bootstrap_servers=kafka_bootstrap, acks="all", enable_idempotence=True
    )
    await producer.start()
    try:
        sent = await producer.send_and_wait(
            topic, b'{"hello": "govbus"}', key=b"case-1", headers=[("ce_id", b"1")]
        )
    finally:
        await producer.stop()
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=kafka_bootstrap, auto_offset_reset="earliest",
        group_id=f"{topic}.reader", enable_auto_commit=False,
    )  # fmt: skip
    await consumer.start()
    try:
        batch = await consumer.getmany(timeout_ms=10_000)
    finally:
        await consumer.stop()
    records = [record for part in batch.values() for record in part]
    assert len(records) == 1
    (record,) = records
    assert (record.key, record.value, record.offset) == (
        b"case-1",
        b'{"hello": "govbus"}',
        sent.offset,
    )
    assert list(record.headers) == [("ce_id", b"1")]


def test_a_second_up_reports_the_running_broker(kafka_bootstrap: str) -> None:
    """`govbus kafka up` against a running cluster starts nothing and ends with its address."""
    env = {k: v for k, v in os.environ.items() if k != "GOVBUS_KAFKA_BOOTSTRAP"}
    if "GOVBUS_KAFKA_BOOTSTRAP" in os.environ:
        env["GOVBUS_KAFKA_BOOTSTRAP"] = kafka_bootstrap
    done = subprocess.run(
        [sys.executable, "-m", "bus", "kafka", "up"],
        capture_output=True, text=True, env=env, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    lines = done.stdout.strip().splitlines()
    assert lines[-1] == kafka_bootstrap
    assert "started" not in done.stdout
