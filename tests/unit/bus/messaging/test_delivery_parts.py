"""Dedup window, retry backoff and dead-letter headers."""

from __future__ import annotations

import pytest

from bus.messaging.dead_letter import (
    Failure,
    dead_letter_headers,
    reasons,
    strip_dead_letter_headers,
)
from bus.messaging.dedup import DedupWindow
from bus.messaging.subscriber import RetryPolicy


def test_the_dedup_window_forgets_the_oldest_ids_first() -> None:
    """Memory is bounded: past capacity the oldest id is dropped, recent ones are kept."""
    window = DedupWindow(capacity=3)
    for event_id in ("a", "b", "c", "d"):
        window.add(event_id)
    assert "a" not in window
    assert all(event_id in window for event_id in ("b", "c", "d"))
    assert len(window) == 3


def test_a_seen_id_is_refreshed_when_seen_again() -> None:
    """An id added again moves to the newest end and survives longer."""
    window = DedupWindow(capacity=2)
    window.add("a")
    window.add("b")
    window.add("a")
    window.add("c")
    assert "a" in window
    assert "b" not in window


def test_a_window_needs_room_for_one_id() -> None:
    """A zero capacity is refused."""
    with pytest.raises(ValueError, match="at least 1"):
        DedupWindow(capacity=0)


def test_backoff_grows_exponentially_up_to_its_cap_with_jitter() -> None:
    """Each delay is between half and all of min(cap, initial * 2^(n-1))."""
    policy = RetryPolicy(initial_backoff_s=0.1, max_backoff_s=1.0)
    for attempt, ceiling in [(1, 0.1), (2, 0.2), (3, 0.4), (4, 0.8), (5, 1.0), (9, 1.0)]:
        delays = [policy.delay(attempt) for _ in range(50)]
        assert all(ceiling / 2 <= delay <= ceiling for delay in delays)


def test_dead_letter_headers_keep_the_original_and_add_the_reasons() -> None:
    """Original headers come first, unchanged; reasons are one-line text; stripping restores."""
    original = [("ce_id", b"1"), ("ce_type", b"t.v1"), ("x-trace", b"\x00\xff")]
    error = ValueError("line one\nline two " + "long " * 1000)
    headers = dead_letter_headers(
        original, topic="gro.death-registered.v1", partition=2, offset=41,
        failure=Failure("handler", error, attempts=5), subscriber="pensions",
    )  # fmt: skip
    assert headers[:3] == original
    why = reasons(headers)
    assert why["error_class"] == "ValueError"
    assert "\n" not in why["error_message"]
    assert len(why["error_message"]) <= 2000
    assert (why["stage"], why["topic"], why["partition"], why["offset"], why["attempts"]) == (
        "handler", "gro.death-registered.v1", "2", "41", "5",
    )  # fmt: skip
    assert strip_dead_letter_headers(headers) == original
