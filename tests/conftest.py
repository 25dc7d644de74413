"""A real Kafka broker for the session, started through the same code as `govbus kafka up`."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bus.broker.local import LocalKafka
from bus.foundation.settings import Settings
from bus.testing.kafka import unique_topic


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests that use the broker carry the `kafka` marker, so `-m "not kafka"` stays fast."""
    for item in items:
        if "kafka_bootstrap" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.kafka)


@pytest.fixture(scope="session")
def kafka_bootstrap() -> Iterator[str]:
    """Bootstrap address of a real Kafka: GOVBUS_KAFKA_BOOTSTRAP, a running one, or a new one.

    A broker this fixture started is stopped (and its data removed) at the end of the session.
    """
    with LocalKafka(Settings()).running(nodes=1) as result:
        yield result.bootstrap


@pytest.fixture
def topic(request: pytest.FixtureRequest) -> str:
    """A fresh topic name for this test."""
    return unique_topic(request.node.name)
