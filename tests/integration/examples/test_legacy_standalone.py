"""The legacy stand-ins run on their own, as the compose stack's containers run them."""

from __future__ import annotations

import contextlib
import signal
import subprocess
import sys
from collections.abc import Iterator

import httpx
import pytest

from tests.unit.docker.test_compose import REPO


@contextlib.contextmanager
def _standalone(module: str, *args: str) -> Iterator[tuple[subprocess.Popen[str], str]]:
    """Start ``python -m module --port 0 ...``; yield it and the URL its first line announces."""
    process = subprocess.Popen(
        [sys.executable, "-m", module, "--host", "127.0.0.1", "--port", "0", *args],
        cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert process.stdout is not None
        assert process.stderr is not None
        line = process.stdout.readline()
        assert " listening on http://127.0.0.1:" in line, line + process.stderr.read()
        yield process, line.rsplit(" ", 1)[1].strip()
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(10)
        process.stdout.close()  # type: ignore[union-attr]
        process.stderr.close()  # type: ignore[union-attr]


def _terminate(process: subprocess.Popen[str]) -> int:
    process.send_signal(signal.SIGTERM)
    return process.wait(10)


def test_the_pensions_service_serves_its_wsdl_and_stops_cleanly_on_sigterm() -> None:
    """`python -m examples.legacy.pensions` answers ?wsdl with its own address, exits 0."""
    with _standalone("examples.legacy.pensions") as (process, url):
        reply = httpx.get(url + "?wsdl", timeout=5)
        assert reply.status_code == 200
        assert "ListPaymentStops" in reply.text
        assert f'location="{url}"' in reply.text
        assert _terminate(process) == 0
        with pytest.raises(httpx.ConnectError):
            httpx.get(url + "?wsdl", timeout=2)


def test_the_council_tax_api_answers_accounts_and_stops_cleanly_on_sigterm() -> None:
    """`python -m examples.legacy.council_tax` closes and shows an account, exits 0 on SIGTERM."""
    with _standalone("examples.legacy.council_tax") as (process, url):
        assert httpx.get(f"{url}/accounts/100000000001", timeout=5).status_code == 404
        closed = httpx.put(
            f"{url}/accounts/100000000001/closure",
            json={"closed_on": "2026-11-20", "reason": "death of the liable person"},
            headers={"Idempotency-Key": "k1"},
            timeout=5,
        )
        assert closed.status_code == 201
        account = httpx.get(f"{url}/accounts/100000000001", timeout=5)
        assert account.json()["closed_on"] == "2026-11-20"
        assert _terminate(process) == 0


def test_a_port_out_of_range_is_refused_naming_the_option() -> None:
    """`--port 70000` exits 2 with an error naming --port, before listening anywhere."""
    done = subprocess.run(
        [sys.executable, "-m", "examples.legacy.council_tax", "--port", "70000"],
        cwd=REPO, capture_output=True, text=True, timeout=30, check=False,
    )  # fmt: skip
    assert done.returncode == 2
    assert "--port 70000" in done.stderr


def test_a_port_in_use_is_one_clear_error_not_a_traceback() -> None:
    """A second pensions service on the same port exits 1 saying it cannot listen there."""
    with _standalone("examples.legacy.pensions") as (_, url):
        port = url.split(":")[2].split("/")[0]
        done = subprocess.run(
            [sys.executable, "-m", "examples.legacy.pensions", "--port", port],
            cwd=REPO, capture_output=True, text=True, timeout=30, check=False,
        )  # fmt: skip
    assert done.returncode == 1
    assert f"cannot listen on 127.0.0.1:{port}" in done.stderr
    assert "Traceback" not in done.stderr
