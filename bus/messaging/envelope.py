"""CloudEvents 1.0 on Kafka: the envelope of every govbus record.

govbus writes the Kafka protocol binding's *binary content mode*: attributes travel as ``ce_*``
headers (UTF-8), ``content-type: application/json`` names the data's media type, the value is the
JSON data only and the record key is the partition key. Records in *structured content mode*
(``content-type: application/cloudevents+json``, the whole event as one JSON object) from other
producers are read too. govbus's own attributes are CloudEvents extensions, e.g.
``ce_classification`` and the W3C ``ce_traceparent``.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime
from types import MappingProxyType
from typing import NamedTuple

import orjson

from bus.foundation.errors import InvalidEnvelope, NotJson

SPEC_VERSION = "1.0"
JSON = "application/json"
STRUCTURED = "application/cloudevents+json"
CONTENT_TYPE_HEADER = "content-type"

_SPEC_VERSION_HEADER = ("ce_specversion", SPEC_VERSION.encode())
_CONTENT_TYPE_JSON = (CONTENT_TYPE_HEADER, JSON.encode())
_REQUIRED = ("id", "source", "type")
_OPTIONAL = ("time", "subject", "dataschema")
_STANDARD = frozenset(_REQUIRED + _OPTIONAL)
_CONTENT_TYPE = CONTENT_TYPE_HEADER.upper()  # stands for the content type among attributes
# Header names as govbus writes them, looked up as they are; any other spelling is lower-cased.
_USUAL = {f"ce_{name}": name for name in ("specversion", *_STANDARD, "classification", "caveat")}
_USUAL[CONTENT_TYPE_HEADER] = _CONTENT_TYPE
_EXTENSION_NAME = re.compile(r"[a-z0-9]{1,20}")
_USUAL_EXTENSIONS = frozenset(("classification", "caveat", "traceparent"))
_NO_EXTENSIONS: Mapping[str, str] = MappingProxyType({})
# Deterministic ids for source adapters live in this namespace (a fixed, random UUID).
_ID_NAMESPACE = uuid.UUID("5b4d3a6e-9f0c-4c55-8a1e-2f6e0c7d9b14")

Headers = Sequence[tuple[str, bytes]]


class Envelope(NamedTuple):
    """One CloudEvent: its attributes and its JSON data as bytes.

    An immutable tuple rather than a frozen dataclass: one is built for every consumed record,
    and a tuple is built several times faster.
    """

    id: str
    source: str
    type: str
    time: datetime | None = None
    subject: str | None = None
    dataschema: str | None = None
    extensions: Mapping[str, str] = _NO_EXTENSIONS
    data: bytes = b""

    def headers(self) -> list[tuple[str, bytes]]:
        """The Kafka headers of this event in binary content mode."""
        template = BinaryHeaders(
            source=self.source,
            type=self.type,
            dataschema=self.dataschema,
            extensions=self.extensions,
        )
        return template.headers(id=self.id, time=self.time, subject=self.subject)


class BinaryHeaders:
    """The binary-mode headers of events that share their source, type, data schema and
    extensions: those are encoded once, the id, time and subject of each event when it is sent.
    Headers come in the order ``Envelope.headers`` documents by using this class."""

    def __init__(
        self, *, source: str, type: str, dataschema: str | None, extensions: Mapping[str, str]
    ) -> None:
        self._shared = (("ce_source", source.encode()), ("ce_type", type.encode()))
        after = [] if dataschema is None else [("ce_dataschema", dataschema.encode())]
        after += [(f"ce_{name}", value.encode()) for name, value in extensions.items()]
        self._after = tuple(after)

    def headers(
        self,
        *,
        id: str,
        time: datetime | None,
        subject: str | None = None,
        extensions: Mapping[str, str] | None = None,
    ) -> list[tuple[str, bytes]]:
        """The headers of one event; ``extensions`` come after the shared ones."""
        headers = [_SPEC_VERSION_HEADER, ("ce_id", id.encode()), *self._shared]
        if time is not None:
            headers.append(("ce_time", time.isoformat().encode()))
        if subject is not None:
            headers.append(("ce_subject", subject.encode()))
        headers += self._after
        if extensions:
            headers += [(f"ce_{name}", value.encode()) for name, value in extensions.items()]
        headers.append(_CONTENT_TYPE_JSON)
        return headers


def event_id(*, source: str, identity: str, cloudevents_type: str) -> str:
    """A deterministic event id for a source adapter's record.

    The same legacy record, read again by the same source after a crash, gets the same id for
    the same contract version, so consumers can drop the replayed duplicate.
    """
    return str(uuid.uuid5(_ID_NAMESPACE, f"{source}\n{identity}\n{cloudevents_type}"))


def from_kafka(headers: Headers, value: bytes | None) -> Envelope:
    """Read a record in binary or structured content mode; raise ``InvalidEnvelope`` or
    ``NotJson`` naming what is wrong."""
    attributes = _decode_headers(headers)
    content_type = attributes.pop(_CONTENT_TYPE, "")
    media_type = content_type if content_type == JSON else _media_type(content_type)
    if media_type == STRUCTURED or ("specversion" not in attributes and _looks_structured(value)):
        return _structured(value)
    if value is None:
        raise InvalidEnvelope("the record has no value (a tombstone), so it carries no event")
    if media_type not in ("", JSON):
        raise InvalidEnvelope(f"content-type {content_type!r} is not {JSON} or {STRUCTURED}")
    return _envelope(attributes, value, where="header ce_")


def _media_type(content_type: str) -> str:
    return content_type.split(";", 1)[0].strip().lower()


def _decode_headers(headers: Headers) -> dict[str, str]:
    """The ``ce_`` attributes by lower-case name without the prefix, and the content type
    under ``_CONTENT_TYPE``."""
    attributes: dict[str, str] = {}
    for name, raw in headers:
        attribute = _USUAL.get(name)
        if attribute is None:
            lowered = name.lower()
            if lowered.startswith("ce_"):
                attribute = lowered[3:]
            elif lowered == CONTENT_TYPE_HEADER:
                attribute = _CONTENT_TYPE
            else:
                continue
        if attribute in attributes:
            raise InvalidEnvelope(f"header {name!r} appears more than once")
        try:
            attributes[attribute] = raw.decode() if raw else ""
        except UnicodeDecodeError:
            raise InvalidEnvelope(f"header {name!r} is not UTF-8") from None
    return attributes


def _looks_structured(value: bytes | None) -> bool:
    """A structured-mode event labelled ``application/json``, as the CloudEvents Python SDK's
    Kafka binding writes it: a JSON object with ``specversion`` and no ``ce_`` headers."""
    if not value:
        return False
    return value.lstrip()[:1] == b"{" and b'"specversion"' in value


def _structured(value: bytes | None) -> Envelope:
    try:
        document = orjson.loads(value or b"")
    except orjson.JSONDecodeError as exc:
        raise NotJson(f"structured-mode value is not JSON: {exc}") from None
    if not isinstance(document, dict):
        raise InvalidEnvelope("structured-mode value is not a JSON object")
    if "data_base64" in document:
        raise InvalidEnvelope("data_base64 is not accepted: govbus events carry JSON data")
    content_type = document.get("datacontenttype", JSON)
    if not isinstance(content_type, str) or _media_type(content_type) != JSON:
        raise InvalidEnvelope(f"datacontenttype {content_type!r} is not {JSON}")
    attributes: dict[str, str] = {}
    for name, attribute in document.items():
        if name in ("data", "datacontenttype"):
            continue
        if not isinstance(attribute, str):
            raise InvalidEnvelope(f"attribute {name!r} must be a string")
        attributes[name] = attribute
    data = orjson.dumps(document["data"]) if "data" in document else b""
    return _envelope(attributes, data, where="attribute ")


def _envelope(attributes: dict[str, str], data: bytes, *, where: str) -> Envelope:
    version = attributes.pop("specversion", None)
    if version != SPEC_VERSION:
        shown = "missing" if version is None else repr(version)
        raise InvalidEnvelope(f"{where}specversion is {shown}; govbus reads CloudEvents 1.0")
    get = attributes.get
    id, source, type = get("id", ""), get("source", ""), get("type", "")
    if not (id.strip() and source.strip() and type.strip()):
        missing = next(name for name in _REQUIRED if not attributes.get(name, "").strip())
        raise InvalidEnvelope(f"{where}{missing} is missing or empty")
    time = None
    text = get("time")
    if text is not None:
        try:
            time = datetime.fromisoformat(text)
        except ValueError:
            shown = text[:64]
            raise InvalidEnvelope(f"{where}time {shown!r} is not an RFC 3339 timestamp") from None
        if time.tzinfo is None:
            raise InvalidEnvelope(f"{where}time {text!r} has no UTC offset")
    extensions = {}
    for name in attributes.keys() - _STANDARD:
        if name not in _USUAL_EXTENSIONS and not _EXTENSION_NAME.fullmatch(name):
            raise InvalidEnvelope(
                f"{where}{name[:40]} is not a valid extension name (lower-case a-z0-9, <= 20)"
            )
        extensions[name] = attributes[name]
    return Envelope(id, source, type, time, get("subject"), get("dataschema"), extensions, data)
