"""`govbus contracts check`: breaking changes against a baseline fail with reasons."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from bus.cli import app
from contracts.export import export_to

SCHEMA = "uk.gov.gro.death-registered/v1.schema.json"


def _baseline(tmp_path: Path) -> Path:
    baseline = tmp_path / "baseline"
    export_to(baseline)
    return baseline


def _edit(baseline: Path, change: dict[str, object], *, required: bool) -> None:
    path = baseline / SCHEMA
    schema = json.loads(path.read_text())
    schema["properties"] |= change
    if required:
        schema["required"] = [*schema["required"], *change]
    path.write_text(json.dumps(schema))


def test_the_committed_catalogue_is_compatible_with_itself() -> None:
    """With no change since the committed schemas, check passes."""
    done = CliRunner().invoke(app, ["contracts", "check"])
    assert done.exit_code == 0, done.output
    assert "compatible" in done.output


def test_a_field_missing_from_the_current_models_is_a_breaking_change(tmp_path: Path) -> None:
    """A baseline field the models no longer have fails, naming contract, field and rule."""
    baseline = _baseline(tmp_path)
    _edit(baseline, {"coroner_reference": {"type": "string"}}, required=True)
    done = CliRunner().invoke(app, ["contracts", "check", "--baseline", str(baseline)])
    assert done.exit_code == 1
    lines = [line for line in done.stdout.splitlines() if "coroner_reference" in line]
    assert len(lines) == 1
    assert lines[0].startswith("uk.gov.gro.death-registered v1: coroner_reference: field-removed")


def test_an_optional_field_added_since_the_baseline_is_compatible(tmp_path: Path) -> None:
    """A baseline without an optional field the models now have passes."""
    baseline = _baseline(tmp_path)
    path = baseline / SCHEMA
    schema = json.loads(path.read_text())
    optional = sorted(set(schema["properties"]) - set(schema["required"]))
    assert optional, "the contract has an optional field to remove from the baseline"
    del schema["properties"][optional[0]]
    path.write_text(json.dumps(schema))
    done = CliRunner().invoke(app, ["contracts", "check", "--baseline", str(baseline)])
    assert done.exit_code == 0, done.output


def test_a_missing_baseline_is_reported_not_called_compatible(tmp_path: Path) -> None:
    """A baseline directory that does not exist is an error, never a pass."""
    done = CliRunner().invoke(app, ["contracts", "check", "--baseline", str(tmp_path / "none")])
    assert done.exit_code == 1
    assert "does not exist" in done.output
    assert "compatible with" not in done.output


def test_a_malformed_baseline_is_reported(tmp_path: Path) -> None:
    """A baseline schema that is not JSON is named as malformed."""
    baseline = _baseline(tmp_path)
    (baseline / SCHEMA).write_text("{not json")
    done = CliRunner().invoke(app, ["contracts", "check", "--baseline", str(baseline)])
    assert done.exit_code == 1
    assert SCHEMA in done.output
