"""The county library service's membership database (SQLite), which govbus writes into.

The tables are the library's own; the SQL sink inserts one row per event id.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

SCHEMA = """
CREATE TABLE IF NOT EXISTS membership_closures (
    event_id TEXT NOT NULL UNIQUE, nino TEXT NOT NULL, surname TEXT NOT NULL,
    closed_on TEXT NOT NULL, tuo_ref TEXT,
    received_at REAL NOT NULL DEFAULT ((julianday('now') - 2440587.5) * 86400.0)
);
CREATE TABLE IF NOT EXISTS member_addresses (
    event_id TEXT NOT NULL UNIQUE, nino TEXT NOT NULL, line1 TEXT NOT NULL, town TEXT NOT NULL,
    postcode TEXT NOT NULL,
    received_at REAL NOT NULL DEFAULT ((julianday('now') - 2440587.5) * 86400.0)
);
"""


def create(path: Path) -> None:
    with sqlite3.connect(path) as db:
        db.executescript(SCHEMA)


def received(path: Path) -> dict[str, list[tuple[str, float]]]:
    """What the library holds: (nino, received time) per table."""
    with sqlite3.connect(path) as db:
        return {
            # Fixed table names, no input: nothing to inject.
            table: list(db.execute(f"SELECT nino, received_at FROM {table}"))  # noqa: S608
            for table in ("membership_closures", "member_addresses")
        }
