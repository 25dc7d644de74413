"""Unit tests of webhook signatures, body decoding and identities."""

from __future__ import annotations

import hashlib
import hmac

import pytest
from pydantic import ValidationError

from adapters.webhook.config import WebhookConfig
from adapters.webhook.mapping import identity
from adapters.webhook.signature import BadSignature, sign, verify
from bus.adapter_runtime.json_input import BadJson, decode_object

SECRET = "0123456789abcdef"  # noqa: S105 - a test secret


def test_a_signature_is_hmac_sha256_of_the_raw_body() -> None:
    """Senders in any language can compute it: sha256= and the hex HMAC of the bytes."""
    expected = hmac.new(SECRET.encode(), b"{}", hashlib.sha256).hexdigest()
    assert sign(SECRET, b"{}") == f"sha256={expected}"
    verify(SECRET, b"{}", f"sha256={expected.upper()}")  # hex case does not matter


def test_a_timestamped_signature_covers_the_timestamp() -> None:
    """With a timestamp the signed bytes are "<ts>.<body>", so the time cannot be swapped."""
    header = sign(SECRET, b"{}", timestamp=1000)
    verify(SECRET, b"{}", header, timestamp="1000", timestamp_required=True, now=1100)
    with pytest.raises(BadSignature, match="does not match"):
        verify(SECRET, b"{}", header, timestamp="1050", timestamp_required=True, now=1100)
    with pytest.raises(BadSignature, match="replay"):
        verify(SECRET, b"{}", header, timestamp="1000", timestamp_required=True, now=2000)
    with pytest.raises(BadSignature, match="Unix seconds"):
        verify(SECRET, b"{}", header, timestamp="yesterday", timestamp_required=True, now=1)


def test_decoding_refuses_non_objects_and_bad_text() -> None:
    """Only a strict JSON object is a webhook body."""
    assert decode_object(b'{"a": 1}') == {"a": 1}
    for body, reason in [(b"1", "not int"), (b"\xc3", "not UTF-8"), (b"{'a':1}", "not JSON")]:
        with pytest.raises(BadJson, match=reason):
            decode_object(body)


def test_identity_prefers_a_sane_delivery_id_and_falls_back_to_the_body_hash() -> None:
    """A delivery id names the event; an absent or absurd one is replaced by the body's hash."""
    assert identity("/w", "abc-1", b"x") == "/w/abc-1"
    hashed = "/w/sha256:" + hashlib.sha256(b"x").hexdigest()
    assert identity("/w", None, b"x") == hashed
    assert identity("/w", "a" * 500, b"x") == hashed
    assert identity("/w", "bad\x00id", b"x") == hashed


def test_a_short_secret_or_relative_path_is_refused() -> None:
    """Secrets under 16 characters and paths without a leading slash fail validation."""
    with pytest.raises(ValidationError, match="16 characters"):
        WebhookConfig(secret="short")  # noqa: S106 - a test secret
    with pytest.raises(ValidationError, match="must start with /"):
        WebhookConfig(secret=SECRET, path="hook")
