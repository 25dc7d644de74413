"""The AsyncAPI 3.0 document built from export-format documents."""

import copy
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from contracts.asyncapi import PAYLOAD_SCHEMA_FORMAT, build_asyncapi, dump_asyncapi
from contracts.export_format import ExportFormatError, load_documents

FIXTURES = Path(__file__).parents[2] / "fixtures" / "contracts_export"
GRO_TYPE = "uk.gov.gro.death-registered.v1"
ONS_TYPE = "uk.gov.ons.population-estimate-published.v1"


@pytest.fixture
def documents():
    return load_documents(FIXTURES)


@pytest.fixture
def schemas(documents):
    return {path: doc for path, doc in documents.items() if path.endswith(".schema.json")}


def _pointer(document: Any, ref: str) -> Any:
    node = document
    for part in ref.removeprefix("#/").split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def _refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref":
                yield value
            else:
                yield from _refs(value)
    elif isinstance(node, list):
        for item in node:
            yield from _refs(item)


def test_every_topic_is_a_channel_with_a_send_operation(documents, schemas):
    """Each contract version's topic is a channel address, published by its owner."""
    doc = build_asyncapi(documents)
    topics = sorted(schema["x-govbus"]["topic"] for schema in schemas.values())
    assert doc["asyncapi"] == "3.0.0"
    assert sorted(channel["address"] for channel in doc["channels"].values()) == topics
    for topic in topics:
        operation = doc["operations"][f"{topic}.send"]
        assert operation["action"] == "send"
        assert operation["channel"] == {"$ref": f"#/channels/{topic}"}
    assert not any(address.endswith(".dlq") for address in doc["channels"])


def test_messages_carry_cloudevents_headers_and_string_key(documents, schemas):
    """Headers pin the CloudEvents type, data schema and content type; the key is a string."""
    doc = build_asyncapi(documents)
    for schema in schemas.values():
        meta = schema["x-govbus"]
        message = doc["components"]["messages"][meta["cloudevents_type"]]
        headers = message["headers"]["properties"]
        assert headers["ce_specversion"]["const"] == "1.0"
        assert headers["ce_type"]["const"] == meta["cloudevents_type"]
        assert headers["ce_dataschema"]["const"] == schema["$id"]
        assert headers["content-type"]["const"] == "application/json"
        assert headers["ce_time"]["format"] == "date-time"
        assert {"ce_classification", "ce_traceparent", "ce_subject", "ce_source"} <= set(headers)
        assert message["bindings"]["kafka"]["key"]["type"] == "string"
        assert message["payload"]["schemaFormat"] == PAYLOAD_SCHEMA_FORMAT


def test_handling_personal_data_and_licence_are_published(documents):
    """Owner, caveat, personal-data fields and licence reach tags, x-govbus and externalDocs."""
    messages = build_asyncapi(documents)["components"]["messages"]
    gro, ons = messages[GRO_TYPE], messages[ONS_TYPE]
    gro_tags = {tag["name"] for tag in gro["tags"]}
    assert {
        "owner:gro",
        "classification:OFFICIAL",
        "handling-caveat:SENSITIVE",
        "personal-data",
    } <= gro_tags
    assert "deceased.nino" in gro["x-govbus"]["personal_data"]
    assert "externalDocs" not in gro
    assert ons["externalDocs"]["url"].startswith("https://www.nationalarchives.gov.uk/")
    assert "open-data" in {tag["name"] for tag in ons["tags"]}
    assert "personal-data" not in {tag["name"] for tag in ons["tags"]}


def test_every_reference_resolves_inside_the_document(documents):
    """Payload `$ref`s were rewritten to point at the embedded copy's `$defs`."""
    doc = build_asyncapi(documents)
    refs = list(_refs(doc))
    assert any("/payload/schema/$defs/" in ref for ref in refs)
    for ref in refs:
        assert ref.startswith("#/")
        assert isinstance(_pointer(doc, ref), dict), ref


def test_payload_accepts_the_example_and_rejects_a_broken_one(documents):
    """The draft-07 restatement still means what the 2020-12 schema means."""
    doc = build_asyncapi(documents)
    for message_id, message in doc["components"]["messages"].items():
        assert "$schema" not in message["payload"]["schema"]
        assert "x-govbus" not in message["payload"]["schema"]
        root = {**doc, "$ref": f"#/components/messages/{message_id}/payload/schema"}
        validator = jsonschema.Draft7Validator(root, format_checker=jsonschema.FormatChecker())
        example = message["examples"][0]["payload"]
        validator.validate(example)
        broken = copy.deepcopy(example)
        broken.pop(next(iter(message["payload"]["schema"]["required"])))
        assert not validator.is_valid(broken)
    gro = doc["components"]["messages"][GRO_TYPE]
    root = {**doc, "$ref": f"#/components/messages/{GRO_TYPE}/payload/schema"}
    bad_nino = copy.deepcopy(gro["examples"][0]["payload"])
    bad_nino["deceased"]["nino"] = "not a nino"
    assert not jsonschema.Draft7Validator(root).is_valid(bad_nino)


def test_output_is_deterministic(documents):
    """The same documents in any order give byte-identical output."""
    first = dump_asyncapi(build_asyncapi(documents))
    again = dump_asyncapi(build_asyncapi(dict(reversed(list(documents.items())))))
    assert first == again
    assert json.loads(first)["info"]["version"].startswith("1.0.0+")


def test_default_version_changes_when_a_contract_changes(documents):
    """The default info.version tracks the documents' content."""
    before = build_asyncapi(documents)["info"]["version"]
    documents["uk.gov.gro.death-registered/v1.schema.json"]["description"] = "Changed."
    assert build_asyncapi(documents)["info"]["version"] != before
    assert build_asyncapi(documents, version="2.3.4")["info"]["version"] == "2.3.4"


def test_schema_with_unpublishable_reference_names_the_field(documents):
    """A reference outside the schema's own `$defs` is refused with its location."""
    path = "uk.gov.gro.death-registered/v1.schema.json"
    documents[path]["properties"]["deceased"]["$ref"] = "https://example.org/person.json"
    with pytest.raises(ExportFormatError, match=r"/properties/deceased/\$ref") as caught:
        build_asyncapi(documents)
    assert path in str(caught.value)
