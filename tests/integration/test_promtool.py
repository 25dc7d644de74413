"""Prometheus's own linter accepts what govbus serves on /metrics."""

from __future__ import annotations

import asyncio
import shutil
from typing import Any

import httpx
import pytest
from prometheus_client import Counter, Gauge, Histogram

from bus.observability.health import HealthServer, Readiness
from tests.unit.bus.foundation.test_metrics import declared

# One realistic value per allowed label name, as the runtime would set it.
LABEL_VALUES = {
    "event_type": "uk.gov.gro.death-registered",
    "version": "1",
    "publisher": "gro-registrar",
    "subscriber": "dwp-pensions",
    "outcome": "handled",
    "stage": "handler",
    "group": "dwp-pensions",
    "topic": "gro.death-registered.v1",
    "adapter": "gro-register-office-deaths",
}


def _touch_every_metric() -> list[str]:
    """Increment, set or observe each declared metric once; return the sample names to expect."""
    expected = []
    for name, metric in declared().items():
        labels = {label: LABEL_VALUES[label] for label in metric._labelnames}
        child: Any = metric.labels(**labels) if labels else metric
        if isinstance(metric, Counter):
            child.inc()
            suffix = "_total"
        elif isinstance(metric, Gauge):
            child.set(3)
            suffix = ""
        elif isinstance(metric, Histogram):
            child.observe(0.042)
            suffix = "_count"
        else:
            pytest.fail(f"{name}: no realistic update known for {type(metric).__name__}")
        (family,) = metric.describe()
        expected.append(family.name + suffix)
    return expected


async def test_promtool_finds_nothing_to_lint_in_the_scraped_metrics() -> None:
    """Every govbus metric, once set, is scraped over HTTP and passes `promtool check metrics`."""
    promtool = shutil.which("promtool")
    if promtool is None:
        pytest.fail("promtool is needed: run `make system-deps` (Debian package prometheus)")
    expected = _touch_every_metric()
    async with HealthServer(Readiness()) as server, httpx.AsyncClient(timeout=5) as client:
        response = await client.get(f"http://127.0.0.1:{server.port}/metrics")
    assert response.status_code == 200
    scraped = {line.split("{")[0].split(" ")[0] for line in response.text.splitlines()}
    assert set(expected) <= scraped
    checked = await asyncio.create_subprocess_exec(
        promtool,
        "check",
        "metrics",
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await asyncio.wait_for(checked.communicate(response.content), timeout=60)
    assert (checked.returncode, output.decode()) == (0, "")
