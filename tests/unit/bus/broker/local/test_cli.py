"""`govbus kafka` failures: one line on standard error and a non-zero exit, never a traceback."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest


def _govbus(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    merged = {k: v for k, v in os.environ.items() if not k.startswith("GOVBUS_")}
    merged |= env or {}
    return subprocess.run(
        [sys.executable, "-m", "bus", *args],
        capture_output=True,
        text=True,
        env=merged,
        timeout=120,
        check=False,
    )


def _one_line_failure(done: subprocess.CompletedProcess[str], expected: str) -> None:
    assert done.returncode != 0
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert expected in lines[0]


def test_help_lists_the_kafka_verbs() -> None:
    """`govbus kafka --help` names up, status and down."""
    done = _govbus("kafka", "--help")
    assert done.returncode == 0
    for verb in ("up", "status", "down"):
        assert verb in done.stdout


def test_missing_java_is_one_line(tmp_path: Path) -> None:
    """Without java on the PATH, `up` says what to install."""
    done = _govbus(
        "kafka", "up", "--nodes", "3", "--home", str(tmp_path),
        env={"PATH": str(tmp_path / "no-bin"), "GOVBUS_KAFKA_BACKEND": "jars"},
    )  # fmt: skip
    _one_line_failure(done, "java is not installed")


def test_port_in_use_is_one_line(tmp_path: Path) -> None:
    """A taken port is named in one line and `up` exits 1."""
    with socket.socket() as holder:
        holder.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        holder.bind(("127.0.0.1", 29093))
        holder.listen()
        done = _govbus("kafka", "up", "--nodes", "3", "--home", str(tmp_path))
    _one_line_failure(done, "port 29093 on 127.0.0.1 is in use")
    assert done.returncode == 1


def test_an_invalid_setting_names_the_variable(tmp_path: Path) -> None:
    """A bad GOVBUS_ value is rejected at start-up, naming the variable."""
    done = _govbus("kafka", "status", env={"GOVBUS_KAFKA_HEAP": "lots"})
    _one_line_failure(done, "GOVBUS_KAFKA_HEAP")
    assert done.returncode == 2


def test_down_with_nothing_running_succeeds_and_says_so(tmp_path: Path) -> None:
    """`down` is safe to run twice: nothing to stop is not a failure."""
    done = _govbus("kafka", "down", "--home", str(tmp_path / "nothing"))
    assert done.returncode == 0
    assert "nothing to stop" in done.stdout


@pytest.mark.parametrize("as_json", [False, True])
def test_status_with_nothing_running_exits_1(tmp_path: Path, as_json: bool) -> None:
    """Scripts can test `govbus kafka status` for a running cluster."""
    done = _govbus("kafka", "status", "--home", str(tmp_path), *(["--json"] if as_json else []))
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
