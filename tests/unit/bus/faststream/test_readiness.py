"""What a FastStream subscriber tells /readyz about its partitions, without a Kafka cluster."""

from __future__ import annotations

from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition

from bus.faststream import Govbus
from bus.foundation.settings import Settings
from bus.messaging.subscriber import assignment_readiness
from contracts.catalogue.gro import DeathRegisteredV1, DeathRegisteredV2


async def test_a_subscriber_reports_its_partitions_why_it_has_none_and_that_it_stopped() -> None:
    """After each rebalance the subscriber reports ready with partitions, not ready naming the
    topics that do not exist without any, and not ready once drained."""
    bus = Govbus("pensions", settings=Settings(topic_prefix="staging."), bootstrap="127.0.0.1:1")

    @bus.subscriber(DeathRegisteredV2, name="pensions.stop")
    async def stop_pension(event: DeathRegisteredV2) -> None: ...

    (subscriber,) = bus.broker.subscribers
    delivering = bus.delivering(subscriber)
    assert delivering is not None
    reports: list[tuple[bool, str]] = []
    delivering.on_ready = lambda ready, detail: reports.append((ready, detail))
    # Never started, so its metadata knows no topic: what a group member sees before creation.
    consumer = AIOKafkaConsumer(bootstrap_servers="127.0.0.1:1")
    cast_subscriber: Any = subscriber
    cast_subscriber.consumer = consumer
    v2, v1 = (bus.codec.topic_for(m) for m in (DeathRegisteredV2, DeathRegisteredV1))
    try:
        listener = delivering.listener
        await listener.on_partitions_assigned(set())
        await listener.on_partitions_assigned({TopicPartition(v2, 0), TopicPartition(v1, 2)})
        await delivering.drain()
    finally:
        await consumer.stop()
    assert reports == [
        (False, f"0 partitions assigned: topics {v2}, {v1} do not exist"),
        (True, "2 partition(s) assigned"),
        (False, "stopped"),
    ]


def test_no_partitions_while_the_topics_exist_means_other_members_hold_them() -> None:
    """With every topic known, an empty assignment names the group whose members hold them."""
    ready, detail = assignment_readiness(
        set(), topics=["gro.death-registered.v2", "gro.death-registered.v1"],
        group="pensions.stop", exists=lambda topic: True,
    )  # fmt: skip
    assert (ready, detail) == (
        False,
        "0 partitions assigned: other members of group pensions.stop hold every partition of "
        "gro.death-registered.v2, gro.death-registered.v1",
    )


def test_one_missing_topic_is_named_in_the_singular() -> None:
    """Only the topic the metadata lacks is named, as "topic X does not exist"."""
    _, detail = assignment_readiness(
        set(), topics=["a.v2", "a.v1"], group="g", exists=lambda topic: topic == "a.v2"
    )
    assert detail == "0 partitions assigned: topic a.v1 does not exist"
