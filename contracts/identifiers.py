"""UK open identifiers as reusable annotated types: NINO, postcode, UPRN, USRN, GSS codes, dates.

Each type validates in Python with a message naming the rule it broke, normalises what a person
might type (spaces, lower case) to one canonical form, and publishes the same rule as JSON Schema
keywords (`pattern`, `minimum`, `format`, ...) so a consumer in another language can check it.
The published patterns describe the canonical form, because that is what producers send.

Input is checked for type, length and character set before any other rule, so huge strings,
control characters and Unicode look-alikes (Cyrillic capitals, fullwidth digits) are rejected early
with a clear reason instead of being normalised into something that happens to look valid.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime, timedelta
from types import MappingProxyType
from typing import Annotated, Final

from pydantic import AfterValidator, AwareDatetime, BeforeValidator, Field, Strict
from pydantic_core import CoreSchema, PydanticCustomError, core_schema

from contracts.fast_path import after_strict_str, fast_path, forget_fast_validators, strict_inner

# Longest input accepted before normalising; generous for spacing, far below anything hostile.
_MAX_INPUT: Final = 32
_ASCII_ALNUM_SPACE: Final = re.compile(r"[A-Za-z0-9 ]*")


def _short_ascii(value: object, *, kind: str, what: str) -> str:
    """Return `value` if it is a short string of ASCII letters, digits and spaces."""
    if not isinstance(value, str):
        raise PydanticCustomError(kind, f"{what} must be a string")
    if len(value) > _MAX_INPUT:
        raise PydanticCustomError(
            kind, f"{what} is too long ({len(value)} characters; at most {_MAX_INPUT})"
        )
    # Checked before upper-casing: str.upper() turns some non-ASCII letters (the dotless i,
    # the ff ligature) into ASCII ones, which would let a look-alike through.
    if not _ASCII_ALNUM_SPACE.fullmatch(value):
        raise PydanticCustomError(
            kind, f"{what} may contain only the letters A-Z, digits 0-9 and spaces"
        )
    return value


def _letter_class(letters: str) -> str:
    """Render a set of capital letters as a compact regex character class, e.g. `[A-CEG]`."""
    codes = sorted({ord(c) for c in letters})
    parts: list[str] = []
    start = prev = codes[0]
    for code in [*codes[1:], -1]:
        if code == prev + 1:
            prev = code
            continue
        span = prev - start
        parts.append(
            chr(start) if span == 0 else f"{chr(start)}{'' if span == 1 else '-'}{chr(prev)}"
        )
        start = prev = code
    joined = "".join(parts)
    return joined if len(joined) == 1 else f"[{joined}]"


# --- National Insurance number (HMRC National Insurance Manual NIM39110) ---------------------

_ALPHABET: Final = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
NINO_NEVER_USED: Final = "DFIQUV"
"""Letters HMRC never uses as either prefix letter."""
NINO_NOT_SECOND: Final = "O"
"""Letter HMRC never uses as the second prefix letter."""
NINO_UNALLOCATED_PREFIXES: Final = frozenset({"BG", "GB", "KN", "NK", "NT", "TN", "ZZ"})
"""Prefixes HMRC does not allocate."""
NINO_SUFFIXES: Final = "ABCD"


def _nino_pattern() -> str:
    """Derive the canonical NINO regex from the rules above, without look-ahead (any engine)."""
    firsts = [c for c in _ALPHABET if c not in NINO_NEVER_USED]
    seconds = [c for c in _ALPHABET if c not in NINO_NEVER_USED + NINO_NOT_SECOND]
    by_seconds: dict[str, str] = {}
    for first in firsts:
        allowed = "".join(s for s in seconds if first + s not in NINO_UNALLOCATED_PREFIXES)
        by_seconds[allowed] = by_seconds.get(allowed, "") + first
    prefixes = "|".join(
        _letter_class(group) + _letter_class(allowed) for allowed, group in by_seconds.items()
    )
    return f"^(?:{prefixes})[0-9]{{6}}{_letter_class(NINO_SUFFIXES)}$"


NINO_PATTERN: Final = _nino_pattern()
_NINO_SHAPE: Final = re.compile(r"[A-Z]{2}[0-9]{6}[A-Z]")


@fast_path(strict_inner)
def normalise_nino(value: object) -> str:
    """Return the NINO in canonical form (`AB123456C`) or raise naming the HMRC rule broken."""
    kind, what = "national_insurance_number", "National Insurance number"
    compact = _short_ascii(value, kind=kind, what=what).replace(" ", "").upper()
    if not _NINO_SHAPE.fullmatch(compact):
        raise PydanticCustomError(
            kind, f"{what} must be 2 letters, 6 digits and 1 letter, e.g. AB 12 34 56 C"
        )
    first, second, suffix = compact[0], compact[1], compact[8]
    for position, letter in (("first", first), ("second", second)):
        if letter in NINO_NEVER_USED:
            raise PydanticCustomError(
                kind, f"{what} {position} letter {letter!r} is never used (D, F, I, Q, U, V)"
            )
    if second in NINO_NOT_SECOND:
        raise PydanticCustomError(kind, f"{what} second letter must not be 'O'")
    if compact[:2] in NINO_UNALLOCATED_PREFIXES:
        raise PydanticCustomError(kind, f"{what} prefix {compact[:2]!r} is not allocated")
    if suffix not in NINO_SUFFIXES:
        raise PydanticCustomError(kind, f"{what} suffix {suffix!r} must be A, B, C or D")
    return compact


NationalInsuranceNumber = Annotated[
    str,
    Field(
        pattern=NINO_PATTERN,
        min_length=9,
        max_length=9,
        description="National Insurance number, upper case without spaces, e.g. AB123456C.",
    ),
    BeforeValidator(normalise_nino),
]
"""A National Insurance number; input may have spaces and lower case, output is `AB123456C`."""


# --- Postcode (Royal Mail / BS 7666 format rules) --------------------------------------------

POSTCODE_NOT_FIRST: Final = "QVX"
POSTCODE_NOT_SECOND: Final = "IJZ"
POSTCODE_THIRD_LETTERS: Final = "ABCDEFGHJKPSTUW"
"""Letters allowed in the third position of an `A9A` outward code."""
POSTCODE_FOURTH_LETTERS: Final = "ABEHMNPRVWXY"
"""Letters allowed in the fourth position of an `AA9A` outward code."""
POSTCODE_NOT_INWARD: Final = "CIKMOV"
"""Letters never used in the inward code (the part after the space)."""
_GIRO: Final = "GIR0AA"


def _postcode_pattern() -> str:
    """Derive the canonical postcode regex (`SW1A 1AA`, one space) from the rules above."""
    a1 = _letter_class("".join(c for c in _ALPHABET if c not in POSTCODE_NOT_FIRST))
    a2 = _letter_class("".join(c for c in _ALPHABET if c not in POSTCODE_NOT_SECOND))
    a3, a4 = _letter_class(POSTCODE_THIRD_LETTERS), _letter_class(POSTCODE_FOURTH_LETTERS)
    inward = _letter_class("".join(c for c in _ALPHABET if c not in POSTCODE_NOT_INWARD))
    outward = f"{a1}[0-9]{{1,2}}|{a1}{a2}[0-9]{{1,2}}|{a1}[0-9]{a3}|{a1}{a2}[0-9]{a4}"
    return f"^(?:GIR 0AA|(?:{outward}) [0-9]{inward}{{2}})$"


POSTCODE_PATTERN: Final = _postcode_pattern()
_POSTCODE: Final = re.compile(POSTCODE_PATTERN)
_OUTWARD_SHAPE: Final = re.compile(r"[A-Z][A-Z]?[0-9][0-9A-Z]?")


@fast_path(strict_inner)
def normalise_postcode(value: object) -> str:
    """Return the postcode upper case with one space (`SW1A 1AA`) or raise naming the rule."""
    if type(value) is str and _POSTCODE.fullmatch(value):
        return value  # already canonical: the published pattern admits nothing else
    kind, what = "postcode", "postcode"
    compact = _short_ascii(value, kind=kind, what=what).replace(" ", "").upper()
    if compact == _GIRO:
        return "GIR 0AA"
    if not 5 <= len(compact) <= 7:
        raise PydanticCustomError(kind, f"{what} must have 5 to 7 letters and digits")
    outward, inward = compact[:-3], compact[-3:]
    if not _OUTWARD_SHAPE.fullmatch(outward):
        raise PydanticCustomError(
            kind, f"{what} outward code {outward!r} must be A9, A99, AA9, AA99, A9A or AA9A"
        )
    if not (inward[0].isdigit() and inward[1:].isalpha()):
        raise PydanticCustomError(
            kind, f"{what} inward code {inward!r} must be a digit and two letters"
        )
    if outward[0] in POSTCODE_NOT_FIRST:
        raise PydanticCustomError(kind, f"{what} first letter must not be Q, V or X")
    if outward[1].isalpha() and outward[1] in POSTCODE_NOT_SECOND:
        raise PydanticCustomError(kind, f"{what} second letter must not be I, J or Z")
    if outward[-1].isalpha():
        allowed = POSTCODE_THIRD_LETTERS if outward[1].isdigit() else POSTCODE_FOURTH_LETTERS
        if outward[-1] not in allowed:
            raise PydanticCustomError(
                kind, f"{what} letter {outward[-1]!r} is not used after {outward[:-1]!r}"
            )
    if any(c in POSTCODE_NOT_INWARD for c in inward[1:]):
        raise PydanticCustomError(
            kind, f"{what} inward code must not use the letters C, I, K, M, O or V"
        )
    canonical = f"{outward} {inward}"
    if not _POSTCODE.fullmatch(canonical):  # the published pattern is the final word
        raise PydanticCustomError(kind, f"{what} {canonical!r} is not a valid UK postcode")
    return canonical


Postcode = Annotated[
    str,
    Field(
        pattern=POSTCODE_PATTERN,
        min_length=6,
        max_length=8,
        description="UK postcode, upper case with one space, e.g. SW1A 1AA.",
    ),
    BeforeValidator(normalise_postcode),
]
"""A UK postcode; input may lack the space or be lower case, output is `SW1A 1AA`."""


# --- UPRN and USRN (GeoPlace / Ordnance Survey open identifiers) -----------------------------

UPRN_MAX: Final = 999_999_999_999
USRN_MAX: Final = 99_999_999


def _whole_number_in(maximum: int, *, kind: str, what: str) -> BeforeValidator:
    # The inner schema is a strict int with the same bounds, and strict refuses bool. Python
    # input keeps this check: pydantic-core takes int subclasses (IntEnum) as strict ints.
    @fast_path(strict_inner, json_only=True)
    def check(value: object) -> int:
        # type() rather than isinstance(): bool is an int subclass, and True is not a UPRN.
        if type(value) is not int:
            raise PydanticCustomError(
                kind, f"{what} must be an integer, not {type(value).__name__}"
            )
        if not 1 <= value <= maximum:
            # The value is not echoed: a hostile integer can be thousands of digits long.
            raise PydanticCustomError(kind, f"{what} must be a whole number from 1 to {maximum}")
        return value

    return BeforeValidator(check)


Uprn = Annotated[
    int,
    Field(ge=1, le=UPRN_MAX, description="Unique Property Reference Number (1 to 12 digits)."),
    Strict(),  # no floats or digit strings: the published type is a JSON integer
    _whole_number_in(UPRN_MAX, kind="uprn", what="UPRN"),
]
"""Unique Property Reference Number: an integer of 1 to 12 digits."""

Usrn = Annotated[
    int,
    Field(ge=1, le=USRN_MAX, description="Unique Street Reference Number (1 to 8 digits)."),
    Strict(),
    _whole_number_in(USRN_MAX, kind="usrn", what="USRN"),
]
"""Unique Street Reference Number: an integer of 1 to 8 digits."""


# --- GSS codes (ONS Government Statistical Service codes) ------------------------------------

GSS_COUNTRY_LETTERS: Final = "EKLMNSW"
GSS_PATTERN: Final = f"^{_letter_class(GSS_COUNTRY_LETTERS)}[0-9]{{8}}$"
LOCAL_AUTHORITY_ENTITIES: Final[Mapping[str, str]] = MappingProxyType(
    {
        "E06": "English unitary authority",
        "E07": "English non-metropolitan district",
        "E08": "English metropolitan district",
        "E09": "London borough (or the City of London)",
        "E10": "English county",
        "E47": "English combined authority or combined county authority",
        "W06": "Welsh unitary authority",
        "S12": "Scottish council area",
        "N09": "Northern Ireland local government district",
    }
)
"""Entity codes of the ONS Register of Geographic Codes that name a local authority, with the
kind each one is: every tier of council in the four nations, and the combined authorities that
councils form and that publish in their own name. Metropolitan counties (E11) and regions (E12)
have no council; wards, parishes and constituencies are parts of one."""
LOCAL_AUTHORITY_ENTITY_CODES: Final = tuple(LOCAL_AUTHORITY_ENTITIES)
LOCAL_AUTHORITY_DISTRICT_ENTITY_CODES: Final = ("E06", "E07", "E08", "E09", "W06", "S12", "N09")
"""The entity codes of ONS's Local Authority Districts (LAD): the single-tier and lower-tier
councils, each of which bills council tax and collects waste. Not counties or combined
authorities."""


def _entity_pattern(entity_codes: tuple[str, ...]) -> str:
    return "^(?:" + "|".join(entity_codes) + ")[0-9]{6}$"


LOCAL_AUTHORITY_PATTERN: Final = _entity_pattern(LOCAL_AUTHORITY_ENTITY_CODES)
LOCAL_AUTHORITY_DISTRICT_PATTERN: Final = _entity_pattern(LOCAL_AUTHORITY_DISTRICT_ENTITY_CODES)
_GSS: Final = re.compile(GSS_PATTERN)


@fast_path(strict_inner)
def normalise_gss_code(value: object) -> str:
    """Return the GSS code upper case (`E06000001`) or raise naming the rule."""
    if type(value) is str and _GSS.fullmatch(value):
        return value  # already canonical
    kind, what = "gss_code", "GSS code"
    code = _short_ascii(value, kind=kind, what=what).strip().upper()
    if not _GSS.fullmatch(code):
        raise PydanticCustomError(
            kind,
            f"{what} must be a country letter (E, K, L, M, N, S or W) and 8 digits, e.g. E06000001",
        )
    return code


def _gss_code_of(entity_codes: tuple[str, ...], *, kind: str, what: str) -> Callable[[object], str]:
    """A normaliser admitting GSS codes of `entity_codes` only; its error names what was given."""
    canonical = re.compile(_entity_pattern(entity_codes))
    allowed = ", ".join(entity_codes)

    @fast_path(strict_inner)
    def normalise(value: object) -> str:
        if type(value) is str and canonical.fullmatch(value):
            return value  # already canonical
        code = normalise_gss_code(value)
        entity = code[:3]
        if entity not in entity_codes:
            # Naming the kind that was given (a county, say) tells the sender what went wrong.
            given = LOCAL_AUTHORITY_ENTITIES.get(entity)
            found = f" ({given})" if given is not None else ""
            raise PydanticCustomError(
                kind, f"GSS entity code {entity!r}{found} is not {what} (allowed: {allowed})"
            )
        return code

    return normalise


normalise_local_authority_code: Final = _gss_code_of(
    LOCAL_AUTHORITY_ENTITY_CODES, kind="local_authority_code", what="a local authority"
)
"""Return a local authority's GSS code, rejecting codes of other entities (wards, regions)."""

