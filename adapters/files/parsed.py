"""What a file parser yields: a record's fields or the reason it was rejected, with its lines."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Parsed:
    """One record of a file: ``values`` to map, or the ``reason`` it cannot be.

    ``first_line`` names the record (its identity and position); ``last_line`` is the offset
    stored once it is published (a quoted CSV field may span lines).
    """

    first_line: int
    last_line: int
    raw: bytes
    values: Mapping[str, Any] | None = None
    reason: str | None = None


class Unreadable(Exception):
    """The file as a whole cannot be read (e.g. its header row is unusable): quarantine it."""
