"""The provisioned Grafana dashboard reads only govbus's metrics, in PromQL Prometheus accepts."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.prometheus import ROOT, declared_series, metric_names, running_prometheus

GRAFANA = ROOT / "docker" / "grafana"
DASHBOARD = GRAFANA / "dashboards" / "govbus.json"


def _panels() -> list[dict[str, Any]]:
    panels: list[dict[str, Any]] = json.loads(DASHBOARD.read_text())["panels"]
    return panels


def _expressions() -> list[str]:
    return [target["expr"] for panel in _panels() for target in panel["targets"]]


def test_the_dashboard_covers_what_operators_watch() -> None:
    """Rates, both latencies, lag, dead letters and every adapter metric have a panel."""
    used = set().union(*(metric_names(expr) for expr in _expressions()))
    wanted = {
        "govbus_events_published_total", "govbus_events_consumed_total",
        "govbus_handler_duration_seconds_bucket", "govbus_publish_to_handle_seconds_bucket",
        "govbus_consumer_lag", "govbus_events_dead_lettered_total",
        "govbus_adapter_legacy_system_up", "govbus_adapter_records_read_total",
        "govbus_adapter_records_rejected_total", "govbus_adapter_last_success_timestamp_seconds",
    }  # fmt: skip
    assert wanted <= used


@pytest.mark.parametrize("expr", _expressions())
def test_every_expression_reads_only_declared_metrics(expr: str) -> None:
    """A metric renamed or removed in bus/foundation/metrics.py cannot leave an empty panel."""
    used = metric_names(expr)
    assert used
    assert used <= declared_series(), used - declared_series()


def test_every_panel_queries_the_provisioned_datasource() -> None:
    """Panels and targets name the Prometheus datasource by the uid provisioning gives it."""
    provisioned = yaml.safe_load(
        (GRAFANA / "provisioning" / "datasources" / "prometheus.yml").read_text()
    )
    (source,) = provisioned["datasources"]
    assert source["url"] == "http://prometheus:9090"
    for panel in _panels():
        assert panel["datasource"] == {"type": "prometheus", "uid": source["uid"]}, panel["title"]
        assert panel["targets"], panel["title"]
        for target in panel["targets"]:
            assert target["datasource"]["uid"] == source["uid"]


def test_panels_do_not_overlap() -> None:
    """Each panel has its own place on the grid (Grafana would otherwise shuffle them)."""
    taken: set[tuple[int, int]] = set()
    for panel in _panels():
        grid = panel["gridPos"]
        cells = {
            (x, y)
            for x in range(grid["x"], grid["x"] + grid["w"])
            for y in range(grid["y"], grid["y"] + grid["h"])
        }
        assert grid["x"] + grid["w"] <= 24
        assert not cells & taken, panel["title"]
        taken |= cells


def test_the_provider_loads_the_folder_compose_mounts() -> None:
    """The dashboard provider reads the folder docker/compose.yaml mounts govbus.json into."""
    provider = yaml.safe_load((GRAFANA / "provisioning" / "dashboards" / "govbus.yml").read_text())
    (entry,) = provider["providers"]
    compose = yaml.safe_load((ROOT / "docker" / "compose.yaml").read_text())
    mounts = compose["services"]["grafana"]["volumes"]
    assert f"./grafana/dashboards:{entry['options']['path']}:ro" in mounts


async def test_prometheus_accepts_every_expression(tmp_path: Path) -> None:
    """Each panel's query parses and evaluates in a real Prometheus (the one the stack runs)."""
    async with running_prometheus(tmp_path / "prometheus") as prometheus:
        for expr in _expressions():
            await prometheus.query(expr)  # raises, quoting Prometheus's error, on a bad query
