"""SASL settings reach a real broker: a SASL_PLAINTEXT/PLAIN listener admits only its users."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaConnectionError

from bus.broker.client import client_options
from bus.broker.local import jars, processes
from bus.broker.local.layout import (
    LOG4J2_PROPERTIES,
    NodeSpec,
    render_properties,
    server_properties,
)
from bus.foundation.settings import Settings
from bus.observability.lag import consumer_lag
from bus.testing.kafka import free_port, unique_topic

pytestmark = [pytest.mark.kafka, pytest.mark.slow]

USERS = {"admin": "admin-secret", "pensions": "pensions-secret"}


def _sasl_properties(spec: NodeSpec) -> dict[str, str]:
    users = " ".join(f'user_{name}="{secret}"' for name, secret in USERS.items())
    jaas = (
        "org.apache.kafka.common.security.plain.PlainLoginModule required "
        f'username="admin" password="{USERS["admin"]}" {users};'
    )
    return server_properties(spec, [spec]) | {
        "listeners": f"SASL_PLAINTEXT://{spec.address},CONTROLLER://127.0.0.1:{spec.controller_port}",
        "advertised.listeners": f"SASL_PLAINTEXT://{spec.address}",
        "inter.broker.listener.name": "SASL_PLAINTEXT",
        "listener.security.protocol.map": "CONTROLLER:PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT",
        "sasl.enabled.mechanisms": "PLAIN",
        "sasl.mechanism.inter.broker.protocol": "PLAIN",
        "listener.name.sasl_plaintext.plain.sasl.jaas.config": jaas,
    }


def _settings(username: str, password: str) -> Settings:
    return Settings(
        kafka_security_protocol="SASL_PLAINTEXT",
        kafka_sasl_mechanism="PLAIN",
        kafka_sasl_username=username,
        kafka_sasl_password=password,
        kafka_client_id="govbus-sasl-test",
    )


async def _answers(options: dict[str, Any]) -> bool:
    admin = AIOKafkaAdminClient(**options, request_timeout_ms=5_000)
    try:
        await admin.start()
        await admin.describe_cluster()
    except Exception:
        return False
    finally:
        await admin.close()
    return True


@contextlib.contextmanager
def sasl_broker(home: Path, *, extra: Mapping[str, str] | None = None) -> Iterator[str]:
    """A one-node broker of its own whose only client listener is SASL_PLAINTEXT with PLAIN.

    ``extra`` server properties are added (an authorizer, say); yields its address.
    """
    settings = Settings()
    processes.check_java()
    classpath = jars.resolve(settings.cache_dir)
    spec = NodeSpec(node_id=1, port=free_port(), controller_port=free_port(), home=home)
    spec.logs_dir.mkdir(parents=True)
    spec.config_file.write_text(render_properties(_sasl_properties(spec) | dict(extra or {})))
    spec.log4j_file.write_text(LOG4J2_PROPERTIES)
    processes.format_storage([spec], cluster_id=processes.new_cluster_id(), classpath=classpath)
    pid = processes.start_node(spec, classpath=classpath, heap=settings.kafka_heap)
    try:
        options = client_options(_settings("admin", USERS["admin"]), spec.address)
        deadline = time.monotonic() + settings.kafka_start_timeout_s
        while not asyncio.run(_answers(options)):
            if not processes.is_our_node(pid, spec) or time.monotonic() > deadline:
                pytest.fail(f"SASL broker did not start: {processes.last_log_line(spec)}")
            time.sleep(0.5)
        yield spec.address
    finally:
        processes.stop_nodes([pid])


@pytest.fixture(scope="module")
def sasl_bootstrap(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A one-node broker of its own whose only client listener is SASL_PLAINTEXT with PLAIN."""
    with sasl_broker(tmp_path_factory.mktemp("sasl")) as address:
        yield address


async def test_a_sasl_user_publishes_and_reads_back_with_client_options(
    sasl_bootstrap: str,
) -> None:
    """Producer and consumer built from client_options authenticate and move a record."""
    topic = unique_topic("sasl")
    options = client_options(_settings("pensions", USERS["pensions"]), sasl_bootstrap)
    producer = AIOKafkaProducer(**options, acks="all", enable_idempotence=True)
    await producer.start()
    try:
        await producer.send_and_wait(topic, b'{"ok": true}', key=b"case-1")
    finally:
        await producer.stop()
    consumer = AIOKafkaConsumer(
        topic, **options, group_id=f"{topic}.group", auto_offset_reset="earliest",
        enable_auto_commit=False,
    )  # fmt: skip
    await consumer.start()
    try:
        batch = await consumer.getmany(timeout_ms=10_000)
        records = [record for part in batch.values() for record in part]
        assert [record.value for record in records] == [b'{"ok": true}']
        await consumer.commit()
    finally:
        await consumer.stop()
    assert await consumer_lag(options, f"{topic}.group") == {topic: 0}


async def test_a_wrong_password_is_refused_by_the_broker(
    sasl_bootstrap: str, caplog: pytest.LogCaptureFixture
) -> None:
    """The same options with a wrong password cannot connect: SASL is really enforced."""
    options = client_options(_settings("pensions", "not-the-password"), sasl_bootstrap)
    admin = AIOKafkaAdminClient(**options, request_timeout_ms=5_000)
    try:
        with pytest.raises(KafkaConnectionError):
            await admin.start()
    finally:
        await admin.close()
    assert any("SaslAuthenticationFailed" in record.getMessage() for record in caplog.records)
