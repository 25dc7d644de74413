"""A legacy system that pushes webhooks the way real senders do: in order, retrying until 2xx."""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field
from typing import Any

import httpx
import orjson

from adapters.webhook import sign
from bus.adapter_runtime.mapping import MappingConfig
from tests.integration.adapters.rest.council_tax import MAPPING

SECRET = "a-shared-secret-of-some-length"  # noqa: S105 - a test secret
# A pushed change has no change number; the account reference names it.
WEBHOOK_MAPPING: MappingConfig = MAPPING.model_copy(update={"identity": "{account_reference}"})


@dataclass
class Sent:
    """One delivery and the answer the sender finally got (``0`` while it keeps retrying)."""

    delivery_id: str | None
    body: bytes
    status: int = 0
    answer: dict[str, Any] = field(default_factory=dict)


class Sender:
    """Sends queued deliveries one at a time to ``url``; retries connection errors and 503."""

    def __init__(self, url: str, *, secret: str = SECRET) -> None:
        self.url = url
        self.secret = secret
        self.sent: list[Sent] = []
        self._queue: asyncio.Queue[Sent] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None

    def send(self, payload: dict[str, Any], *, delivery_id: str | None) -> Sent:
        """Queue a delivery; it is retried in the background until the receiver answers."""
        item = Sent(delivery_id, orjson.dumps(payload))
        self.sent.append(item)
        self._queue.put_nowait(item)
        if self._task is None:
            self._task = asyncio.create_task(self._run())
        return item

    async def drained(self, timeout_s: float = 30) -> None:
        """Wait until every queued delivery got a final answer."""
        async with asyncio.timeout(timeout_s):
            await self._queue.join()

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        async with httpx.AsyncClient(timeout=60) as client:
            while True:
                item = await self._queue.get()
                headers = {"Content-Type": "application/json",
                           "X-Govbus-Signature": sign(self.secret, item.body)}  # fmt: skip
                if item.delivery_id is not None:
                    headers["X-Govbus-Delivery"] = item.delivery_id
                while True:
                    try:
                        response = await client.post(self.url, content=item.body, headers=headers)
                    except httpx.TransportError:
                        await asyncio.sleep(0.05)
                        continue
                    if response.status_code == 503:
                        await asyncio.sleep(0.05)
                        continue
                    item.status = response.status_code
                    item.answer = response.json()
                    break
                self._queue.task_done()
