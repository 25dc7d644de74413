"""UK open identifiers: good values normalise, bad ones fail naming the rule, patterns agree."""

from __future__ import annotations

import re
import string
import time
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from pydantic import TypeAdapter, ValidationError

from contracts.common import Line, Reference
from contracts.identifiers import (
    GSS_PATTERN,
    LOCAL_AUTHORITY_DISTRICT_ENTITY_CODES,
    LOCAL_AUTHORITY_DISTRICT_PATTERN,
    LOCAL_AUTHORITY_ENTITY_CODES,
    LOCAL_AUTHORITY_PATTERN,
    NINO_PATTERN,
    POSTCODE_PATTERN,
    GssCode,
    IsoDate,
    IsoDateTime,
    LocalAuthorityCode,
    LocalAuthorityDistrictCode,
    NationalInsuranceNumber,
    NotFutureDate,
    Postcode,
    Uprn,
    Usrn,
    latest_today,
)

NINO = TypeAdapter(NationalInsuranceNumber)
POSTCODE = TypeAdapter(Postcode)
UPRN = TypeAdapter(Uprn)
USRN = TypeAdapter(Usrn)
GSS = TypeAdapter(GssCode)
LA = TypeAdapter(LocalAuthorityCode)
LAD = TypeAdapter(LocalAuthorityDistrictCode)
DATE = TypeAdapter(IsoDate)
PAST = TypeAdapter(NotFutureDate)
INSTANT = TypeAdapter(IsoDateTime)
LINE = TypeAdapter(Line)
REFERENCE = TypeAdapter(Reference)


def error_of(adapter: TypeAdapter[Any], value: object) -> str:
    """The single error message raised for `value`."""
    with pytest.raises(ValidationError) as caught:
        adapter.validate_python(value)
    errors = caught.value.errors()
    assert len(errors) == 1
    return str(errors[0]["msg"])


# Hostile strings that every text identifier must refuse without normalising them into a
# valid-looking value.
HOSTILE = [
    pytest.param("A" * 10_000_000, "too long", id="ten-megabytes"),
    pytest.param("\u0410\u0412123456\u0421", "only the letters A-Z", id="cyrillic-look-alikes"),
    pytest.param(
        "\uff21\uff22\uff11\uff12\uff13\uff14\uff15\uff16\uff23",
        "only the letters A-Z",
        id="fullwidth",
    ),
    pytest.param(
        "AB\u0661\u0662\u0663\u0664\u0665\u0666C", "only the letters A-Z", id="arabic-digits"
    ),
    pytest.param("AB123456C\n", "only the letters A-Z", id="trailing-newline"),
    pytest.param("AB12\x003456C", "only the letters A-Z", id="nul"),
    pytest.param("AB123456\u202eC", "only the letters A-Z", id="bidi-override"),
    pytest.param("AB 12\t34 56 C", "only the letters A-Z", id="tab"),
    pytest.param(None, "must be a string", id="none"),
    pytest.param(123456, "must be a string", id="integer"),
]


@pytest.mark.parametrize(
    ("raw", "canonical"),
    [
        ("AB123456C", "AB123456C"),
        ("ab 12 34 56 c", "AB123456C"),
        ("  CE 298417 A ", "CE298417A"),
        ("JT123456D", "JT123456D"),
        ("ZY000000A", "ZY000000A"),
    ],
)
def test_nino_accepts_and_normalises(raw: str, canonical: str) -> None:
    """A valid NINO typed with spaces or lower case comes out upper case without spaces."""
    assert NINO.validate_python(raw) == canonical
    assert re.fullmatch(NINO_PATTERN, canonical)


