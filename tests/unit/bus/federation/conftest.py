"""A copy of the Tell Us Once federation to break on purpose, and a reader of it."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest

from bus.federation.directory import Reading, read

EXAMPLE = Path(__file__).parents[4] / "examples" / "tell_us_once" / "federation"
TODAY = date(2026, 1, 15)


@pytest.fixture
def federation_dir(tmp_path: Path) -> Path:
    """A writable copy of the example federation directory."""
    return Path(shutil.copytree(EXAMPLE, tmp_path / "federation"))


def edit(path: Path, old: str, new: str) -> None:
    """Replace ``old`` (which must be there) with ``new`` in the file at ``path``."""
    text = path.read_text()
    assert old in text, f"{old!r} not in {path.name}"
    path.write_text(text.replace(old, new, 1))


@pytest.fixture
def problems(federation_dir: Path) -> Callable[[], list[str]]:
    """Read the copy as of TODAY and return its problems as lines."""

    def run() -> list[str]:
        reading: Reading = read(federation_dir, today=TODAY)
        assert (reading.federation is None) == bool(reading.problems)
        return [str(p) for p in reading.problems]

    return run
