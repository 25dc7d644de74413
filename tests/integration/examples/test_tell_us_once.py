"""Tell Us Once end to end: every death reaches every system exactly once, watched by Prometheus."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

from examples.tell_us_once.scenario import ORGANISATIONS, TellUsOnce
from tests.prometheus import running_prometheus


async def test_every_notification_reaches_every_system_once_and_prometheus_scrapes_it(
    kafka_bootstrap: str, tmp_path: Path
) -> None:
    """Five deaths and a move reach pensions, DVLA, council tax and library; targets are up."""
    async with TellUsOnce(kafka_bootstrap, workdir=tmp_path / "tuo", report=lambda _: None) as tuo:
        tuo.register_deaths(5)
        tuo.record_address_change()
        assert await tuo.watch(timeout_s=90, print_each=False)
        targets = [f"127.0.0.1:{port}" for port in tuo.health_ports.values()]
        async with running_prometheus(tmp_path / "prometheus", targets) as prometheus:
            scraped = await prometheus.wait_until_scraped()
            consumed = await prometheus.query("sum by (subscriber) (govbus_events_consumed_total)")
            published = await prometheus.query("sum(govbus_adapter_records_published_total)")
    assert tuo.arrivals.exactly_once(), tuo.summary()
    assert len(scraped) == len(ORGANISATIONS)
    assert all(target["health"] == "up" for target in scraped), scraped
    by_subscriber = {s["metric"]["subscriber"]: float(s["value"][1]) for s in consumed}
    assert by_subscriber["dwp-pensions-deaths"] == 5
    assert by_subscriber["library-addresses"] == 1
    assert float(published[0]["value"][1]) == 6


async def test_an_adapter_killed_mid_scenario_and_restarted_still_delivers_once(
    kafka_bootstrap: str, tmp_path: Path
) -> None:
    """SIGKILL of the pensions adapter mid-stream loses nothing and duplicates nothing."""
    async with TellUsOnce(kafka_bootstrap, workdir=tmp_path / "tuo", report=lambda _: None) as tuo:
        tuo.register_deaths(150)
        tuo.record_address_change()
        while not tuo.arrivals.seen["DWP pensions"]:
            await tuo.poll()
            await asyncio.sleep(0.01)
        await tuo.kill_adapter("dwp")
        await tuo.poll()
        before_restart = len(tuo.arrivals.seen["DWP pensions"])
        await tuo.start_adapter("dwp")
        assert await tuo.watch(timeout_s=120, print_each=False), tuo.summary()
    assert 0 < before_restart < 150, "the kill must land mid-stream to prove anything"
    assert tuo.arrivals.exactly_once(), tuo.summary()


def test_make_demo_runs_the_scenario_and_exits_zero(kafka_bootstrap: str) -> None:
    """`python -m examples.tell_us_once` prints each arrival and a summary, and exits 0."""
    env = os.environ | {"GOVBUS_KAFKA_BOOTSTRAP": kafka_bootstrap}
    done = subprocess.run(
        [sys.executable, "-m", "examples.tell_us_once", "--deaths", "3"],
        capture_output=True, text=True, env=env, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "every notification reached every system exactly once" in done.stdout
    assert done.stdout.count("<- death") == 3 * 4
    assert done.stdout.count("<- address") == 2