@pytest.mark.parametrize(
    ("raw", "rule"),
    [
        ("DA123456A", "first letter 'D' is never used"),
        ("AF123456A", "second letter 'F' is never used"),
        ("QQ123456C", "first letter 'Q' is never used"),
        ("AO123456A", "second letter must not be 'O'"),
        ("BG123456A", "prefix 'BG' is not allocated"),
        ("GB123456A", "prefix 'GB' is not allocated"),
        ("NK123456A", "prefix 'NK' is not allocated"),
        ("TN123456A", "prefix 'TN' is not allocated"),
        ("ZZ123456A", "prefix 'ZZ' is not allocated"),
        ("AB123456E", "suffix 'E' must be A, B, C or D"),
        ("AB12345C", "2 letters, 6 digits and 1 letter"),
        ("AB1234567", "2 letters, 6 digits and 1 letter"),
        ("", "2 letters, 6 digits and 1 letter"),
    ],
)
def test_nino_rejects_naming_the_rule(raw: str, rule: str) -> None:
    """Each HMRC rule produces its own message, naming the offending letters."""
    assert rule in error_of(NINO, raw)


@pytest.mark.parametrize(("raw", "reason"), HOSTILE)
def test_nino_rejects_hostile_input(raw: object, reason: str) -> None:
    """Huge, look-alike and control-character input is refused before any normalising."""
    started = time.perf_counter()
    assert reason in error_of(NINO, raw)
    assert time.perf_counter() - started < 1.0


@pytest.mark.parametrize("first", string.ascii_uppercase)
def test_nino_published_pattern_agrees_with_python_rules(first: str) -> None:
    """For every two-letter prefix, the JSON Schema pattern accepts exactly what Python does."""
    for second in string.ascii_uppercase:
        for suffix in "ABCDE":
            value = f"{first}{second}123456{suffix}"
            try:
                NINO.validate_python(value)
                python_ok = True
            except ValidationError:
                python_ok = False
            assert python_ok == bool(re.fullmatch(NINO_PATTERN, value)), value


@pytest.mark.parametrize(
    ("raw", "canonical"),
    [
        ("EC1A 1BB", "EC1A 1BB"),
        ("w1a0ax", "W1A 0AX"),
        ("M1 1AE", "M1 1AE"),
        ("B33 8TH", "B33 8TH"),
        ("cr2 6xh", "CR2 6XH"),
        ("DN55  1PT", "DN55 1PT"),
        ("SW1A2AA", "SW1A 2AA"),
        ("TS24 0PP", "TS24 0PP"),
        ("gir 0aa", "GIR 0AA"),
    ],
)
def test_postcode_accepts_and_normalises(raw: str, canonical: str) -> None:
    """Postcodes come out upper case with exactly one space before the inward code."""
    assert POSTCODE.validate_python(raw) == canonical
    assert re.fullmatch(POSTCODE_PATTERN, canonical)


@pytest.mark.parametrize(
    ("raw", "rule"),
    [
        ("QA1 1AA", "first letter must not be Q, V or X"),
        ("XM1 1AA", "first letter must not be Q, V or X"),
        ("AI1 1AA", "second letter must not be I, J or Z"),
        ("W1I 1AA", "letter 'I' is not used after 'W1'"),
        ("EC1Z 1AA", "letter 'Z' is not used after 'EC1'"),
        ("M1 1AC", "must not use the letters C, I, K, M, O or V"),
        ("M1 1OA", "must not use the letters C, I, K, M, O or V"),
        ("M1 AAA", "must be a digit and two letters"),
        ("1M1 1AA", "must be A9, A99, AA9, AA99, A9A or AA9A"),
        ("ABC1 1AA", "must be A9, A99, AA9, AA99, A9A or AA9A"),
        ("M1", "5 to 7 letters and digits"),
        ("SW1A 1AAA", "5 to 7 letters and digits"),
    ],
)
def test_postcode_rejects_naming_the_rule(raw: str, rule: str) -> None:
    """Each Royal Mail format rule produces its own message."""
    assert rule in error_of(POSTCODE, raw)


@pytest.mark.parametrize(("raw", "reason"), HOSTILE)
def test_postcode_rejects_hostile_input(raw: object, reason: str) -> None:
    """Huge, look-alike and control-character input is refused as a postcode too."""
    assert reason in error_of(POSTCODE, raw)


