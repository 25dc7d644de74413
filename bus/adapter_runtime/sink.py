"""The sink contract: how an adapter delivers events into a legacy system.

A sink is a subscription's handler with a lifecycle. The runtime calls ``deliver`` once per
event, in order per partition key, and retries it with backoff when it raises; after the last
attempt the event goes to the dead-letter topic. Delivery must be idempotent by the event id
(``delivery.envelope.id``): the same event delivered twice changes the legacy system once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from typing import Any, Protocol

from bus.foundation.errors import NotConnected
from bus.messaging.subscriber import Delivery, RetryPolicy, Subscriber, Subscription
from contracts import Event

log = logging.getLogger(__name__)


class Sink(Protocol):
    """Delivers events of one contract version into one legacy system.

    1. ``open()`` once before the first delivery. Raises ``NotConnected`` if unreachable.
    2. ``deliver(event, delivery)`` for each event, one at a time per partition. Raise
       ``NotConnected`` (or any ``RetriableError``) for a transient failure; raise
       ``DeliveryRefused`` (or any non-retriable ``GovbusError``) when the system refuses the
       event itself, which sends it to the dead-letter topic at once.
    3. ``close()`` once, also after cancellation or an error; it must not raise.
    """

    async def open(self) -> None: ...

    async def deliver(self, event: Event, delivery: Delivery) -> None: ...

    async def close(self) -> None: ...


async def _open_with_backoff(
    sink: Sink,
    *,
    name: str,
    stopping: asyncio.Event,
    initial_backoff_s: float = 0.5,
    max_backoff_s: float = 30.0,
) -> bool:
    """Open ``sink``, retrying ``NotConnected`` with backoff; ``False`` if stopped first."""
    attempt = 0
    while not stopping.is_set():
        try:
            await sink.open()
        except NotConnected as exc:
            attempt += 1
            delay = min(max_backoff_s, initial_backoff_s * 2.0 ** (attempt - 1))
            log.warning("sink %s: legacy system unreachable, retrying: %s", name, exc)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stopping.wait(), delay * random.uniform(0.5, 1.0))  # noqa: S311
            continue
        return True
    return False


def sink_subscription(
    sink: Sink, contract: type[Event], *, name: str, retry: RetryPolicy
) -> Subscription[Any]:
    """The subscription that hands every event of ``contract`` (older versions upcast) to ``sink``.

    ``name`` is also its consumer group.
    """

    async def deliver(event: Event, delivery: Delivery) -> None:
        await sink.deliver(event, delivery)

    return Subscription(name=name, contract=contract, handler=deliver, retry=retry)


async def run_sink(
    sink: Sink,
    subscriber: Subscriber[Any],
    *,
    stopping: asyncio.Event,
    initial_backoff_s: float = 0.5,
    max_backoff_s: float = 30.0,
) -> None:
    """Open ``sink`` (retrying while its legacy system is down), then run ``subscriber``.

    Returns without consuming if ``stopping`` is set before the sink opens, so a sink can be
    started while its system is down and stopped before it comes back.
    """
    name = subscriber.subscription.name
    opened = await _open_with_backoff(
        sink,
        name=name,
        stopping=stopping,
        initial_backoff_s=initial_backoff_s,
        max_backoff_s=max_backoff_s,
    )
    if opened:
        await subscriber.run()
