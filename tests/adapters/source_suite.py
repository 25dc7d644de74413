"""The behaviour every Source must show, run against each adapter's real legacy system.

An adapter's test module subclasses ``SourceBehaviour`` and provides a ``harness`` fixture that
satisfies ``SourceHarness``; the tests here then run its source through the real runtime
(publisher, offsets topic, source runner) on the session's real Kafka broker.
"""

from __future__ import annotations

import asyncio
from typing import Any, Protocol

from bus.adapter_runtime.mapping import Mapper, MappingConfig
from bus.adapter_runtime.source import Source
from bus.foundation import metrics
from bus.messaging import dead_letter
from bus.messaging.codec import Codec
from bus.messaging.topic_names import TopicNames
from bus.testing.adapters import running_source
from bus.testing.kafka import eventually, read_records, unique_topic
from contracts import Event


class SourceHarness(Protocol):
    """A real legacy system an adapter's source reads, under the test's control."""

    contract: type[Event]
    mapping: MappingConfig

    async def add(self, numbers: range) -> None:
        """Add good legacy records numbered ``numbers``, in that order."""

    async def add_bad(self) -> str:
        """Add one record that cannot be mapped; return text its position must contain."""

    def source(self, mapper: Mapper) -> Source:
        """A new source instance reading the legacy system."""

    def number_of(self, event: Any) -> int:
        """Which numbered record an event came from."""

    async def take_down(self) -> None:
        """Make the legacy system unreachable."""

    async def bring_up(self) -> None:
        """Make it reachable again."""


class SourceBehaviour:
    """Subclass with a ``harness`` fixture; every test here then runs for that adapter."""

    adapter = "suite-source"

    async def _events(
        self, bootstrap: str, codec: Codec, harness: SourceHarness, count: int
    ) -> list[Any]:
        """Up to ``count`` events; the runners have stopped, so what is missing never comes."""
        topic = codec.topic_for(harness.contract)
        return await read_records(bootstrap, topic, count=count, timeout_s=5)

    async def _run_until(
        self, harness: SourceHarness, bootstrap: str, codec: Codec, offsets: str, count: int
    ) -> list[Any]:
        source = harness.source(Mapper(harness.mapping))
        topic = codec.topic_for(harness.contract)
        async with running_source(
            source, adapter=self.adapter, bootstrap=bootstrap, codec=codec, offsets_topic=offsets
        ):
            seen: list[Any] = []

            async def poll() -> None:
                while len(seen) < count:
                    seen[:] = await read_records(bootstrap, topic, count=count, timeout_s=2)

            await asyncio.wait_for(poll(), 60)
        return seen

    async def test_records_are_published_once_and_a_restart_resumes_after_them(
        self, harness: SourceHarness, kafka_bootstrap: str, request: Any
    ) -> None:
        """Twenty records become twenty events; after a restart only new records follow."""
        codec = Codec(source="urn:govbus:suite", topic_prefix=unique_topic(request.node.name) + ".")
        offsets = unique_topic("offsets")
        await harness.add(range(1, 21))
        first = await self._run_until(harness, kafka_bootstrap, codec, offsets, 20)
        await harness.add(range(21, 26))
        both = await self._run_until(harness, kafka_bootstrap, codec, offsets, 25)
        await asyncio.sleep(0.5)
        final = await self._events(kafka_bootstrap, codec, harness, 26)
        assert len(first) == 20
        assert len(both) == 25
        numbers = [harness.number_of(orjson_event(harness, r)) for r in final]
        assert sorted(numbers) == list(range(1, 26))  # each record once, none twice
        assert len({dict(r.headers)["ce_id"] for r in final}) == 25

    async def test_a_replay_without_stored_offsets_repeats_the_same_event_ids(
        self, harness: SourceHarness, kafka_bootstrap: str, request: Any
    ) -> None:
        """Reading the same records again (offsets lost in a crash) yields identical ce_ids."""
        codec = Codec(source="urn:govbus:suite", topic_prefix=unique_topic(request.node.name) + ".")
        await harness.add(range(1, 6))
        await self._run_until(harness, kafka_bootstrap, codec, unique_topic("offsets-a"), 5)
        twice = await self._run_until(
            harness, kafka_bootstrap, codec, unique_topic("offsets-b"), 10
        )
        ids = [dict(r.headers)["ce_id"] for r in twice]
        assert len(ids) == 10
        assert len(set(ids)) == 5  # the duplicate carries the same ce_id, so consumers drop it

    async def test_a_bad_record_is_dead_lettered_with_its_position_and_the_rest_flow(
        self, harness: SourceHarness, kafka_bootstrap: str, request: Any
    ) -> None:
        """One unmappable record goes to the adapter's DLQ; the records around it publish."""
        codec = Codec(source="urn:govbus:suite", topic_prefix=unique_topic(request.node.name) + ".")
        await harness.add(range(1, 4))
        position = await harness.add_bad()
        await harness.add(range(4, 6))
        published = await self._run_until(harness, kafka_bootstrap, codec, unique_topic("o"), 5)
        assert sorted(harness.number_of(orjson_event(harness, r)) for r in published) == [
            1,
            2,
            3,
            4,
            5,
        ]
        dlq = TopicNames(codec.topic_prefix).adapter_dead_letters(self.adapter)
        (letter,) = await read_records(kafka_bootstrap, dlq, count=1)
        reasons = dead_letter.reasons(list(letter.headers))
        assert reasons["stage"] == "mapping"
        assert position in reasons["position"]
        assert reasons["error_message"]

    async def test_an_unreachable_legacy_system_is_retried_until_it_answers(
        self, harness: SourceHarness, kafka_bootstrap: str, request: Any
    ) -> None:
        """While the system is down the adapter reports it and waits; then records flow."""
        codec = Codec(source="urn:govbus:suite", topic_prefix=unique_topic(request.node.name) + ".")
        up = metrics.ADAPTER_LEGACY_UP.labels(self.adapter)
        await harness.take_down()
        source = harness.source(Mapper(harness.mapping))
        async with running_source(
            source, adapter=self.adapter, bootstrap=kafka_bootstrap, codec=codec,
            offsets_topic=unique_topic("offsets"),
        ):  # fmt: skip
            await eventually(lambda: up._value.get() == 0, what="legacy system reported down")
            await harness.bring_up()
            await harness.add(range(1, 4))
            await eventually(lambda: up._value.get() == 1, what="legacy system reported up")
            topic = codec.topic_for(harness.contract)
            seen: list[Any] = []

            async def poll() -> None:
                while len(seen) < 3:
                    seen[:] = await read_records(kafka_bootstrap, topic, count=3, timeout_s=2)

            await asyncio.wait_for(poll(), 60)
        assert sorted(harness.number_of(orjson_event(harness, r)) for r in seen) == [1, 2, 3]


def orjson_event(harness: SourceHarness, record: Any) -> Any:
    """The contract instance a published record carries."""
    return harness.contract.from_consumed(record.value)
