"""The webhook receiver: a legacy system POSTs JSON, and hears 202 once Kafka has the event.

A request is checked in this order, and a failed check is answered at once: ``415`` unless
the content type is JSON, ``413`` past ``max_body_bytes``, ``401`` for a missing, malformed or
wrong signature or a stale timestamp, ``400`` for a body that is not a JSON object (not UTF-8,
not JSON, too deep). Such requests are not dead-lettered: they are unauthenticated or not
data, and letting anyone fill a dead-letter topic helps no one.

A signed JSON object gets a sequence number (the offset ``{"seq": n}``) and waits. ``read()``
hands the waiting records to the runtime; after Kafka acknowledged them and the offset is
stored, the runtime calls ``committed`` and only then are the senders answered: ``202`` for an
event, ``422`` naming the field for a body the mapping rejected (it is in the dead-letter topic
by then). A sender still waiting after ``response_timeout_s``, or when the receiver closes,
gets ``503`` with ``Retry-After`` and retries; the retry carries the same delivery id (or the
same body), so its event has the same ce_id and consumers drop the duplicate.

"Unreachable" for a push source means the receiver cannot listen: ``open()`` raises
``NotConnected`` while its address cannot be bound (e.g. an old process still holds the port
during a restart), and the runtime retries with backoff.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from aiohttp import web

from adapters.webhook.config import WebhookConfig
from adapters.webhook.mapping import identity
from adapters.webhook.signature import BadSignature, verify
from bus.adapter_runtime.json_input import BadJson, decode_object, flat_record
from bus.adapter_runtime.mapping import Mapper
from bus.adapter_runtime.source import Offset, Partition, Rejection, SourceRecord
from bus.foundation.errors import MappingError, NotConnected

log = logging.getLogger(__name__)
READ_WAIT_S = 0.5
MAX_BATCH = 500
RAW_LIMIT = 256 * 1024


@dataclass
class _Pending:
    record: SourceRecord
    seq: int
    answer: asyncio.Future[web.Response]
    response: web.Response


class WebhookSource:
    """Receives signed JSON webhooks on ``config.host:config.port``; see the module docstring."""

    def __init__(self, config: WebhookConfig, mapper: Mapper) -> None:
        self.config = config
        self.mapper = mapper
        self.partition: Partition = ("webhook", config.path)
        self.port = config.port  # the bound port once open (useful with port 0)
        self._seq = 0
        self._queue: list[_Pending] = []  # received, not yet read
        self._sent: list[_Pending] = []  # read, waiting for committed()
        self._arrived = asyncio.Event()
        self._runner: web.AppRunner | None = None

    async def open(self, resume_from: Mapping[Partition, Offset]) -> None:
        """Listen; ``NotConnected`` if the address cannot be bound yet."""
        stored = resume_from.get(self.partition, {}).get("seq", 0)
        self._seq = max(self._seq, int(stored))
        app = web.Application(client_max_size=self.config.max_body_bytes)
        app.router.add_post(self.config.path, self._receive)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, self.config.host, self.port, reuse_address=True)
        try:
            await site.start()
        except OSError as exc:
            await runner.cleanup()
            where = f"{self.config.host}:{self.port}"
            raise NotConnected(f"cannot listen on {where}: {exc}", system=where) from exc
        self.port = runner.addresses[0][1]
        self._runner = runner

    async def read(self) -> Sequence[SourceRecord]:
        """The deliveries received since the last read, waiting briefly for the first."""
        if not self._queue:
            self._arrived.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._arrived.wait(), READ_WAIT_S)
        taken, self._queue = self._queue[:MAX_BATCH], self._queue[MAX_BATCH:]
        self._sent += taken
        return [pending.record for pending in taken]

    async def committed(self, partition: Partition, offset: Offset) -> None:
        """Answer the senders of every delivery up to ``offset``: Kafka has them."""
        last = int(offset.get("seq", 0))
        done = [p for p in self._sent if p.seq <= last]
        self._sent = [p for p in self._sent if p.seq > last]
        for pending in done:
            if not pending.answer.done():
                pending.answer.set_result(pending.response)

    async def close(self) -> None:
        """Answer everyone still waiting with 503, and stop listening; never raises."""
        waiting, self._queue, self._sent = self._queue + self._sent, [], []
        for pending in waiting:
            if not pending.answer.done():
                pending.answer.set_result(_unavailable("the receiver is restarting"))
        runner, self._runner = self._runner, None
        if runner is not None:
            try:
                await runner.cleanup()
            except Exception:  # close must not raise
                log.debug("stopping the webhook listener failed", exc_info=True)

    async def _receive(self, request: web.Request) -> web.Response:
        config = self.config
        if request.content_type != "application/json" and not request.content_type.endswith(
            "+json"
        ):
            return _refuse(
                415, f"content type must be application/json, not {request.content_type!r}"
            )
        length = request.content_length
        if length is not None and length > config.max_body_bytes:
            return _refuse(413, f"body exceeds {config.max_body_bytes} bytes")
        try:
            body = await request.read()
        except web.HTTPRequestEntityTooLarge:
            return _refuse(413, f"body exceeds {config.max_body_bytes} bytes")
        try:
            verify(
                config.secret.get_secret_value(), body,
                request.headers.get(config.signature_header),
                timestamp=request.headers.get(config.timestamp_header or "", None),
                timestamp_required=config.timestamp_header is not None,
                now=time.time(), tolerance_s=config.tolerance_s,
            )  # fmt: skip
        except BadSignature as exc:
            return _refuse(401, str(exc))
        try:
            document = decode_object(body)
        except BadJson as exc:
            return _refuse(400, str(exc))
        if len(self._queue) + len(self._sent) >= config.max_pending:
            return _unavailable("too many deliveries are waiting for Kafka")
        pending = self._pending(body, document, request.headers.get(config.delivery_id_header))
        self._queue.append(pending)
        self._arrived.set()
        try:
            return await asyncio.wait_for(asyncio.shield(pending.answer), config.response_timeout_s)
        except TimeoutError:
            return _unavailable("Kafka has not acknowledged the event yet; send it again")

    def _pending(self, body: bytes, document: dict[str, object], delivery: str | None) -> _Pending:
        self._seq += 1
        offset: Offset = {"seq": self._seq}
        name = identity(self.config.path, delivery, body)
        answer: asyncio.Future[web.Response] = asyncio.get_running_loop().create_future()
        try:
            mapped = self.mapper.map(flat_record(document))
        except MappingError as exc:
            where = f"POST {self.config.path} delivery {name.rsplit('/', 1)[-1]}"
            rejection = Rejection(str(exc), where, body[:RAW_LIMIT])
            record = SourceRecord(self.partition, offset, name, rejection=rejection)
            reason = (
                f"{exc.field}: {exc}"
                if exc.field and not str(exc).startswith(exc.field)
                else str(exc)
            )
            return _Pending(record, self._seq, answer, _refuse(422, reason, field=exc.field))
        record = SourceRecord(
            self.partition, offset, name,
            event=mapped.event, key=mapped.key, subject=mapped.subject,
        )  # fmt: skip
        accepted = web.json_response({"status": "accepted", "identity": name}, status=202)
        return _Pending(record, self._seq, answer, accepted)


def _refuse(status: int, reason: str, *, field: str | None = None) -> web.Response:
    body: dict[str, str] = {"error": reason}
    if field:
        body["field"] = field
    return web.json_response(body, status=status)


def _unavailable(reason: str) -> web.Response:
    response = _refuse(503, reason)
    response.headers["Retry-After"] = "1"
    return response
