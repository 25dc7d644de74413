"""docker/compose.yaml runs Tell Us Once for real: build, up, the demo exactly once, down.

On a Docker engine (DOCKER_HOST), with Compose v2. Where the locally built images are there
(scripts/docker-images.sh), docker/compose.local.yaml is added, as on a machine without Docker
Hub; otherwise the public images are used. The stack runs as a project of its own with no
published ports, so it neither needs nor disturbs 127.0.0.1:9092 and the other host ports.
"""

from __future__ import annotations

import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from tests.integration.docker.kafka_container import engine_problem
from tests.unit.docker.test_compose import COMPOSE, GOVBUS_SERVICES

pytestmark = [pytest.mark.docker, pytest.mark.timeout(900)]

LOCAL_OVERRIDE = COMPOSE.parent / "compose.local.yaml"
LOCAL_IMAGES = ("govbus/kafka:4.1.1", "govbus/python:3.11-bookworm")
UP_TIMEOUT_S = 420
DEMO_TIMEOUT_S = 240


def _compose_problem() -> str | None:
    done = subprocess.run(
        ["docker", "compose", "version", "--short"],
        capture_output=True, text=True, timeout=30, check=False,
    )  # fmt: skip
    if done.returncode != 0 or not done.stdout.strip().lstrip("v").startswith("2."):
        return "no Docker Compose v2 plugin (scripts/docker-compose-plugin.sh installs one)"
    return None


def _has_image(image: str) -> bool:
    done = subprocess.run(
        ["docker", "image", "inspect", image], capture_output=True, timeout=30, check=False
    )
    return done.returncode == 0


class Stack:
    """One compose project of the Tell Us Once stack, driven through `docker compose`."""

    def __init__(self, workdir: Path) -> None:
        self.project = f"govbus-test-{uuid.uuid4().hex[:8]}"
        files = [COMPOSE]
        if all(_has_image(image) for image in LOCAL_IMAGES):
            files.append(LOCAL_OVERRIDE)
        # Published ports dropped (`!reset`): the containers talk over the project's network.
        services = yaml.safe_load(COMPOSE.read_text())["services"]
        no_ports = workdir / "compose.no-ports.yaml"
        published = [name for name, service in services.items() if "ports" in service]
        no_ports.write_text(
            "services:\n" + "".join(f"  {name}: {{ports: !reset []}}\n" for name in published)
        )
        files.append(no_ports)
        self.files = files
        self.timings: dict[str, float] = {}

    def compose(self, *args: str, timeout_s: float) -> subprocess.CompletedProcess[str]:
        files = [arg for path in self.files for arg in ("-f", str(path))]
        started = time.monotonic()
        done = subprocess.run(
            ["docker", "compose", "-p", self.project, *files, *args],
            capture_output=True, text=True, timeout=timeout_s, check=False,
        )  # fmt: skip
        self.timings[args[0]] = time.monotonic() - started
        return done


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[Stack]:
    """A Tell Us Once compose project, taken down with its volumes after the test."""
    problem = engine_problem() or _compose_problem()
    if problem:
        pytest.skip(problem)
    project = Stack(tmp_path)
    try:
        yield project
    finally:
        down = project.compose("down", "--volumes", "--timeout", "10", timeout_s=180)
        assert down.returncode == 0, down.stderr[-2000:]
        # Each build of changed source leaves the previous image untagged; on a vfs engine
        # every one of them is a full copy of its layers.
        subprocess.run(
            ["docker", "image", "prune", "--force", "--filter", "label=govbus.local=true"],
            capture_output=True, timeout=120, check=False,
        )  # fmt: skip
        print(f"compose timings (s): {project.timings}")  # shown with -s: start-up figures


def test_compose_builds_and_runs_tell_us_once_and_every_notification_arrives_exactly_once(
    stack: Stack,
) -> None:
    """Built and started by Compose, the five organisations deliver every demo event once."""
    built = stack.compose("build", "demo", timeout_s=UP_TIMEOUT_S)
    assert built.returncode == 0, built.stderr[-3000:]

    up = stack.compose("up", "--detach", "--wait", *GOVBUS_SERVICES, timeout_s=UP_TIMEOUT_S)
    assert up.returncode == 0, up.stderr[-3000:] + _logs(stack)

    demo = stack.compose(
        "run", "--rm", "--no-deps", "demo", "--deaths", "3", timeout_s=DEMO_TIMEOUT_S
    )
    assert demo.returncode == 0, demo.stdout[-3000:] + demo.stderr[-3000:]
    assert "every notification reached every system exactly once" in demo.stdout
    # Three deaths reach four systems each; the change of address reaches two.
    assert demo.stdout.count("<- death") == 3 * 4
    assert demo.stdout.count("<- address") == 2

    running = stack.compose("ps", "--services", "--status", "running", timeout_s=60)
    assert set(GOVBUS_SERVICES) <= set(running.stdout.split()), running.stdout


def _logs(stack: Stack) -> str:
    done = stack.compose("logs", "--no-color", "--tail", "20", timeout_s=60)
    return done.stdout[-4000:]
