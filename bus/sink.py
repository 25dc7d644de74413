"""The sink contract: how an adapter delivers events into a legacy system.

A sink is a subscription's handler with a lifecycle. The runtime calls ``deliver`` once per
event, in order per partition key, and retries it with backoff when it raises; after the last
attempt the event goes to the dead-letter topic. Delivery must be idempotent by the event id
(``delivery.envelope.id``): the same event delivered twice changes the legacy system once.
"""

from __future__ import annotations

from typing import Protocol

from bus.subscriber import Delivery
from contracts import Event


class Sink(Protocol):
    """Delivers events of one contract version into one legacy system.

    1. ``open()`` once before the first delivery. Raises ``NotConnected`` if unreachable.
    2. ``deliver(event, delivery)`` for each event, one at a time per partition. Raise
       ``NotConnected`` (or any ``RetriableError``) for a transient failure; a non-retriable
       ``GovbusError`` sends the event to the dead-letter topic at once.
    3. ``close()`` once, also after cancellation or an error; it must not raise.
    """

    async def open(self) -> None: ...

    async def deliver(self, event: Event, delivery: Delivery) -> None: ...

    async def close(self) -> None: ...
