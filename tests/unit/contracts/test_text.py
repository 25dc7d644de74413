"""Free text and lines: which characters are refused, and what the error names."""

from __future__ import annotations

import re

import pytest
from pydantic import TypeAdapter, ValidationError

from contracts.common import TEXT_PATTERN, Line, Text

LINE: TypeAdapter[str] = TypeAdapter(Line)
TEXT: TypeAdapter[str] = TypeAdapter(Text)
SURROGATES = range(0xD800, 0xE000)


def error_of(adapter: TypeAdapter[str], value: object) -> str:
    with pytest.raises(ValidationError) as caught:
        adapter.validate_python(value)
    return str(caught.value)


def refused(adapter: TypeAdapter[str], value: str) -> bool:
    try:
        adapter.validate_python(value)
    except ValidationError:
        return True
    return False


def test_text_refuses_exactly_what_the_published_pattern_excludes_and_surrogates() -> None:
    """Every code point up to U+FFFF inside ASCII or other text is refused iff the schema's
    pattern excludes it or it is a surrogate, so producers in other languages agree."""
    published = re.compile(TEXT_PATTERN)
    disagree = []
    for code in range(0x10000):
        expected = code in SURROGATES or not published.match(chr(code))
        for value in (f"a{chr(code)}b", f"é{chr(code)}b"):
            if refused(LINE, value) != expected:
                disagree.append((hex(code), value))
    assert disagree == []


@pytest.mark.parametrize(
    ("raw", "code_point"),
    [
        ("Joe\x07Bloggs\x01", "U+0007"),  # ASCII text: the first refused character is named
        ("Jo\x7f", "U+007F"),
        ("Siân\x1b", "U+001B"),  # other text goes through the full scan
        ("Siân\u2066x\u202a", "U+2066"),
        ("\x9f", "U+009F"),
    ],
)
def test_the_first_refused_character_is_named(raw: str, code_point: str) -> None:
    """The error names the first control or bidi character, whatever script the text is in."""
    message = error_of(TEXT, raw)
    assert f"found {code_point}" in message
    assert "control or bidi override" in message


@pytest.mark.parametrize("raw", ["a\x00b\ud800", "\ud800\x00", "é\u202e\udfff"])
def test_a_surrogate_is_reported_before_control_characters(raw: str) -> None:
    """Text holding a surrogate is refused as such even when a control character comes first."""
    assert "unpaired surrogate" in error_of(LINE, raw)


def test_the_published_schema_keeps_the_text_pattern() -> None:
    """Lines and texts publish the pattern, lengths and type other producers validate with."""
    assert LINE.json_schema() == {
        "type": "string", "minLength": 1, "maxLength": 100, "pattern": TEXT_PATTERN,
    }  # fmt: skip
    assert TEXT.json_schema()["pattern"] == TEXT_PATTERN
    assert TEXT.json_schema()["maxLength"] == 2000


def test_long_ascii_text_is_kept_whole() -> None:
    """A 2000-character ASCII description is accepted whole once spaces at its ends are gone."""
    body = ("Two storey side extension. " * 74)[:2000]
    assert TEXT.validate_python(f"  {body}  ") == body.strip()
