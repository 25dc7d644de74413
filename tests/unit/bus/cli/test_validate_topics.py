"""`govbus validate` lists each adapter's topics, dead letters included, and never its config."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from bus.cli import app

DEPLOYMENT = """
[service]
name = "council"

[[sources]]
name = "badge-hooks"
kind = "webhook"
config = {{ port = 0, secret = "{secret}" }}
[sources.mapping]
contract = "uk.gov.gro.death-registered.v2"
key = "{{tuo_ref}}"
identity = "hooks/{{tuo_ref}}"
function = "examples.tell_us_once.mappings:death_entry"

[[sinks]]
name = "council-tax"
kind = "csv"
contract = "uk.gov.gro.death-registered.v2"
config = {{ folder = "{folder}" }}
"""
SECRET = "hunter2-webhook-signing-key"  # noqa: S105 - a test value that must not be printed


def test_validate_lists_the_topics_each_adapter_reads_and_writes(tmp_path: Path) -> None:
    """Sources list events, their dead letters and offsets; sinks what they read and the DLQs."""
    path = tmp_path / "council.toml"
    path.write_text(DEPLOYMENT.format(secret=SECRET, folder=tmp_path))
    done = CliRunner().invoke(app, ["validate", str(path)], env={"GOVBUS_TOPIC_PREFIX": "staging."})
    assert done.exit_code == 0, done.output
    lines = [line.split() for line in done.output.splitlines()]
    assert lines[1] == ["source", "badge-hooks", "(webhook)"]
    assert lines[2][:2] == ["writes", "staging.gro.death-registered.v2"]
    assert lines[3][:2] == ["writes", "staging.govbus.adapter.badge-hooks.dlq"]
    assert lines[4][:2] == ["writes", "staging.govbus.source-offsets"]
    assert lines[5] == ["sink", "council-tax", "(csv)"]
    assert [line[:2] for line in lines[6:]] == [
        ["reads", "staging.gro.death-registered.v2"],
        ["writes", "staging.gro.death-registered.v2.dlq"],
        ["reads", "staging.gro.death-registered.v1"],
        ["writes", "staging.gro.death-registered.v1.dlq"],
    ]
    assert SECRET not in done.output
    assert str(tmp_path) not in done.output.split("\n", 1)[1]
