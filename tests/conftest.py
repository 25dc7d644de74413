"""A real Kafka broker for the session: govbus's own launcher, or a container.

GOVBUS_TEST_KAFKA chooses the path: `jars` (the default) starts the broker through the same code
as `govbus kafka up` (or uses GOVBUS_KAFKA_BOOTSTRAP, or a broker already running); `container`
runs GOVBUS_KAFKA_IMAGE with testcontainers on the Docker engine at DOCKER_HOST, and skips the
tests that need Kafka, saying why, when no engine or image is there.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from bus.broker.local import LocalKafka
from bus.foundation.settings import Settings
from bus.testing.kafka import unique_topic

KAFKA_PATHS = ("jars", "container")


def kafka_path() -> str:
    """The session broker's path from GOVBUS_TEST_KAFKA; an unknown value stops the run."""
    path = os.environ.get("GOVBUS_TEST_KAFKA", "jars")
    if path not in KAFKA_PATHS:
        raise pytest.UsageError(
            f"GOVBUS_TEST_KAFKA={path!r} is not a Kafka path: use one of {', '.join(KAFKA_PATHS)}"
        )
    return path


def pytest_configure(config: pytest.Config) -> None:
    kafka_path()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests that use the broker carry the `kafka` marker, so `-m "not kafka"` stays fast."""
    for item in items:
        if "kafka_bootstrap" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.kafka)


@pytest.fixture(scope="session")
def kafka_bootstrap() -> Iterator[str]:
    """Bootstrap address of a real Kafka, on the path GOVBUS_TEST_KAFKA names.

    On the jars path: GOVBUS_KAFKA_BOOTSTRAP, a running one, or a new one, which is stopped (and
    its data removed) at the end of the session. On the container path: a new container of
    GOVBUS_KAFKA_IMAGE, removed at the end of the session.
    """
    if kafka_path() == "container":
        from tests.integration.docker.kafka_container import (
            engine_problem,
            image_problem,
            kafka_container,
        )

        image = Settings().kafka_image
        problem = engine_problem() or image_problem(image)
        if problem:
            pytest.skip(f"container path: {problem}")
        with kafka_container(image) as started:
            yield started.bootstrap
        return
    with LocalKafka(Settings()).running(nodes=1) as result:
        yield result.bootstrap


@pytest.fixture
def topic(request: pytest.FixtureRequest) -> str:
    """A fresh topic name for this test."""
    return unique_topic(request.node.name)
