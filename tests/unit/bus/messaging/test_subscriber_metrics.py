"""What a subscriber counts per record, without a broker: records are handed over directly."""

from __future__ import annotations

import uuid
from typing import Any

from aiokafka.structs import ConsumerRecord
from prometheus_client import REGISTRY

from bus.messaging.codec import Codec
from bus.messaging.subscriber import Delivery, RetryPolicy, Subscriber, Subscription
from contracts.catalogue.gro import DeathRegisteredV1, DeathRegisteredV2

CODEC = Codec(source="urn:govbus:test")


def _record(event: Any, event_id: str, offset: int) -> ConsumerRecord[bytes, bytes]:
    out = CODEC.encode(event, key="k", event_id=event_id)
    return ConsumerRecord(
        out.topic, 0, offset, 0, 0, out.key, out.value, None, len(out.key), len(out.value),
        out.headers,
    )  # fmt: skip


def _sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


async def test_handled_duplicate_and_failed_records_are_counted_per_published_version() -> None:
    """Each outcome lands on the counter of its own version, however many records arrive."""
    name = f"metrics-{uuid.uuid4().hex[:8]}"
    calls: list[int] = []

    async def handle(event: DeathRegisteredV2, delivery: Delivery) -> None:
        calls.append(delivery.attempt)
        if event.registration.entry_number == 7 and delivery.attempt == 1:
            raise RuntimeError("try again")

    subscription = Subscription(
        name=name,
        contract=DeathRegisteredV2,
        handler=handle,
        retry=RetryPolicy(max_attempts=2, initial_backoff_s=0.001, max_backoff_s=0.001),
    )
    subscriber = Subscriber(subscription, bootstrap="unused:9092", codec=CODEC)
    v1 = DeathRegisteredV1.example_event()
    v2 = DeathRegisteredV2.example_event()
    retried = v2.model_copy(
        update={"registration": v2.registration.model_copy(update={"entry_number": 7})}
    )
    records = [
        _record(v1, "a", 0), _record(v1, "a", 1), _record(v2, "b", 2), _record(v2, "c", 3),
        _record(retried, "d", 4),
    ]  # fmt: skip
    worker: Any = _NoSleep()
    for record in records:
        await subscriber._process(record, worker)
    labels = {"event_type": "uk.gov.gro.death-registered", "subscriber": name}
    consumed = "govbus_events_consumed_total"
    assert _sample(consumed, **labels, version="1", outcome="handled") == 1
    assert _sample(consumed, **labels, version="1", outcome="duplicate") == 1
    assert _sample(consumed, **labels, version="2", outcome="handled") == 3
    assert _sample("govbus_events_failed_total", **labels, version="2") == 1
    assert _sample("govbus_handler_duration_seconds_count", **labels, version="2") == 4
    assert _sample("govbus_publish_to_handle_seconds_count", **labels, version="1") == 1
    assert calls == [1, 1, 1, 1, 2]


class _NoSleep:
    async def sleep(self, seconds: float) -> None:
        return None
