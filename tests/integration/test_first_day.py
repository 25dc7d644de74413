"""A county council's first day with govbus, as the README's "Your first deployment" tells it.

The council keeps its Blue Badge contract in its own installed package, drops a 50-row CSV export
(a bad byte, a formula cell and three other bad rows among them) into a folder, and delivers each
badge to a REST API with a bearer token read from a secret file. One badge is refused by the API
at first. The clerk lists and exports the rejected rows, fixes them and drops them again; the
operator replays the refused badge, restarts the process and replays again. Every badge takes
effect downstream exactly once. Everything is real: Kafka, the `govbus` program in its own
process, the HTTP API on 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import contextlib
import csv
import io
import os
import signal
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from aiohttp import web

from bus.testing.kafka import eventually, free_port, unique_topic
from tests.integration.adapters.rest.misbehaving import serving
from tests.unit.contracts.installed import FIXTURE, GOVBUS

TOKEN = "bb-7c1e93f04a2d5b68"  # noqa: S105 - a test secret, checked for absence
REFUSED = "BB-0000-0007"  # the API refuses this badge until its record is corrected
DEPLOYMENT = """
[service]
name = "county-badges"

[[sources]]
name = "badges-inbox"
kind = "csv"
poll_interval_s = 0.2
config = { folder = "${env:BADGE_INBOX}", settle_s = 0.2 }

[sources.mapping]
contract = "uk.gov.county.blue-badge-issued.v1"
key = "{badge_no}"
identity = "badges/{badge_no}"

[sources.mapping.fields]
local_authority = "la_code"
badge_number = "badge_no"
"holder.given_names" = "forenames"
"holder.family_name" = "surname"
holder_postcode = "postcode"
issued_on = { from = "issued", type = "date", format = "%d/%m/%Y" }
expires_on = { from = "expires", type = "date", format = "%d/%m/%Y" }

[[sinks]]
name = "badges-api"
kind = "rest"
contract = "uk.gov.county.blue-badge-issued.v1"
retry = { max_attempts = 3, initial_backoff_s = 0.05, max_backoff_s = 0.2 }

[sinks.config]
base_url = "${env:BADGE_API_URL}"
secret = "${file:secrets/badge-api-token}"

[sinks.config.call]
path = "/badges/{badge_number}"
"""
HEADER = b"la_code,badge_no,forenames,surname,postcode,issued,expires"
NAMES = [("Ada", "Lovelace"), ("Alan", "Turing"), ("Grace", "Hopper"), ("Mary", "Somerville")]


def badge(n: int) -> str:
    return f"BB-0000-{n:04d}"


def row(n: int, **changes: bytes) -> bytes:
    given, family = NAMES[n % len(NAMES)]
    cells = {
        "la_code": b"E10000016",
        "badge_no": badge(n).encode(),
        "forenames": given.encode(),
        "surname": family.encode(),
        "postcode": b"ME14 1XQ",
        "issued": b"06/05/2025",
        "expires": b"05/05/2028",
    } | changes
    return b",".join(cells.values())


# The five rows a clerk has to fix, by badge number (each is on line n + 1, after the header).
BAD_ROWS = {
    12: row(12, surname=b"M\xfcller"),  # a Latin-1 byte in a UTF-8 export
    19: row(19, forenames=b'"=HYPERLINK(""http://x.example"",""click"")"'),
    26: row(26, issued=b"31/02/2025"),
    33: row(33, postcode=b"NOT A POSTCODE"),
    41: b"E10000016,BB-0000-0041,Ada",
}


def export(rows: dict[int, bytes]) -> bytes:
    return b"\r\n".join([HEADER, *rows.values()]) + b"\r\n"


def drop(inbox: Path, name: str, content: bytes) -> None:
    """Write a file beside the inbox and move it in whole, as a council's export job would."""
    partial = inbox.parent / f".{name}.part"
    partial.write_bytes(content)
    partial.rename(inbox / name)


@dataclass
class BadgeApi:
    """The county's badge system: applies each change once per Idempotency-Key."""

    refusing: set[str] = field(default_factory=lambda: {REFUSED})
    applied: dict[str, str] = field(default_factory=dict)  # Idempotency-Key -> badge number
    unauthorised: int = 0

    async def handle(self, request: web.Request) -> web.Response:
        if request.headers.get("Authorization") != f"Bearer {TOKEN}":
            self.unauthorised += 1
            return web.json_response({"error": "unauthorised"}, status=401)
        number = request.match_info["badge"]
        if number in self.refusing:
            return web.json_response({"error": "holder record incomplete"}, status=422)
        self.applied.setdefault(request.headers["Idempotency-Key"], number)
        return web.json_response({}, status=201)

    def badges(self) -> list[str]:
        return sorted(self.applied.values())


