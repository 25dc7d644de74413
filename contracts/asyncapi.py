"""The contract catalogue as one AsyncAPI 3.0.0 document.

Each contract version is a Kafka topic (`<owner>.<event-name>.v<N>`), so each becomes one channel
whose address is the topic, one message (the CloudEvents type) and one `send` operation, described
from the owner's side: the owner publishes, everyone else may subscribe. A message carries:

- `payload`: the consumer schema restated in draft-07 (see `contracts.draft07` for why), with
  `schemaFormat: application/schema+json;version=draft-07`;
- `headers`: the CloudEvents 1.0 Kafka binary-mode headers (`ce_*`, `content-type`);
- `bindings.kafka.key`: the record key, a string partition key;
- `tags`, `externalDocs` (the licence, for open events) and an `x-govbus` extension with the
  owner, classification, handling caveat, personal-data fields and licence.

Dead-letter topics (`<topic>.dlq`) are not described: the bus writes them on a subscriber's behalf
with the original record plus failure headers, and they are an operator's concern, not a contract.

The output is deterministic: the same documents give the same dict, key order included.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

from contracts.draft07 import to_draft07
from contracts.export_format import Contract, ContractVersion, read_contracts

__all__ = ["ASYNCAPI_VERSION", "PAYLOAD_SCHEMA_FORMAT", "build_asyncapi", "dump_asyncapi"]

ASYNCAPI_VERSION = "3.0.0"
PAYLOAD_SCHEMA_FORMAT = "application/schema+json;version=draft-07"
KAFKA_BINDING_VERSION = "0.5.0"
_SERVER = "kafka"
_TRACEPARENT = r"^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$"


def build_asyncapi(
    documents: Mapping[str, Mapping[str, Any]],
    *,
    title: str = "govbus event catalogue",
    version: str | None = None,
    bootstrap: str = "localhost:9092",
) -> dict[str, Any]:
    """Returns an AsyncAPI 3.0.0 document describing every contract version in `documents`.

    `version` defaults to `1.0.0+<digest>`, where the digest changes exactly when the documents do.
    `bootstrap` is the default of the server's `bootstrap` variable (a deployment's Kafka address).
    Raises `ExportFormatError` for malformed documents or schemas that cannot be restated.
    """
    contracts = read_contracts(documents)
    versions = [v for contract in contracts for v in contract.versions]
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    messages: dict[str, Any] = {}
    for contract_version in versions:
        message_id = contract_version.cloudevents_type
        channels[contract_version.topic] = _channel(contract_version, message_id)
        operations[f"{contract_version.topic}.send"] = _operation(contract_version, message_id)
        messages[message_id] = _message(contract_version, message_id)
    return {
        "asyncapi": ASYNCAPI_VERSION,
        "info": {
            "title": title,
            "version": version if version is not None else f"1.0.0+{_digest(documents)}",
            "description": (
                "Events published on govbus. Each event is a CloudEvents 1.0 record in the Kafka"
                " binary content mode: `ce_*` headers, the JSON data as the value and a partition"
                " key as the record key. Payload schemas are also published as JSON Schema draft"
                " 2020-12; the `ce_dataschema` header names that schema's `$id`."
            ),
            "tags": [_owner_tag(contract) for contract in _unique_owners(contracts)],
        },
        "defaultContentType": "application/json",
        "servers": {
            _SERVER: {
                "host": "{bootstrap}",
                "protocol": "kafka",
                "title": "Kafka cluster of a govbus deployment",
                "variables": {
                    "bootstrap": {
                        "default": bootstrap,
                        "description": "Bootstrap address (host:port) of the deployment's brokers.",
                    }
                },
                "bindings": {"kafka": {"bindingVersion": KAFKA_BINDING_VERSION}},
            }
        },
        "channels": channels,
        "operations": operations,
        "components": {"messages": messages},
    }


def dump_asyncapi(document: Mapping[str, Any]) -> str:
    """Serialises an AsyncAPI document as indented UTF-8 JSON text ending in a newline."""
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def _digest(documents: Mapping[str, Mapping[str, Any]]) -> str:
    text = json.dumps(documents, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def _unique_owners(contracts: list[Contract]) -> list[Contract]:
    seen: dict[str, Contract] = {}
    for contract in contracts:
        seen.setdefault(contract.owner, contract)
    return list(seen.values())


def _owner_tag(item: Contract | ContractVersion) -> dict[str, str]:
    return {"name": f"owner:{item.owner}", "description": item.owner_name}


def _summary(text: str) -> str:
    first = text.strip().split("\n", 1)[0]
    return first.split(". ", 1)[0].rstrip(".") + "." if first else ""


def _channel(v: ContractVersion, message_id: str) -> dict[str, Any]:
    channel: dict[str, Any] = {
        "address": v.topic,
        "title": f"{v.event_type} v{v.version}",
    }
    if v.description:
        channel["summary"] = _summary(v.description)
    channel["messages"] = {message_id: {"$ref": f"#/components/messages/{message_id}"}}
    channel["servers"] = [{"$ref": f"#/servers/{_SERVER}"}]
    channel["bindings"] = {"kafka": {"topic": v.topic, "bindingVersion": KAFKA_BINDING_VERSION}}
    return channel


def _operation(v: ContractVersion, message_id: str) -> dict[str, Any]:
    return {
        "action": "send",
        "channel": {"$ref": f"#/channels/{v.topic}"},
        "title": f"{v.owner_name} publishes {v.cloudevents_type}",
        "description": (
            f"{v.owner_name} publishes `{v.cloudevents_type}` events to `{v.topic}`."
            " Subscribers read them from the same topic."
        ),
        "messages": [{"$ref": f"#/channels/{v.topic}/messages/{message_id}"}],
        "tags": [_owner_tag(v)],
    }


def _message(v: ContractVersion, message_id: str) -> dict[str, Any]:
    ref_base = f"#/components/messages/{message_id}/payload/schema"
    message: dict[str, Any] = {
        "name": v.cloudevents_type,
        "title": str(v.schema.get("title") or v.cloudevents_type),
    }
    if v.description:
        message["summary"] = _summary(v.description)
        message["description"] = v.description
    message["contentType"] = "application/json"
    message["headers"] = _headers(v)
    message["payload"] = {
        "schemaFormat": PAYLOAD_SCHEMA_FORMAT,
        "schema": to_draft07(v.schema, ref_base=ref_base, document=v.schema_path),
    }
    message["correlationId"] = {
        "description": "W3C trace context of the request that caused this event.",
        "location": "$message.header#/ce_traceparent",
    }
    message["bindings"] = {
        "kafka": {
            "key": {
                "type": "string",
                "description": (
                    "Partition key: events about one subject share it and stay in order."
                ),
            },
            "bindingVersion": KAFKA_BINDING_VERSION,
        }
    }
    if v.example is not None:
        message["examples"] = [{"name": "example", "payload": v.example}]
    message["tags"] = _tags(v)
    if v.licence is not None:
        message["externalDocs"] = {
            "description": f"Licence: {v.licence.name}",
            "url": v.licence.url,
        }
    message["x-govbus"] = {
        "type": v.event_type,
        "version": v.version,
        "owner": v.owner,
        "owner_name": v.owner_name,
        "classification": v.classification,
        "handling_caveat": v.handling_caveat,
        "personal_data": list(v.personal_data),
        "licence": None if v.licence is None else {"name": v.licence.name, "url": v.licence.url},
        "schema_id": v.schema_id,
        "schema_dialect": "https://json-schema.org/draft/2020-12/schema",
    }
    return message


def _tags(v: ContractVersion) -> list[dict[str, str]]:
    tags = [_owner_tag(v), {"name": f"classification:{v.classification}"}]
    if v.handling_caveat:
        tags.append({"name": f"handling-caveat:{v.handling_caveat}"})
    if v.personal_data:
        fields = ", ".join(v.personal_data)
        tags.append({"name": "personal-data", "description": f"Personal data fields: {fields}."})
    if v.licence is not None:
        tags.append({"name": "open-data", "description": f"Published under {v.licence.name}."})
    return tags


def _headers(v: ContractVersion) -> dict[str, Any]:
    caveat = f", handling caveat {v.handling_caveat}" if v.handling_caveat else ""
    dataschema: dict[str, Any] = {"type": "string", "format": "uri"}
    if v.schema_id:
        dataschema["const"] = v.schema_id
    dataschema["description"] = "`$id` of the JSON Schema 2020-12 the data conforms to."
    return {
        "type": "object",
        "description": "CloudEvents 1.0 attributes as Kafka headers (binary content mode).",
        "required": ["ce_specversion", "ce_id", "ce_source", "ce_type", "content-type"],
        "properties": {
            "ce_specversion": {"type": "string", "const": "1.0"},
            "ce_id": {
                "type": "string",
                "minLength": 1,
                "description": "Event id; the same event replayed keeps it, so duplicates can be"
                " dropped.",
            },
            "ce_source": {
                "type": "string",
                "format": "uri-reference",
                "minLength": 1,
                "description": "The system that produced the event.",
            },
            "ce_type": {"type": "string", "const": v.cloudevents_type},
            "ce_time": {"type": "string", "format": "date-time"},
            "ce_subject": {"type": "string", "description": "What the event is about."},
            "ce_dataschema": dataschema,
            "content-type": {"type": "string", "const": "application/json"},
            "ce_classification": {
                "type": "string",
                "description": f"Classification (this contract: {v.classification}{caveat}).",
                "examples": [v.classification],
            },
            "ce_traceparent": {
                "type": "string",
                "pattern": _TRACEPARENT,
                "description": "W3C trace context `traceparent`.",
            },
        },
    }
