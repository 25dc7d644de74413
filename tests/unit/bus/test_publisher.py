"""The publisher's lifecycle where no broker answers."""

from __future__ import annotations

import gc
import warnings

import pytest
from aiokafka.errors import KafkaConnectionError

from bus.codec import Codec
from bus.publisher import Publisher

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
