"""The SQL-to-Kafka benchmark runs end to end on a small table."""

from __future__ import annotations

import re

import pytest

from bench import sql_to_kafka


def test_the_benchmark_prints_raw_and_govbus_rates_and_their_ratio(
    kafka_bootstrap: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """With 300 rows both paths deliver every row and print rows/s and the ratio."""
    arguments = ["--rows", "300", "--batch", "100", "--bootstrap", kafka_bootstrap]
    assert sql_to_kafka.main(arguments) == 0
    out = capsys.readouterr().out
    assert re.search(r"raw SQLAlchemy \+ aiokafka +[\d,]+ rows/s", out)
    assert re.search(r"govbus SQL source +[\d,]+ rows/s", out)
    assert re.search(r"govbus/raw throughput: \d+\.\d\d", out)