@pytest.mark.parametrize(
    "canonical",
    ["QA1 1AA", "AI1 1AA", "W1I 1AA", "EC1Z 1AA", "M1 1AC", "M11AA", "m1 1aa", "M1 1AA "],
)
def test_postcode_published_pattern_rejects_what_python_rejects(canonical: str) -> None:
    """A consumer using only the schema pattern refuses the same invalid postcodes."""
    assert re.fullmatch(POSTCODE_PATTERN, canonical) is None


@pytest.mark.parametrize("value", [1, 100023336956, 999_999_999_999])
def test_uprn_accepts_one_to_twelve_digits(value: int) -> None:
    """UPRNs are positive integers of at most 12 digits."""
    assert UPRN.validate_python(value) == value


@pytest.mark.parametrize(
    ("value", "rule"),
    [
        (0, "from 1 to 999999999999"),
        (-5, "from 1 to 999999999999"),
        (10**12, "from 1 to 999999999999"),
        pytest.param(10**5000, "from 1 to 999999999999", id="5000-digits"),
        (True, "must be an integer, not bool"),
        (1.0, "must be an integer, not float"),
        ("100023336956", "must be an integer, not str"),
        (None, "must be an integer, not NoneType"),
    ],
)
def test_uprn_rejects_naming_the_rule(value: object, rule: str) -> None:
    """Out-of-range numbers and non-integers (booleans included) are refused by name."""
    message = error_of(UPRN, value)
    assert "UPRN" in message
    assert rule in message


def test_usrn_is_limited_to_eight_digits() -> None:
    """A USRN above 99999999 is refused, naming USRN."""
    assert USRN.validate_python(99_999_999) == 99_999_999
    assert "USRN must be a whole number from 1 to 99999999" in error_of(USRN, 100_000_000)


@pytest.mark.parametrize(
    ("raw", "canonical"),
    [("E06000001", "E06000001"), ("e05011118", "E05011118"), (" W06000015 ", "W06000015")],
)
def test_gss_code_accepts_any_entity(raw: str, canonical: str) -> None:
    """Any GSS code (a ward, a county, a council) is a valid GssCode, upper-cased."""
    assert GSS.validate_python(raw) == canonical
    assert re.fullmatch(GSS_PATTERN, canonical)


@pytest.mark.parametrize(
    "raw", ["E0600001", "E060000011", "X06000001", "E06-00001", "E\uff106000001"]
)
def test_gss_code_rejects_wrong_shape(raw: str) -> None:
    """A GSS code is one country letter and eight ASCII digits."""
    message = error_of(GSS, raw)
    assert "GSS code" in message


# One real authority of every kind the ONS Register of Geographic Codes gives a local authority
# entity code, named in the test id so a failure says which kind of council was turned away.
LOCAL_AUTHORITIES = [
    pytest.param("E06000001", id="E06-unitary-Hartlepool"),
    pytest.param("E06000053", id="E06-unitary-Isles-of-Scilly"),
    pytest.param("E07000008", id="E07-district-Cambridge"),
    pytest.param("E08000003", id="E08-metropolitan-district-Manchester"),
    pytest.param("E09000001", id="E09-City-of-London"),
    pytest.param("E09000011", id="E09-London-borough-Greenwich"),
    pytest.param("E10000016", id="E10-county-Kent"),
    pytest.param("E47000001", id="E47-combined-authority-Greater-Manchester"),
    pytest.param("W06000015", id="W06-Welsh-unitary-Cardiff"),
    pytest.param("S12000033", id="S12-Scottish-council-Aberdeen-City"),
    pytest.param("N09000003", id="N09-NI-district-Belfast"),
]


@pytest.mark.parametrize("code", LOCAL_AUTHORITIES)
def test_local_authority_code_accepts_every_kind_of_local_authority(code: str) -> None:
    """A real code of each local authority kind validates as is and fits the published pattern."""
    assert LA.validate_python(code) == code
    assert LA.validate_json(f'"{code}"') == code
    assert re.fullmatch(LOCAL_AUTHORITY_PATTERN, code)


