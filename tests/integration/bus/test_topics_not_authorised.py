"""A principal that may not create topics is told which ones are missing, and nothing crashes."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator

import pytest

from bus.broker.client import client_options
from bus.broker.local import jars, processes
from bus.broker.local.layout import LOG4J2_PROPERTIES, NodeSpec, render_properties
from bus.broker.topics import WantedTopic, topic_partitions
from bus.foundation.settings import Settings
from bus.process.topic_plan import TopicProvider
from bus.testing.kafka import free_port, unique_topic
from tests.integration.bus.govbus_cli import govbus
from tests.integration.test_kafka_sasl import USERS, _answers, _sasl_properties, _settings

pytestmark = [pytest.mark.kafka, pytest.mark.slow]


@pytest.fixture(scope="module")
def acl_bootstrap(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A one-node SASL broker with ACLs on: `admin` may do anything, `pensions` nothing."""
    settings = Settings()
    processes.check_java()
    classpath = jars.resolve(settings.cache_dir)
    spec = NodeSpec(
        node_id=1, port=free_port(), controller_port=free_port(),
        home=tmp_path_factory.mktemp("acl"),
    )  # fmt: skip
    spec.logs_dir.mkdir(parents=True)
    properties = _sasl_properties(spec) | {
        "authorizer.class.name": "org.apache.kafka.metadata.authorizer.StandardAuthorizer",
        # The controller listener is PLAINTEXT, so the broker reaches it as ANONYMOUS.
        "super.users": "User:admin;User:ANONYMOUS",
        "allow.everyone.if.no.acl.found": "false",
    }
    spec.config_file.write_text(render_properties(properties))
    spec.log4j_file.write_text(LOG4J2_PROPERTIES)
    processes.format_storage([spec], cluster_id=processes.new_cluster_id(), classpath=classpath)
    pid = processes.start_node(spec, classpath=classpath, heap=settings.kafka_heap)
    try:
        options = client_options(_settings("admin", USERS["admin"]), spec.address)
        deadline = time.monotonic() + settings.kafka_start_timeout_s
        while not asyncio.run(_answers(options)):
            if not processes.is_our_node(pid, spec) or time.monotonic() > deadline:
                pytest.fail(f"ACL broker did not start: {processes.last_log_line(spec)}")
            time.sleep(0.5)
        yield spec.address
    finally:
        processes.stop_nodes([pid])


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
