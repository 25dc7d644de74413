"""Publishing in producer batches on a real broker: partitions, order, size limits."""

from __future__ import annotations

import asyncio
from collections import defaultdict

import pytest
from aiokafka import AIOKafkaProducer

from bus.foundation.errors import PublishError
from bus.messaging.codec import Codec
from bus.messaging.publisher import SAFE_PRODUCER, Publication, Publisher
from bus.testing.kafka import create_topics, read_records
from contracts.catalogue.gro import DeathRegisteredV1


def death(entry_number: int) -> DeathRegisteredV1:
    example = dict(DeathRegisteredV1.contract.example)
    return DeathRegisteredV1.model_validate(example | {"entry_number": entry_number})


async def test_a_key_goes_to_the_partition_any_kafka_producer_picks(
    publisher: Publisher, kafka_bootstrap: str, codec: Codec
) -> None:
    """Records of a key land where aiokafka's own send() puts that key, so per-key order holds
    across govbus and other producers of the same topic."""
    keys = [f"district-{n}" for n in range(40)]
    await publisher.publish_many([Publication(death(1), key=keys[0])])  # one record alone
    # Many records per partition: these go as whole producer batches.
    await publisher.publish_many([Publication(death(n + 1), key=keys[n % 40]) for n in range(400)])
    other = codec.topic_for(DeathRegisteredV1) + ".other-producer"
    await create_topics(kafka_bootstrap, [other])
    producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap, **SAFE_PRODUCER)
    await producer.start()
    try:
        for key in keys:
            await producer.send_and_wait(other, b"{}", key=key.encode())
    finally:
        await producer.stop()
    ours = await read_records(kafka_bootstrap, codec.topic_for(DeathRegisteredV1), count=401)
    theirs = await read_records(kafka_bootstrap, other, count=40)
    assert len({r.partition for r in ours}) > 1  # the keys really spread over partitions
    assert len(ours) == 401
    assert {(r.key, r.partition) for r in ours} == {(r.key, r.partition) for r in theirs}


async def test_a_batch_larger_than_a_producer_batch_arrives_whole_and_in_key_order(
    publisher: Publisher, kafka_bootstrap: str, codec: Codec
) -> None:
    """1,500 events (several producer batches per partition) all arrive, each key's in order."""
    count = 1500
    ids = await publisher.publish_many(
        [Publication(death(n), key=f"k{n % 5}") for n in range(1, count + 1)]
    )
    records = await read_records(kafka_bootstrap, codec.topic_for(DeathRegisteredV1), count=count)
    assert sorted(dict(r.headers)["ce_id"].decode() for r in records) == sorted(ids)
    entries_by_key: dict[bytes | None, list[int]] = defaultdict(list)
    for record in sorted(records, key=lambda r: (r.partition, r.offset)):
        entries_by_key[record.key].append(
            DeathRegisteredV1.from_consumed(record.value).entry_number
        )
    assert all(entries == sorted(entries) for entries in entries_by_key.values())
    assert sum(map(len, entries_by_key.values())) == count


async def test_concurrent_batches_all_arrive(
    publisher: Publisher, kafka_bootstrap: str, codec: Codec
) -> None:
    """Batches published from several tasks at once are all delivered, none mixed up."""
    batches = [
        [Publication(death(task * 100 + n), key=f"task-{task}") for n in range(1, 51)]
        for task in range(6)
    ]
    ids = await asyncio.gather(*(publisher.publish_many(batch) for batch in batches))
    records = await read_records(kafka_bootstrap, codec.topic_for(DeathRegisteredV1), count=300)
    assert {dict(r.headers)["ce_id"].decode() for r in records} == {i for b in ids for i in b}
    for task in range(6):
        mine = [r for r in records if r.key == f"task-{task}".encode()]
        offsets = [r.offset for r in mine]
        entries = [DeathRegisteredV1.from_consumed(r.value).entry_number for r in mine]
        assert [e for _, e in sorted(zip(offsets, entries, strict=True))] == sorted(entries)


async def test_a_record_too_large_for_kafka_refuses_the_whole_call(
    publisher: Publisher, kafka_bootstrap: str, codec: Codec
) -> None:
    """A record over the producer's request size fails the call before any record is sent."""
    good = codec.encode(death(1), key="fine", event_id="ok-1")
    huge = codec.encode(death(2), key="huge", event_id="too-big")._replace(value=b"x" * 2**21)
    with pytest.raises(PublishError, match=r"too-big.*max_request_size"):
        await publisher.send_records([good, huge])
    topic = codec.topic_for(DeathRegisteredV1)
    assert await read_records(kafka_bootstrap, topic, count=1, timeout_s=2) == []
    assert await publisher.send_records([good]) == ["ok-1"]  # the publisher carries on
