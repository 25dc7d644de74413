"""The publisher where no broker answers: its lifecycle and how it picks partitions."""

from __future__ import annotations

import gc
import random
import warnings

import pytest
from aiokafka.errors import KafkaConnectionError
from aiokafka.partitioner import DefaultPartitioner

from bus.messaging.codec import Codec
from bus.messaging.publisher import Publisher, partition_for

CODEC = Codec(source="urn:govbus:test")


async def test_a_publisher_that_cannot_connect_closes_its_producer() -> None:
    """When starting fails inside `async with`, the error surfaces and no client is leaked."""
    publisher = Publisher(bootstrap="127.0.0.1:1", codec=CODEC, name="unreachable")
    with pytest.raises(KafkaConnectionError):
        async with publisher:
            pytest.fail("the body must not run when the publisher did not start")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        del publisher
        gc.collect()
    assert [str(w.message) for w in caught if "Unclosed" in str(w.message)] == []


def test_a_key_gets_the_partition_kafka_s_default_partitioner_gives_it() -> None:
    """For any key and partition count, govbus picks the partition aiokafka's (and the Java
    client's) default partitioner picks, so producers of one topic agree on each key's place."""
    rng = random.Random(20261125)  # noqa: S311 - reproducible test keys
    keys = [b"", b"a", "Siân Ŵyn".encode(), b"\xff" * 4, b"app-00001234"]
    keys += [rng.randbytes(rng.randint(0, 64)) for _ in range(5000)]
    for count in (1, 2, 3, 7, 12, 50):
        partitions = list(range(count))
        picked = [partition_for(key, partitions) for key in keys]
        assert picked == [DefaultPartitioner()(key, partitions, partitions) for key in keys]
    assert len({partition_for(key, list(range(12))) for key in keys}) == 12
