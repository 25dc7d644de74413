"""The webhook receiver passes the source behaviour suite, fed by a retrying sender.

A push source has no legacy system to poll, so two suite tests need a reading for it:

- *unreachable*: the receiver cannot listen because its port is held (as by an old process
  during a restart). ``open`` fails with ``NotConnected``, the runtime reports the legacy side
  down and retries; meanwhile the sender's deliveries are refused and it retries them, as real
  webhook senders do, and they arrive once the port is free.
- *replay*: a receiver holds no records, so losing offsets replays nothing. What repeats for a
  webhook is the sender's redelivery (it did not see the 202); that test is replaced by one
  showing a redelivered webhook keeps its ce_id, with and without a delivery id header.
"""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from typing import Any

import orjson
import pytest

from adapters.webhook import WebhookConfig, WebhookSource
from bus.adapter_runtime.mapping import Mapper, MappingConfig
from bus.messaging.codec import Codec
from bus.testing.kafka import free_port, unique_topic
from contracts import Event
from contracts.catalogue.council import CouncilTaxAccountClosedV1
from tests.adapters.source_suite import SourceBehaviour
from tests.integration.adapters.rest.council_tax import change, number_of
from tests.integration.adapters.webhook.sender import SECRET, WEBHOOK_MAPPING, Sender


class WebhookFeed:
    """A council tax system that POSTs each closed account to the receiver."""

    contract: type[Event] = CouncilTaxAccountClosedV1
    mapping: MappingConfig = WEBHOOK_MAPPING

    def __init__(self) -> None:
        self.port = free_port()
        self.sender = Sender(f"http://127.0.0.1:{self.port}/webhook")
        self._holder: socket.socket | None = None
        self._bad = 0

    async def add(self, numbers: range) -> None:
        for number in numbers:
            self.sender.send(change(number), delivery_id=f"delivery-{number}")

    async def add_bad(self) -> str:
        self._bad += 1
        bad = change(999, address={"lines": ["x"], "town": "Hull", "postcode": "NOT A POSTCODE"})
        self.sender.send(bad, delivery_id=f"bad-{self._bad}")
        return f"delivery bad-{self._bad}"

    def source(self, mapper: Mapper) -> WebhookSource:
        config = WebhookConfig(port=self.port, secret=SECRET)
        return WebhookSource(config, mapper)

    def number_of(self, event: Any) -> int:
        return number_of(event)

    async def take_down(self) -> None:
        holder = socket.socket()
        holder.bind(("127.0.0.1", self.port))
        holder.listen()
        self._holder = holder

    async def bring_up(self) -> None:
        if self._holder is not None:
            self._holder.close()
            self._holder = None


@pytest.fixture
async def feed() -> AsyncIterator[WebhookFeed]:
    harness = WebhookFeed()
    yield harness
    await harness.sender.close()
    await harness.bring_up()


class TestWebhookSource(SourceBehaviour):
    adapter = "webhook-council-tax"

    @pytest.fixture
    def harness(self, feed: WebhookFeed) -> WebhookFeed:
        return feed

    async def test_a_replay_without_stored_offsets_repeats_the_same_event_ids(
        self, harness: Any, kafka_bootstrap: str, request: Any
    ) -> None:
        """A webhook delivered again (with its delivery id, or the same body) keeps its ce_id."""
        codec = Codec(source="urn:govbus:suite", topic_prefix=unique_topic(request.node.name) + ".")
        for number in range(1, 4):
            harness.sender.send(change(number), delivery_id=f"delivery-{number}")
        for number in (4, 5):
            harness.sender.send(change(number), delivery_id=None)
        await self._run_until(harness, kafka_bootstrap, codec, unique_topic("offsets-a"), 5)
        for item in list(harness.sender.sent):
            harness.sender.send(orjson.loads(item.body), delivery_id=item.delivery_id)
        twice = await self._run_until(
            harness, kafka_bootstrap, codec, unique_topic("offsets-b"), 10
        )
        ids = [dict(r.headers)["ce_id"] for r in twice]
        assert len(ids) == 10
        assert len(set(ids)) == 5  # the duplicate carries the same ce_id, so consumers drop it
        assert {item.status for item in harness.sender.sent} == {202}
