"""Tell Us Once, end to end: deaths registered once reach every system that needs them.

``TellUsOnce`` brings up the legacy systems (register office database, DWP pensions SOAP
service, DVLA batch intake, council tax REST API, library database), one ``govbus run`` process
per organisation configured by the files in ``deployments/``, and watches every system for what
arrives. ``python -m examples.tell_us_once`` runs it with a summary; the tests drive it too.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from string import Template

import httpx

from bus.testing import create_topics, unique_topic
from contracts.catalogue.council import AddressChangeNotifiedV1
from contracts.catalogue.gro import DeathRegisteredV2
from examples.legacy.council_tax.server import CouncilTaxApi
from examples.legacy.pensions.server import PensionsService
from examples.tell_us_once import dvla, library, register_office
from examples.tell_us_once.register_office import Person

DEPLOYMENTS = Path(__file__).parent / "deployments"
ORGANISATIONS = ("gro", "dwp", "dvla", "council", "library")
DEATH_SYSTEMS = ("DWP pensions", "DVLA licences", "Council tax", "County library")
ADDRESS_SYSTEMS = ("DVLA licences", "County library")
Report = Callable[[str], None]


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


class TellUsOnce:
    """The whole scenario on this machine; ``async with`` starts and stops everything."""

    def __init__(self, bootstrap: str, *, workdir: Path | None = None, report: Report = print):
        self.bootstrap = bootstrap
        self.report = report
        self.prefix = unique_topic("tuo") + "."
        self.workdir = workdir or Path(tempfile.mkdtemp(prefix="govbus-tuo-"))
        self.registrar_db = self.workdir / "register-office.db"
        self.library_db = self.workdir / "library.db"
        self.dvla_db = self.workdir / "dvla.db"
        self.dvla_inbox = self.workdir / "dvla-inbox"
        self.pensions = PensionsService()
        self.council = CouncilTaxApi()
        self.processes: dict[str, asyncio.subprocess.Process] = {}
        self.health_ports = {org: _free_port() for org in ORGANISATIONS}
        self.arrivals = Arrivals()
        self._people = 0

    async def __aenter__(self) -> TellUsOnce:
        self.workdir.mkdir(parents=True, exist_ok=True)
        register_office.create(self.registrar_db)
        library.create(self.library_db)
        dvla.create(self.dvla_db)
        self.dvla_inbox.mkdir(parents=True, exist_ok=True)
        await self.pensions.start()
        await self.council.start()
        try:
            await create_topics(
                self.bootstrap,
                [
                    self.prefix + m.contract.topic
                    for m in (DeathRegisteredV2, AddressChangeNotifiedV1)
                ],
            )
            await asyncio.gather(*(self.start_adapter(org) for org in ORGANISATIONS))
        except BaseException:
            await self.__aexit__()
            raise
        return self

    async def __aexit__(self, *_: object) -> None:
        for process in self.processes.values():
            with contextlib.suppress(ProcessLookupError):
                process.send_signal(signal.SIGTERM)
        for process in self.processes.values():
            try:
                await asyncio.wait_for(process.wait(), 30)
            except TimeoutError:
                process.kill()
        await self.pensions.stop()
        await self.council.stop()

    async def start_adapter(self, organisation: str) -> None:
        """Start (or restart) one organisation's ``govbus run`` and wait until it is ready."""
        values = {
            "registrar_db": self.registrar_db, "library_db": self.library_db,
            "dvla_inbox": self.dvla_inbox, "pensions_wsdl": self.pensions.wsdl_url,
            "council_tax_url": self.council.base_url,
        }  # fmt: skip
        text = Template((DEPLOYMENTS / f"{organisation}.toml").read_text()).substitute(values)
        deployment = self.workdir / f"{organisation}.toml"
        deployment.write_text(text)
        env = os.environ | {
            "GOVBUS_KAFKA_BOOTSTRAP": self.bootstrap,
            "GOVBUS_TOPIC_PREFIX": self.prefix,
            "GOVBUS_HEALTH_PORT": str(self.health_ports[organisation]),
        }
        log = (self.workdir / f"{organisation}.log").open("ab")
        self.processes[organisation] = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bus", "run", str(deployment), env=env, stdout=log, stderr=log
        )
        await self._ready(organisation)

    async def kill_adapter(self, organisation: str) -> None:
        """SIGKILL one organisation's govbus process, as a crash would."""
        process = self.processes[organisation]
        process.kill()
        await process.wait()

    def register_deaths(self, count: int) -> None:
        """Registrars enter ``count`` deaths at the register office."""
        for _ in range(count):
            self._people += 1
            person = Person(self._people)
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

    async def watch(self, *, timeout_s: float, print_each: bool = True) -> bool:
        """Watch every system until all notifications arrived (or ``timeout_s``); print each."""
        deadline = time.monotonic() + timeout_s
        while True:
            for system, notification, arrived_at in self.poll():
                if print_each:
                    took = arrived_at - self.arrivals.sent[notification]
                    kind, nino = notification.split(":")
                    self.report(f"  {system:<15} <- {kind:<7} {nino}  after {took:6.2f} s")
            if self.arrivals.complete() or time.monotonic() > deadline:
                await asyncio.sleep(1.0)  # long enough for a duplicate to show
                self.poll()
                return self.arrivals.complete()
            await asyncio.sleep(0.05)

    def poll(self) -> list[tuple[str, str, float]]:
        """Read every system once; return the arrivals not seen before."""
        now = time.time()
        found: dict[str, list[tuple[str, float]]] = {
            "DWP pensions": [
                (f"death:{d.nino}", now) for d in self.pensions.ledger.deaths.values()
            ],
            "Council tax": [(f"death:{c['nino']}", now) for c in self.council.state.closures],
        }
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
            p50, p99 = _percentile(delays, 50), _percentile(delays, 99)
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

    async def _ready(self, organisation: str, timeout_s: float = 90.0) -> None:
        url = f"http://127.0.0.1:{self.health_ports[organisation]}/readyz"
        deadline = time.monotonic() + timeout_s
        async with httpx.AsyncClient(timeout=2) as client:
            while time.monotonic() < deadline:
                process = self.processes[organisation]
                if process.returncode is not None:
                    log = (self.workdir / f"{organisation}.log").read_text()[-2000:]
                    raise RuntimeError(f"govbus run for {organisation} exited:\n{log}")
                with contextlib.suppress(httpx.HTTPError):
                    if (await client.get(url)).status_code == 200:
                        return
                await asyncio.sleep(0.2)
        raise RuntimeError(f"govbus run for {organisation} was not ready in {timeout_s:.0f} s")


def _percentile(values: list[float], percent: int) -> float:
    if not values:
        return float("nan")
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[percent - 1]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port
