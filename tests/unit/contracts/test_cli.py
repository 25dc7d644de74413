"""`govbus contracts list`, `export`, `asyncapi` and `catalogue`, driven through CliRunner."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from bus.cli import app
from contracts import default_registry
from contracts.asyncapi import ASYNCAPI_VERSION
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


def test_list_json_says_which_versions_upcast_to_which_and_their_package() -> None:
    """death-registered v1 upcasts to v2; each row names the package that registered it."""
    result = runner.invoke(app, ["contracts", "list", "--json", "--package", "govbus"])
    assert result.exit_code == 0, result.output
    rows = {row["type"]: row for row in json.loads(result.stdout)}
    v1, v2 = rows["uk.gov.gro.death-registered.v1"], rows["uk.gov.gro.death-registered.v2"]
    assert (v1["upcasts_to"], v1["upcasts_from"]) == (2, None)
    assert (v2["upcasts_to"], v2["upcasts_from"]) == (None, 1)
    assert rows["uk.gov.gro.birth-registered.v1"]["upcasts_to"] is None
    assert {row["package"] for row in rows.values()} == {"govbus"}


def test_list_prints_a_table_with_markings() -> None:
    """The human listing has a header and one line per version, with the protective marking."""
    result = runner.invoke(app, ["contracts", "list"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.strip().splitlines()
    assert lines[0].split() == [
        "TYPE", "TOPIC", "OWNER", "MARKING", "PERSONAL", "LICENCE", "UPCASTS", "PACKAGE"
    ]  # fmt: skip
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


def _one_line_error(result: Any) -> str:
    """The single stderr line of a failed command, checking nothing else was printed."""
    assert result.exit_code == 1
    assert result.stdout == ""
    assert "Traceback" not in result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return str(lines[0])


def test_asyncapi_prints_every_registered_version_to_stdout() -> None:
    """Without OUT the AsyncAPI JSON goes to stdout, one channel per registered topic."""
    result = runner.invoke(app, ["contracts", "asyncapi"])
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["asyncapi"] == ASYNCAPI_VERSION
    assert sorted(document["channels"]) == sorted(m.contract.topic for m in default_registry)
    assert sorted(document["components"]["messages"]) == sorted(
        m.contract.cloudevents_type for m in default_registry
    )


def test_asyncapi_writes_the_same_document_to_out(tmp_path: Path) -> None:
    """With OUT the file holds exactly what stdout would, and stdout names the file."""
    out = tmp_path / "asyncapi.json"
    result = runner.invoke(app, ["contracts", "asyncapi", str(out)])
    assert result.exit_code == 0, result.output
    assert str(out) in result.stdout
    assert out.read_text(encoding="utf-8") == runner.invoke(app, ["contracts", "asyncapi"]).stdout


@pytest.mark.parametrize(
    ("make_out", "reason"),
    [
        (lambda tmp: tmp, "Is a directory"),
        (lambda tmp: tmp / "missing" / "asyncapi.json", "No such file or directory"),
    ],
)
def test_asyncapi_unwritable_out_is_one_line(tmp_path: Path, make_out: Any, reason: str) -> None:
    """An OUT that is a directory or has no parent folder fails with one line naming it."""
    out = make_out(tmp_path)
    result = runner.invoke(app, ["contracts", "asyncapi", str(out)])
    assert _one_line_error(result) == f"error: {out}: cannot write: {reason}"


def test_catalogue_renders_a_page_per_registered_event_type(tmp_path: Path) -> None:
    """`catalogue OUT_DIR` creates the folder with the index, one page per type and the schemas."""
    out = tmp_path / "site" / "catalogue"
    result = runner.invoke(app, ["contracts", "catalogue", str(out)])
    assert result.exit_code == 0, result.output
    assert str(out / "index.html") in result.stdout
    event_types = {m.contract.event_type for m in default_registry}
    assert {p.name for p in out.glob("*.html")} == {"index.html"} | {
        f"{t}.html" for t in event_types
    }
    assert load_documents(out / "schemas") == current_documents()
    index = (out / "index.html").read_text(encoding="utf-8")
    assert all(event_type in index for event_type in event_types)


def test_catalogue_into_a_file_is_one_line(tmp_path: Path) -> None:
    """OUT_DIR naming an existing file fails with one line, and the file is left alone."""
    target = tmp_path / "site"
    target.write_text("a file")
    result = runner.invoke(app, ["contracts", "catalogue", str(target)])
    assert _one_line_error(result) == f"error: {target}: exists and is not a directory"
    assert target.read_text() == "a file"


def test_catalogue_below_a_file_is_one_line(tmp_path: Path) -> None:
    """A folder that cannot be created (its parent is a file) fails with one line naming it."""
    (tmp_path / "file").write_text("a file")
    target = tmp_path / "file" / "site"
    result = runner.invoke(app, ["contracts", "catalogue", str(target)])
    assert _one_line_error(result) == f"error: {target}: cannot write: Not a directory"
