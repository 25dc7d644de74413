"""The REST polling source: reads new records from a JSON collection, page by page.

Each poll asks ``GET <base><path>?<since>=<cursor>`` for records after the stored cursor and
follows the configured pagination, one page per ``read()``; a record's offset is its own
cursor value, so the bus stores how far the feed was published. Idle polls send the last
``ETag`` as ``If-None-Match`` and a ``304`` returns nothing. The ETag is kept in memory only:
it validates the request made *with* the old cursor, which is never repeated once the offset
moves on, so storing it would not save a request after a restart.

What the API answers decides what happens:

- connection errors, timeouts, ``408``, ``429`` and ``5xx`` (an HTML error page included)
  raise ``NotConnected``: the system is down or busy, the runtime reopens with backoff;
- a page that is not JSON (not UTF-8, HTML with ``200``, ``NaN``, nesting too deep), is larger
  than ``max_response_bytes``, lacks the records list, or a ``3xx``/``4xx`` answer, is *bad
  input*, not an outage: it becomes one ``Rejection`` (position ``GET <url>``, the first
  256 KiB kept) so an operator sees the body itself, and the feed waits at its cursor, because
  records cannot be skipped without knowing their cursors. The same failing request is
  rejected once per process, not on every poll; it is tried again each poll and the feed moves
  on as soon as the API answers properly;
- a next link or cursor already followed in this poll (a looping API) is rejected the same way
  and the poll ends; ``max_pages`` bounds a poll in any case;
- a record that is not an object, lacks its id or cursor, or fails the mapping is rejected with
  position ``GET <url> id <id>``; the rest of the page flows.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin

import httpx
import orjson

from adapters.rest.config import RestConfig, RestPoll
from adapters.rest.mapping import at_path
from bus.adapter_runtime.json_input import BadJson, decode_json, flat_record
from bus.adapter_runtime.mapping import Mapper
from bus.adapter_runtime.source import Offset, Partition, Rejection, SourceRecord
from bus.foundation.errors import ConfigError, MappingError, NotConnected

log = logging.getLogger(__name__)
RAW_LIMIT = 256 * 1024
_RETRY_LATER = {408, 429}


class _PageRejected(Exception):
    """A page that cannot be used; the message is the rejection's reason."""

    def __init__(self, reason: str, raw: bytes) -> None:
        super().__init__(reason)
        self.raw = raw[:RAW_LIMIT]


@dataclass
class _Walk:
    """One poll's way through the pages."""

    url: str
    params: dict[str, str]
    page: int = 1
    seen: set[str] = field(default_factory=set)


