"""The Prometheus config and alert rules shipped in docker/prometheus, checked by promtool."""

from __future__ import annotations

import subprocess
from typing import Any

import pytest
import yaml

from tests.prometheus import PROMETHEUS_DIR, declared_series, metric_names, tool

# Series Prometheus itself makes for every target, which rules may use besides govbus's own.
PROMETHEUS_SERIES = {"up"}


def _promtool(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [tool("promtool"), *args], cwd=PROMETHEUS_DIR, capture_output=True, text=True,
        timeout=120, check=False,
    )  # fmt: skip


def _rules() -> list[dict[str, Any]]:
    groups = yaml.safe_load((PROMETHEUS_DIR / "alerts.yml").read_text())["groups"]
    return [rule for group in groups for rule in group["rules"]]


def test_promtool_accepts_the_config_and_the_rules_it_loads() -> None:
    """`promtool check config` passes, which also checks every rule file the config names."""
    checked = _promtool("check", "config", "prometheus.yml")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "alerts.yml" in checked.stdout


def test_promtool_accepts_the_alert_rules() -> None:
    """`promtool check rules` finds every alert rule valid."""
    checked = _promtool("check", "rules", "alerts.yml")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert f"SUCCESS: {len(_rules())} rules found" in checked.stdout


def test_the_alerts_fire_and_stay_quiet_as_their_unit_tests_expect() -> None:
    """`promtool test rules alerts_test.yml` passes: alerts fire on their input, not early."""
    tested = _promtool("test", "rules", "alerts_test.yml")
    assert tested.returncode == 0, tested.stdout + tested.stderr


def test_every_alert_has_a_unit_test_where_it_fires_and_one_where_it_does_not() -> None:
    """No rule ships untested: each is expected to fire at some time and to be quiet at another."""
    document = yaml.safe_load((PROMETHEUS_DIR / "alerts_test.yml").read_text())
    cases = [case for test in document["tests"] for case in test["alert_rule_test"]]
    for rule in _rules():
        own = [case for case in cases if case["alertname"] == rule["alert"]]
        assert any(case["exp_alerts"] for case in own), f"{rule['alert']} never expected to fire"
        assert any(not case["exp_alerts"] for case in own), f"{rule['alert']} never quiet"


@pytest.mark.parametrize("rule", _rules(), ids=lambda rule: rule["alert"])
def test_each_alert_reads_declared_metrics_and_tells_the_operator_what_to_do(rule) -> None:
    """Rules use only declared metrics and carry a severity, summary and description."""
    used = metric_names(rule["expr"])
    assert used
    assert used <= declared_series() | PROMETHEUS_SERIES, used - declared_series()
    assert rule["labels"]["severity"] in {"page", "ticket"}
    assert rule["annotations"]["summary"]
    assert len(rule["annotations"]["description"].split()) >= 20


def test_the_scrape_config_names_each_govbus_target() -> None:
    """The govbus job has static targets, each group with an instance label for alerts to name."""
    config = yaml.safe_load((PROMETHEUS_DIR / "prometheus.yml").read_text())
    (job,) = [job for job in config["scrape_configs"] if job["job_name"] == "govbus"]
    assert job["static_configs"]
    for group in job["static_configs"]:
        assert group["targets"]
        assert group["labels"]["instance"]
    assert config["rule_files"] == ["alerts.yml"]