def test_local_authority_kinds_are_the_ones_tested() -> None:
    """Every entity code the type admits has a real authority among the tested codes."""
    tested = {str(param.values[0])[:3] for param in LOCAL_AUTHORITIES}
    assert tested == set(LOCAL_AUTHORITY_ENTITY_CODES)


@pytest.mark.parametrize(
    "code",
    [
        pytest.param("E05011118", id="E05-ward"),
        pytest.param("E04000001", id="E04-parish"),
        pytest.param("E11000001", id="E11-metropolitan-county-without-a-council"),
        pytest.param("E12000007", id="E12-region-London"),
        pytest.param("E14000639", id="E14-constituency"),
        pytest.param("E92000001", id="E92-country-England"),
        pytest.param("W05000001", id="W05-Welsh-ward"),
        pytest.param("S13002516", id="S13-Scottish-ward"),
        pytest.param("N08000101", id="N08-NI-ward"),
    ],
)
def test_local_authority_code_rejects_other_entities(code: str) -> None:
    """Wards, parishes, regions and countries are GSS codes but not local authorities."""
    assert f"entity code {code[:3]!r} is not a local authority" in error_of(LA, code)
    assert re.fullmatch(LOCAL_AUTHORITY_PATTERN, code) is None


@pytest.mark.parametrize(
    ("raw", "rule"),
    [
        pytest.param("E1000016", "8 digits", id="one-digit-short"),
        pytest.param("E100000166", "8 digits", id="one-digit-long"),
        pytest.param("E10", "8 digits", id="entity-code-alone"),
        pytest.param("", "8 digits", id="empty"),
        pytest.param("X10000016", "country letter", id="unknown-country-letter"),
        pytest.param("E10 000016", "8 digits", id="space-inside"),
        pytest.param("E10000016\n", "only the letters A-Z", id="trailing-newline"),
        pytest.param("\tE10000016", "only the letters A-Z", id="leading-tab"),
        pytest.param("E10000016\u00a0", "only the letters A-Z", id="no-break-space"),
        pytest.param("E\uff110000016", "only the letters A-Z", id="fullwidth-digit"),
        pytest.param("E" + "1" * 40, "too long", id="oversized"),
        pytest.param(10000016, "must be a string", id="a-number"),
    ],
)
def test_local_authority_code_rejects_wrong_shapes(raw: object, rule: str) -> None:
    """Wrong lengths, characters, inner spaces and control characters fail, naming the rule."""
    assert rule in error_of(LA, raw)


@pytest.mark.parametrize("raw", ["e10000016", " E10000016 ", "e10000016 "])
def test_local_authority_code_normalises_case_and_outer_spaces_only_in_python(raw: str) -> None:
    """Typed lower case or padded codes become canonical; the published pattern refuses them."""
    assert LA.validate_python(raw) == "E10000016"
    assert re.fullmatch(LOCAL_AUTHORITY_PATTERN, raw) is None


@pytest.mark.parametrize(
    "code",
    [p for p in LOCAL_AUTHORITIES if str(p.values[0])[:3] in LOCAL_AUTHORITY_DISTRICT_ENTITY_CODES],
)
def test_local_authority_district_code_accepts_single_and_lower_tier_councils(code: str) -> None:
    """Unitaries, districts, boroughs and the devolved nations' councils are districts."""
    assert LAD.validate_python(code) == code
    assert re.fullmatch(LOCAL_AUTHORITY_DISTRICT_PATTERN, code)


@pytest.mark.parametrize(
    ("code", "kind"),
    [
        pytest.param("E10000016", "English county", id="E10-county-Kent"),
        pytest.param("E47000001", "English combined authority", id="E47-Greater-Manchester"),
    ],
)
def test_local_authority_district_code_refuses_counties_naming_what_was_given(
    code: str, kind: str
) -> None:
    """A county or combined authority is not a district, and the error says which it is."""
    message = error_of(LAD, code)
    assert f"GSS entity code {code[:3]!r} ({kind}" in message
    assert "is not a local authority district" in message
    assert re.fullmatch(LOCAL_AUTHORITY_DISTRICT_PATTERN, code) is None


