"""HMAC-SHA256 signatures of webhook bodies, as senders compute them and the receiver checks.

The signed bytes are the raw body, or ``b"<timestamp>." + body`` when a timestamp header is
used, so a captured request cannot be replayed later under a fresh timestamp. The header value
is ``sha256=<lower-case hex>``; the comparison is constant-time.
"""

from __future__ import annotations

import hashlib
import hmac

PREFIX = "sha256="


class BadSignature(Exception):
    """The request's signature or timestamp does not check out; the message says why."""


def sign(secret: str, body: bytes, *, timestamp: int | None = None) -> str:
    """The header value a sender puts on ``body``."""
    return PREFIX + hmac.new(secret.encode(), _signed(body, timestamp), hashlib.sha256).hexdigest()


def verify(
    secret: str,
    body: bytes,
    header: str | None,
    *,
    timestamp: str | None = None,
    timestamp_required: bool = False,
    now: float = 0.0,
    tolerance_s: int = 300,
) -> None:
    """Raise ``BadSignature`` unless ``header`` signs ``body`` (and a fresh ``timestamp``)."""
    when: int | None = None
    if timestamp_required:
        if not timestamp or not timestamp.strip().isdigit():
            raise BadSignature("timestamp header missing or not Unix seconds")
        when = int(timestamp.strip())
        if abs(now - when) > tolerance_s:
            raise BadSignature(f"timestamp is more than {tolerance_s} s from now (a replay?)")
    if not header:
        raise BadSignature("signature header missing")
    if not header.startswith(PREFIX):
        raise BadSignature(f"signature must start with {PREFIX!r}")
    expected = sign(secret, body, timestamp=when)
    if not hmac.compare_digest(expected.encode(), header.strip().lower().encode()):
        raise BadSignature("signature does not match the body")


def _signed(body: bytes, timestamp: int | None) -> bytes:
    return body if timestamp is None else f"{timestamp}.".encode() + body
