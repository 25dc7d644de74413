"""Tell Us Once inside the Docker compose stack (``docker/compose.yaml``).

``python -m examples.tell_us_once.compose_driver prepare``
    Runs once before the govbus services start (which run the files in ``deployments/`` as they
    are, with ``TUO_*`` in their environment): creates the register office, library and DVLA
    databases and DVLA's inbox in ``TUO_DATA_DIR`` if missing, and creates the scenario's
    topics on ``GOVBUS_KAFKA_BOOTSTRAP`` if missing (behind ``GOVBUS_TOPIC_PREFIX`` when that is
    set, as the govbus processes then use them).
``python -m examples.tell_us_once.compose_driver demo [--deaths N] [--timeout S]``
    Registers N deaths and one change of address at the register office, runs DVLA's batch
    intake, and prints each arrival as read from the legacy systems themselves: the pensions
    ledger through its SOAP ``ListPaymentStops``, council tax accounts through
    ``GET /accounts/{uprn}``, the library and DVLA databases on the shared volume. Exits 0 when
    every notification reached every system exactly once. Run it again for more: it numbers
    new people after those already in the register office database.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from pathlib import Path

import defusedxml.ElementTree as SafeET
import httpx

from bus.broker.topics import create_topics
from examples.legacy.pensions.server import NS, PATH, SOAP_ENV
from examples.tell_us_once import register_office
from examples.tell_us_once.arrivals import Found, Notifications, Report
from examples.tell_us_once.deployment_files import check_environment
from examples.tell_us_once.scenario import TOPICS

_PAGE = 1000  # the most ListPaymentStops returns at once


class ComposeStack(Notifications):
    """The stack's systems as the driver container sees them: files and two HTTP services."""

    def __init__(
        self,
        data_dir: Path,
        *,
        pensions_url: str,
        council_tax_url: str,
        report: Report = print,
        first_person: int = 1,
    ) -> None:
        super().__init__(data_dir, report=report, first_person=first_person)
        self.pensions_url = pensions_url.rstrip("/") + PATH
        self.council_tax_url = council_tax_url.rstrip("/")
        self.http = httpx.AsyncClient(timeout=10)

    async def remote_arrivals(self) -> Found:
        """Payment stops from the pensions SOAP service; closed accounts from council tax."""
        now = time.time()
        stops = [(f"death:{nino}", now) for nino in await self.payment_stops()]
        # A closed account stays closed (the API refuses a second closure with 409), so only
        # the accounts not yet seen closed are asked for again.
        seen = self.arrivals.seen["Council tax"]
        pending = [p for p in self.deceased if not seen.get(f"death:{p.nino}")]
        closed = await asyncio.gather(*(self._closed(p.uprn) for p in pending))
        newly = {p.nino for p, is_closed in zip(pending, closed, strict=True) if is_closed}
        council = [
            (f"death:{p.nino}", now) for p in self.deceased if p not in pending or p.nino in newly
        ]
        return {"DWP pensions": stops, "Council tax": council}

    async def payment_stops(self) -> list[str]:
        """The NINO of every payment stop the pensions system holds, one per stop."""
        ninos: list[str] = []
        since = 0
        while True:
            envelope = (
                f'<soap:Envelope xmlns:soap="{SOAP_ENV}"><soap:Body>'
                f'<p:ListPaymentStops xmlns:p="{NS}"><p:since>{since}</p:since>'
                f"<p:limit>{_PAGE}</p:limit></p:ListPaymentStops></soap:Body></soap:Envelope>"
            )
            reply = await self.http.post(
                self.pensions_url,
                content=envelope.encode(),
                headers={"Content-Type": "text/xml; charset=utf-8", "SOAPAction": '""'},
            )
            reply.raise_for_status()
            stops = SafeET.fromstring(reply.content).findall(f".//{{{NS}}}stop")
            for stop in stops:
                ninos.append(stop.findtext(f"{{{NS}}}nino", ""))
                since = max(since, int(stop.findtext(f"{{{NS}}}sequence", "0")))
            if len(stops) < _PAGE:
                return ninos

    async def _closed(self, uprn: int) -> bool:
        reply = await self.http.get(f"{self.council_tax_url}/accounts/{uprn}")
        if reply.status_code == 404:
            return False  # the council has not heard of the property yet
        reply.raise_for_status()
        return "closed_on" in reply.json()


def prepare() -> int:
    check_environment(os.environ)
    data_dir = Path(os.environ["TUO_DATA_DIR"])
    Notifications(data_dir).create_systems()
    print(f"register office, library and DVLA databases and DVLA's inbox are in {data_dir}")
    bootstrap = os.environ.get("GOVBUS_KAFKA_BOOTSTRAP", "")
    if not bootstrap:
        print("compose_driver: GOVBUS_KAFKA_BOOTSTRAP is not set", file=sys.stderr)
        return 2
    topics = [os.environ.get("GOVBUS_TOPIC_PREFIX", "") + topic for topic in TOPICS]
    asyncio.run(create_topics(bootstrap, topics))
    print(f"topics {', '.join(topics)} exist on {bootstrap}")
    return 0


async def demo(deaths: int, timeout_s: float) -> bool:
    check_environment(os.environ)  # names a missing variable before anything happens
    data_dir = Path(os.environ["TUO_DATA_DIR"])
    Notifications(data_dir).create_systems()
    stack = ComposeStack(
        data_dir,
        pensions_url=os.environ["TUO_PENSIONS_URL"],
        council_tax_url=os.environ["TUO_COUNCIL_TAX_URL"],
        first_person=register_office.people_entered(data_dir / "register-office.db") + 1,
    )
    try:
        started = time.monotonic()
        print(f"registering {deaths} deaths and 1 change of address at the register office")
        stack.register_deaths(deaths)
        stack.record_address_change()
        await stack.watch(timeout_s=timeout_s)
    finally:
        await stack.http.aclose()
    return stack.conclude(time.monotonic() - started)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m examples.tell_us_once.compose_driver")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("prepare", help="databases, DVLA's inbox and topics")
    demo_cmd = commands.add_parser("demo", help="register deaths and watch them arrive")
    demo_cmd.add_argument("--deaths", type=int, default=20, help="deaths to register (20)")
    demo_cmd.add_argument("--timeout", type=float, default=120.0, help="seconds to wait (120)")
    args = parser.parse_args(argv)
    try:
        if args.command == "prepare":
            return prepare()
        if args.deaths < 1:
            parser.error("--deaths must be at least 1")
        return 0 if asyncio.run(demo(args.deaths, args.timeout)) else 1
    except KeyError as exc:
        print(f"compose_driver: {exc.args[0]}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
