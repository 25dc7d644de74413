"""The register office's own system: a SQLite database the registrars' desktop software writes.

govbus does not change it. The ``death_entries`` and ``address_changes`` tables keep the legacy
system's column names and formats (dates as DD/MM/YYYY); the GRO adapter polls them.
"""

from __future__ import annotations

import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

SCHEMA = """
CREATE TABLE IF NOT EXISTS death_entries (
    entry_id INTEGER PRIMARY KEY AUTOINCREMENT,
    district TEXT NOT NULL, entry_no INTEGER NOT NULL, reg_date TEXT NOT NULL,
    la_code TEXT NOT NULL,
    tuo_ref TEXT NOT NULL, forenames TEXT NOT NULL, surname TEXT NOT NULL, dob TEXT NOT NULL,
    nino TEXT, addr_line1 TEXT NOT NULL, addr_town TEXT NOT NULL, addr_postcode TEXT NOT NULL,
    uprn INTEGER, dod TEXT NOT NULL, place TEXT NOT NULL,
    inf_forenames TEXT NOT NULL, inf_surname TEXT NOT NULL, inf_qual TEXT NOT NULL,
    inf_line1 TEXT NOT NULL, inf_town TEXT NOT NULL, inf_postcode TEXT NOT NULL,
    registered_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS address_changes (
    change_id INTEGER PRIMARY KEY AUTOINCREMENT,
    la_code TEXT NOT NULL, ref TEXT NOT NULL, forenames TEXT NOT NULL, surname TEXT NOT NULL,
    nino TEXT, dob TEXT NOT NULL, old_line1 TEXT NOT NULL, old_town TEXT NOT NULL,
    old_postcode TEXT NOT NULL, new_line1 TEXT NOT NULL, new_town TEXT NOT NULL,
    new_postcode TEXT NOT NULL, moved_on TEXT NOT NULL, recorded_at REAL NOT NULL
);
"""

_PREFIXES = ("AB", "CE", "EH", "JK", "LM", "PR", "ST", "WX")
_FORENAMES = ("Ada", "Joseph", "Margaret", "Priya", "Tomasz", "Grace", "Oluwaseun", "Eilidh")
_SURNAMES = ("Lovelace", "Oduya", "Raman", "Nowak", "Hopper", "Adeyemi", "MacLeod", "Evans")
_PLACES = (
    ("14 Seaview Terrace", "Hartlepool", "TS24 0PP"),
    ("3 Elwick Road", "Hartlepool", "TS26 9BP"),
    ("21 Rochester Row", "London", "SW1P 1JU"),
    ("5 Marsham Street", "London", "SW1P 4DF"),
)


@dataclass(frozen=True, slots=True)
class Person:
    """A synthetic person numbered ``number``; every identifier is valid and unique."""

    number: int

    @property
    def nino(self) -> str:
        prefix = _PREFIXES[self.number % len(_PREFIXES)]
        return f"{prefix}{self.number % 1_000_000:06d}{'ABCD'[self.number % 4]}"

    @property
    def forenames(self) -> str:
        return _FORENAMES[self.number % len(_FORENAMES)]

    @property
    def surname(self) -> str:
        return _SURNAMES[(self.number // len(_FORENAMES)) % len(_SURNAMES)]

    @property
    def uprn(self) -> int:
        return 100_000_000_000 + self.number

    @property
    def address(self) -> tuple[str, str, str]:
        return _PLACES[self.number % len(_PLACES)]


def create(path: Path) -> None:
    """Create the register office database (empty) at ``path``."""
    with sqlite3.connect(path) as db:
        db.executescript(SCHEMA)


def register_death(path: Path, person: Person) -> float:
    """Register ``person``'s death as a registrar would; return the time it was entered."""
    line1, town, postcode = person.address
    now = time.time()
    with sqlite3.connect(path) as db:
        db.execute(
            "INSERT INTO death_entries (district, entry_no, reg_date, la_code, tuo_ref, forenames,"
            " surname, dob, nino, addr_line1, addr_town, addr_postcode, uprn, dod, place,"
            " inf_forenames, inf_surname, inf_qual, inf_line1, inf_town, inf_postcode,"
            " registered_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (
                town, person.number, "24/11/2026", "E06000001", f"TUO-2026-{person.number:07d}",
                person.forenames, person.surname, "19/07/1941", person.nino, line1, town,
                postcode, person.uprn, "20/11/2026", "At home", "Margaret Ann", person.surname,
                "Daughter", "3 Elwick Road", "Hartlepool", "TS26 9BP", now,
            ),
        )  # fmt: skip
    return now


def record_address_change(path: Path, person: Person) -> float:
    """Record that ``person`` moved house, as the registrar's Tell Us Once form does."""
    old_line1, old_town, old_postcode = person.address
    now = time.time()
    with sqlite3.connect(path) as db:
        db.execute(
            "INSERT INTO address_changes (la_code, ref, forenames, surname, nino, dob, old_line1,"
            " old_town, old_postcode, new_line1, new_town, new_postcode, moved_on, recorded_at)"
            " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (
                "E09000033", f"COA-2026-{person.number:06d}", person.forenames, person.surname,
                person.nino, "02/11/1988", old_line1, old_town, old_postcode,
                "5 Marsham Street", "London", "SW1P 4DF", "01/11/2026", now,
            ),
        )  # fmt: skip
    return now


def people_entered(path: Path) -> int:
    """How many people the database holds entries for: one per death and per change of address."""
    with sqlite3.connect(path) as db:
        (count,) = db.execute(
            "SELECT (SELECT count(*) FROM death_entries) + (SELECT count(*) FROM address_changes)"
        ).fetchone()
    return int(count)
