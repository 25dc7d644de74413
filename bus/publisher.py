"""Publishing contract events to Kafka with acks=all, idempotence and batching.

Lifecycle: ``start()`` once; then ``publish`` and ``publish_many`` from any number of tasks;
``close()`` once, which waits until Kafka acknowledged or refused every event whose publish was
accepted before it returns. A publish never awaits acknowledgements one event at a time:
``publish_many`` hands the whole batch to the producer and then awaits all acks together.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from types import TracebackType
from typing import Any, Self

from aiokafka import AIOKafkaProducer
from prometheus_client import Counter

from bus import metrics
from bus.codec import Codec, OutgoingRecord
from bus.errors import PublishError
from contracts import Event

# Producer settings govbus relies on: every in-sync replica has the record before an ack, and
# retries never duplicate or reorder records. The rest batches for throughput.
SAFE_PRODUCER: dict[str, Any] = {
    "acks": "all",
    "enable_idempotence": True,
    "linger_ms": 5,
    "max_batch_size": 256 * 1024,
    "request_timeout_ms": 30_000,
}


@dataclass(frozen=True, slots=True)
class Publication:
    """One event to publish, with its partition key and optional subject and id."""

    event: Event
    key: str
    subject: str | None = None
    event_id: str | None = None
    time: datetime | None = None


class Publisher:
    """Publishes events for one component (an adapter or service), named in metrics."""

    def __init__(
        self,
        *,
        bootstrap: str,
        codec: Codec,
        name: str,
        client_options: dict[str, Any] | None = None,
    ) -> None:
        self.codec = codec
        self.name = name
        self._producer = AIOKafkaProducer(
            **({"bootstrap_servers": bootstrap} | (client_options or {}) | SAFE_PRODUCER)
        )
        self._in_flight = metrics.PUBLISHES_IN_FLIGHT.labels(publisher=name)
        self._counters: dict[tuple[Counter, tuple[str, int]], Counter] = {}
        self._closed = False
        self._active = 0  # send_records calls under way
        self._idle = asyncio.Event()
        self._idle.set()

    async def start(self) -> None:
        """Connect to Kafka; if that fails, the producer is closed before the error is raised."""
        try:
            await self._producer.start()
        except BaseException:
            # A producer that failed to start still holds a client: stop it rather than leak it.
            with contextlib.suppress(Exception):
                await self._producer.stop()
            raise

    async def close(self) -> None:
        """Refuse new publishes, wait for every accepted one to be acknowledged, then stop."""
        self._closed = True
        await self._idle.wait()
        await self._producer.stop()

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    async def publish(
        self,
        event: Event,
        *,
        key: str,
        subject: str | None = None,
        event_id: str | None = None,
        time: datetime | None = None,
    ) -> str:
        """Publish one event and return its id once Kafka acknowledged it."""
        (published,) = await self.publish_many(
            [Publication(event, key=key, subject=subject, event_id=event_id, time=time)]
        )
        return published

    async def publish_many(self, publications: Iterable[Publication]) -> list[str]:
        """Publish a batch; return the event ids in order once Kafka acknowledged all of them.

        Every event is validated before any is sent, so an invalid one fails the batch without
        publishing part of it. If Kafka refuses some, the first error is raised after all
        outcomes are known.
        """
        records = [self._encode(p) for p in publications]
        return await self.send_records(records)

    async def send_records(self, records: list[OutgoingRecord]) -> list[str]:
        """Send already-encoded records (for example replayed dead letters) and await acks."""
        if self._closed:
            raise PublishError(f"publisher {self.name!r} is closed")
        futures: list[asyncio.Future[Any]] = []
        refused: BaseException | None = None
        self._in_flight.inc(len(records))
        self._active += 1
        self._idle.clear()
        try:
            for record in records:
                try:
                    futures.append(
                        await self._producer.send(
                            record.topic, record.value, key=record.key, headers=record.headers
                        )
                    )
                except Exception as exc:  # e.g. a record larger than the producer allows
                    refused = exc
                    break
            # Events already handed over are still awaited, so none is left unaccounted for.
            outcomes: list[Any] = await asyncio.gather(*futures, return_exceptions=True)
        finally:
            self._in_flight.dec(len(records))
            self._active -= 1
            if self._active == 0:
                self._idle.set()
        outcomes += [refused] * (len(records) - len(futures))
        failure: BaseException | None = None
        published: dict[tuple[str, int], int] = {}
        for record, outcome in zip(records, outcomes, strict=True):
            contract = (record.event_type, record.version)
            if isinstance(outcome, BaseException):
                self._children(metrics.PUBLISH_FAILURES, contract).inc()
                failure = failure or outcome
            else:
                published[contract] = published.get(contract, 0) + 1
        for contract, count in published.items():
            self._children(metrics.EVENTS_PUBLISHED, contract).inc(count)
        if failure is not None:
            raise PublishError(f"Kafka refused an event: {failure!r}") from failure
        return [record.event_id for record in records]

    def _children(self, counter: Counter, contract: tuple[str, int]) -> Counter:
        """``counter``'s child for an event type and version from this publisher, cached."""
        key = (counter, contract)
        child = self._counters.get(key)
        if child is None:
            event_type, version = contract
            child = self._counters[key] = counter.labels(event_type, str(version), self.name)
        return child

    def _encode(self, publication: Publication) -> OutgoingRecord:
        return self.codec.encode(
            publication.event,
            key=publication.key,
            event_id=publication.event_id or str(uuid.uuid4()),
            subject=publication.subject,
            time=publication.time,
        )
