"""Registering Tell Us Once notifications and watching every legacy system until they arrive.

``Notifications`` owns the systems that live in files (the register office, DVLA and library
databases and DVLA's batch inbox, all in one data folder), registers deaths and changes of
address, runs DVLA's batch intake and reads every system for what arrived. How the pensions and
council tax systems are read is left to a subclass: in process (``scenario.TellUsOnce``) or over
their own HTTP interfaces (``compose_driver.ComposeStack``).
"""

from __future__ import annotations

import asyncio
import statistics
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from examples.tell_us_once import dvla, library, register_office
from examples.tell_us_once.register_office import Person

DEATH_SYSTEMS = ("DWP pensions", "DVLA licences", "Council tax", "County library")
ADDRESS_SYSTEMS = ("DVLA licences", "County library")
Report = Callable[[str], None]
Found = dict[str, list[tuple[str, float]]]  # system -> (notification, arrived at), one per row


@dataclass
class Arrivals:
    """When each notification reached each system, every time it did."""

    sent: dict[str, float] = field(default_factory=dict)  # "death:<nino>" -> registered at
    seen: dict[str, dict[str, list[float]]] = field(
        default_factory=lambda: defaultdict(lambda: defaultdict(list))
    )

    def expected(self) -> dict[str, set[str]]:
        deaths = {k for k in self.sent if k.startswith("death:")}
        moves = {k for k in self.sent if k.startswith("address:")}
        return {s: deaths | (moves if s in ADDRESS_SYSTEMS else set()) for s in DEATH_SYSTEMS}

    def complete(self) -> bool:
        return all(
            all(self.seen[system].get(n) for n in wanted)
            for system, wanted in self.expected().items()
        )

    def exactly_once(self) -> bool:
        expected = self.expected()
        return all(
            set(self.seen[s]) == expected[s] and all(len(t) == 1 for t in self.seen[s].values())
            for s in DEATH_SYSTEMS
        )


class Notifications:
    """The file-based systems in ``data_dir`` plus the bookkeeping of what was sent and seen.

    ``first_person`` numbers the first synthetic person registered, so that a second run against
    the same databases registers new people rather than the same ones again.
    """

    def __init__(self, data_dir: Path, *, report: Report = print, first_person: int = 1) -> None:
        self.report = report
        self.data_dir = data_dir
        self.registrar_db = data_dir / "register-office.db"
        self.library_db = data_dir / "library.db"
        self.dvla_db = data_dir / "dvla.db"
        self.dvla_inbox = data_dir / "dvla-inbox"
        self.arrivals = Arrivals()
        self.deceased: list[Person] = []  # everyone whose death this run registered
        self._people = first_person - 1

    def create_systems(self) -> None:
        """Create the databases and DVLA's inbox; what exists already is kept as it is."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        register_office.create(self.registrar_db)
        library.create(self.library_db)
        dvla.create(self.dvla_db)
        self.dvla_inbox.mkdir(parents=True, exist_ok=True)

    def register_deaths(self, count: int) -> None:
        """Registrars enter ``count`` deaths at the register office."""
        for _ in range(count):
            self._people += 1
            person = Person(self._people)
            self.deceased.append(person)
            self.arrivals.sent[f"death:{person.nino}"] = register_office.register_death(
                self.registrar_db, person
            )

    def record_address_change(self) -> None:
        """A registrar records one change of address on the Tell Us Once form."""
        self._people += 1
        person = Person(self._people)
        self.arrivals.sent[f"address:{person.nino}"] = register_office.record_address_change(
            self.registrar_db, person
        )

    async def remote_arrivals(self) -> Found:
        """What the pensions and council tax systems hold now (a subclass knows how to ask)."""
        raise NotImplementedError

    async def watch(self, *, timeout_s: float, print_each: bool = True) -> bool:
        """Watch every system until all notifications arrived (or ``timeout_s``); print each."""
        deadline = time.monotonic() + timeout_s
        while True:
            for system, notification, arrived_at in await self.poll():
                if print_each:
                    took = arrived_at - self.arrivals.sent[notification]
                    kind, nino = notification.split(":")
                    self.report(f"  {system:<15} <- {kind:<7} {nino}  after {took:6.2f} s")
            if self.arrivals.complete() or time.monotonic() > deadline:
                await asyncio.sleep(1.0)  # long enough for a duplicate to show
                await self.poll()
                return self.arrivals.complete()
            await asyncio.sleep(0.05)

    async def poll(self) -> list[tuple[str, str, float]]:
        """Run DVLA's intake, read every system once; return the arrivals not seen before."""
        found = await self.remote_arrivals()
        dvla.take_batches(self.dvla_inbox, self.dvla_db)
        licences = dvla.received(self.dvla_db)
        members = library.received(self.library_db)
        found["DVLA licences"] = [(f"death:{n}", t) for n, t in licences["cancellations"]] + [
            (f"address:{n}", t) for n, t in licences["address_updates"]
        ]
        found["County library"] = [(f"death:{n}", t) for n, t in members["membership_closures"]] + [
            (f"address:{n}", t) for n, t in members["member_addresses"]
        ]
        new = []
        for system, rows in found.items():
            counts: dict[str, int] = defaultdict(int)
            for notification, arrived_at in rows:
                if notification not in self.arrivals.sent:
                    continue  # a person registered by an earlier run against the same systems
                counts[notification] += 1
                times = self.arrivals.seen[system][notification]
                if counts[notification] > len(times):
                    times.append(arrived_at)
                    new.append((system, notification, arrived_at))
        return new

    def summary(self) -> list[str]:
        """One line per system: received, expected, duplicates, time to arrive (p50/p99)."""
        lines = [
            f"  {'system':<15} {'received':>8} {'expected':>8} {'dupes':>5} {'p50':>7} {'p99':>7}"
        ]
        for system, wanted in self.arrivals.expected().items():
            seen = self.arrivals.seen[system]
            delays = sorted(
                times[0] - self.arrivals.sent[n] for n, times in seen.items() if n in wanted
            )
            duplicates = sum(len(times) - 1 for times in seen.values())
            p50, p99 = percentile(delays, 50), percentile(delays, 99)
            lines.append(
                f"  {system:<15} {len(seen):>8} {len(wanted):>8} {duplicates:>5} "
                f"{p50:>6.2f}s {p99:>6.2f}s"
            )
        return lines

    def latencies(self) -> list[float]:
        """Every notification's time from registration to arrival, all systems together."""
        return [
            times[0] - self.arrivals.sent[n]
            for seen in self.arrivals.seen.values()
            for n, times in seen.items()
            if n in self.arrivals.sent
        ]

    def conclude(self, elapsed_s: float) -> bool:
        """Report the summary and end-to-end figures; whether all arrived exactly once."""
        self.report("\nsummary (time from registration to arrival):")
        self.report("\n".join(self.summary()))
        delays = sorted(self.latencies())
        self.report(
            f"\n{len(delays)} notifications in {elapsed_s:.1f} s; end to end "
            f"p50 {percentile(delays, 50):.2f} s, p99 {percentile(delays, 99):.2f} s"
        )
        ok = self.arrivals.exactly_once()
        self.report("every notification reached every system exactly once" if ok else "FAILED")
        return ok


def percentile(values: list[float], percent: int) -> float:
    """The ``percent``-th percentile of ``values`` (NaN for none, the value itself for one)."""
    if not values:
        return float("nan")
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[percent - 1]
