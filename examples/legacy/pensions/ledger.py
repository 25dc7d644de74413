"""The pensions system's state: payment stops in sequence order and the deaths it was told of.

Kept in memory: one ``Ledger`` per running service, so each test gets a fresh system.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, timedelta

# The format DWP's own systems check: two prefix letters, six digits, a suffix A-D.
_NINO = re.compile(r"^[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z][0-9]{6}[A-D]$")


class LedgerRefusal(ValueError):
    """A request the pensions system refuses as invalid (a SOAP ``Client`` fault)."""


@dataclass(frozen=True, slots=True)
class PaymentStop:
    """Payments to one pensioner stopped: the record ``ListPaymentStops`` returns."""

    sequence: int
    nino: str
    forenames: str
    surname: str
    stopped_from: date
    reason: str
    date_of_death: date | None
    final_payment_due: bool
    tuo_reference: str | None


@dataclass(frozen=True, slots=True)
class DeathNotice:
    """A death the system was told of through ``RecordDeath``, under the caller's reference."""

    notification_id: int
    reference: str
    nino: str
    forenames: str
    surname: str
    date_of_death: date
    tuo_reference: str | None


@dataclass
class Ledger:
    """Payment stops and death notices; recording a death stops that pensioner's payments."""

    stops: list[PaymentStop] = field(default_factory=list)
    deaths: dict[str, DeathNotice] = field(default_factory=dict)

    def stop_payment(
        self,
        *,
        nino: str,
        forenames: str,
        surname: str,
        stopped_from: date,
        reason: str,
        date_of_death: date | None = None,
        final_payment_due: bool = False,
        tuo_reference: str | None = None,
    ) -> PaymentStop:
        """Record a stop as a caseworker would; no checks, as in the old system's back office."""
        stop = PaymentStop(
            len(self.stops) + 1, nino, forenames, surname, stopped_from, reason,
            date_of_death, final_payment_due, tuo_reference,
        )  # fmt: skip
        self.stops.append(stop)
        return stop

    def stops_since(self, since: int, limit: int) -> list[PaymentStop]:
        """Stops with a sequence number above ``since``, oldest first, at most ``limit``."""
        return [stop for stop in self.stops if stop.sequence > since][:limit]

    def record_death(
        self,
        *,
        reference: str,
        nino: str,
        forenames: str,
        surname: str,
        date_of_death: date,
        tuo_reference: str | None,
    ) -> tuple[DeathNotice, bool]:
        """Record a death once per ``reference``; return the notice and whether it was known.

        Raises ``LedgerRefusal`` for a reference or NINO the system does not accept.
        """
        if not reference.strip() or len(reference) > 100:
            raise LedgerRefusal("reference must be 1 to 100 characters")
        known = self.deaths.get(reference)
        if known is not None:
            return known, True
        if not _NINO.match(nino):
            raise LedgerRefusal(f"nino {nino[:20]!r} is not a National Insurance number")
        notice = DeathNotice(
            len(self.deaths) + 1, reference, nino, forenames, surname, date_of_death,
            tuo_reference,
        )  # fmt: skip
        self.deaths[reference] = notice
        self.stop_payment(
            nino=nino, forenames=forenames, surname=surname,
            stopped_from=date_of_death + timedelta(days=1), reason="death",
            date_of_death=date_of_death, final_payment_due=True, tuo_reference=tuo_reference,
        )  # fmt: skip
        return notice, False
