"""Dead letters: the original record, byte for byte, on ``<topic>.dlq`` with the reason.

The value, key and headers of the original record are copied unchanged; govbus appends its own
headers saying why (error class and message, the stage that failed, the original topic,
partition and offset, the number of attempts, the time and the subscriber). A failed write
raises ``DeadLetterWriteFailed``: the caller must stop without committing the record.

Source adapters write a second kind, *source rejects*, to ``govbus.adapter.<adapter>.dlq``: the
raw legacy record as the value, and headers naming the adapter, the record's position in the
legacy system (``file deaths.csv line 12``), the stage, the error and the time. The two kinds
share the header prefix; :func:`is_source_reject` tells them apart.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from aiokafka import AIOKafkaProducer

from bus.foundation.errors import DeadLetterWriteFailed
from bus.messaging.topic_names import dlq_topic

HEADER_PREFIX = "govbus_dlq_"
ERROR_CLASS = HEADER_PREFIX + "error_class"
ERROR_MESSAGE = HEADER_PREFIX + "error_message"
STAGE = HEADER_PREFIX + "stage"
ORIGINAL_TOPIC = HEADER_PREFIX + "topic"
ORIGINAL_PARTITION = HEADER_PREFIX + "partition"
ORIGINAL_OFFSET = HEADER_PREFIX + "offset"
ATTEMPTS = HEADER_PREFIX + "attempts"
TIME = HEADER_PREFIX + "time"
SUBSCRIBER = HEADER_PREFIX + "subscriber"
POSITION = HEADER_PREFIX + "position"  # source rejects: where the record is in the legacy system
ADAPTER = HEADER_PREFIX + "adapter"  # source rejects: the adapter that rejected it
MAX_MESSAGE_CHARS = 2000


@dataclass(frozen=True, slots=True)
class Failure:
    """Why a record is dead-lettered."""

    stage: str  # size, envelope, type, json, contract, handler
    error: BaseException
    attempts: int


def dead_letter_headers(
    headers: list[tuple[str, bytes]],
    *,
    topic: str,
    partition: int,
    offset: int,
    failure: Failure,
    subscriber: str,
) -> list[tuple[str, bytes]]:
    """The original headers followed by govbus's reasons."""
    message = " ".join(str(failure.error).split())[:MAX_MESSAGE_CHARS]
    return [
        *headers,
        (ERROR_CLASS, type(failure.error).__qualname__.encode()),
        (ERROR_MESSAGE, message.encode("utf-8", "replace")),
        (STAGE, failure.stage.encode()),
        (ORIGINAL_TOPIC, topic.encode()),
        (ORIGINAL_PARTITION, str(partition).encode()),
        (ORIGINAL_OFFSET, str(offset).encode()),
        (ATTEMPTS, str(failure.attempts).encode()),
        (TIME, datetime.now(UTC).isoformat().encode()),
        (SUBSCRIBER, subscriber.encode()),
    ]


def strip_dead_letter_headers(headers: list[tuple[str, bytes]]) -> list[tuple[str, bytes]]:
    """The original record's headers, without govbus's dead-letter reasons."""
    return [(name, value) for name, value in headers if not name.startswith(HEADER_PREFIX)]


def reasons(headers: list[tuple[str, bytes]]) -> dict[str, str]:
    """govbus's dead-letter headers as text, keyed without their prefix."""
    return {
        name.removeprefix(HEADER_PREFIX): value.decode("utf-8", "replace")
        for name, value in headers
        if name.startswith(HEADER_PREFIX)
    }


def is_dead_letter(headers: list[tuple[str, bytes]]) -> bool:
    """Whether a record carries govbus's dead-letter headers (either kind)."""
    return any(name.startswith(HEADER_PREFIX) for name, _ in headers)


def is_source_reject(why: dict[str, str]) -> bool:
    """Whether dead-letter reasons (from :func:`reasons`) are a source adapter's reject.

    A source reject is a raw legacy record, not an event, so it can never be replayed onto an
    event topic.
    """
    return "adapter" in why or "position" in why


class DeadLetterWriter:
    """Writes dead letters with acks=all and waits for Kafka's acknowledgement."""

    def __init__(self, producer: AIOKafkaProducer, *, subscriber: str) -> None:
        self._producer = producer
        self._subscriber = subscriber

    async def write(self, record: Any, failure: Failure) -> None:
        """Dead-letter a consumed record; raise ``DeadLetterWriteFailed`` if Kafka refuses."""
        target = dlq_topic(record.topic)
        headers = dead_letter_headers(
            list(record.headers),
            topic=record.topic,
            partition=record.partition,
            offset=record.offset,
            failure=failure,
            subscriber=self._subscriber,
        )
        try:
            await self._producer.send_and_wait(
                target, record.value, key=record.key, headers=headers
            )
        except Exception as exc:
            raise DeadLetterWriteFailed(
                f"cannot write {record.topic}[{record.partition}]@{record.offset} to {target}: "
                f"{exc!r}",
                dlq_topic=target,
            ) from exc
