"""How the soap sink treats faults, bad events and bad replies from the real pensions service."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from adapters.soap import SoapSink
from adapters.soap.client import Refused
from bus.foundation.errors import NotConnected
from bus.messaging import dead_letter
from bus.messaging.codec import Codec
from bus.messaging.publisher import Publisher
from bus.messaging.topic_names import dlq_topic
from bus.testing.adapters import running_sink
from bus.testing.kafka import create_topics, read_records, unique_topic
from contracts.catalogue.gro import DeathRegisteredV2
from examples.legacy.pensions import PensionsService
from tests.integration.adapters.soap.pensions import death, delivery, sink_config

OPERATION = "RecordDeath"
SOAP = "http://schemas.xmlsoap.org/soap/envelope/"


def fault(code: str, message: str) -> bytes:
    return (
        f'<soap:Envelope xmlns:soap="{SOAP}"><soap:Body><soap:Fault>'
        f"<faultcode>soap:{code}</faultcode><faultstring>{message}</faultstring>"
        "</soap:Fault></soap:Body></soap:Envelope>"
    ).encode()


@pytest.fixture
async def service() -> AsyncIterator[PensionsService]:
    async with PensionsService() as running:
        yield running


@pytest.fixture
async def sink(service: PensionsService) -> AsyncIterator[SoapSink]:
    writer = SoapSink(sink_config(service), contract=DeathRegisteredV2)
    await writer.open()
    yield writer
    await writer.close()


async def test_the_same_event_id_records_a_death_once(
    sink: SoapSink, service: PensionsService
) -> None:
    """Delivering one ce_id twice leaves one death notice, under that id as the reference."""
    await sink.deliver(death(1), delivery("e-1"))
    await sink.deliver(death(1), delivery("e-1", attempt=2))
    assert list(service.ledger.deaths) == ["e-1"]
    assert len(service.ledger.stops) == 1  # and payments stopped once


async def test_a_client_fault_is_not_retried(sink: SoapSink, service: PensionsService) -> None:
    """A Client fault means the request is wrong: Refused, which is not retriable."""
    service.serve_next(OPERATION, fault("Client", "pensioner unknown"), status=500)
    with pytest.raises(Refused, match="pensioner unknown") as caught:
        await sink.deliver(death(1), delivery("e-1"))
    assert caught.value.retriable is False


async def test_an_event_missing_a_required_argument_is_refused_unsent(
    sink: SoapSink, service: PensionsService
) -> None:
    """A death without a NINO cannot fill RecordDeath's required nino; nothing is sent."""
    with pytest.raises(Refused, match="nino"):
        await sink.deliver(death(1, **{"deceased.nino": None}), delivery("e-1"))
    assert not [p for p in service.paths_requested if not p.endswith("?wsdl")]


async def test_a_server_fault_or_a_hostile_reply_is_retried(
    sink: SoapSink, service: PensionsService
) -> None:
    """A Server fault and a reply with a DTD are NotConnected; the retry records it once."""
    service.serve_next(OPERATION, fault("Server", "ledger busy"), status=500)
    with pytest.raises(NotConnected, match="ledger busy"):
        await sink.deliver(death(1), delivery("e-1"))
    hostile = (
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><x>&e;</x>'
    )
    service.serve_next(OPERATION, hostile)
    with pytest.raises(NotConnected, match="DTD"):
        await sink.deliver(death(1), delivery("e-1", attempt=2))
    await sink.deliver(death(1), delivery("e-1", attempt=3))
    assert list(service.ledger.deaths) == ["e-1"]


async def test_a_listed_duplicate_fault_counts_as_delivered(service: PensionsService) -> None:
    """A service that faults on a repeated reference is treated as having done the work."""
    sink = SoapSink(
        sink_config(service, duplicate_faults=("Client.DuplicateReference",)),
        contract=DeathRegisteredV2,
    )
    service.serve_next(OPERATION, fault("Client.DuplicateReference", "seen e-1"), status=500)
    try:
        await sink.deliver(death(1), delivery("e-1"))  # does not raise
        service.serve_next(OPERATION, fault("Client.Other", "no"), status=500)
        with pytest.raises(Refused):
            await sink.deliver(death(2), delivery("e-2"))
    finally:
        await sink.close()


async def test_a_refused_event_is_dead_lettered_at_the_first_attempt(
    service: PensionsService, kafka_bootstrap: str, request: pytest.FixtureRequest
) -> None:
    """Through a real subscription, a Client fault sends the event to the DLQ without retries."""
    codec = Codec(source="urn:test", topic_prefix=unique_topic(request.node.name) + ".")
    topic = codec.topic_for(DeathRegisteredV2)
    await create_topics(kafka_bootstrap, [topic])
    service.serve_next(OPERATION, fault("Client", "date of death before pension start"), status=500)
    async with Publisher(bootstrap=kafka_bootstrap, codec=codec, name="test") as publisher:
        await publisher.publish(death(1), key="k", event_id="e-1")
    sink = SoapSink(sink_config(service), contract=DeathRegisteredV2)
    async with running_sink(
        sink, DeathRegisteredV2, name="soap-sink", bootstrap=kafka_bootstrap, codec=codec
    ):
        (letter,) = await read_records(kafka_bootstrap, dlq_topic(topic), count=1)
    reasons = dead_letter.reasons(list(letter.headers))
    assert reasons["attempts"] == "1"
    assert "date of death before pension start" in reasons["error_message"]
    assert service.ledger.deaths == {}
