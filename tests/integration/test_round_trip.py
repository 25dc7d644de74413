"""`python -m examples.round_trip` sends an event through a real broker and prints it back."""

from __future__ import annotations

import json
import os
import subprocess
import sys


def test_the_demo_prints_the_event_it_read_back_from_kafka(kafka_bootstrap: str) -> None:
    """The printed record has the CloudEvents headers, key and data that were published."""
    env = os.environ | {"GOVBUS_KAFKA_BOOTSTRAP": kafka_bootstrap}
    done = subprocess.run(
        [sys.executable, "-m", "examples.round_trip"],
        capture_output=True, text=True, env=env, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    printed = done.stdout[done.stdout.index("{") : done.stdout.rindex("}") + 1]
    arrived = json.loads(printed)
    assert arrived["topic"] == "gro.death-registered.v1"
    assert arrived["key"] == "DR-0001"
    assert arrived["headers"]["ce_type"] == "uk.gov.gro.death-registered.v1"
    assert arrived["headers"]["content-type"] == "application/json"
    assert arrived["data"]["deceased"]["family_name"] == "Lovelace"
    assert "stopped" not in done.stdout  # a broker it did not start is left running
