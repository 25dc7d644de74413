"""What FastStream's AsyncAPI document says about a govbus subscriber's channels.

A govbus subscriber of version N also reads the topics of older versions that upcast to N.
FastStream would describe every topic of a subscriber with the handler's payload, so an older
version's topic would claim to carry version N. ``describe_versions`` makes each of those
channels carry the payload of the contract version actually published there, as
``govbus contracts asyncapi`` describes it.
"""

from __future__ import annotations

from typing import Any

from faststream.kafka.subscriber.specification import KafkaSubscriberSpecification
from faststream.specification.asyncapi.message import get_model_schema
from faststream.specification.schema import SubscriberSpec
from pydantic import create_model

from contracts import Event


class _VersionedSpecification(KafkaSubscriberSpecification):
    """A Kafka subscriber's specification whose channels carry per-topic payloads."""

    __slots__ = ()
    payloads: dict[str, type[Event]] = {}  # noqa: RUF012 - replaced per subscriber class

    def get_schema(self) -> dict[str, SubscriberSpec]:
        channels = super().get_schema()
        for spec in channels.values():
            model = self.payloads.get(spec.address or "")
            if model is not None and spec.operation.message is not None:
                body = create_model(model.__name__, event=(model, ...))
                spec.operation.message.payload = get_model_schema(body)
        return channels


def describe_versions(faststream_subscriber: Any, payloads: dict[str, type[Event]]) -> None:
    """Describe each topic in ``payloads`` with its contract version's payload."""
    specification = faststream_subscriber.specification
    described = type(
        "GovbusSubscriberSpecification", (_VersionedSpecification,),
        {"__slots__": (), "payloads": dict(payloads)},
    )  # fmt: skip
    specification.__class__ = described
