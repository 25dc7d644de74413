"""Helpers for tests of govbus and of the adapters and services built on it."""

from __future__ import annotations

import re
import uuid

_TOPIC_PART = re.compile(r"[^a-zA-Z0-9._-]+")


def unique_topic(purpose: str) -> str:
    """A topic name no other test uses: ``test.<purpose>.<random>``, valid for Kafka."""
    cleaned = _TOPIC_PART.sub("-", purpose).strip("-.")[:100] or "topic"
    return f"test.{cleaned}.{uuid.uuid4().hex[:12]}"