normalise_local_authority_district_code: Final = _gss_code_of(
    LOCAL_AUTHORITY_DISTRICT_ENTITY_CODES,
    kind="local_authority_district_code",
    what="a local authority district",
)
"""Return a Local Authority District's GSS code, rejecting counties and combined authorities."""


GssCode = Annotated[
    str,
    Field(pattern=GSS_PATTERN, min_length=9, max_length=9, description="ONS GSS code."),
    BeforeValidator(normalise_gss_code),
]
"""Any ONS GSS code, e.g. `E05000026` (a ward)."""

LocalAuthorityCode = Annotated[
    str,
    Field(
        pattern=LOCAL_AUTHORITY_PATTERN,
        min_length=9,
        max_length=9,
        description="ONS GSS code of a local authority, e.g. E10000016 (Kent County Council).",
    ),
    BeforeValidator(normalise_local_authority_code),
]
"""The GSS code of any local authority: a council of any tier or a combined authority (entity
codes E06-E10, E47, W06, S12, N09; see `LOCAL_AUTHORITY_ENTITIES`)."""

LocalAuthorityDistrictCode = Annotated[
    str,
    Field(
        pattern=LOCAL_AUTHORITY_DISTRICT_PATTERN,
        min_length=9,
        max_length=9,
        description="ONS GSS code of a local authority district, e.g. E06000001 (Hartlepool).",
    ),
    BeforeValidator(normalise_local_authority_district_code),
]
"""The GSS code of a Local Authority District: a single-tier or lower-tier council that bills
council tax and collects waste (E06-E09, W06, S12, N09); counties and combined authorities are
refused. The contracts published before counties were admitted keep this type."""


