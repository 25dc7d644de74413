"""The driving licence office's nightly batch intake: fixed-width files dropped in its inbox.

This is the DVLA side's own program, independent of govbus: it parses each finished ``*.dat``
file with its own copybook, applies the records to its licence database and moves the file to
``processed/``. Record types: ``D`` a death (cancel the licence), ``A`` a change of address.
"""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

# Copybook: (name, start, length), 1-based columns, as the mainframe team wrote it down.
DEATH = (("type", 1, 1), ("nino", 2, 9), ("surname", 11, 35), ("forenames", 46, 35),
         ("dob", 81, 8), ("dod", 89, 8), ("tuo_ref", 97, 20))  # fmt: skip
ADDRESS = (("type", 1, 1), ("nino", 2, 9), ("line1", 11, 35), ("town", 46, 25),
           ("postcode", 71, 8), ("moved_on", 79, 8))  # fmt: skip
SCHEMA = """
CREATE TABLE IF NOT EXISTS cancellations (nino TEXT NOT NULL, tuo_ref TEXT, received_at REAL);
CREATE TABLE IF NOT EXISTS address_updates (nino TEXT NOT NULL, postcode TEXT, received_at REAL);
"""


def create(path: Path) -> None:
    with sqlite3.connect(path) as db:
        db.executescript(SCHEMA)


def _fields(line: str, layout: tuple[tuple[str, int, int], ...]) -> dict[str, str]:
    return {name: line[start - 1 : start - 1 + length].strip() for name, start, length in layout}


def take_batches(inbox: Path, database: Path) -> int:
    """Apply every finished batch file in ``inbox``; return how many records were applied."""
    processed = inbox / "processed"
    processed.mkdir(exist_ok=True)
    applied = 0
    for batch in sorted(inbox.glob("*.dat")):
        now = time.time()
        with sqlite3.connect(database) as db:
            for line in batch.read_text(encoding="ascii").splitlines():
                if line.startswith("D"):
                    record = _fields(line, DEATH)
                    db.execute(
                        "INSERT INTO cancellations VALUES (?, ?, ?)",
                        (record["nino"], record["tuo_ref"], now),
                    )
                elif line.startswith("A"):
                    record = _fields(line, ADDRESS)
                    db.execute(
                        "INSERT INTO address_updates VALUES (?, ?, ?)",
                        (record["nino"], record["postcode"], now),
                    )
                else:
                    continue  # the office's program skips records it does not know
                applied += 1
        batch.rename(processed / batch.name)
    return applied


def received(path: Path) -> dict[str, list[tuple[str, float]]]:
    """What the licence database holds: (nino, received time) per table."""
    with sqlite3.connect(path) as db:
        return {
            table: list(db.execute(f"SELECT nino, received_at FROM {table}"))  # noqa: S608 - fixed names
            for table in ("cancellations", "address_updates")
        }
