"""The start/stop lifecycle govbus's long-lived parts share, with ``async with`` for both.

A part subclasses ``StartStop`` and writes ``start()`` and ``stop()``; ``async with part:``
starts it, hands it over and stops it on the way out, whatever happened inside.
"""

from __future__ import annotations

from typing import Self


class StartStop:
    """A part that is started once and stopped once; ``async with`` does both."""

    async def start(self) -> object:
        """Start; what it returns (a bound port, say) is the part's own business."""
        raise NotImplementedError

    async def stop(self) -> None:
        raise NotImplementedError

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()
