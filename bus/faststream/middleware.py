"""The FastStream broker middleware that puts govbus between Kafka and FastStream handlers.

FastStream builds one per received message (and per publish). For a subscriber that
``Govbus.subscriber`` registered, ``consume_scope`` hands the message to its ``Delivering``;
a record FastStream cannot even parse is dead-lettered from ``after_processed``. Messages of
other subscribers pass through untouched. ``publish_scope`` encodes contract events.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from types import TracebackType
from typing import TYPE_CHECKING, Any

from faststream import BaseMiddleware

if TYPE_CHECKING:
    from faststream._internal.context.repository import ContextRepo

    from bus.faststream.app import Govbus


class GovbusMiddleware(BaseMiddleware):
    """govbus delivery and publishing for one message of a ``Govbus`` broker."""

    def __init__(self, msg: Any, /, *, context: ContextRepo, bus: Govbus) -> None:
        super().__init__(msg, context=context)
        self._bus = bus
        self._consumed = False

    async def consume_scope(self, call_next: Callable[[Any], Awaitable[Any]], msg: Any) -> Any:
        delivering = self._bus.delivering(self.context.get("handler_"))
        if delivering is None:
            return await call_next(msg)
        self._consumed = True
        return await delivering.consume(call_next, msg, self.context)

    async def after_processed(
        self,
        exc_type: type[BaseException] | None = None,
        exc_val: BaseException | None = None,
        exc_tb: TracebackType | None = None,
    ) -> bool | None:
        """Dead-letter a record that failed before delivery began, and suppress the error."""
        if self._consumed or not isinstance(exc_val, Exception):
            return False
        delivering = self._bus.delivering(self.context.get("handler_"))
        if delivering is None:
            return False
        await delivering.reject_unread(self.msg, exc_val)
        return True

    async def publish_scope(self, call_next: Callable[[Any], Awaitable[Any]], cmd: Any) -> Any:
        return await self._bus.publishing.publish(call_next, cmd)
