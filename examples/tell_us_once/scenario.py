"""Tell Us Once, end to end: deaths registered once reach every system that needs them.

``TellUsOnce`` brings up the legacy systems (register office database, DWP pensions SOAP
service, DVLA batch intake, council tax REST API, library database), one ``govbus run`` process
per organisation running its file in ``deployments/`` with the ``TUO_*`` variables pointing at
these systems, and watches every system for what arrives. ``python -m examples.tell_us_once``
runs it with a summary; the tests drive it too.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
import tempfile
import time
from pathlib import Path

import httpx

from bus.testing.kafka import create_topics, free_port, unique_topic
from contracts.catalogue.council import AddressChangeNotifiedV1
from contracts.catalogue.gro import DeathRegisteredV2
from examples.legacy.council_tax.server import CouncilTaxApi
from examples.legacy.pensions.server import PensionsService
from examples.tell_us_once.arrivals import (
    ADDRESS_SYSTEMS,
    DEATH_SYSTEMS,
    Arrivals,
    Found,
    Notifications,
    Report,
)
from examples.tell_us_once.deployment_files import ORGANISATIONS, deployment_file, environment

# The topics the scenario's events travel on (each behind a topic prefix).
TOPICS = tuple(model.contract.topic for model in (DeathRegisteredV2, AddressChangeNotifiedV1))
__all__ = ["ADDRESS_SYSTEMS", "DEATH_SYSTEMS", "ORGANISATIONS", "TOPICS", "Arrivals", "TellUsOnce"]


class TellUsOnce(Notifications):
    """The whole scenario on this machine; ``async with`` starts and stops everything."""

    def __init__(self, bootstrap: str, *, workdir: Path | None = None, report: Report = print):
        self.workdir = workdir or Path(tempfile.mkdtemp(prefix="govbus-tuo-"))
        super().__init__(self.workdir, report=report)
        self.bootstrap = bootstrap
        self.prefix = unique_topic("tuo") + "."
        self.pensions = PensionsService()
        self.council = CouncilTaxApi()
        self.processes: dict[str, asyncio.subprocess.Process] = {}
        self.health_ports = {org: free_port() for org in ORGANISATIONS}

    async def __aenter__(self) -> TellUsOnce:
        self.create_systems()
        await self.pensions.start()
        await self.council.start()
        try:
            await create_topics(self.bootstrap, [self.prefix + topic for topic in TOPICS])
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
        systems = environment(
            self.workdir,
            pensions_url=self.pensions.url.removesuffix("/pensions"),
            council_tax_url=self.council.base_url,
        )
        env = os.environ | systems
        env |= {
            "GOVBUS_KAFKA_BOOTSTRAP": self.bootstrap,
            "GOVBUS_TOPIC_PREFIX": self.prefix,
            "GOVBUS_HEALTH_PORT": str(self.health_ports[organisation]),
        }
        log = (self.workdir / f"{organisation}.log").open("ab")
        self.processes[organisation] = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bus",
            "run",
            str(deployment_file(organisation)),
            env=env,
            stdout=log,
            stderr=log,
        )
        await self._ready(organisation)

    async def kill_adapter(self, organisation: str) -> None:
        """SIGKILL one organisation's govbus process, as a crash would."""
        process = self.processes[organisation]
        process.kill()
        await process.wait()

    async def remote_arrivals(self) -> Found:
        """The pensions ledger's deaths and the council's closures, read in process."""
        now = time.time()
        return {
            "DWP pensions": [
                (f"death:{d.nino}", now) for d in self.pensions.ledger.deaths.values()
            ],
            "Council tax": [(f"death:{c['nino']}", now) for c in self.council.state.closures],
        }

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
