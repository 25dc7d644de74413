"""`govbus topics plan | apply`: what operators who provision topics themselves run."""

from __future__ import annotations

import json
from pathlib import Path

from bus.broker.topics import create_topics, topic_partitions
from bus.testing.kafka import topic_configs, unique_topic
from tests.integration.bus.govbus_cli import govbus

DEPLOYMENT = """
[service]
name = "council"

[[sources]]
name = "deaths-in"
kind = "csv"
config = {{ folder = "{folder}" }}
[sources.mapping]
contract = "uk.gov.gro.death-registered.v2"
key = "{{tuo_ref}}"
identity = "deaths/{{tuo_ref}}"
function = "examples.tell_us_once.mappings:death_entry"

[[sinks]]
name = "council-tax"
kind = "csv"
contract = "uk.gov.gro.death-registered.v2"
config = {{ folder = "{folder}" }}
"""


def _deployment(tmp_path: Path) -> Path:
    path = tmp_path / "council.toml"
    path.write_text(DEPLOYMENT.format(folder=tmp_path))
    return path


def test_apply_creates_what_plan_shows_and_a_second_plan_is_empty(
    kafka_bootstrap: str, tmp_path: Path
) -> None:
    """plan lists every missing topic; apply creates them; plan and apply again change nothing."""
    prefix = unique_topic("cli-topics") + "."
    file = str(_deployment(tmp_path))

    planned = govbus(kafka_bootstrap, "topics", "plan", "--json", file, GOVBUS_TOPIC_PREFIX=prefix)
    assert planned.returncode == 0, planned.stderr
    document = json.loads(planned.stdout)
    wanted = [
        f"{prefix}gro.death-registered.v2",
        f"{prefix}govbus.adapter.deaths-in.dlq",
        f"{prefix}govbus.source-offsets",
        f"{prefix}gro.death-registered.v2.dlq",
        f"{prefix}gro.death-registered.v1",
        f"{prefix}gro.death-registered.v1.dlq",
    ]
    assert sorted(document["topics"]) == sorted(wanted)
    assert document["applied"] is False
    assert (document["brokers"], document["replication_factor"]) == (1, 1)
    assert document["min_insync_replicas"] == 1
    by_topic = {change["topic"]: change for change in document["changes"]}
    assert sorted(by_topic) == sorted(wanted)
    offsets = by_topic[f"{prefix}govbus.source-offsets"]
    assert offsets["action"] == "create"
    assert offsets["partitions"] == 1
    assert offsets["config"] == {
        "cleanup.policy": "compact", "retention.ms": "-1", "min.insync.replicas": "1"
    }  # fmt: skip
    dlq = by_topic[f"{prefix}gro.death-registered.v2.dlq"]["config"]
    assert dlq["retention.ms"] == str(28 * 24 * 3600 * 1000)

    applied = govbus(kafka_bootstrap, "topics", "apply", file, GOVBUS_TOPIC_PREFIX=prefix)
    assert applied.returncode == 0, applied.stderr
    assert f"done: create {prefix}gro.death-registered.v2: 3 partition(s)" in applied.stdout

    again = govbus(kafka_bootstrap, "topics", "plan", file, GOVBUS_TOPIC_PREFIX=prefix)
    assert again.returncode == 0, again.stderr
    assert "nothing to change" in again.stdout
    reapplied = json.loads(
        govbus(
            kafka_bootstrap, "topics", "apply", "--json", file, GOVBUS_TOPIC_PREFIX=prefix
        ).stdout
    )
    assert (reapplied["changes"], reapplied["applied"]) == ([], True)


async def test_apply_raises_partitions_and_aligns_configs_keeping_other_settings(
    kafka_bootstrap: str, tmp_path: Path
) -> None:
    """A topic with too few partitions and a short retention is fixed; its own settings stay."""
    prefix = unique_topic("cli-raise") + "."
    topic = f"{prefix}gro.death-registered.v2"
    await create_topics(
        kafka_bootstrap, [topic], partitions=1,
        config={"retention.ms": "3600000", "max.message.bytes": "2000000"},
    )  # fmt: skip
    file = str(_deployment(tmp_path))

    planned = json.loads(
        govbus(kafka_bootstrap, "topics", "plan", "--json", file, GOVBUS_TOPIC_PREFIX=prefix).stdout
    )
    changes = [c for c in planned["changes"] if c["topic"] == topic]
    assert [(c["action"], c["current_partitions"], c["partitions"]) for c in changes] == [
        ("add-partitions", 1, 3), ("alter-config", 1, 3)
    ]  # fmt: skip
    assert changes[1]["config"] == {"retention.ms": "604800000"}
    assert changes[1]["current_config"] == {"retention.ms": "3600000"}

    applied = govbus(kafka_bootstrap, "topics", "apply", file, GOVBUS_TOPIC_PREFIX=prefix)
    assert applied.returncode == 0, applied.stderr

    assert len(await topic_partitions(kafka_bootstrap, topic) or []) == 3
    overrides = await topic_configs(kafka_bootstrap, topic, set_on_topic=True)
    assert overrides["retention.ms"] == "604800000"
    assert overrides["max.message.bytes"] == "2000000"
    assert (
        "nothing to change"
        in govbus(kafka_bootstrap, "topics", "plan", file, GOVBUS_TOPIC_PREFIX=prefix).stdout
    )


def test_plan_of_a_broken_deployment_names_the_key_and_touches_nothing(
    kafka_bootstrap: str, tmp_path: Path
) -> None:
    """A deployment that does not validate is reported like `govbus validate` does, exit 1."""
    path = tmp_path / "broken.toml"
    path.write_text(_deployment(tmp_path).read_text().replace('kind = "csv"', 'kind = "telex"', 1))
    done = govbus(kafka_bootstrap, "topics", "apply", str(path))
    assert done.returncode == 1
    assert "sources[0].kind: unknown adapter kind 'telex'" in done.stderr
    assert done.stdout == ""
