"""The compose stack's Tell Us Once services, run as local processes exactly as compose.yaml says.

There is no Docker engine in CI, so this runs each service's entrypoint, command, environment
and healthcheck from docker/compose.yaml on this machine instead: compose hostnames become
127.0.0.1, published ports become free ports, the named volumes become folders, and the image's
ENTRYPOINT and PYTHONPATH come from the Dockerfile. Only the broker is the test session's own.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

from bus.testing.kafka import free_port, unique_topic
from tests.unit.docker.test_compose import COMPOSE, GOVBUS_SERVICES, REPO, _command

LEGACY = ("pensions", "council-tax")
VOLUMES = ("/data",)


class LocalStack:
    """Translates compose services into processes on this machine and keeps track of them."""

    def __init__(self, bootstrap: str, workdir: Path) -> None:
        self.services: dict[str, Any] = yaml.safe_load(COMPOSE.read_text())["services"]
        self.bootstrap = bootstrap
        self.workdir = workdir
        self.ports = {
            int(published.rsplit(":", 1)[1]): free_port()
            for name in (*LEGACY, *GOVBUS_SERVICES)
            for published in self.services[name]["ports"]
        }
        self.prefix = unique_topic("compose") + "."  # keeps the session's broker tidy
        self.processes: dict[str, subprocess.Popen[bytes]] = {}

    def local(self, value: str) -> str:
        """One compose string (argument, variable, URL) as it must read on this machine."""
        for volume in VOLUMES:
            if value == volume or value.startswith(volume + "/"):
                return str(self.workdir / "volumes" / value.lstrip("/"))
        if value.isdigit() and int(value) in self.ports:
            return str(self.ports[int(value)])
        value = re.sub(r"//(pensions|council-tax):", "//127.0.0.1:", value)
        value = re.sub(r"(?<=127\.0\.0\.1:)(\d+)", lambda m: self._port(m[1]), value)
        value = value.replace("0.0.0.0", "127.0.0.1")  # noqa: S104 - translated away, not bound
        return value.replace("kafka:19092", self.bootstrap)

    def _port(self, port: str) -> str:
        return str(self.ports.get(int(port), port))

    def argv(self, name: str, command: list[str] | None = None) -> list[str]:
        service = self.services[name]
        entrypoint = _command({**service, "command": []})
        program = {"python": sys.executable, "govbus": str(Path(sys.executable).parent / "govbus")}
        args = command if command is not None else service.get("command", [])
        return [program[entrypoint[0]], *entrypoint[1:], *(self.local(a) for a in args)]

    def env(self, name: str) -> dict[str, str]:
        own = {k: self.local(str(v)) for k, v in self.services[name].get("environment", {}).items()}
        # The Dockerfile's ENV PYTHONPATH=/app and WORKDIR /app: the source tree is importable.
        return os.environ | {"PYTHONPATH": str(REPO), "GOVBUS_TOPIC_PREFIX": self.prefix} | own

    def start(self, name: str) -> None:
        log = (self.workdir / f"{name}.log").open("ab")
        self.processes[name] = subprocess.Popen(
            self.argv(name), cwd=REPO, env=self.env(name), stdout=log, stderr=log
        )

    def run(self, name: str, command: list[str] | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            self.argv(name, command), cwd=REPO, env=self.env(name), capture_output=True,
            text=True, timeout=300, check=False,
        )  # fmt: skip

    def wait_healthy(self, name: str, timeout_s: float = 90.0) -> None:
        """Run the service's own healthcheck command until it passes."""
        test = self.services[name]["healthcheck"]["test"]
        assert test[:2] == ["CMD", "python"], test
        probe = [sys.executable, *(self.local(a) for a in test[2:])]
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.processes[name].poll() is not None:
                raise AssertionError(f"{name} exited: {self.log(name)}")
            if subprocess.run(probe, capture_output=True, timeout=30, check=False).returncode == 0:
                return
            time.sleep(0.3)
        raise AssertionError(f"{name} not healthy in {timeout_s} s: {self.log(name)}")

    def log(self, name: str) -> str:
        return (self.workdir / f"{name}.log").read_text(errors="replace")[-3000:]

    def stop(self) -> dict[str, int | None]:
        for process in self.processes.values():
            with contextlib.suppress(ProcessLookupError):
                process.send_signal(signal.SIGTERM)
        codes: dict[str, int | None] = {}
        for name, process in self.processes.items():
            try:
                codes[name] = process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()
                codes[name] = None
        return codes


@contextlib.contextmanager
def _stack(bootstrap: str, workdir: Path) -> Iterator[LocalStack]:
    stack = LocalStack(bootstrap, workdir)
    try:
        yield stack
    finally:
        stack.stop()


def test_the_compose_services_run_tell_us_once_and_the_demo_can_run_again(
    kafka_bootstrap: str, tmp_path: Path
) -> None:
    """prepare, the stand-ins and five `govbus run`s come up healthy; two demo runs pass."""
    with _stack(kafka_bootstrap, tmp_path) as stack:
        for name in LEGACY:
            stack.start(name)
        for name in LEGACY:
            stack.wait_healthy(name)
        prepared = stack.run("prepare")
        assert prepared.returncode == 0, prepared.stdout + prepared.stderr
        for name in GOVBUS_SERVICES:
            stack.start(name)
        for name in GOVBUS_SERVICES:
            stack.wait_healthy(name)

        first = stack.run("demo", ["--deaths", "3"])
        second = stack.run("demo", ["--deaths", "2"])
        codes = stack.stop()

    for done, deaths in ((first, 3), (second, 2)):
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
        assert "every notification reached every system exactly once" in done.stdout
        assert done.stdout.count("<- death") == deaths * 4
        assert done.stdout.count("<- address") == 2
    assert codes == dict.fromkeys(codes, 0), codes
