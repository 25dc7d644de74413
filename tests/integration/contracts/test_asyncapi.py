"""The AsyncAPI document checked by the official AsyncAPI parser (`tools/asyncapi`, Node.js)."""

import copy
import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from bus.cli import app
from contracts.asyncapi import build_asyncapi, dump_asyncapi
from contracts.export_format import load_documents
from contracts.packages import builtin_models

ROOT = Path(__file__).parents[3]
FIXTURES = ROOT / "tests" / "fixtures" / "contracts_export"
VALIDATOR = ROOT / "tools" / "asyncapi" / "validate.mjs"
GRO_MESSAGE = "uk.gov.gro.death-registered.v1"


def _validate(document: dict[str, Any], tmp_path: Path) -> tuple[int, dict[str, Any]]:
    """Writes `document`, runs the official parser on it and returns (exit code, report)."""
    path = tmp_path / "asyncapi.json"
    path.write_text(dump_asyncapi(document), encoding="utf-8")
    return _validate_file(path)


def _validate_file(path: Path) -> tuple[int, dict[str, Any]]:
    """Runs the official parser on the document in `path`; returns (exit code, report)."""
    node = shutil.which("node")
    if node is None:
        pytest.fail(
            "node is not installed: install Node.js (Debian package nodejs) to run this test"
        )
    if not (VALIDATOR.parent / "node_modules" / "@asyncapi" / "parser").is_dir():
        pytest.fail("tools/asyncapi has no node_modules: run `make node-deps` first")
    done = subprocess.run(
        [node, str(VALIDATOR), str(path)], capture_output=True, text=True, timeout=120, check=False
    )
    try:
        report = json.loads(done.stdout)
    except json.JSONDecodeError:
        pytest.fail(f"validator printed no JSON (exit {done.returncode}): {done.stderr}")
    return done.returncode, report


def _problems(report: dict[str, Any], *severities: str) -> list[str]:
    return [
        f"{d['severity']} {d['code']} at /{'/'.join(d['path'])}: {d['message']}"
        for d in report["diagnostics"]
        if d["severity"] in severities
    ]


@pytest.fixture(scope="module")
def catalogue() -> dict[str, Any]:
    return build_asyncapi(load_documents(FIXTURES))


def _assert_clean(code: int, report: dict[str, Any]) -> None:
    problems = _problems(report, "error", "warning")
    assert code == 0, "\n".join(problems)
    assert report["errors"] == 0, "\n".join(problems)
    assert report["warnings"] == 0, "\n".join(problems)


def test_catalogue_passes_the_official_parser(catalogue, tmp_path):
    """The parser reports no errors and no warnings for the built document."""
    _assert_clean(*_validate(catalogue, tmp_path))


def test_registered_catalogue_from_the_cli_passes_the_official_parser(tmp_path):
    """`govbus contracts asyncapi OUT` on the real catalogue writes a clean document of it all."""
    out = tmp_path / "asyncapi.json"
    result = CliRunner().invoke(app, ["contracts", "asyncapi", str(out), "--package", "govbus"])
    assert result.exit_code == 0, result.output
    _assert_clean(*_validate_file(out))
    written = json.loads(out.read_text(encoding="utf-8"))
    assert sorted(written["components"]["messages"]) == sorted(
        model.contract.cloudevents_type for model in builtin_models()
    )
    assert len(written["channels"]) == len(builtin_models()) == 9


def test_parser_fails_a_payload_reference_that_does_not_resolve(catalogue, tmp_path):
    """A rewritten `$ref` pointing nowhere is an error, so the reference check can fail."""
    broken = copy.deepcopy(catalogue)
    deceased = broken["components"]["messages"][GRO_MESSAGE]["payload"]["schema"]["properties"][
        "deceased"
    ]
    deceased["allOf"][0]["$ref"] = deceased["allOf"][0]["$ref"].replace("Deceased", "Missing")
    code, report = _validate(broken, tmp_path)
    assert code == 1
    assert any("Missing" in problem for problem in _problems(report, "error"))


def test_parser_checks_payload_schemas_under_the_declared_format(catalogue, tmp_path):
    """Under the draft-07 schema format the parser validates the payload schema itself."""
    broken = copy.deepcopy(catalogue)
    payload = broken["components"]["messages"][GRO_MESSAGE]["payload"]["schema"]
    payload["properties"]["registration_id"]["type"] = "text"
    code, report = _validate(broken, tmp_path)
    assert code == 1
    assert any("registration_id/type" in problem for problem in _problems(report, "error"))


def test_validator_refuses_external_references(catalogue, tmp_path):
    """The published catalogue must be self-contained; the check never fetches a URL."""
    broken = copy.deepcopy(catalogue)
    broken["components"]["messages"][GRO_MESSAGE]["headers"] = {
        "$ref": "https://example.org/headers.json"
    }
    code, report = _validate(broken, tmp_path)
    assert code == 1
    assert any("govbus-external-ref" in problem for problem in _problems(report, "error"))