def test_dates_accept_iso_strings_and_date_objects() -> None:
    """ISO 8601 calendar dates parse, leap days included, and date objects pass through."""
    assert DATE.validate_python("2024-02-29") == date(2024, 2, 29)
    assert DATE.validate_python(date(2025, 1, 31)) == date(2025, 1, 31)


@pytest.mark.parametrize(
    ("value", "rule"),
    [
        ("2025-02-29", "not a real calendar date"),
        ("2025-13-01", "not a real calendar date"),
        ("2025-1-5", "ISO 8601 date YYYY-MM-DD"),
        ("05/01/2025", "ISO 8601 date YYYY-MM-DD"),
        ("20250105", "ISO 8601 date YYYY-MM-DD"),
        ("2025-01-05T00:00:00", "ISO 8601 date YYYY-MM-DD"),
        ("\uff12\uff10\uff12\uff15-01-05", "ISO 8601 date YYYY-MM-DD"),
        (1735689600, "ISO 8601 date YYYY-MM-DD"),
        (datetime(2025, 1, 5, tzinfo=UTC), "ISO 8601 date YYYY-MM-DD"),
    ],
)
def test_dates_reject_other_forms(value: object, rule: str) -> None:
    """Timestamps, other layouts and impossible dates are refused, naming ISO 8601."""
    assert rule in error_of(DATE, value)


def test_not_future_date_accepts_today_and_refuses_beyond_any_time_zone() -> None:
    """Today anywhere on Earth is acceptable; the day after that is in the future."""
    today_somewhere = latest_today()
    assert PAST.validate_python(today_somewhere.isoformat()) == today_somewhere
    assert PAST.validate_python(datetime.now(UTC).date()) == datetime.now(UTC).date()
    tomorrow = today_somewhere + timedelta(days=1)
    assert "is in the future" in error_of(PAST, tomorrow.isoformat())


def test_date_time_requires_an_offset() -> None:
    """Instants must say which time zone they are in; naive times and numbers are refused."""
    parsed = INSTANT.validate_python("2025-05-06T17:42:10+01:00")
    assert parsed.utcoffset() == timedelta(hours=1)
    assert "timezone" in error_of(INSTANT, "2025-05-06T17:42:10")
    assert "UTC offset" in error_of(INSTANT, 1746553330)
    assert "UTC offset" in error_of(INSTANT, "2025-05-06T17:42:10Z" + " " * 100)


@pytest.mark.parametrize(
    ("raw", "canonical"),
    [("  Siân ", "Siân"), ("Sia\u0302n", "Siân"), ("Ó Briain", "Ó Briain"), ("李 小龍", "李 小龍")],
)
def test_text_keeps_real_names_and_normalises_to_nfc(raw: str, canonical: str) -> None:
    """Names in any script are kept; combining sequences are composed and edges stripped."""
    assert LINE.validate_python(raw) == canonical


@pytest.mark.parametrize(
    ("raw", "rule"),
    [
        ("Joe\x00Bloggs", "U+0000"),
        ("Joe\nBloggs", "U+000A"),
        ("Joe\u202eBloggs", "U+202E"),
        ("Joe\x85", "U+0085"),
        ("   ", "must not be empty"),
        ("x" * 101, "too long (101 characters; at most 100)"),
        ("x" * 10_000_000, "too long"),
        ("\ud800", "unpaired surrogate"),
    ],
)
def test_text_rejects_control_and_bidi_characters(raw: str, rule: str) -> None:
    """Control characters and bidi overrides are refused, naming the code point."""
    assert rule in error_of(LINE, raw)


def test_reference_is_upper_cased_ascii() -> None:
    """Legacy references are normalised to upper case and limited to a safe ASCII set."""
    assert REFERENCE.validate_python("25/00412/hh") == "25/00412/HH"
    assert "only A-Z, 0-9" in error_of(REFERENCE, "/etc/passwd")
    assert "at most 40 ASCII" in error_of(REFERENCE, "CT/\uff140187734")