@dataclass
class Council:
    """The council's folder: deployment file, secret, inbox, and the environment it runs with."""

    folder: Path
    env: dict[str, str]
    health_port: int

    def govbus(self, *args: str) -> str:
        done = subprocess.run(
            [str(GOVBUS), *args],
            cwd=self.folder, env=self.env, capture_output=True, text=True, timeout=60, check=False,
        )  # fmt: skip
        assert done.returncode == 0, done.stdout + done.stderr
        assert TOKEN not in done.stdout + done.stderr
        return done.stdout

    @asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        """`govbus run deployment.toml` until the block ends, then SIGTERM, as systemd would."""
        log = (self.folder / "govbus-run.log").open("ab")
        process = await asyncio.create_subprocess_exec(
            str(GOVBUS), "run", "deployment.toml",
            cwd=self.folder, env=self.env, stdout=log, stderr=log,
        )  # fmt: skip
        try:
            await self._ready(timeout_s=90)
            yield
        finally:
            process.send_signal(signal.SIGTERM)
            await asyncio.wait_for(process.wait(), 60)
            log.close()
        assert TOKEN not in (self.folder / "govbus-run.log").read_text(errors="replace")

    async def _ready(self, *, timeout_s: float) -> None:
        url = f"http://127.0.0.1:{self.health_port}/readyz"
        async with httpx.AsyncClient(timeout=2) as client:
            for _ in range(int(timeout_s / 0.2)):
                with contextlib.suppress(httpx.HTTPError):
                    if (await client.get(url)).status_code == 200:
                        return
                await asyncio.sleep(0.2)
        raise AssertionError(f"govbus run not ready within {timeout_s} s")

    async def status_page(self) -> str:
        async with httpx.AsyncClient(timeout=5) as client:
            return (await client.get(f"http://127.0.0.1:{self.health_port}/")).text


@pytest.fixture
def council(tmp_path: Path, kafka_bootstrap: str) -> Council:
    site = tmp_path / "site-packages"
    site.mkdir()
    # The council's own contract package, built and installed by pip from its source folder.
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(site),
         str(FIXTURE)],
        check=True, timeout=300,
    )  # fmt: skip
    folder = tmp_path / "county"
    (folder / "secrets").mkdir(parents=True)
    (folder / "secrets" / "badge-api-token").write_text(TOKEN + "\n")
    (folder / "inbox").mkdir()
    (folder / "deployment.toml").write_text(DEPLOYMENT)
    port = free_port()
    env = {
        **os.environ,
        "PYTHONPATH": str(site),
        "GOVBUS_KAFKA_BOOTSTRAP": kafka_bootstrap,
        "GOVBUS_TOPIC_PREFIX": unique_topic("first-day") + ".",
        "GOVBUS_HEALTH_PORT": str(port),
        "BADGE_INBOX": str(folder / "inbox"),
    }
    return Council(folder, env, port)


async def test_a_councils_first_day_ends_with_every_badge_delivered_once(council: Council) -> None:
    """Bad rows are fixed and re-dropped, a refused badge replayed twice: each badge lands once."""
    api = BadgeApi()
    async with serving("/badges/{badge}", api.handle) as url:
        council.env["BADGE_API_URL"] = url
        checked = council.govbus("validate", "deployment.toml")
        assert "govbus.adapter.badges-inbox.dlq" in checked  # where rejected rows will go

        all_rows = {n: BAD_ROWS.get(n, row(n)) for n in range(1, 51)}
        good = sorted(badge(n) for n in all_rows if n not in BAD_ROWS and badge(n) != REFUSED)
        async with council.running():
            drop(council.folder / "inbox", "badges-2026-12-01.csv", export(all_rows))
            await eventually(lambda: api.badges() == good, what="the 44 deliverable badges")

            rejects = council.govbus("dlq", "list", "govbus.adapter.badges-inbox.dlq")
            for n in BAD_ROWS:
                assert f"badges-2026-12-01.csv line {n + 1}" in rejects
            assert "=HYPERLINK" in rejects  # shown, escaped, for the clerk to see what to fix
            council.govbus(
                "dlq", "export", "govbus.adapter.badges-inbox.dlq", "--csv", "--out", "fix.csv"
            )
            exported = list(
                csv.DictReader(io.StringIO((council.folder / "fix.csv").read_text("utf-8-sig")))
            )
            assert len(exported) == len(BAD_ROWS)
            assert all("badges-2026-12-01.csv" in r["position"] for r in exported)

            refusal = council.govbus("dlq", "list", "county.blue-badge-issued.v1")
            assert "422" in refusal  # the API's answer, kept with the dead letter

            # The clerk corrects the five rows and drops them as a new file.
            drop(council.folder / "inbox", "badges-2026-12-01-fixed.csv", export(
                {n: row(n) for n in BAD_ROWS}
            ))  # fmt: skip
            fixed = sorted([*good, *(badge(n) for n in BAD_ROWS)])
            await eventually(lambda: api.badges() == fixed, what="the corrected rows")

            # The badge system's record is completed; the operator replays the refused badge.
            api.refusing.clear()
            replayed = council.govbus("dlq", "replay", "county.blue-badge-issued.v1")
            assert replayed.startswith("replayed 1 dead letter(s)"), replayed
            everything = sorted(badge(n) for n in range(1, 51))
            await eventually(lambda: api.badges() == everything, what="the replayed badge")

        # After a restart, a second replay sends nothing again, and nothing is delivered twice.
        async with council.running():
            again = council.govbus("dlq", "replay", "county.blue-badge-issued.v1")
            assert again.startswith("replayed 0 dead letter(s)"), again
            assert "1 replayed before, not sent again" in again
            page = await council.status_page()
            assert "govbus.adapter.badges-inbox.dlq" in page
            await asyncio.sleep(2)  # time for anything wrongly re-sent to arrive
    assert api.badges() == everything  # each badge applied once, under one Idempotency-Key
    assert api.unauthorised == 0