class RestSource:
    """Polls ``config.poll.path`` of ``config.base_url``; see the module docstring."""

    def __init__(
        self,
        config: RestConfig,
        mapper: Mapper,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        if config.poll is None:
            raise ConfigError("a rest source needs a [poll] section")
        self.config = config
        self.poll: RestPoll = config.poll
        self.mapper = mapper
        self.partition: Partition = (config.root, self.poll.path)
        self._transport = transport
        self._client: httpx.AsyncClient | None = None
        self._cursor: str | int | None = None
        self._walk: _Walk | None = None
        self._etag: tuple[str, str] | None = None  # (request URL, ETag)
        self._rejected: set[str] = set()

    async def open(self, resume_from: Mapping[Partition, Offset]) -> None:
        """Resume after the stored cursor; the first request is made by ``read()``."""
        self._cursor = resume_from.get(self.partition, {}).get("cursor")
        self._walk = None
        self._client = httpx.AsyncClient(
            headers=self.config.request_headers(),
            timeout=self.config.timeout_s,
            transport=self._transport,
            follow_redirects=False,
        )

    async def read(self) -> Sequence[SourceRecord]:
        """The records of the next page; empty when nothing is new."""
        if self._walk is None:
            params = dict(self.poll.params)
            if self._cursor is not None:
                params[self.poll.since_param] = str(self._cursor)
            if self.poll.pagination == "page":
                params[self.poll.page_param] = "1"
            self._walk = _Walk(self.config.root + self.poll.path, params)
        walk = self._walk
        if self._client is None:
            raise NotConnected("the rest source is not open", system=self.config.root)
        # built by the client, so the configured headers (the secret among them) are sent
        request = self._client.build_request("GET", walk.url, params=walk.params or None)
        url = str(request.url)
        walk.seen.add(url)
        try:
            body, response = await self._fetch(request)
            if body is None:
                self._walk = None
                return []
            document = decode_json(body)
            items = at_path(document, self.poll.records_path)
            if not isinstance(items, list):
                raise _PageRejected(f"{self.poll.records_path or 'body'} is not a list", body)
        except BadJson as exc:
            return self._reject_page(url, str(exc), body)
        except KeyError as exc:
            return self._reject_page(url, f"records path: no field {exc.args[0]!r}", body)
        except _PageRejected as exc:
            return self._reject_page(url, str(exc), exc.raw)
        self._rejected.discard(url)
        records = [self._record(item, index, url) for index, item in enumerate(items)]
        return records + self._advance(walk, document, response, items, url)

    async def committed(self, partition: Partition, offset: Offset) -> None:
        """Nothing to do: the stored cursor is the whole state."""

    async def close(self) -> None:
        """Close the HTTP connections; never raises."""
        client, self._client, self._walk = self._client, None, None
        if client is not None:
            try:
                await client.aclose()
            except Exception:  # close must not raise
                log.debug("closing the HTTP client failed", exc_info=True)

    async def _fetch(self, request: httpx.Request) -> tuple[bytes | None, httpx.Response]:
        """The body of ``request`` (``None`` for 304), read up to the size limit."""
        assert self._client is not None  # noqa: S101 - checked by read()
        url = str(request.url)
        if self._etag is not None and self._etag[0] == url:
            request.headers["If-None-Match"] = self._etag[1]
        try:
            response = await self._client.send(request, stream=True)
            try:
                if response.status_code == 304:
                    return None, response
                body = await _read_limited(response, self.config.max_response_bytes)
            finally:
                await response.aclose()
        except httpx.TransportError as exc:
            raise NotConnected(f"GET {url}: {exc!r}", system=self.config.root) from exc
        status = response.status_code
        if status >= 500 or status in _RETRY_LATER:
            raise NotConnected(f"GET {url} answered {status}", system=self.config.root)
        if status >= 300:
            raise _PageRejected(f"GET answered {status}: {_snippet(body)}", body)
        etag = response.headers.get("ETag")
        self._etag = (url, etag) if etag else None
        return body, response

    def _record(self, item: Any, index: int, url: str) -> SourceRecord:
        offset: Offset = {"cursor": self._cursor} if self._cursor is not None else {}
        raw = _dump(item)
        if not isinstance(item, dict):
            where = f"GET {url} record {index}"
            return self._rejection(where, "the record is not a JSON object", raw, offset, where)
        record_id = item.get(self.poll.id_field)
        if record_id is None or isinstance(record_id, dict | list):
            where = f"GET {url} record {index}"
            reason = f"{self.poll.id_field}: the record has no usable id"
            return self._rejection(where, reason, raw, offset, where)
        identity = f"{self.poll.path}/{record_id}"
        where = f"GET {url} id {record_id}"
        cursor = item.get(self.poll.cursor_field)
        if not isinstance(cursor, str | int) or isinstance(cursor, bool) or cursor == "":
            reason = f"{self.poll.cursor_field}: the record has no usable cursor"
            return self._rejection(where, reason, raw, offset, identity)
        self._cursor = cursor
        offset = {"cursor": cursor}
        try:
            mapped = self.mapper.map(flat_record(item))
        except MappingError as exc:
            return self._rejection(where, str(exc), raw, offset, identity)
        return SourceRecord(
            self.partition, offset, identity,
            event=mapped.event, key=mapped.key, subject=mapped.subject,
        )  # fmt: skip

    def _rejection(
        self, where: str, reason: str, raw: bytes, offset: Offset, identity: str
    ) -> SourceRecord:
        return SourceRecord(
            self.partition, offset, identity, rejection=Rejection(reason, where, raw[:RAW_LIMIT])
        )

    def _advance(
        self, walk: _Walk, document: Any, response: httpx.Response, items: list[Any], url: str
    ) -> list[SourceRecord]:
        """Point the walk at the next page, or end it; a loop ends it with a rejection."""
        next_url: str | None = None
        mode = self.poll.pagination
        if mode == "link" and items:
            link = response.links.get("next", {}).get("url")
            if link:
                next_url = urljoin(url, link)
                walk.url, walk.params = next_url, {}
        elif mode == "cursor" and items:
            cursor = _get(document, self.poll.next_cursor_path)
            if cursor not in (None, ""):
                walk.params = {**walk.params, self.poll.since_param: str(cursor)}
                next_url = str(httpx.Request("GET", walk.url, params=walk.params).url)
        elif mode == "page" and items:
            walk.page += 1
            walk.params = {**walk.params, self.poll.page_param: str(walk.page)}
            next_url = str(httpx.Request("GET", walk.url, params=walk.params).url)
        if next_url is None or len(walk.seen) >= self.poll.max_pages:
            self._walk = None
            return []
        if next_url in walk.seen:
            self._walk = None
            reason = f"pagination loops: the next page {next_url} was already read in this poll"
            return self._reject_page(url, reason, next_url.encode())
        return []

    def _reject_page(self, url: str, reason: str, raw: bytes | None) -> list[SourceRecord]:
        self._walk = None
        if url in self._rejected:
            log.debug("GET %s still fails: %s", url, reason)
            return []
        self._rejected.add(url)
        log.warning("GET %s rejected: %s", url, reason)
        offset: Offset = {"cursor": self._cursor} if self._cursor is not None else {}
        identity = f"{self.poll.path}?{httpx.URL(url).query.decode()}"
        return [self._rejection(f"GET {url}", reason, raw or b"", offset, identity)]


async def _read_limited(response: httpx.Response, limit: int) -> bytes:
    """The body, refusing it once more than ``limit`` bytes arrived (or are announced)."""
    announced = response.headers.get("Content-Length", "")
    if announced.isdigit() and int(announced) > limit:
        raise _PageRejected(f"response of {announced} bytes exceeds the {limit}-byte limit", b"")
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.aiter_bytes():
        size += len(chunk)
        chunks.append(chunk)
        if size > limit:
            raise _PageRejected(
                f"response exceeds the {limit}-byte limit (stopped reading)", b"".join(chunks)
            )
    return b"".join(chunks)


def _get(document: Any, path: str) -> Any:
    try:
        return at_path(document, path)
    except KeyError:
        return None


def _dump(item: Any) -> bytes:
    try:
        return orjson.dumps(item)
    except TypeError:  # an integer past 64 bits: orjson refuses, repr keeps it readable
        return repr(item).encode()


def _snippet(body: bytes) -> str:
    return " ".join(body[:200].decode("utf-8", "replace").split())
