"""Dropping redelivered events: a bounded window of the event ids a subscriber has handled."""

from __future__ import annotations

from collections import OrderedDict


class DedupWindow:
    """Remembers the last ``capacity`` event ids; older ones are forgotten first.

    At-least-once delivery redelivers records after a crash or a rebalance; a record whose
    ``ce_id`` is still in the window is dropped instead of handled twice. Memory is bounded by
    ``capacity`` ids (about 100 bytes each).
    """

    def __init__(self, capacity: int = 100_000) -> None:
        if capacity < 1:
            raise ValueError(f"dedup capacity must be at least 1, not {capacity}")
        self.capacity = capacity
        self._seen: OrderedDict[str, None] = OrderedDict()

    def __contains__(self, event_id: object) -> bool:
        return event_id in self._seen

    def __len__(self) -> int:
        return len(self._seen)

    def add(self, event_id: str) -> None:
        """Remember ``event_id`` as handled, forgetting the oldest id when full."""
        seen = self._seen
        if event_id in seen:
            seen.move_to_end(event_id)  # handled again: it is the newest now
            return
        seen[event_id] = None
        if len(seen) > self.capacity:
            seen.popitem(last=False)
