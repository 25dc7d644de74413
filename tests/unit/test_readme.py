"""The README's settings table documents every setting govbus reads."""

from __future__ import annotations

from pathlib import Path

from bus.foundation.settings import Settings

README = Path(__file__).parents[2] / "README.md"


def test_every_setting_is_in_the_readme_table() -> None:
    """Each field of Settings appears as its GOVBUS_ variable in the table, and no stale row."""
    rows = [line for line in README.read_text().splitlines() if line.startswith("| `GOVBUS_")]
    documented = {row.split("`")[1] for row in rows}
    expected = {f"GOVBUS_{name.upper()}" for name in Settings.model_fields}
    assert documented == expected
