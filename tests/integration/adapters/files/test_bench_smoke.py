"""The CSV-to-Kafka benchmark runs end to end on a small file."""

from __future__ import annotations

import re

import pytest

from bench import csv_to_kafka


def test_the_benchmark_prints_runtime_and_raw_figures_and_their_ratio(
    kafka_bootstrap: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """With 300 rows both paths publish every row and print events/s and the ratio."""
    assert csv_to_kafka.main(["--rows", "300", "--bootstrap", kafka_bootstrap]) == 0
    out = capsys.readouterr().out
    for label in ("raw csv + aiokafka", "govbus csv source + runtime"):
        line = next(line for line in out.splitlines() if line.startswith(label))
        assert re.search(r"[\d,]+ events/s +\(300 events in [\d.]+ s\)", line)
    assert re.search(r"runtime/raw throughput: \d+\.\d\d", out)
