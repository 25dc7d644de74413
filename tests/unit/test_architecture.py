"""Imports follow the layers drawn in bus/__init__.py, checked by import-linter."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).parents[2]
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"


def lint_imports(root: Path) -> subprocess.CompletedProcess[str]:
    """Run import-linter on the packages under ``root`` with the project's contracts."""
    env = {**os.environ, "PYTHONPATH": str(root)}
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", "--config", str(root / "pyproject.toml")],
        cwd=root, env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip


@pytest.fixture
def tree_copy(tmp_path: Path) -> Path:
    """A copy of the project's packages and contracts to break on purpose."""
    ignore = shutil.ignore_patterns("__pycache__", "schemas", "site")
    for package in ("bus", "adapters", "contracts"):
        shutil.copytree(REPO / package, tmp_path / package, ignore=ignore)
    shutil.copy(REPO / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def _add_import(module: Path, statement: str) -> None:
    module.write_text(module.read_text() + f"\n{statement}\n")


def test_the_tree_keeps_every_import_contract() -> None:
    """The project as committed breaks none of the layers, directions or independences."""
    result = lint_imports(REPO)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


@pytest.mark.parametrize(
    ("module", "statement", "broken"),
    [
        (
            "bus/messaging/codec.py",
            "from bus.process.service import Service",
            "bus.messaging.codec -> bus.process.service",
        ),
        (
            "bus/observability/status.py",
            "from bus.adapter_runtime import offsets",
            "bus.observability.status -> bus.adapter_runtime.offsets",
        ),
        (
            "bus/process/service.py",
            "from bus.testing import kafka",
            "bus.process.service -> bus.testing.kafka",
        ),
        (
            "contracts/base.py",
            "from bus.foundation import errors",
            "contracts.base -> bus.foundation.errors",
        ),
        (
            "adapters/rest/sink.py",
            "from adapters.soap import sink",
            "adapters.rest.sink -> adapters.soap.sink",
        ),
    ],
)
def test_an_import_against_the_layers_fails_the_check(
    tree_copy: Path, module: str, statement: str, broken: str
) -> None:
    """An upward or sideways import makes the check fail and names the offending import."""
    _add_import(tree_copy / module, statement)
    result = lint_imports(tree_copy)
    assert result.returncode != 0
    assert broken in result.stdout
