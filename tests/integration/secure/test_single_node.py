"""A one-node ``govbus kafka up --secure`` cluster admits only SCRAM users over TLS, with ACLs."""

from __future__ import annotations

import asyncio
import stat
from pathlib import Path

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import (
    GroupAuthorizationFailedError,
    TopicAuthorizationFailedError,
)
from pydantic import SecretStr
from typer.testing import CliRunner

from bus.broker.client import check_credentials, client_options
from bus.broker.local import LocalKafka
from bus.broker.local.layout import plan
from bus.cli import app
from bus.federation.model import Federation
from bus.foundation.errors import InvalidSetting, KafkaUnavailable
from bus.foundation.settings import Settings
from bus.testing.kafka import unique_topic
from tests.integration.secure.conftest import SecureCluster

pytestmark = [pytest.mark.kafka, pytest.mark.slow]

FEDERATION = Path(__file__).parents[3] / "examples" / "tell_us_once" / "federation"


def _user(cluster: SecureCluster, name: str, password: str) -> Settings:
    return cluster.admin.model_copy(
        update={
            "kafka_sasl_username": name,
            "kafka_sasl_password": SecretStr(password),
            "kafka_sasl_password_file": None,
            "kafka_bootstrap": cluster.bootstrap,
        }
    )


async def test_the_admin_connects_over_sasl_ssl_and_creates_a_topic(secured: SecureCluster) -> None:
    """admin.env's settings authenticate the admin, who may create a topic and move a record."""
    topic = unique_topic("secure")
    options = secured.admin_options()
    admin = AIOKafkaAdminClient(**options)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(topic, num_partitions=1, replication_factor=1)])
    finally:
        await admin.close()
    producer = AIOKafkaProducer(**options, acks="all")
    await producer.start()
    try:
        await producer.send_and_wait(topic, b"secured")
    finally:
        await producer.stop()
    consumer = AIOKafkaConsumer(topic, **options, auto_offset_reset="earliest")
    await consumer.start()
    try:
        batch = await consumer.getmany(timeout_ms=10_000)
    finally:
        await consumer.stop()
    assert [r.value for part in batch.values() for r in part] == [b"secured"]


async def test_a_wrong_password_is_refused_with_an_error_naming_the_setting(
    secured: SecureCluster,
) -> None:
    """The broker refuses the admin with a wrong password, and govbus says which setting."""
    with pytest.raises(InvalidSetting, match="GOVBUS_KAFKA_SASL_PASSWORD") as caught:
        await check_credentials(_user(secured, "admin", "not-the-password"), secured.bootstrap)
    assert "not-the-password" not in str(caught.value)
    await check_credentials(secured.admin, secured.bootstrap)  # the right one is let in


async def test_a_plaintext_client_is_refused(secured: SecureCluster) -> None:
    """A client speaking PLAINTEXT gets no answer from the client listener."""
    plain = Settings(kafka_security_protocol="PLAINTEXT")
    with pytest.raises(KafkaUnavailable):
        await check_credentials(plain, secured.bootstrap, timeout_s=5)


async def test_a_tls_client_without_sasl_is_refused(secured: SecureCluster) -> None:
    """A client that trusts the CA but does not authenticate (SSL only) is refused."""
    unauthenticated = Settings(
        kafka_security_protocol="SSL", kafka_ssl_cafile=secured.files.ca_cert
    )
    with pytest.raises(KafkaUnavailable):
        await check_credentials(unauthenticated, secured.bootstrap, timeout_s=5)


async def test_no_port_of_the_node_answers_a_plaintext_request(secured: SecureCluster) -> None:
    """Neither the client nor the controller port answers a PLAINTEXT ApiVersions request."""
    (spec,) = plan(1, secured.home, (int(secured.bootstrap.rpartition(":")[2]),))
    for port in (spec.port, spec.controller_port):
        with pytest.raises(KafkaUnavailable):
            await check_credentials(Settings(), f"127.0.0.1:{port}", timeout_s=5)


async def test_the_controller_port_refuses_a_client_without_a_node_certificate(
    secured: SecureCluster,
) -> None:
    """The controller listener wants mutual TLS: the admin's SASL_SSL login does not get in."""
    (spec,) = plan(1, secured.home, (int(secured.bootstrap.rpartition(":")[2]),))
    controller = f"127.0.0.1:{spec.controller_port}"
    with pytest.raises(KafkaUnavailable):
        await check_credentials(secured.admin, controller, timeout_s=5)


