"""``govbus federation plan/apply`` on a one-node secured cluster: ACLs follow the federation."""

from __future__ import annotations

import asyncio
import json
import shutil
from datetime import date
from pathlib import Path

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import GroupAuthorizationFailedError, TopicAuthorizationFailedError
from pydantic import SecretStr
from typer.testing import CliRunner

from bus.broker.client import client_options
from bus.broker.local import scram
from bus.cli import app
from bus.federation.acl_cluster import ClusterAcls
from bus.federation.acls import Binding
from bus.federation.model import Federation
from bus.foundation.settings import Settings
from tests.integration.secure.conftest import SecureCluster

pytestmark = [pytest.mark.kafka, pytest.mark.slow]

FEDERATION = Path(__file__).parents[3] / "examples" / "tell_us_once" / "federation"
DAY = date(2026, 1, 15)
DEATHS, COUNCIL = "gro.death-registered.v2", "council.address-change-notified.v1"
HAND_MADE = Binding("User:dvla", "TOPIC", "LITERAL", "hand.made", "READ")


def _password(code: str) -> str:
    return f"{code}-acl-test-password"


def _user(cluster: SecureCluster, code: str) -> Settings:
    return cluster.admin.model_copy(
        update={
            "kafka_sasl_username": code,
            "kafka_sasl_password": SecretStr(_password(code)),
            "kafka_sasl_password_file": None,
        }
    )


def _federation(cluster: SecureCluster, folder: Path, command: str) -> dict[str, object]:
    shown = CliRunner().invoke(
        app,
        ["federation", command, str(folder), "--json", "--on", DAY.isoformat(),
         "--home", str(cluster.home)],
    )  # fmt: skip
    assert shown.exit_code == 0, shown.output
    result: dict[str, object] = json.loads(shown.stdout)
    return result


@pytest.fixture(scope="module")
def applied(secured: SecureCluster) -> SecureCluster:
    """The example's users and topics on the cluster, a hand-made ACL, then one ``apply``."""
    members = Federation.load(FEDERATION, today=DAY)
    users = {o.code: _password(o.code) for o in members.organisations}
    options = secured.admin_options()
    asyncio.run(scram.upsert_users(options, users))
    asyncio.run(_topics(options, [DEATHS, COUNCIL, "hand.made"]))
    with ClusterAcls(options) as cluster:
        cluster.create([HAND_MADE])  # not through apply: foreign to govbus
    _federation(secured, FEDERATION, "apply")
    return secured


async def _topics(options: dict[str, object], names: list[str]) -> None:
    admin = AIOKafkaAdminClient(**options)
    await admin.start()
    try:
        await admin.create_topics(
            [NewTopic(n, num_partitions=1, replication_factor=1) for n in names]
        )
    finally:
        await admin.close()


async def _read(user: Settings, bootstrap: str, topic: str, group: str) -> None:
    consumer = AIOKafkaConsumer(
        topic, **client_options(user, bootstrap), group_id=group, auto_offset_reset="earliest"
    )
    try:
        await consumer.start()
        await consumer.getmany(timeout_ms=3_000)
        await consumer.commit()
    finally:
        await consumer.stop()


async def _write(user: Settings, bootstrap: str, topic: str) -> None:
    producer = AIOKafkaProducer(**client_options(user, bootstrap), request_timeout_ms=5_000)
    await producer.start()
    try:
        await producer.send_and_wait(topic, b"event")
    finally:
        await producer.stop()


def test_a_second_plan_after_apply_is_empty(applied: SecureCluster) -> None:
    """After ``apply`` the plan has nothing to create, delete or forget."""
    result = _federation(applied, FEDERATION, "plan")
    assert (result["create"], result["delete"], result["forget"]) == ([], [], [])


def test_a_hand_made_acl_is_left_alone_and_shown_as_foreign(applied: SecureCluster) -> None:
    """An ACL govbus did not create survives ``apply`` and is listed as foreign by ``plan``."""
    result = _federation(applied, FEDERATION, "plan")
    assert HAND_MADE.as_json() in result["foreign"]  # type: ignore[operator]
    with ClusterAcls(applied.admin_options()) as cluster:
        assert HAND_MADE in cluster.existing()[0]
        assert HAND_MADE not in cluster.recorded()


async def test_a_recipient_reads_its_agreed_topic_and_not_another(applied: SecureCluster) -> None:
    """DWP reads deaths under its agreement with a ``dwp.`` group, but not council addresses."""
    dwp = _user(applied, "dwp")
    await _read(dwp, applied.bootstrap, DEATHS, "dwp.deaths")
    with pytest.raises(TopicAuthorizationFailedError):
        await _read(dwp, applied.bootstrap, COUNCIL, "dwp.addresses")


async def test_a_recipient_may_not_use_another_organisations_group(applied: SecureCluster) -> None:
    """DWP may read deaths only in groups under its own code, not in ``dvla.``'s."""
    with pytest.raises(GroupAuthorizationFailedError):
        await _read(_user(applied, "dwp"), applied.bootstrap, DEATHS, "dvla.deaths")


async def test_an_organisation_cannot_write_a_contract_it_may_not_publish(
    applied: SecureCluster,
) -> None:
    """The library writes nothing to GRO's death topic; GRO itself may."""
    with pytest.raises(TopicAuthorizationFailedError):
        await _write(_user(applied, "library"), applied.bootstrap, DEATHS)
    await _write(_user(applied, "gro"), applied.bootstrap, DEATHS)


async def test_an_organisation_without_an_agreement_as_recipient_reads_nothing(
    applied: SecureCluster,
) -> None:
    """GRO receives under no agreement: it cannot read even the topic it publishes."""
    with pytest.raises((TopicAuthorizationFailedError, GroupAuthorizationFailedError)):
        await _read(_user(applied, "gro"), applied.bootstrap, DEATHS, "gro.deaths")


def test_withdrawing_an_agreement_removes_only_govbus_bindings(
    applied: SecureCluster, tmp_path: Path
) -> None:
    """Applying after DWP's agreement is withdrawn deletes its READs; the hand-made ACL stays."""
    folder = Path(shutil.copytree(FEDERATION, tmp_path / "federation"))
    agreement = folder / "agreements" / "gro-dwp-deaths.toml"
    agreement.write_text(agreement.read_text().replace('status = "active"', 'status = "withdrawn"'))
    result = _federation(applied, folder, "apply")
    removed: list[dict[str, str]] = result["delete"]  # type: ignore[assignment]
    deleted = {(b["principal"], b["operation"], b["resource"]) for b in removed}
    assert deleted == {
        ("User:dwp", "READ", DEATHS),
        ("User:dwp", "DESCRIBE", DEATHS),
        ("User:dwp", "READ", "dwp."),
    }
    with ClusterAcls(applied.admin_options()) as cluster:
        existing = cluster.existing()[0]
    assert HAND_MADE in existing
    dwp = {(b.operation, b.resource) for b in existing if b.principal == "User:dwp"}
    assert dwp == {(op, "dwp.state-pension-payment-stopped.v1") for op in ("WRITE", "DESCRIBE")}
    again = _federation(applied, folder, "plan")
    assert (again["create"], again["delete"], again["forget"]) == ([], [], [])
