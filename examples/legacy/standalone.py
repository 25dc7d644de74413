"""Run a legacy stand-in on its own, as a process or container, until SIGTERM or SIGINT.

``python -m examples.legacy.pensions`` and ``python -m examples.legacy.council_tax`` use it: the
same in-memory system the tests start in process, listening on ``--host``/``--port``. Once it
listens it prints one line ``<name> listening on <url>`` (with the real port when ``--port 0``
asked for any free one), so a supervisor or test can find it.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
from collections.abc import Callable
from typing import Protocol


class Server(Protocol):
    """What a stand-in offers: start listening, stop listening, and the port it got."""

    port: int

    async def start(self) -> None: ...

    async def stop(self) -> None: ...


def main(
    name: str, *, default_port: int, make: Callable[[str, int], Server], path: str = ""
) -> int:
    """Parse ``--host``/``--port``, serve ``make(host, port)`` until a signal; exit status."""
    parser = argparse.ArgumentParser(prog=f"python -m examples.legacy.{name}")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument(
        "--port", type=int, default=default_port, help=f"port (default {default_port}, 0: any)"
    )
    args = parser.parse_args()
    if not 0 <= args.port <= 65535:
        parser.error(f"--port {args.port} is not between 0 and 65535")
    try:
        asyncio.run(_serve(name, make(args.host, args.port), args.host, path))
    except OSError as exc:
        print(f"{name}: cannot listen on {args.host}:{args.port}: {exc.strerror}", file=sys.stderr)
        return 1
    return 0


async def _serve(name: str, server: Server, host: str, path: str) -> None:
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stopping.set)
    await server.start()
    try:
        print(f"{name} listening on http://{host}:{server.port}{path}", flush=True)
        await stopping.wait()
    finally:
        await server.stop()
