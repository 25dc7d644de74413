"""The commands the alerts tell an operator to run read the dead-letter topic the alert means."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from tests.integration.bus.govbus_cli import govbus

ALERTS = Path(__file__).resolve().parents[3] / "docker" / "prometheus" / "alerts.yml"
COMMAND = re.compile(r"`govbus dlq (\w+) ([^`\s]+)[^`]*`")
# What an operator types for each placeholder, and the dead-letter topic the alert is about.
EXAMPLES = {
    "<topic>": ("gro.death-registered.v1", "gro.death-registered.v1.dlq"),
    "{{$labels.adapter}}": ("registrar-deaths", "govbus.adapter.registrar-deaths.dlq"),
}


def _commands() -> list[tuple[str, str, str]]:
    """(alert, verb, argument) of every `govbus dlq` command in an alert's annotations."""
    found = []
    for group in yaml.safe_load(ALERTS.read_text())["groups"]:
        for rule in group["rules"]:
            text = " ".join(rule.get("annotations", {}).values()).replace("{{ $", "{{$")
            text = text.replace(" }}", "}}")  # a template is one word of the command
            found += [(rule["alert"], verb, arg) for verb, arg in COMMAND.findall(text)]
    return found


def test_every_dead_letter_command_in_an_alert_reads_the_topic_it_is_about(
    kafka_bootstrap: str, topic: str
) -> None:
    """Run each command's topic through `govbus dlq list`: one .dlq, never `<topic>.dlq.dlq`."""
    commands = _commands()
    assert {verb for _, verb, _ in commands} >= {"list", "replay", "export"}
    prefix = topic + "."
    for alert, _verb, argument in commands:
        placeholder = next(p for p in EXAMPLES if p in argument)
        typed, meant = EXAMPLES[placeholder]
        given = argument.replace(placeholder, typed)
        done = govbus(kafka_bootstrap, "dlq", "list", given, GOVBUS_TOPIC_PREFIX=prefix)
        assert done.returncode == 0, (alert, done.stderr)
        assert done.stdout.strip() == f"0 dead letter(s) on {prefix}{meant}", (alert, argument)
