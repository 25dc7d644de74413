"""`govbus federation validate` and `govbus federation docs`, run as a user runs them."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from bus.cli.federation import reference
from tests.unit.bus.federation.conftest import EXAMPLE, edit

GOVBUS = Path(sys.executable).parent / "govbus"
DOCS = Path(__file__).parents[4] / "docs" / "federation.md"


def _govbus(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(GOVBUS), *args], capture_output=True, text=True, timeout=60, check=False
    )


def test_validate_summarises_a_valid_directory() -> None:
    """A valid directory exits 0 with counts of members, rights, agreements and those in force."""
    done = _govbus("federation", "validate", str(EXAMPLE), "--on", "2026-01-15")
    assert done.returncode == 0, done.stderr
    assert done.stdout == (
        f"{EXAMPLE}: ok (5 organisations, 6 publishing rights, 6 agreements,"
        " 5 in force on 2026-01-15)\n"
    )


def test_validate_lists_every_problem_and_exits_1(federation_dir: Path) -> None:
    """An invalid directory exits 1 and prints each problem with file and key, as JSON too."""
    edit(federation_dir / "agreements" / "gro-dwp-deaths.toml", '"death.date"', '"death.dat"')
    edit(federation_dir / "organisations.toml", 'kind = "agency"', 'kind = "quango"')
    done = _govbus("federation", "validate", str(federation_dir), "--on", "2026-01-15")
    assert done.returncode == 1
    assert done.stdout == ""
    lines = done.stderr.splitlines()
    assert lines[0] == f"govbus: {federation_dir}: 2 problem(s)"
    assert lines[1].startswith("  organisations.toml: organisations[0].kind: Input should be")
    assert lines[2] == (
        "  agreements/gro-dwp-deaths.toml: agreement.fields[5]: death has no field 'dat';"
        " did you mean 'death.date'?"
    )
    as_json = _govbus("federation", "validate", str(federation_dir), "--json", "--on", "2026-01-15")
    assert as_json.returncode == 1
    result = json.loads(as_json.stdout)
    assert result["ok"] is False
    assert [p["key"] for p in result["problems"]] == [
        "organisations[0].kind",
        "agreement.fields[5]",
    ]


def test_validate_refuses_a_day_that_is_not_a_date() -> None:
    """--on takes YYYY-MM-DD; anything else is a usage error (exit 2)."""
    done = _govbus("federation", "validate", str(EXAMPLE), "--on", "tomorrow")
    assert done.returncode == 2
    assert "'tomorrow' is not a date YYYY-MM-DD" in done.stderr


def test_the_committed_federation_reference_matches_the_models() -> None:
    """docs/federation.md is regenerated from the models; a stale copy fails."""
    assert DOCS.read_text() == reference(), (
        "run `govbus federation docs docs/federation.md` and commit it"
    )
