"""Rows to records, stored watermarks back to column types, and rejected rows kept small."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import orjson
import pytest

from adapters.sql.mapping import NotText, like, record_of, rejected_copy, scalar


def test_utf8_bytes_become_text_and_other_bytes_name_their_column() -> None:
    """BLOB values that are UTF-8 map as text; anything else raises NotText for that column."""
    assert record_of({"a": "Siân".encode(), "b": 3}) == {"a": "Siân", "b": 3}
    with pytest.raises(NotText, match="'b'"):
        record_of({"a": "ok", "b": b"\xff\xfe"})


@pytest.mark.parametrize(
    ("sample", "value"),
    [
        (datetime(2025, 3, 4, 10, tzinfo=UTC), datetime(2025, 3, 4, 11, 30, tzinfo=UTC)),
        (date(2025, 3, 4), date(2024, 1, 2)),
        (7, 981),
        (Decimal("1.5"), Decimal("2.25")),
        ("text-key", "AB-12"),
        ("2025-03-04T10:00:00", "2025-03-04T11:00:00"),
    ],
)
def test_a_stored_watermark_comes_back_as_the_columns_type(sample: object, value: object) -> None:
    """What an offset stores (int or text) is restored to the type the driver compares."""
    stored = scalar(value)
    assert isinstance(stored, str | int)
    assert like(sample, stored) == value
    assert type(like(sample, stored)) is type(value)


def test_a_numeric_text_key_stays_text() -> None:
    """A text key column holding '42' compares as text, not as a number."""
    assert like("7", 42) == "42"


def test_a_rejected_row_is_json_with_long_values_cut_to_the_limit() -> None:
    """A huge row's dead-letter copy keeps every column but cuts long values."""
    raw = rejected_copy(
        {"id": 1, "note": "x" * 100_000, "blob": b"\xff", "when": date(2025, 1, 2)}, limit=2000
    )
    assert len(raw) <= 2000
    copy = orjson.loads(raw)
    assert copy["id"] == 1
    assert copy["note"].endswith("[cut: 100000 characters]")
    assert copy["blob"] == {"base64": "/w=="}
    assert copy["when"] == "2025-01-02"