# --- ISO 8601 dates and times -----------------------------------------------------------------

ISO_DATE_PATTERN: Final = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
_ISO_DATE: Final = re.compile(ISO_DATE_PATTERN)
_MAX_DATETIME_INPUT: Final = 40
# The latest UTC offset in use is +14:00, so a date is in the future only once it has not yet
# begun anywhere; this keeps a death registered just after midnight in London from failing.
_LATEST_OFFSET: Final = timedelta(hours=14)


@fast_path(after_strict_str(ISO_DATE_PATTERN))
def parse_iso_date(value: object) -> date:
    """Accept a `date` or a `YYYY-MM-DD` string naming a real calendar date; nothing else."""
    kind, what = "iso_date", "date"
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if not isinstance(value, str) or not _ISO_DATE.fullmatch(value):
        raise PydanticCustomError(kind, f"{what} must be an ISO 8601 date YYYY-MM-DD")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise PydanticCustomError(kind, f"{what} {value!r} is not a real calendar date") from None


def latest_today() -> date:
    """The latest date that has begun somewhere on Earth right now."""
    return (datetime.now(UTC) + _LATEST_OFFSET).date()


class _LatestToday:
    """`latest_today()` as last computed: it only grows, so a date not after it has begun."""

    __slots__ = ("known",)

    def __init__(self) -> None:
        self.known = latest_today()

    def admits(self, value: date) -> bool:
        """Whether `value` has begun somewhere, asking the clock only for a later date."""
        if value <= self.known:
            return True
        now = latest_today()
        if now > self.known:
            self.known = now
            forget_fast_validators()  # their bound is the date known when they were compiled
        return value <= now


