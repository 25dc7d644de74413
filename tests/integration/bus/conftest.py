"""Fixtures for delivery tests: an isolated topic namespace, a publisher and running subscribers."""

from __future__ import annotations

import contextlib
import functools
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from bus.messaging.codec import Codec
from bus.messaging.publisher import Publisher
from bus.messaging.subscriber import Subscriber, Subscription
from bus.testing.adapters import running_subscriber
from bus.testing.kafka import create_topics, unique_topic
from contracts.catalogue.gro import DeathRegisteredV1, DeathRegisteredV2


@pytest.fixture
async def codec(kafka_bootstrap: str, request: pytest.FixtureRequest) -> Codec:
    """A codec whose topics no other test uses, created with 3 partitions each."""
    codec = Codec(source="urn:govbus:test", topic_prefix=unique_topic(request.node.name) + ".")
    await create_topics(
        kafka_bootstrap,
        [codec.topic_for(model) for model in (DeathRegisteredV1, DeathRegisteredV2)],
    )
    return codec


@pytest.fixture
async def publisher(kafka_bootstrap: str, codec: Codec) -> AsyncIterator[Publisher]:
    async with Publisher(bootstrap=kafka_bootstrap, codec=codec, name="test") as publisher:
        yield publisher


RunSubscriber = Callable[
    [Subscription[Any]], contextlib.AbstractAsyncContextManager[Subscriber[Any]]
]


@pytest.fixture
def run_subscriber(kafka_bootstrap: str, codec: Codec) -> RunSubscriber:
    """Run a subscription in the background for the duration of an ``async with`` block."""
    return functools.partial(running_subscriber, bootstrap=kafka_bootstrap, codec=codec)
