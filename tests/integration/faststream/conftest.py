"""Fixtures for FastStream delivery tests: an isolated topic namespace, publishers, a runner."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import pytest

from bus.faststream import Govbus
from bus.foundation.settings import Settings
from bus.messaging.codec import Codec
from bus.messaging.publisher import Publisher
from bus.testing.kafka import create_topics, unique_topic
from contracts.catalogue.gro import DeathRegisteredV1, DeathRegisteredV2


@pytest.fixture
async def prefix(kafka_bootstrap: str, request: pytest.FixtureRequest) -> str:
    """A topic prefix no other test uses, its contract topics created with 3 partitions."""
    prefix = unique_topic(request.node.name) + "."
    codec = Codec(source="urn:govbus:test", topic_prefix=prefix)
    await create_topics(
        kafka_bootstrap,
        [codec.topic_for(model) for model in (DeathRegisteredV1, DeathRegisteredV2)],
    )
    return prefix


@pytest.fixture
def codec(prefix: str) -> Codec:
    return Codec(source="urn:govbus:gro", topic_prefix=prefix)


@pytest.fixture
async def publisher(kafka_bootstrap: str, codec: Codec) -> AsyncIterator[Publisher]:
    """govbus's own publisher, on the test's topics."""
    async with Publisher(bootstrap=kafka_bootstrap, codec=codec, name="gro") as publisher:
        yield publisher


@pytest.fixture
def bus(kafka_bootstrap: str, prefix: str) -> Govbus:
    """A FastStream govbus service named pensions on the test's topics, served on a free port."""
    settings = Settings(kafka_bootstrap=kafka_bootstrap, topic_prefix=prefix, health_port=0)
    return Govbus("pensions", settings=settings, commit_interval_s=0.05, lag_interval_s=0.2)


@contextlib.asynccontextmanager
async def running(bus: Govbus) -> AsyncIterator[asyncio.Task[None]]:
    """Run ``bus`` in the background until the block ends, then stop it gracefully."""
    task = asyncio.create_task(bus.run())
    try:
        yield task
    finally:
        bus.stop()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(task, 60)
