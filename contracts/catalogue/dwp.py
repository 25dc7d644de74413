"""Department for Work and Pensions: State Pension payments (a Tell Us Once recipient)."""

from __future__ import annotations

from enum import StrEnum
from typing import Final

from pydantic import Field

from contracts.base import ContractInfo, Event, Owner
from contracts.common import PersonName, Reference
from contracts.identifiers import IsoDate, NationalInsuranceNumber, NotFutureDate
from contracts.registry import default_registry

DWP: Final = Owner(code="dwp", name="Department for Work and Pensions")


class StopReason(StrEnum):
    """Why State Pension payments stopped."""

    DEATH = "death"
    MOVED_ABROAD_UNREPORTED = "moved-abroad-unreported"
    IMPRISONMENT = "imprisonment"
    CLAIM_WITHDRAWN = "claim-withdrawn"


@default_registry.register
class StatePensionPaymentStoppedV1(Event):
    """State Pension payments to a person were stopped."""

    contract = ContractInfo(
        event_type="uk.gov.dwp.state-pension-payment-stopped",
        version=1,
        owner=DWP,
        description="DWP stopped State Pension payments to a person.",
        handling_caveat="SENSITIVE",
        personal_data=("nino", "pensioner", "date_of_death"),
        example={
            "nino": "AB123456C",
            "pensioner": {"given_names": "Joseph Emeka", "family_name": "Oduya"},
            "stopped_from": "2025-03-02",
            "reason": "death",
            "date_of_death": "2025-03-01",
            "final_payment_due": True,
            "tell_us_once_reference": "TUO-2025-0040127",
        },
    )

    nino: NationalInsuranceNumber = Field(description="The pensioner's National Insurance number.")
    pensioner: PersonName = Field(description="The pensioner's name.")
    stopped_from: IsoDate = Field(description="First day for which no pension is paid.")
    reason: StopReason = Field(description="Why payments stopped.")
    date_of_death: NotFutureDate | None = Field(
        default=None, description="Date of death, when the reason is death."
    )
    final_payment_due: bool = Field(
        default=False, description="Whether arrears are still due to the estate or the person."
    )
    tell_us_once_reference: Reference | None = Field(
        default=None, description="Tell Us Once reference that prompted the stop, if any."
    )
