"""Installing contract packages for a test the way pip does, and running govbus on them.

A package is installed into a fresh directory as its module plus a `<name>-<version>.dist-info`
with `METADATA` and `entry_points.txt`; with that directory on `PYTHONPATH`, a `govbus`
subprocess finds it through `importlib.metadata`, exactly as it finds a pip-installed one.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tomllib
from collections.abc import Mapping
from pathlib import Path

FIXTURE = Path(__file__).parents[2] / "fixtures" / "contract_package"
"""Blue County Council's contract package: its pyproject.toml, module and committed schemas."""
FIXTURE_SCHEMAS = FIXTURE / "schemas"
GOVBUS = Path(sys.executable).parent / "govbus"


def install(
    site: Path,
    *,
    name: str,
    modules: Mapping[str, str],
    entry_points: Mapping[str, str],
    version: str = "1.0.0",
) -> None:
    """Install a distribution `name` into `site`: each module's source and its entry points."""
    for module, source in modules.items():
        (site / f"{module}.py").write_text(source, encoding="utf-8")
    _dist_info(site, name=name, version=version, entry_points=entry_points)


def install_fixture(site: Path) -> None:
    """Install Blue County Council's package from tests/fixtures as pip would."""
    project = tomllib.loads((FIXTURE / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    shutil.copytree(FIXTURE / "blue_county_contracts", site / "blue_county_contracts")
    _dist_info(
        site,
        name=project["name"],
        version=project["version"],
        entry_points=project["entry-points"]["govbus.contracts"],
    )


def _dist_info(site: Path, *, name: str, version: str, entry_points: Mapping[str, str]) -> None:
    folder = site / f"{re.sub(r'[-_.]+', '_', name)}-{version}.dist-info"
    folder.mkdir(parents=True)
    (folder / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n", encoding="utf-8"
    )
    lines = ["[govbus.contracts]", *(f"{key} = {value}" for key, value in entry_points.items())]
    (folder / "entry_points.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")


def govbus(site: Path, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run the `govbus` program with the packages installed in `site` importable."""
    env = {**os.environ, "PYTHONPATH": str(site)}
    return subprocess.run(
        [str(GOVBUS), *args],
        env=env, cwd=cwd, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
