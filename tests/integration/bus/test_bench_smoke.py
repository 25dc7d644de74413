"""The bus throughput benchmark runs end to end on a small number of events."""

from __future__ import annotations

import re

import pytest

from bench import bus_throughput


def test_the_benchmark_prints_raw_and_bus_figures_and_their_ratio(
    kafka_bootstrap: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """With 300 events both paths deliver everything and print events/s, p50 and p99."""
    argv = ["--events", "300", "--rounds", "1", "--bootstrap", kafka_bootstrap]
    assert bus_throughput.main(argv) == 0
    out = capsys.readouterr().out
    for label in ("raw aiokafka", "govbus bus"):
        line = next(line for line in out.splitlines() if line.startswith(label))
        assert re.search(r"[\d,]+ events/s +p50 +[\d.]+ ms +p99 +[\d.]+ ms +\(300 events", line)
    assert re.search(r"bus/raw throughput: \d+\.\d\d", out)
