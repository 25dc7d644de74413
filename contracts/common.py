"""Building blocks shared by contracts: free text, references, a person's name, a postal address.

Text is normalised to Unicode NFC and stripped, so "Siân" typed two ways is one value. Control
characters and bidirectional overrides are rejected: they have no place in a name or address,
and bidi overrides can make a value display as something else than it is.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Annotated, Final

from pydantic import BeforeValidator, Field
from pydantic_core import CoreSchema, PydanticCustomError, core_schema

from contracts.base import ContractModel
from contracts.fast_path import fast_path, strict_inner
from contracts.identifiers import Postcode, Uprn

TEXT_PATTERN: Final = r"^[^\u0000-\u001F\u007F-\u009F\u202A-\u202E\u2066-\u2069]+$"
"""Published pattern for text: no C0/C1 control characters and no bidi override characters."""
# Unicode category Cs is exactly U+D800-U+DFFF. One scan finds any character text refuses.
_SURROGATE: Final = re.compile(r"[\ud800-\udfff]")
_REFUSED: Final = re.compile(r"[\u0000-\u001F\u007F-\u009F\u202A-\u202E\u2066-\u2069\ud800-\udfff]")
REFERENCE_PATTERN: Final = r"^[A-Z0-9][A-Z0-9/._-]{0,39}$"
_REFERENCE: Final = re.compile(REFERENCE_PATTERN)
CANONICAL_TEXT_PATTERN: Final = (
    r"^[\x21-\x7e\u00a1-\u017f](?:[\x20-\x7e\u00a0-\u017f]*[\x21-\x7e\u00a1-\u017f])?$"
)
"""Text the cleaner returns unchanged: printable ASCII, Latin-1 and Latin Extended-A letters
(Siân, Ŵyn), no space at either edge. Each of these characters is its own NFC and none combines
with a neighbour, so any string of them is already NFC."""
LINE_MAX: Final = 100
TEXT_MAX: Final = 2000


# The cleaner refuses every character TEXT_PATTERN excludes (and empty text) before the
# constraints run, so the pattern is published for other readers of the schema rather than
# scanned a second time.
_PUBLISHED_PATTERN: Final = {"pattern": TEXT_PATTERN}


def _text_cleaner(max_length: int) -> BeforeValidator:
    def canonical(inner: CoreSchema) -> CoreSchema:
        # Such text holds no refused character and is already NFC; without edge spaces
        # stripping leaves it as it is; within max_length nothing is too long.
        return core_schema.str_schema(
            strict=True, pattern=CANONICAL_TEXT_PATTERN, max_length=max_length
        )

    @fast_path(canonical)
    def clean(value: object) -> str:
        if not isinstance(value, str):
            raise PydanticCustomError("text", "text must be a string")
        # Bound the work before normalising: NFC of a huge string is not free.
        if len(value) > 4 * max_length:
            raise PydanticCustomError(
                "text", f"text is too long ({len(value)} characters; at most {max_length})"
            )
        # In ASCII text only C0 controls and DEL are refused, and those are exactly the ASCII
        # characters str.isprintable() refuses: a C loop, much faster than a regex scan. Other
        # text takes the regex.
        clean_ascii = value.isascii() and value.isprintable()
        refused = None if clean_ascii else _REFUSED.search(value)
        if refused is not None:
            # A surrogate anywhere is reported before a control or bidi character.
            if _SURROGATE.search(value, refused.start()) is not None:
                raise PydanticCustomError("text", "text contains an unpaired surrogate")
            raise PydanticCustomError(
                "text",
                f"text must not contain control or bidi override characters"
                f" (found U+{ord(refused.group()):04X})",
            )
        # ASCII text is already in NFC.
        text = (value if clean_ascii else unicodedata.normalize("NFC", value)).strip()
        if not text:
            raise PydanticCustomError("text", "text must not be empty")
        if len(text) > max_length:
            raise PydanticCustomError(
                "text", f"text is too long ({len(text)} characters; at most {max_length})"
            )
        return text

    return BeforeValidator(clean)


Line = Annotated[
    str,
    Field(min_length=1, max_length=LINE_MAX, json_schema_extra=_PUBLISHED_PATTERN),
    _text_cleaner(LINE_MAX),
]
"""One line of text (a name, an address line, a district): 1 to 100 characters, NFC, stripped."""

Text = Annotated[
    str,
    Field(min_length=1, max_length=TEXT_MAX, json_schema_extra=_PUBLISHED_PATTERN),
    _text_cleaner(TEXT_MAX),
]
"""Free text such as a description: 1 to 2000 characters, NFC, stripped."""


@fast_path(strict_inner)
def _normalise_reference(value: object) -> str:
    if not isinstance(value, str) or len(value) > 40 or not value.isascii():
        raise PydanticCustomError(
            "reference", "reference must be at most 40 ASCII letters, digits and / . _ -"
        )
    reference = value.strip().upper()
    if not _REFERENCE.fullmatch(reference):
        raise PydanticCustomError(
            "reference",
            "reference must start with a letter or digit and contain only A-Z, 0-9 and / . _ -",
        )
    return reference


Reference = Annotated[
    str,
    Field(min_length=1, max_length=40, pattern=REFERENCE_PATTERN),
    BeforeValidator(_normalise_reference),
]
"""A case or account reference from a legacy system, upper case, e.g. `24/01234/FUL`."""


class PersonName(ContractModel):
    """A person's name as recorded, without guessing at structure beyond given and family name."""

    given_names: Line | None = Field(
        default=None, description="Forenames in order, as recorded; absent for a mononym."
    )
    family_name: Line = Field(description="Surname or family name, as recorded.")


class PostalAddress(ContractModel):
    """A UK postal address: free lines, post town and postcode, and the UPRN if known."""

    lines: tuple[Line, ...] = Field(
        min_length=1,
        max_length=4,
        description="Address lines before the town, most specific first.",
    )
    town: Line = Field(description="Post town.")
    postcode: Postcode = Field(description="Postcode.")
    uprn: Uprn | None = Field(default=None, description="UPRN of the property, if matched.")
