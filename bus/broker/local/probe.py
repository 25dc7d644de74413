"""Readiness of a Kafka cluster: a metadata request that sees the expected number of brokers."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import time
from collections.abc import Callable, Iterator
from typing import Any

from aiokafka.admin import AIOKafkaAdminClient

from bus.foundation.errors import KafkaUnavailable


@contextlib.contextmanager
def _quiet_client_logs() -> Iterator[None]:
    """aiokafka logs every refused connection; while waiting for a broker that is expected."""
    logger = logging.getLogger("aiokafka")
    level = logger.level
    logger.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        logger.setLevel(level)


async def broker_count(
    bootstrap: str, *, timeout_s: float = 5.0, options: dict[str, Any] | None = None
) -> int:
    """How many brokers a metadata request to ``bootstrap`` reports; raises on no answer.

    ``options`` are the client's connection options (SASL, TLS) when the cluster needs them.
    """
    admin = AIOKafkaAdminClient(
        **(options or {"bootstrap_servers": bootstrap}), request_timeout_ms=int(timeout_s * 1000)
    )
    try:
        with _quiet_client_logs():
            await asyncio.wait_for(admin.start(), timeout_s)
            cluster = await asyncio.wait_for(admin.describe_cluster(), timeout_s)
    except Exception as exc:
        raise KafkaUnavailable(
            f"Kafka at {bootstrap} does not answer a metadata request: {exc or type(exc).__name__}",
            bootstrap=bootstrap,
        ) from exc
    finally:
        with _quiet_client_logs(), contextlib.suppress(Exception):
            await admin.close()
    return len(cluster["brokers"])


def port_open(host: str, port: int) -> bool:
    """Whether something accepts TCP connections on ``host:port``."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


def wait_until_ready(
    bootstrap: str,
    *,
    brokers: int,
    timeout_s: float,
    still_starting: Callable[[], None] = lambda: None,
    options: dict[str, Any] | None = None,
) -> None:
    """Block until a metadata request to ``bootstrap`` sees ``brokers`` brokers.

    ``still_starting`` is called between attempts and raises to abandon the wait (for example
    when a broker process has exited); ``options`` secure the client (SASL, TLS). Raises
    ``KafkaUnavailable`` after ``timeout_s``.
    """
    deadline = time.monotonic() + timeout_s
    first_address = bootstrap.split(",")[0]
    host, _, port = first_address.rpartition(":")
    last_error = "no answer yet"
    while time.monotonic() < deadline:
        still_starting()
        if port_open(host, int(port)):
            try:
                seen = asyncio.run(broker_count(bootstrap, timeout_s=5.0, options=options))
            except KafkaUnavailable as exc:
                last_error = str(exc)
            else:
                if seen >= brokers:
                    return
                last_error = f"{seen} of {brokers} brokers registered"
        time.sleep(0.25)
    raise KafkaUnavailable(
        f"Kafka at {bootstrap} was not ready within {timeout_s:.0f} s ({last_error})",
        bootstrap=bootstrap,
    )
