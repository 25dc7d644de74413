"""Events to Kafka records and back: validation, the CloudEvents envelope and upcasting.

``encode`` turns a contract instance into a record in binary content mode. Nothing leaves the
process unchecked against its contract: an instance that came out of validation (frozen, with
nothing mutable inside) is valid already; any other has its JSON validated again. ``decode``
reads a record, whatever its mode, and returns the contract instance a subscriber asked for,
upcast from older versions. Every way a record can be bad raises a ``RejectedRecord`` whose
``stage`` says which check refused it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, NamedTuple

import orjson
from pydantic import ValidationError

from bus.foundation.errors import (
    ContractViolation,
    NotJson,
    OversizedRecord,
    PublishError,
    RejectedRecord,
    UnknownEventType,
)
from bus.messaging.envelope import BinaryHeaders, Envelope, Headers, from_kafka
from bus.messaging.topic_names import TopicNames
from contracts import ContractError, Event, Registry, Upcasters, default_registry, default_upcasters
from contracts.base import describe_errors, was_validated
from contracts.export import schema_id

DEFAULT_MAX_VALUE_BYTES = 1024 * 1024


class OutgoingRecord(NamedTuple):
    """A record ready for the producer, with the event id it carries."""

    topic: str
    key: bytes
    value: bytes
    headers: list[tuple[str, bytes]]
    event_id: str
    event_type: str
    version: int


class Decoded(NamedTuple):
    """A consumed record: its envelope and the contract instance a subscriber reads."""

    envelope: Envelope
    event: Event
    published_version: int


@dataclass(frozen=True, slots=True)
class _Publishing:
    """What every record of one registered contract version shares."""

    topic: str
    headers: BinaryHeaders
    event_type: str
    version: int


class Codec:
    """Encodes and decodes govbus events for one process.

    ``source`` is the CloudEvents ``source`` of everything this process publishes, e.g.
    ``urn:govbus:gro:register-office``. The registry and upcasters default to the catalogue's.
    ``topic_prefix`` (e.g. ``staging.``) lets several environments share one Kafka cluster.
    These are fixed once the codec is built: it prepares the shared headers of each contract
    version on its first encode.
    """

    def __init__(
        self,
        *,
        source: str,
        registry: Registry = default_registry,
        upcasters: Upcasters = default_upcasters,
        topic_prefix: str = "",
    ) -> None:
        if not source.strip():
            raise ValueError("a codec needs a non-empty CloudEvents source")
        self.source = source
        self.registry = registry
        self.upcasters = upcasters
        self.topic_prefix = topic_prefix
        self._known: dict[str, type[Event]] = {}  # models by CloudEvents type, as looked up
        self._publishing: dict[type[Event], _Publishing] = {}

    def topic_for(self, model: type[Event]) -> str:
        """The Kafka topic of a contract version, with this deployment's prefix if any."""
        return TopicNames(self.topic_prefix).events(model)

    def encode(
        self,
        event: Event,
        *,
        key: str,
        event_id: str,
        subject: str | None = None,
        time: datetime | None = None,
        traceparent: str | None = None,
    ) -> OutgoingRecord:
        """The record for ``event``; raises ``PublishError`` if it breaks its contract."""
        model = type(event)
        publishing = self._publishing.get(model) or self._prepare(model)
        # pydantic's own JSON writer: as orjson would write the JSON-mode dump, without the dict
        # in between (NaN and infinities, which validated events cannot hold, become null).
        value = model.__pydantic_serializer__.to_json(event)
        if not was_validated(event):
            # Built around validation (model_construct, a copy, a mutable value inside): check
            # the bytes that leave the process. A validated, frozen instance needs no second look.
            try:
                model.model_validate_json(value)
            except ValidationError as exc:
                problems = "; ".join(describe_errors(exc))
                raise PublishError(
                    f"{model.contract.cloudevents_type} breaks its contract: {problems}"
                ) from None
        headers = publishing.headers.headers(
            id=event_id,
            time=time or datetime.now(UTC),
            subject=subject,
            extensions={"traceparent": traceparent} if traceparent else None,
        )
        return OutgoingRecord(
            publishing.topic,
            key.encode(),
            value,
            headers,
            event_id,
            publishing.event_type,
            publishing.version,
        )

    def _prepare(self, model: type[Event]) -> _Publishing:
        """What every record of ``model`` shares; raises ``PublishError`` if not registered."""
        info = model.contract
        if self.registry.get(info.event_type, info.version) is not model:
            raise PublishError(f"{model.__name__} is not the registered {info.cloudevents_type}")
        extensions = {"classification": info.classification.value}
        if info.handling_caveat:
            extensions["caveat"] = info.handling_caveat
        headers = BinaryHeaders(
            source=self.source,
            type=info.cloudevents_type,
            dataschema=schema_id(model),
            extensions=extensions,
        )
        # Registrations are never replaced or removed, so a registered model stays registered.
        self._publishing[model] = publishing = _Publishing(
            self.topic_for(model), headers, info.event_type, info.version
        )
        return publishing

    def decode(
        self,
        headers: Headers,
        value: bytes | None,
        *,
        want: type[Event],
        max_value_bytes: int = DEFAULT_MAX_VALUE_BYTES,
    ) -> Decoded:
        """Read a record as the contract version ``want``, upcasting older versions.

        Raises a ``RejectedRecord`` (oversized, invalid envelope, unknown type, not JSON,
        contract violation) with a message naming what is wrong.
        """
        if value is not None and len(value) > max_value_bytes:
            raise OversizedRecord(f"value is {len(value)} bytes; the limit is {max_value_bytes}")
        envelope = from_kafka(headers, value)
        wanted = want.contract
        model = self._known.get(envelope.type)
        if model is None:
            try:
                model = self.registry.by_cloudevents_type(envelope.type)
            except ContractError:
                shown = envelope.type[:200]
                raise UnknownEventType(f"ce_type {shown!r} is not a known contract") from None
            # Registrations are never replaced or removed, so a type found stays found.
            self._known[envelope.type] = model
        info = model.contract
        if info.event_type != wanted.event_type or info.version > wanted.version:
            raise UnknownEventType(
                f"ce_type {envelope.type!r} cannot be read as {wanted.cloudevents_type}"
            )
        try:
            # orjson rather than pydantic's own parser: it refuses NaN and Infinity, which are
            # not JSON, and a dict validates faster than the same bytes parsed by pydantic.
            data: Any = orjson.loads(envelope.data)
        except orjson.JSONDecodeError as exc:
            raise NotJson(f"value is not JSON: {exc}") from None
        if not isinstance(data, dict):
            raise ContractViolation(f"{info.cloudevents_type} data must be a JSON object")
        try:
            event: Event = model.from_consumed(data)
            if info.version != wanted.version:
                event = self.upcasters.upcast(event, to_version=wanted.version)
        except ContractError as exc:
            raise ContractViolation(str(exc)) from None
        return Decoded(envelope, event, info.version)


def rejection_reason(exc: RejectedRecord) -> str:
    """The one-line reason a rejected record carries to the dead-letter topic."""
    return " ".join(str(exc).split())[:1000]
