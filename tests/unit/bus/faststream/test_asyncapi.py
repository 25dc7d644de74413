"""FastStream's AsyncAPI for a govbus app agrees with `govbus contracts asyncapi`."""

from __future__ import annotations

from typing import Any

from faststream.specification import AsyncAPI

from bus.faststream import Govbus
from bus.foundation.settings import Settings
from contracts.asyncapi import build_asyncapi
from contracts.catalogue.gro import DeathRegisteredV1, DeathRegisteredV2
from contracts.export import current_documents

# What a payload schema says about the data; titles, descriptions and examples are prose.
_KEPT = ("type", "enum", "const", "pattern", "format", "minLength", "maxLength", "minimum",
         "maximum", "items")  # fmt: skip


def shape(schema: Any, document: dict[str, Any]) -> Any:
    """The constraints of ``schema`` with every ``$ref`` resolved within ``document``."""
    if isinstance(schema, list):
        return [shape(item, document) for item in schema]
    if not isinstance(schema, dict):
        return schema
    if "$ref" in schema:
        target: Any = document
        for part in schema["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        return shape(target, document)
    if list(schema) in (["allOf"], ["allOf", "description"]) and len(schema["allOf"]) == 1:
        return shape(schema["allOf"][0], document)
    if "allOf" in schema and len(schema["allOf"]) == 1:
        return shape(schema["allOf"][0], document)
    result: dict[str, Any] = {k: shape(schema[k], document) for k in _KEPT if k in schema}
    if "anyOf" in schema:
        result["anyOf"] = [shape(option, document) for option in schema["anyOf"]]
    if "properties" in schema:
        result["properties"] = {
            name: shape(value, document) for name, value in schema["properties"].items()
        }
        result["required"] = sorted(schema.get("required", []))
    return result


def faststream_document() -> dict[str, Any]:
    bus = Govbus("pensions", settings=Settings(), bootstrap="127.0.0.1:9092")

    @bus.subscriber(DeathRegisteredV2)
    async def stop_pension(event: DeathRegisteredV2) -> None:
        """Stop paying the pension of someone who died."""

    bus.publisher(DeathRegisteredV1)
    document: dict[str, Any] = (
        AsyncAPI(bus.broker, schema_version="3.0.0").to_specification().to_jsonable()
    )
    return document


def govbus_channels(document: dict[str, Any]) -> dict[str, Any]:
    """Payload shapes of the govbus document by topic."""
    channels = {}
    for channel in document["channels"].values():
        (reference,) = channel["messages"].values()
        name = reference["$ref"].rsplit("/", 1)[1]
        message = document["components"]["messages"][name]
        channels[channel["address"]] = (
            message["title"],
            shape(message["payload"]["schema"], document),
        )
    return channels


def test_faststream_channels_are_the_contract_topics_govbus_describes() -> None:
    """Every channel FastStream documents is a govbus topic, with the same payload schema."""
    faststream = faststream_document()
    govbus = govbus_channels(build_asyncapi(current_documents()))
    addresses = {channel["address"] for channel in faststream["channels"].values()}
    assert addresses == {"gro.death-registered.v1", "gro.death-registered.v2"}
    for channel in faststream["channels"].values():
        (reference,) = channel["messages"].values()
        message_name = reference["$ref"].rsplit("/", 1)[1]
        payload = faststream["components"]["messages"][message_name]["payload"]
        title, expected = govbus[channel["address"]]
        assert payload["$ref"].rsplit("/", 1)[1] == title
        assert shape(payload, faststream) == expected, channel["address"]


def test_an_older_topic_a_subscriber_reads_is_documented_with_its_own_version() -> None:
    """The v1 topic read by a v2 subscriber is documented as carrying DeathRegisteredV1."""
    faststream = faststream_document()
    receiving = [
        channel for channel in faststream["channels"].values()
        if channel["address"] == "gro.death-registered.v1"
        and any("Subscribe" in ref["$ref"] for ref in channel["messages"].values())
    ]  # fmt: skip
    (channel,) = receiving
    (reference,) = channel["messages"].values()
    message = faststream["components"]["messages"][reference["$ref"].rsplit("/", 1)[1]]
    assert message["payload"] == {"$ref": "#/components/schemas/DeathRegisteredV1"}