def test_keys_and_the_admin_password_are_private_and_never_in_admin_env(
    secured: SecureCluster,
) -> None:
    """Private keys and the password file are 0600, and admin.env names the file, not the secret."""
    files = secured.files
    for private in (files.ca_key, files.node_keystore(1), files.admin_password):
        assert stat.S_IMODE(private.stat().st_mode) == 0o600, private
    password = files.admin_password.read_text().strip()
    assert password not in files.admin_env.read_text()
    assert f"GOVBUS_KAFKA_SASL_PASSWORD_FILE={files.admin_password}" in files.admin_env.read_text()


def test_up_again_reuses_the_running_secured_cluster_and_its_credentials(
    secured: SecureCluster,
) -> None:
    """A second ``up --secure`` starts nothing and leaves the CA and password as they were."""
    files = secured.files
    before = (files.ca_cert.read_bytes(), files.admin_password.read_bytes())
    ports = (int(secured.bootstrap.rpartition(":")[2]),)
    result = LocalKafka(Settings(kafka_home=secured.home)).up(secure=True, ports=ports)
    assert result.already_running
    assert result.started_nodes == ()
    assert (files.ca_cert.read_bytes(), files.admin_password.read_bytes()) == before


def test_federation_users_authenticate_but_need_acls_to_read_or_write(
    secured: SecureCluster,
) -> None:
    """``users apply`` creates each organisation's SCRAM user; without ACLs it reads nothing."""
    members = Federation.load(FEDERATION)
    passwords = {o.code: f"{o.code}-pw-{o.code[::-1]}-secret" for o in members.organisations}
    env = {
        f"GOVBUS_SCRAM_PASSWORD_{code.upper().replace('-', '_')}": pw
        for code, pw in passwords.items()
    }
    shown = CliRunner().invoke(
        app,
        ["kafka", "users", "apply", "--federation", str(FEDERATION), "--home", str(secured.home)],
        env=env,
    )
    assert shown.exit_code == 0, shown.output
    assert not any(pw in shown.output for pw in passwords.values())
    dwp = next(o for o in members.organisations if o.code == "dwp")
    assert f"credential set for {dwp.kafka_principal}" in shown.output

    name = dwp.kafka_principal.removeprefix("User:")
    asyncio.run(_refused_without_acls(secured, _user(secured, name, passwords["dwp"])))


async def _refused_without_acls(secured: SecureCluster, user: Settings) -> None:
    await check_credentials(user, secured.bootstrap)  # the SCRAM user logs in
    topic = unique_topic("noacl")
    admin = AIOKafkaAdminClient(**secured.admin_options())
    await admin.start()
    try:
        await admin.create_topics([NewTopic(topic, num_partitions=1, replication_factor=1)])
    finally:
        await admin.close()
    options = client_options(user, secured.bootstrap)
    producer = AIOKafkaProducer(**options, request_timeout_ms=5_000)
    await producer.start()
    try:
        with pytest.raises(TopicAuthorizationFailedError):
            await producer.send_and_wait(topic, b"not allowed")
    finally:
        await producer.stop()
    consumer = AIOKafkaConsumer(
        topic, **options, group_id=f"{topic}.g", auto_offset_reset="earliest"
    )
    try:
        with pytest.raises((GroupAuthorizationFailedError, TopicAuthorizationFailedError)):
            await _start_and_read(consumer)
    finally:
        await consumer.stop()


async def _start_and_read(consumer: AIOKafkaConsumer) -> None:
    await consumer.start()
    await consumer.getmany(timeout_ms=5_000)


def test_users_apply_names_each_organisation_without_a_password(
    secured: SecureCluster, tmp_path: Path
) -> None:
    """Missing passwords are one error naming each organisation, its variable and its file."""
    shown = CliRunner().invoke(
        app,
        [
            "kafka", "users", "apply", "--federation", str(FEDERATION),
            "--secrets", str(tmp_path), "--home", str(secured.home),
        ],
        env={"GOVBUS_SCRAM_PASSWORD_DWP": "dwp-password"},
    )  # fmt: skip
    assert shown.exit_code != 0
    assert "GOVBUS_SCRAM_PASSWORD_GRO" in shown.output
    assert str(tmp_path / "gro.password") in shown.output
    assert "dwp (" not in shown.output
