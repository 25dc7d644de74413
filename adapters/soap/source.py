"""The soap source: polls one operation with a cursor and turns each returned record into an event.

Each call sends the cursor (the last record's ``cursor_field``, from the offset the bus stored)
as ``cursor_argument``; the service returns the records after it, in order. Every record's
offset is ``{"cursor": <its cursor>}`` in the partition ``(<service>, <operation>)`` and its
identity is ``"<operation>/<id>"``, so a replay yields the same event ids. A record that cannot
be mapped (wrong types, missing fields) is a ``Rejection`` at ``"<url> <operation> id <id>"``
and the records around it flow on.

A reply that is not a usable SOAP message at all (invalid XML, a DTD, an entity, an oversized
or too deeply nested body, values of the wrong XSD type) holds no record we can place, and no
cursor to move past it. Skipping it would lose whatever it held, so the cursor never moves
past a bad reply. The first time one arrives at a cursor it is dead-lettered once, as a
rejection at ``"<url> <operation> cursor <c>"`` with its reason and first 64 KiB, so an operator
sees the evidence; the offset stays where it was. If the same call fails the same way again,
``read`` raises ``NotConnected``: the adapter is reported down and retries with backoff until
the service answers properly. A ``Client`` fault to a poll (our request is wrong, e.g. a
misconfigured argument) is likewise ``NotConnected``; the adapter never crashes on a reply.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import orjson

from adapters.soap.client import RAW_KEPT_BYTES, BadResponse, Refused, SoapClient
from adapters.soap.config import SoapConfig, SoapSourceConfig
from adapters.soap.mapping import ReplyShapeError, flatten, records_in
from bus.adapter_runtime.mapping import Mapper
from bus.adapter_runtime.source import Offset, Partition, Rejection, SourceRecord
from bus.foundation.errors import ConfigError, MappingError, NotConnected

Cursor = str | int


class SoapSource:
    """Reads one SOAP operation; see the module docstring for cursors and bad replies."""

    def __init__(self, config: SoapConfig, *, mapper: Mapper) -> None:
        if config.source is None:
            raise ConfigError("a soap source needs a [source] section")
        self.config = config
        self.options: SoapSourceConfig = config.source
        self.mapper = mapper
        self._client = SoapClient(config)
        self._partition: Partition = (config.service or "", config.operation)
        self._cursor: Cursor | None = self.options.initial_cursor
        self._last_call = 0.0
        self._last_bad: tuple[Cursor | None, str] | None = None  # last unusable reply

    async def open(self, resume_from: Mapping[Partition, Offset]) -> None:
        """Load the WSDL and take the cursor from the stored offset; ``NotConnected`` if down."""
        await self._client.connect()
        self._partition = (self.config.service or self._client.service_name, self.config.operation)
        stored = resume_from.get(self._partition, {}).get("cursor")
        self._cursor = stored if stored is not None else self.options.initial_cursor

    async def read(self) -> Sequence[SourceRecord]:
        """Call the operation once after the cursor; the records it returned, in order."""
        await self._spare_the_service()
        arguments: dict[str, Any] = dict(self.options.arguments)
        if self._cursor is not None:
            arguments[self.options.cursor_argument] = self._cursor
        if self.options.limit_argument:
            arguments[self.options.limit_argument] = self.options.batch_size
        try:
            records = records_in(await self._client.call(**arguments), self.options.result_path)
        except Refused as exc:
            raise NotConnected(f"the service refused the poll: {exc}", system=self._where) from None
        except BadResponse as exc:
            return self._bad_reply(str(exc), exc.raw)
        except ReplyShapeError as exc:
            return self._bad_reply(f"{self._where}: {exc}", self._client.last_body)
        start = self._cursor
        batch = [self._record(flatten(record)) for record in records]
        if batch and self._cursor == start:
            # No record moved the cursor on, so the next call returns them again: dead-letter
            # them this once, then wait for the service to change.
            self._first_time("no usable cursor", f"no record has a usable {self.options.cursor!r}")
            return batch
        self._last_bad = None
        return batch

    async def committed(self, partition: Partition, offset: Offset) -> None:
        """Nothing to do: the service keeps no read position of ours."""

    async def close(self) -> None:
        await self._client.close()

    @property
    def _where(self) -> str:
        return f"{self._client.address or self.config.wsdl} {self.config.operation}"

    def _record(self, record: dict[str, Any]) -> SourceRecord:
        identifier = _text(record.get(self.options.id_field))
        cursor = _cursor(record.get(self.options.cursor))
        if cursor is not None:
            self._cursor = cursor
        offset = self._offset()
        identity = f"{self.config.operation}/{identifier}"
        try:
            if not identifier:
                raise MappingError(f"record has no {self.options.id_field!r}", field="")
            if cursor is None:
                raise MappingError(f"record has no usable {self.options.cursor!r}", field="")
            mapped = self.mapper.map(record)
        except MappingError as exc:
            position = f"{self._where} id {identifier or '?'} (cursor {self._shown})"
            raw = orjson.dumps(record, default=str)
            rejection = Rejection(reason=str(exc), position=position, raw=raw)
            return SourceRecord(self._partition, offset, identity, rejection=rejection)
        return SourceRecord(
            self._partition, offset, identity,
            event=mapped.event, key=mapped.key, subject=mapped.subject,
        )  # fmt: skip

    def _bad_reply(self, reason: str, raw: bytes) -> list[SourceRecord]:
        self._first_time(reason, reason)
        rejection = Rejection(
            reason=reason, position=f"{self._where} cursor {self._shown}", raw=raw[:RAW_KEPT_BYTES]
        )
        identity = f"{self.config.operation}/reply-after-{self._shown}"
        return [SourceRecord(self._partition, self._offset(), identity, rejection=rejection)]

    def _first_time(self, failure: str, reason: str) -> None:
        """Remember ``failure`` at this cursor; raise ``NotConnected`` if it happened last time."""
        seen = (self._cursor, failure)
        if self._last_bad == seen:
            raise NotConnected(
                f"{self._where} after cursor {self._shown}: {reason} again (dead-lettered "
                "once; retrying until the service answers properly)",
                system=self._where,
            )
        self._last_bad = seen

    @property
    def _shown(self) -> str:
        return "(none yet)" if self._cursor is None else str(self._cursor)

    def _offset(self) -> Offset:
        return {} if self._cursor is None else {"cursor": self._cursor}

    async def _spare_the_service(self) -> None:
        wait = self._last_call + self.options.min_interval_s - time.monotonic()
        if wait > 0:
            await asyncio.sleep(wait)
        self._last_call = time.monotonic()


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def _cursor(value: Any) -> Cursor | None:
    """A cursor as the offsets topic stores it: an int, or text (dates in ISO 8601)."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, Decimal) and value == value.to_integral_value():
        return int(value)
    if isinstance(value, date | datetime):
        return value.isoformat()
    text = str(value).strip()
    return text or None
