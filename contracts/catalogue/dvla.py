"""Driver and Vehicle Licensing Agency: driving licences (a Tell Us Once recipient)."""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Annotated, Final

from pydantic import BeforeValidator, Field
from pydantic_core import PydanticCustomError

from contracts.base import ContractInfo, Event, Owner
from contracts.common import PersonName, Reference
from contracts.fast_path import fast_path, strict_inner
from contracts.identifiers import NotFutureDate
from contracts.registry import default_registry

DVLA: Final = Owner(code="dvla", name="Driver and Vehicle Licensing Agency")

DRIVER_NUMBER_PATTERN: Final = r"^[A-Z9]{5}[0-9][0156][0-9][0-3][0-9]{2}[A-Z9]{2}9[A-Z0-9]{2}$"
"""GB driver number: 5 surname characters (9-padded), decade, month (+50 for some holders),
day, year digit, 2 initials (9-padded), the digit 9 and 2 check characters."""
_DRIVER_NUMBER: Final = re.compile(DRIVER_NUMBER_PATTERN)


@fast_path(strict_inner)
def _normalise_driver_number(value: object) -> str:
    if not isinstance(value, str) or len(value) > 32 or not value.isascii():
        raise PydanticCustomError("driver_number", "driver number must be 16 ASCII characters")
    number = value.replace(" ", "").upper()
    if not _DRIVER_NUMBER.fullmatch(number):
        raise PydanticCustomError(
            "driver_number",
            "driver number must be 5 surname characters, 6 date digits, 2 initials, 9 and"
            " 2 check characters, e.g. MORGA657054SM9IJ",
        )
    return number


DriverNumber = Annotated[
    str,
    Field(pattern=DRIVER_NUMBER_PATTERN, min_length=16, max_length=16),
    BeforeValidator(_normalise_driver_number),
]
"""A GB driving licence number, upper case without spaces."""


class CancellationReason(StrEnum):
    """Why a driving licence was cancelled."""

    DEATH_OF_HOLDER = "death-of-holder"
    MEDICAL = "medical"
    SURRENDERED = "surrendered"
    REVOKED = "revoked"


@default_registry.register
class DrivingLicenceCancelledV1(Event):
    """A driving licence was cancelled."""

    contract = ContractInfo(
        event_type="uk.gov.dvla.driving-licence-cancelled",
        version=1,
        owner=DVLA,
        description="DVLA cancelled a GB driving licence.",
        handling_caveat="SENSITIVE",
        personal_data=("driver_number", "holder"),
        example={
            "driver_number": "ODUYA407191JE9AB",
            "holder": {"given_names": "Joseph Emeka", "family_name": "Oduya"},
            "cancelled_on": "2025-03-05",
            "reason": "death-of-holder",
            "tell_us_once_reference": "TUO-2025-0040127",
        },
    )

    driver_number: DriverNumber = Field(description="The licence's driver number.")
    holder: PersonName = Field(description="The licence holder's name.")
    cancelled_on: NotFutureDate = Field(description="Date the licence was cancelled.")
    reason: CancellationReason = Field(description="Why the licence was cancelled.")
    tell_us_once_reference: Reference | None = Field(
        default=None, description="Tell Us Once reference that prompted the cancellation, if any."
    )
