"""Contract events published through FastStream, as govbus's own ``Publisher`` writes them.

A contract instance handed to FastStream (``publisher.publish(event, key=...)``,
``broker.publish``, or returned from a handler decorated with a publisher) leaves as a
CloudEvents 1.0 record in binary content mode: validated against its contract by
``Codec.encode``, the JSON data as the value, ``ce_*`` headers and the partition key as the
record key. A plain FastStream publish of a pydantic model carries none of the ``ce_*``
headers, and every govbus subscriber dead-letters it.

The id, subject and trace context come from the ``ce_id``, ``ce_subject`` and
``ce_traceparent`` headers of the publish when given; otherwise the id is a new UUID. An event
needs a key and its contract's topic: anything else raises ``PublishError`` before sending.
Kafka's acknowledgement is counted in ``govbus_events_published_total``.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from bus.foundation import metrics
from bus.foundation.errors import PublishError
from bus.messaging.codec import Codec
from contracts import Event


class Publishing:
    """Encodes the contract events published through one FastStream broker."""

    def __init__(self, codec: Codec, *, publisher: str) -> None:
        self.codec = codec
        self.publisher = publisher

    async def publish(self, call_next: Callable[[Any], Awaitable[Any]], cmd: Any) -> Any:
        """Send ``cmd``, encoded first if its body is a contract event."""
        event = cmd.body
        if not isinstance(event, Event):
            if any(isinstance(body, Event) for body in getattr(cmd, "batch_bodies", ())):
                raise PublishError("govbus events are published one by one, not as a batch")
            return await call_next(cmd)
        model = type(event)
        info = model.contract
        topic = self.codec.topic_for(model)
        if cmd.destination != topic:
            raise PublishError(
                f"{info.cloudevents_type} is published to {topic!r}, not {cmd.destination!r}"
            )
        if not cmd.key:
            raise PublishError(
                f"{info.cloudevents_type} needs a partition key: publish(event, key=...)"
            )
        key = cmd.key.decode() if isinstance(cmd.key, bytes) else str(cmd.key)
        given = {name: str(value) for name, value in (cmd.headers or {}).items()}
        record = self.codec.encode(
            event,
            key=key,
            event_id=given.get("ce_id") or str(uuid.uuid4()),
            subject=given.get("ce_subject"),
            traceparent=given.get("ce_traceparent"),
        )
        # Other headers the caller set travel on; the CloudEvents ones are govbus's.
        kept = {n: v for n, v in given.items() if not n.lower().startswith("ce_")}
        cmd.body = record.value
        cmd.key = record.key
        cmd.headers = kept | {name: value.decode() for name, value in record.headers}
        labels = (record.event_type, str(record.version), self.publisher)
        try:
            result = await call_next(cmd)
        except BaseException:
            metrics.PUBLISH_FAILURES.labels(*labels).inc()
            raise
        metrics.EVENTS_PUBLISHED.labels(*labels).inc()
        return result
