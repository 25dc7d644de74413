"""A principal that may not create topics is told which ones are missing, and nothing crashes."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bus.broker.client import client_options
from bus.broker.topics import WantedTopic, topic_partitions
from bus.observability.topic_plan import TopicProvider
from bus.testing.kafka import unique_topic
from tests.integration.bus.govbus_cli import govbus
from tests.integration.test_kafka_sasl import USERS, _settings, sasl_broker

pytestmark = [pytest.mark.kafka, pytest.mark.slow]


@pytest.fixture(scope="module")
def acl_bootstrap(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A one-node SASL broker with ACLs on: `admin` may do anything, `pensions` nothing."""
    acls = {
        "authorizer.class.name": "org.apache.kafka.metadata.authorizer.StandardAuthorizer",
        # The controller listener is PLAINTEXT, so the broker reaches it as ANONYMOUS.
        "super.users": "User:admin;User:ANONYMOUS",
        "allow.everyone.if.no.acl.found": "false",
    }
    with sasl_broker(tmp_path_factory.mktemp("acl"), extra=acls) as address:
        yield address


async def test_a_principal_without_rights_reports_the_missing_topics(acl_bootstrap: str) -> None:
    """Kafka refuses the creation; provide() reports not ready, naming the topics and why."""
    name = unique_topic("acl")
    settings = _settings("pensions", USERS["pensions"])
    options = client_options(settings, acl_bootstrap)
    reports: list[tuple[bool, str]] = []
    provider = TopicProvider(
        [WantedTopic(name, 3, {"cleanup.policy": "delete"})],
        bootstrap=acl_bootstrap, options=options, settings=settings,
        report=lambda ready, detail: reports.append((ready, detail)),
    )  # fmt: skip

    assert await provider.provide() is False

    ready, detail = reports[-1]
    assert not ready
    assert detail.startswith(f"missing topics: {name}; not authorised to create them")
    assert "TopicAuthorizationFailedError" in detail
    admin = client_options(_settings("admin", USERS["admin"]), acl_bootstrap)
    assert await topic_partitions(acl_bootstrap, name, options=admin) is None


def test_topics_apply_without_rights_fails_on_one_line(acl_bootstrap: str, tmp_path) -> None:
    """`govbus topics apply` as a principal without rights exits 1 naming the refused topics."""
    path = tmp_path / "dwp.toml"
    path.write_text(
        '[service]\nname = "dwp"\n\n[[sinks]]\nname = "pensions"\nkind = "csv"\n'
        f'contract = "uk.gov.gro.death-registered.v1"\nconfig = {{ folder = "{tmp_path}" }}\n'
    )
    done = govbus(
        acl_bootstrap, "topics", "apply", str(path),
        GOVBUS_KAFKA_SECURITY_PROTOCOL="SASL_PLAINTEXT", GOVBUS_KAFKA_SASL_MECHANISM="PLAIN",
        GOVBUS_KAFKA_SASL_USERNAME="pensions", GOVBUS_KAFKA_SASL_PASSWORD=USERS["pensions"],
    )  # fmt: skip
    assert done.returncode == 1
    assert done.stderr.startswith("govbus: Kafka refused to create or change topics: ")
    assert "gro.death-registered.v1 (TopicAuthorizationFailedError" in done.stderr
    assert USERS["pensions"] not in done.stderr + done.stdout
