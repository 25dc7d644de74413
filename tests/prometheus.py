"""A real Prometheus server for tests, and reading PromQL against govbus's declared metrics.

``running_prometheus`` starts the ``prometheus`` binary (Debian package ``prometheus``) on a
free loopback port with a generated config that scrapes the given targets, waits until it is
ready, and stops it on exit. It is async because the targets are usually served by the test's
own event loop, which must keep turning while Prometheus scrapes them.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import shutil
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from prometheus_client import Counter, Gauge, Histogram
from prometheus_client.metrics import MetricWrapperBase

from bus.foundation import metrics
from bus.testing.kafka import free_port

ROOT = Path(__file__).parents[1]
PROMETHEUS_DIR = ROOT / "docker" / "prometheus"
_STOP_TIMEOUT_S = 15.0


def tool(name: str) -> str:
    """The path of a Prometheus program; fails the test, saying what to install, if missing."""
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"{name} is needed: run `make system-deps` (Debian package prometheus)")
    return path


@dataclass
class Prometheus:
    """A running Prometheus: its base URL and a client for its HTTP API."""

    url: str
    client: httpx.AsyncClient

    async def api(self, path: str, **params: str) -> Any:
        """``GET /api/v1/<path>``; the ``data`` of a successful answer, or ``AssertionError``."""
        response = await self.client.get(f"{self.url}/api/v1/{path}", params=params)
        body = response.json()
        assert body.get("status") == "success", f"{path} {params}: {body}"
        return body["data"]

    async def query(self, expr: str) -> list[dict[str, Any]]:
        """The instant vector (or scalar as a one-item list) of ``expr`` now."""
        data = await self.api("query", query=expr)
        result = data["result"]
        return result if data["resultType"] in {"vector", "matrix"} else [result]

    async def wait_until_scraped(self, *, timeout_s: float = 30.0) -> list[dict[str, Any]]:
        """Wait until every target was scraped at least once; return the active targets."""
        deadline = asyncio.get_running_loop().time() + timeout_s
        while True:
            targets: list[dict[str, Any]] = (await self.api("targets"))["activeTargets"]
            if targets and all(t["health"] != "unknown" for t in targets):
                return targets
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"Prometheus did not scrape within {timeout_s} s: {targets}")
            await asyncio.sleep(0.2)


@contextlib.asynccontextmanager
async def running_prometheus(
    tmp: Path,
    targets: Sequence[str] = (),
    *,
    job: str = "govbus",
    instance: str | None = None,
    scrape_interval_s: float = 1.0,
    rule_files: Sequence[Path] = (),
    start_timeout_s: float = 30.0,
) -> AsyncIterator[Prometheus]:
    """Run Prometheus scraping ``targets`` (``host:port``) as ``job``, data under ``tmp``.

    With ``instance`` every target gets that instance label. ``rule_files`` are loaded as they
    are. Prometheus's output goes to ``tmp/prometheus.log``, quoted when it fails to start.
    On exit it is terminated, and killed if it has not stopped within 15 s.
    """
    binary = tool("prometheus")
    config_file = _write_config(tmp, targets, job, instance, scrape_interval_s, rule_files)
    port = free_port()
    log_path = tmp / "prometheus.log"
    with log_path.open("wb") as log:
        process = await asyncio.create_subprocess_exec(
            binary, f"--config.file={config_file}", f"--storage.tsdb.path={tmp / 'data'}",
            f"--web.listen-address=127.0.0.1:{port}", "--log.level=warn",
            stdout=log, stderr=asyncio.subprocess.STDOUT,
        )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient(timeout=5) as client:
            await _wait_ready(client, url, process, log_path, start_timeout_s)
            yield Prometheus(url, client)
    finally:
        if process.returncode is None:
            process.terminate()
            try:
                await asyncio.wait_for(process.wait(), _STOP_TIMEOUT_S)
            except TimeoutError:
                process.kill()
                await process.wait()


def _write_config(
    tmp: Path,
    targets: Sequence[str],
    job: str,
    instance: str | None,
    scrape_interval_s: float,
    rule_files: Sequence[Path],
) -> Path:
    tmp.mkdir(parents=True, exist_ok=True)
    interval = f"{max(1, round(scrape_interval_s * 1000))}ms"
    static: dict[str, Any] = {"targets": list(targets)}
    if instance is not None:
        static["labels"] = {"instance": instance}
    config = {
        "global": {"scrape_interval": interval, "evaluation_interval": interval},
        "rule_files": [str(path) for path in rule_files],
        "scrape_configs": [{"job_name": job, "static_configs": [static] if targets else []}],
    }
    config_file = tmp / "prometheus.yml"
    config_file.write_text(yaml.safe_dump(config))
    return config_file


def _output(log: Path) -> str:
    return log.read_text(errors="replace")[-4000:]


async def _wait_ready(
    client: httpx.AsyncClient, url: str, process: Any, log: Path, timeout_s: float
) -> None:
    deadline = asyncio.get_running_loop().time() + timeout_s
    while True:
        if process.returncode is not None:
            raise AssertionError(f"prometheus exited with {process.returncode}:\n{_output(log)}")
        with contextlib.suppress(httpx.HTTPError):
            if (await client.get(f"{url}/-/ready")).status_code == 200:
                return
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"prometheus not ready within {timeout_s} s:\n{_output(log)}")
        await asyncio.sleep(0.1)


def declared_series() -> set[str]:
    """Every series name govbus exports: counters with ``_total``, histograms' three parts."""
    names: set[str] = set()
    for metric in vars(metrics).values():
        if not isinstance(metric, MetricWrapperBase):
            continue
        (family,) = metric.describe()
        if isinstance(metric, Counter):
            names.add(family.name + "_total")
        elif isinstance(metric, Histogram):
            names |= {family.name + suffix for suffix in ("_bucket", "_count", "_sum")}
        elif isinstance(metric, Gauge):
            names.add(family.name)
    return names


_STRING = re.compile(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'')
_GROUPING = re.compile(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)")
_MATCHERS = re.compile(r"\{[^}]*\}|\[[^\]]*\]")
_IDENTIFIER = re.compile(r"(?<![\w.])([a-zA-Z_:][\w:]*)(\s*\()?")
_KEYWORDS = {"and", "or", "unless", "offset", "bool", "inf", "nan", "by", "without", "on"}


def metric_names(expr: str) -> set[str]:
    """The series names a PromQL expression reads (functions, keywords and labels left out)."""
    bare = _MATCHERS.sub(" ", _GROUPING.sub(" ", _STRING.sub('""', expr)))
    return {
        match.group(1)
        for match in _IDENTIFIER.finditer(bare)
        if match.group(2) is None and match.group(1).lower() not in _KEYWORDS
    }
