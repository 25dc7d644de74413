"""Runs one source adapter: read, publish, wait for Kafka, store offsets, repeat.

The runner owns everything a source must not do itself. A batch is published in one go and the
runner waits for every acknowledgement before it stores the batch's last offset per partition
and calls ``committed``; only then does it read again, so a slow or unavailable Kafka stops the
reading (back-pressure) and a crash at any point replays from the stored offset with the same
event ids. Rejected records go to the adapter's dead-letter topic with their position and
reason. A legacy system that is down is reopened with exponential backoff.

Two times are exported per adapter: the last successful read (the legacy system answered,
perhaps with nothing) and the last read that returned records (published or rejected), so an
operator can alert on a source that stopped sending while its system still answers.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from aiokafka import AIOKafkaProducer

from bus.adapter_runtime.offsets import OffsetStore
from bus.adapter_runtime.source import Offset, Partition, Rejection, Source, SourceRecord
from bus.foundation import metrics
from bus.foundation.errors import EndOfInput, NotConnected, PublishError
from bus.messaging.codec import Codec, OutgoingRecord
from bus.messaging.dead_letter import ADAPTER, ERROR_CLASS, ERROR_MESSAGE, POSITION, STAGE, TIME
from bus.messaging.envelope import event_id
from bus.messaging.publisher import Publisher
from bus.messaging.topic_names import TopicNames

log = logging.getLogger(__name__)
# Below the producer's default max_request_size (1 MiB), leaving room for headers.
MAX_EVENT_BYTES = 1_000_000


class SourceRunner:
    """Runs ``source`` under the name ``adapter`` until ``stop()`` or the end of its input.

    One batch is in flight at a time: the next is read while Kafka acknowledges the last, and
    ``committed`` for a batch is called, from the same task as ``read``, once its offsets are
    stored.

    Lifecycle: ``run()`` once in its own task; ``stop()`` from any task makes ``run()`` finish
    the batch in hand (publish, store) and return; cancelling ``run()`` abandons the batch,
    which is then read again after a restart.
    """

    def __init__(
        self,
        adapter: str,
        source: Source,
        *,
        codec: Codec,
        publisher: Publisher,
        offsets: OffsetStore,
        dead_letters: AIOKafkaProducer,
        poll_interval_s: float = 1.0,
        reconnect_initial_s: float = 0.5,
        reconnect_max_s: float = 30.0,
    ) -> None:
        self.adapter = adapter
        self.source = source
        self.codec = codec
        self._publisher = publisher
        self._offsets = offsets
        self._dead_letters = dead_letters
        self._poll_interval_s = poll_interval_s
        self._reconnect = (reconnect_initial_s, reconnect_max_s)
        self._stopping = asyncio.Event()
        self._pending: asyncio.Task[dict[Partition, Offset]] | None = None
        self._stored: dict[Partition, Offset] | None = None  # the offsets in the offsets topic
        self._dlq_topic = TopicNames(codec.topic_prefix).adapter_dead_letters(adapter)
        self._up = metrics.ADAPTER_LEGACY_UP.labels(adapter)
        self._read = metrics.ADAPTER_RECORDS_READ.labels(adapter)
        self._published = metrics.ADAPTER_RECORDS_PUBLISHED.labels(adapter)
        self._rejected = metrics.ADAPTER_RECORDS_REJECTED.labels(adapter)
        self._poll = metrics.ADAPTER_POLL_SECONDS.labels(adapter)
        self._last_success = metrics.ADAPTER_LAST_SUCCESS.labels(adapter)
        self._last_record = metrics.SOURCE_LAST_RECORD.labels(adapter)

    def stop(self) -> None:
        self._stopping.set()

    async def run(self) -> None:
        """Read and publish until stopped or the input ends."""
        try:
            await self._open()
            while not self._stopping.is_set():
                batch = await self._next_batch()  # read ahead while Kafka takes the last batch
                await self._settle()
                if batch is None:
                    break
                if batch:
                    self._pending = asyncio.create_task(self._publish(batch))
                elif await self._wait(self._poll_interval_s):
                    break
            await self._settle()
        except _Stopped:
            # Stopped while reading ahead: the batch already in flight is finished, not dropped.
            with contextlib.suppress(_Stopped):
                await self._settle()
        finally:
            if self._pending is not None:
                self._pending.cancel()  # a batch Kafka did not take is read again after a restart
                with contextlib.suppress(BaseException):
                    await self._pending
            with contextlib.suppress(Exception):
                await self.source.close()

    async def _open(self) -> None:
        attempt = 0
        if self._stored is None:
            # Read once; afterwards this runner is the only writer, so it knows them already.
            self._stored = await self._offsets.load(self.adapter)
        while True:
            try:
                await self.source.open(dict(self._stored))
            except NotConnected as exc:
                attempt += 1
                self._down(exc)
                if await self._wait(self._backoff(attempt)):
                    raise _Stopped from exc
                continue
            self._up.set(1)
            return

    async def _next_batch(self) -> Sequence[SourceRecord] | None:
        """The next batch; ``None`` at the end of input or on stop."""
        attempt = 0
        while not self._stopping.is_set():
            started = time.perf_counter()
            try:
                batch = await self._read_unless_stopped()
            except EndOfInput:
                return None
            except NotConnected as exc:
                attempt += 1
                self._down(exc)
                await self._settle()  # reopening loads the stored offsets: store them first
                with contextlib.suppress(Exception):
                    await self.source.close()
                if await self._wait(self._backoff(attempt)):
                    return None
                await self._open()
                continue
            self._poll.observe(time.perf_counter() - started)
            self._up.set(1)
            now = time.time()
            self._last_success.set(now)
            if batch:  # an empty inbox answered, but "the nightly file never came" must show
                self._last_record.set(now)
            return batch
        return None

    async def _settle(self) -> None:
        """Wait for the batch in flight, then tell the source its offsets are stored."""
        pending, self._pending = self._pending, None
        if pending is None:
            return
        for partition, offset in (await pending).items():
            await self.source.committed(partition, offset)

    async def _publish(self, batch: Sequence[SourceRecord]) -> dict[Partition, Offset]:
        """Publish the batch and its rejections, store its offsets and return them."""
        self._read.inc(len(batch))
        records: list[OutgoingRecord] = []
        rejections: list[SourceRecord] = []
        for record in batch:
            encoded = self._encode(record) if record.event is not None else None
            if isinstance(encoded, OutgoingRecord):
                records.append(encoded)
            else:
                rejections.append(encoded or record)
        attempt = 0
        while True:
            try:
                letters = [await self._send_rejection(r) for r in rejections]
                await self._publisher.send_records(records)
                for letter in letters:
                    await letter
                break
            except Exception as exc:  # PublishError, or the producer's own Kafka errors
                attempt += 1
                log.warning("adapter %s: Kafka refused a batch, retrying: %s", self.adapter, exc)
                if await self._wait(self._backoff(attempt)):
                    raise _Stopped from exc  # stopped before Kafka had the batch; read again
        self._published.inc(len(records))
        self._rejected.inc(len(rejections))
        last: dict[Partition, Offset] = {}
        for record in batch:
            last[record.partition] = record.offset
        await self._offsets.store(self.adapter, last)
        if self._stored is not None:
            self._stored.update(last)
        return last

    def _encode(self, record: SourceRecord) -> OutgoingRecord | SourceRecord:
        """The record to publish, or a rejection when the event cannot be published at all."""
        assert record.event is not None  # noqa: S101 - filtered by the caller
        info = type(record.event).contract
        try:
            encoded = self._encode_event(record, info.cloudevents_type)
        except PublishError as exc:
            return _rejected(record, str(exc), stage="contract", error_class="PublishError")
        if len(encoded.value) > MAX_EVENT_BYTES:
            reason = f"event is {len(encoded.value)} bytes; Kafka takes at most {MAX_EVENT_BYTES}"
            return _rejected(record, reason, stage="size", error_class="OversizedRecord")
        return encoded

    def _encode_event(self, record: SourceRecord, cloudevents_type: str) -> OutgoingRecord:
        assert record.event is not None  # noqa: S101 - filtered by the caller
        info = type(record.event).contract
        return self.codec.encode(
            record.event,
            key=record.key or record.identity,
            event_id=event_id(
                source=self.codec.source,
                identity=record.identity,
                cloudevents_type=info.cloudevents_type,
            ),
            subject=record.subject,
        )

    async def _send_rejection(self, record: SourceRecord) -> asyncio.Future[Any]:
        rejection = record.rejection
        assert rejection is not None  # noqa: S101 - filtered by the caller
        headers = [
            (ERROR_CLASS, rejection.error_class.encode()),
            (ERROR_MESSAGE, " ".join(rejection.reason.split())[:2000].encode()),
            (STAGE, rejection.stage.encode()),
            (POSITION, rejection.position.encode()),
            (ADAPTER, self.adapter.encode()),
            (TIME, datetime.now(UTC).isoformat().encode()),
        ]
        future: asyncio.Future[Any] = await self._dead_letters.send(
            self._dlq_topic, rejection.raw, key=record.identity.encode(), headers=headers
        )
        return future

    async def _read_unless_stopped(self) -> Sequence[SourceRecord]:
        """``source.read()``, cancelled if the runner is stopped while it blocks."""
        reading = asyncio.ensure_future(self.source.read())
        stopping = asyncio.ensure_future(self._stopping.wait())
        await asyncio.wait([reading, stopping], return_when=asyncio.FIRST_COMPLETED)
        stopping.cancel()
        if not reading.done():
            reading.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await reading
            raise _Stopped
        return reading.result()

    def _down(self, exc: BaseException) -> None:
        self._up.set(0)
        log.warning("adapter %s: legacy system unreachable: %s", self.adapter, exc)

    def _backoff(self, attempt: int) -> float:
        initial, ceiling = self._reconnect
        return float(min(ceiling, initial * 2.0 ** (attempt - 1)) * random.uniform(0.5, 1.0))  # noqa: S311

    async def _wait(self, seconds: float) -> bool:
        """Sleep ``seconds``; return ``True`` at once if the runner is stopped meanwhile."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), seconds)
        return self._stopping.is_set()


def _rejected(record: SourceRecord, reason: str, *, stage: str, error_class: str) -> SourceRecord:
    """``record`` turned into a rejection that carries the event's data as its raw bytes."""
    assert record.event is not None  # noqa: S101 - only events are turned into rejections
    raw = record.event.model_dump_json().encode()[:MAX_EVENT_BYTES]
    rejection = Rejection(
        reason=reason, position=f"{record.identity}", raw=raw, stage=stage, error_class=error_class
    )
    return SourceRecord(
        partition=record.partition, offset=record.offset, identity=record.identity,
        rejection=rejection,
    )  # fmt: skip


class _Stopped(Exception):
    """The runner was stopped while waiting; ``run()`` returns quietly."""
