"""The Kafka every benchmark runs against: --bootstrap, GOVBUS_KAFKA_BOOTSTRAP or a local one."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from bus.broker.local import LocalKafka, UpResult
from bus.foundation.settings import Settings


@contextlib.contextmanager
def bench_kafka(bootstrap: str | None) -> Iterator[UpResult]:
    """A running cluster for the block; one started here is stopped afterwards."""
    settings = Settings(kafka_bootstrap=bootstrap) if bootstrap else Settings()
    with LocalKafka(settings).running(nodes=1) as started:
        yield started
