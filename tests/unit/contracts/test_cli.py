"""`govbus contracts list` and `govbus contracts export`, driven through typer's CliRunner."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from bus.cli import app
from contracts import default_registry
from contracts.export import current_documents, load_documents

runner = CliRunner()


def test_list_json_describes_every_contract_version() -> None:
    """`list --json` prints one object per contract version with the agreed keys."""
    result = runner.invoke(app, ["contracts", "list", "--json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert [row["type"] for row in rows] == [m.contract.cloudevents_type for m in default_registry]
    death = next(row for row in rows if row["type"] == "uk.gov.gro.death-registered.v2")
    assert death["event_type"] == "uk.gov.gro.death-registered"
    assert death["version"] == 2
    assert death["topic"] == "gro.death-registered.v2"
    assert death["owner"] == "gro"
    assert death["classification"] == "OFFICIAL"
    assert death["handling_caveat"] == "SENSITIVE"
    assert "deceased.nino" in death["personal_data"]
    assert death["licence"] is None
    bins = next(row for row in rows if row["event_type"].endswith("missed-bin-collection-reported"))
    assert bins["licence"]["name"] == "Open Government Licence v3.0"
    assert bins["personal_data"] == []


def test_list_prints_a_table_with_markings() -> None:
    """The human listing has a header and one line per version, with the protective marking."""
    result = runner.invoke(app, ["contracts", "list"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.strip().splitlines()
    assert lines[0].split() == ["TYPE", "TOPIC", "OWNER", "MARKING", "PERSONAL", "LICENCE"]
    assert len(lines) == 1 + len(default_registry)
    death = next(line for line in lines if line.startswith("uk.gov.gro.death-registered.v1 "))
    assert "OFFICIAL-SENSITIVE" in death
    assert "gro.death-registered.v1" in death


def test_export_writes_the_documents(tmp_path: Path) -> None:
    """`export DIR` writes the current documents and says how many."""
    target = tmp_path / "out" / "schemas"
    result = runner.invoke(app, ["contracts", "export", str(target)])
    assert result.exit_code == 0, result.output
    assert f"wrote {len(current_documents())} documents" in result.stdout
    assert load_documents(target) == current_documents()


def test_export_error_is_one_line_without_traceback(tmp_path: Path) -> None:
    """A failing export prints one line to stderr and exits 1."""
    target = tmp_path / "schemas"
    target.write_text("a file, not a directory")
    result = runner.invoke(app, ["contracts", "export", str(target)])
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.strip().splitlines() == [f"error: {target}: exists and is not a directory"]
    assert "Traceback" not in result.output
