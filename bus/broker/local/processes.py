"""Kafka nodes as local ``java`` processes: format, start, recognise and stop them.

A node process is recognised as govbus's own by its command line, which names the node's
``server.properties`` under the cluster home: ``down`` never signals a process it did not start,
even when the operating system has reused a recorded pid.
"""

from __future__ import annotations

import base64
import contextlib
import os
import re
import shutil
import signal
import subprocess
import time
import uuid
from pathlib import Path

from bus.broker.local.layout import (
    LOG4J2_PROPERTIES,
    NodeSpec,
    render_properties,
    server_properties,
)
from bus.foundation.errors import BrokerStartError, ToolMissing

MIN_JAVA = 17
FORMAT_TIMEOUT_S = 120


def check_java() -> None:
    """Raise ``ToolMissing`` unless ``java`` 17 or newer is on the PATH."""
    if shutil.which("java") is None:
        raise ToolMissing(
            f"java is not installed: Kafka needs a Java {MIN_JAVA}+ runtime "
            "(Debian: apt-get install openjdk-17-jre-headless)",
            tool="java",
        )
    shown = subprocess.run(
        ["java", "-version"], capture_output=True, text=True, timeout=60, check=False
    )
    match = re.search(r'version "(\d+)', shown.stderr + shown.stdout)
    if match is None or int(match.group(1)) < MIN_JAVA:
        found = match.group(1) if match else "unknown"
        raise ToolMissing(
            f"java {found} is too old: Kafka needs Java {MIN_JAVA} or newer", tool="java"
        )


def new_cluster_id() -> str:
    """A random KRaft cluster id: 16 random bytes in URL-safe base64, not starting with '-'."""
    while True:
        text = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        if not text.startswith("-"):
            return text


def write_config(
    spec: NodeSpec, specs: list[NodeSpec], overrides: dict[str, str] | None = None
) -> None:
    """Write the node's ``server.properties`` (with ``overrides``) and log configuration.

    The properties file is the owner's only (0600): a secured node's holds the admin password.
    """
    spec.logs_dir.mkdir(parents=True, exist_ok=True)
    spec.config_file.touch(mode=0o600)
    spec.config_file.chmod(0o600)
    config = server_properties(spec, specs) | (overrides or {})
    spec.config_file.write_text(render_properties(config))
    spec.log4j_file.write_text(LOG4J2_PROPERTIES)


def is_formatted(spec: NodeSpec) -> bool:
    return (spec.data_dir / "meta.properties").is_file()


def formatted_cluster_id(spec: NodeSpec) -> str | None:
    """The cluster id recorded in the node's data directory, if it was formatted."""
    meta = spec.data_dir / "meta.properties"
    if not meta.is_file():
        return None
    for line in meta.read_text().splitlines():
        key, _, value = line.partition("=")
        if key.strip() == "cluster.id":
            return value.strip()
    return None


def format_storage(
    specs: list[NodeSpec],
    *,
    cluster_id: str,
    classpath: list[Path],
    extra: list[str] | None = None,
) -> None:
    """Format every node's data directory for ``cluster_id``, all nodes in parallel.

    ``extra`` arguments go to ``kafka-storage format`` (``--add-scram`` for a secured cluster).
    """
    runs = [
        (
            spec,
            subprocess.Popen(
                [
                    "java",
                    "-Xmx256m",
                    *_log_flags(spec),
                    "-cp",
                    _joined(classpath),
                    "kafka.tools.StorageTool",
                    "format",
                    "-t",
                    cluster_id,
                    "-c",
                    str(spec.config_file),
                    *(extra or []),
                ],
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
            ),
        )
        for spec in specs
    ]
    for spec, run in runs:
        output, _ = run.communicate(timeout=FORMAT_TIMEOUT_S)
        if run.returncode != 0:
            reason = _last_line(output)
            raise BrokerStartError(
                f"formatting node {spec.node_id} in {spec.data_dir} failed: {reason}"
            )


def start_node(spec: NodeSpec, *, classpath: list[Path], heap: str) -> int:
    """Start the node as a detached ``java`` process and return its pid."""
    command = [
        "java",
        f"-Xmx{heap}",
        f"-Xms{heap}",
        "-XX:+UseG1GC",
        "-XX:MaxGCPauseMillis=20",
        "-Djava.awt.headless=true",
        *_log_flags(spec),
        "-cp",
        _joined(classpath),
        "kafka.Kafka",
        str(spec.config_file),
    ]
    with (spec.logs_dir / "stdout.log").open("ab") as out:
        process = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # outlives `govbus kafka up`, and Ctrl-C in its terminal
        )
    return process.pid


def is_our_node(pid: int, spec: NodeSpec) -> bool:
    """Whether ``pid`` is alive and is the Kafka process of ``spec``."""
    if not Path("/proc/self").is_dir():  # no procfs (macOS): ask ps for the command line
        shown = subprocess.run(
            ["ps", "-o", "command=", "-p", str(pid)], capture_output=True, timeout=10, check=False
        )
        return b"kafka.Kafka" in shown.stdout and str(spec.config_file).encode() in shown.stdout
    proc = Path(f"/proc/{pid}")
    for _ in range(40):
        try:
            cmdline = (proc / "cmdline").read_bytes()
            state = (proc / "stat").read_text().rsplit(")", 1)[-1].split()[0]
        except OSError:
            return False
        if state == "Z":
            return False
        if cmdline:
            return b"kafka.Kafka" in cmdline and str(spec.config_file).encode() in cmdline
        time.sleep(0.05)  # a process between fork and exec shows an empty command line
    return False


def stop_nodes(pids: list[int], *, grace_s: float = 30.0) -> None:
    """SIGTERM every pid (Kafka shuts down in a controlled way), then SIGKILL what remains."""
    for pid in pids:
        _signal(pid, signal.SIGTERM)
    deadline = time.monotonic() + grace_s
    while time.monotonic() < deadline and any(_alive(pid) for pid in pids):
        time.sleep(0.1)
    for pid in pids:
        if _alive(pid):
            _signal(pid, signal.SIGKILL)
    while any(_alive(pid) for pid in pids):
        time.sleep(0.05)


def last_log_line(spec: NodeSpec) -> str:
    """The most telling line of the node's output, for a one-line start-up failure."""
    lines: list[str] = []
    for log in (spec.logs_dir / "stdout.log", spec.server_log):
        if log.is_file():
            lines += log.read_text(errors="replace").splitlines()[-200:]
    for line in reversed(lines):
        if "ERROR" in line or "Exception" in line:
            return line.strip()[:300]
    return lines[-1].strip()[:300] if lines else "no output"


def _log_flags(spec: NodeSpec) -> list[str]:
    return [f"-Dkafka.logs.dir={spec.logs_dir}", f"-Dlog4j2.configurationFile={spec.log4j_file}"]


def _joined(classpath: list[Path]) -> str:
    return os.pathsep.join(str(jar) for jar in classpath)


def _last_line(output: str) -> str:
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    return lines[-1][:300] if lines else "no output"


def _signal(pid: int, signum: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signum)


def _alive(pid: int) -> bool:
    try:
        # Reap it if it is our child (a node started in this process, as in tests).
        reaped, _ = os.waitpid(pid, os.WNOHANG)
        if reaped == pid:
            return False
    except ChildProcessError:
        pass
    return _alive_without_proc(pid)


def _alive_without_proc(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