_LATEST: Final = _LatestToday()


def _not_in_future_fast_path(inner: CoreSchema) -> CoreSchema:
    # A bound known to have begun, read when the fast validator is compiled: later dates fall
    # back to `_not_in_future`, which recompiles the fast validators once the bound has moved.
    return core_schema.chain_schema([inner, core_schema.date_schema(le=_LATEST.known)])


@fast_path(_not_in_future_fast_path)
def _not_in_future(value: date) -> date:
    if not _LATEST.admits(value):
        raise PydanticCustomError("date_not_in_future", f"date {value} is in the future")
    return value


@fast_path(after_strict_str(r"^[\x00-\x7f]*$", max_length=_MAX_DATETIME_INPUT))
def parse_iso_datetime(value: object) -> object:
    """Accept an aware `datetime` or a short ISO 8601 string; leave parsing to pydantic."""
    kind = "iso_datetime"
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise PydanticCustomError(kind, "date-time must include a UTC offset")
        return value
    if not isinstance(value, str) or len(value) > _MAX_DATETIME_INPUT or not value.isascii():
        raise PydanticCustomError(
            kind,
            "date-time must be an ISO 8601 string with a UTC offset, e.g. 2025-01-31T09:30:00Z",
        )
    return value


IsoDate = Annotated[date, BeforeValidator(parse_iso_date)]
"""A calendar date, ISO 8601 `YYYY-MM-DD` (JSON Schema `format: date`)."""

NotFutureDate = Annotated[date, BeforeValidator(parse_iso_date), AfterValidator(_not_in_future)]
"""An ISO 8601 date that has already begun somewhere (dates of birth, death, registration)."""

IsoDateTime = Annotated[AwareDatetime, BeforeValidator(parse_iso_datetime)]
"""An instant with a UTC offset, ISO 8601 / RFC 3339 (JSON Schema `format: date-time`)."""
