"""The behaviour every Sink must show, run against each adapter's real legacy system.

An adapter's test module subclasses ``SinkBehaviour`` and provides a ``harness`` fixture that
satisfies ``SinkHarness``; the tests publish real events to Kafka and run the sink as a real
subscription.
"""

from __future__ import annotations

import asyncio
from typing import Any, Protocol

from bus.adapter_runtime.sink import Sink
from bus.messaging.codec import Codec
from bus.messaging.publisher import Publisher
from bus.messaging.subscriber import RetryPolicy
from bus.testing.adapters import running_sink
from bus.testing.kafka import create_topics, unique_topic
from contracts import Event


class SinkHarness(Protocol):
    """A real legacy system an adapter's sink writes to, under the test's control."""

    contract: type[Event]

    def sink(self) -> Sink:
        """A new sink instance delivering into the legacy system."""

    def event(self, number: int) -> Event:
        """A valid event identifiable by ``number``."""

    async def delivered(self) -> list[int]:
        """The numbers of the events in the legacy system, once per occurrence."""

    async def take_down(self) -> None:
        """Make the legacy system unreachable."""

    async def bring_up(self) -> None:
        """Make it reachable again."""


async def _wait_for(harness: SinkHarness, expected: list[int], timeout_s: float = 60) -> list[int]:
    async def poll() -> list[int]:
        while sorted(found := await harness.delivered()) != expected:
            await asyncio.sleep(0.1)
        return found

    return await asyncio.wait_for(poll(), timeout_s)


class SinkBehaviour:
    """Subclass with a ``harness`` fixture; every test here then runs for that adapter."""

    async def _publish(self, bootstrap: str, codec: Codec, events: list[tuple[Event, str]]) -> None:
        async with Publisher(bootstrap=bootstrap, codec=codec, name="suite") as publisher:
            for event, event_id in events:
                await publisher.publish(event, key=event_id, event_id=event_id)

    async def _codec(self, harness: SinkHarness, bootstrap: str, request: Any) -> Codec:
        codec = Codec(source="urn:govbus:suite", topic_prefix=unique_topic(request.node.name) + ".")
        await create_topics(bootstrap, [codec.topic_for(harness.contract)])
        return codec

    async def test_every_event_is_delivered(
        self, harness: SinkHarness, kafka_bootstrap: str, request: Any
    ) -> None:
        """Five published events are five records in the legacy system."""
        codec = await self._codec(harness, kafka_bootstrap, request)
        await self._publish(
            kafka_bootstrap, codec, [(harness.event(n), f"e-{n}") for n in range(1, 6)]
        )
        async with running_sink(
            harness.sink(),
            harness.contract,
            name="suite-sink",
            bootstrap=kafka_bootstrap,
            codec=codec,
        ):
            await _wait_for(harness, [1, 2, 3, 4, 5])

    async def test_an_event_delivered_again_changes_the_legacy_system_once(
        self, harness: SinkHarness, kafka_bootstrap: str, request: Any
    ) -> None:
        """A second subscriber group re-reading the topic (a replay) delivers nothing twice."""
        codec = await self._codec(harness, kafka_bootstrap, request)
        await self._publish(kafka_bootstrap, codec, [(harness.event(n), f"e-{n}") for n in (1, 2)])
        for group in ("suite-sink-a", "suite-sink-b"):
            async with running_sink(
                harness.sink(), harness.contract, name=group, bootstrap=kafka_bootstrap, codec=codec
            ):
                await _wait_for(harness, [1, 2])
                await asyncio.sleep(1.0)  # time for any duplicate delivery to show
        assert sorted(await harness.delivered()) == [1, 2]

    async def test_a_legacy_system_that_is_down_receives_the_event_when_back(
        self, harness: SinkHarness, kafka_bootstrap: str, request: Any
    ) -> None:
        """Deliveries fail while the system is down and succeed, once, when it is back."""
        codec = await self._codec(harness, kafka_bootstrap, request)
        await harness.take_down()
        await self._publish(kafka_bootstrap, codec, [(harness.event(7), "e-7")])
        retry = RetryPolicy(max_attempts=200, initial_backoff_s=0.05, max_backoff_s=0.2)
        async with running_sink(
            harness.sink(), harness.contract, name="suite-sink", bootstrap=kafka_bootstrap,
            codec=codec, retry=retry,
        ):  # fmt: skip
            await asyncio.sleep(1.0)
            await harness.bring_up()
            await _wait_for(harness, [7])
