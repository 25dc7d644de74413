"""Local authorities: change of address, council tax, and two open local-service events.

One owner code (`council`) covers every council; which council published an event is in its
data, as the GSS code of the local authority. Bin collections and planning applications are
open data under the Open Government Licence and carry no personal data.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Final

from pydantic import Field

from contracts.base import OGL_V3, ContractInfo, Event, Owner
from contracts.common import Line, PersonName, PostalAddress, Reference, Text
from contracts.identifiers import (
    GssCode,
    IsoDate,
    IsoDateTime,
    LocalAuthorityDistrictCode,
    NationalInsuranceNumber,
    NotFutureDate,
    Uprn,
    Usrn,
)
from contracts.registry import default_registry

COUNCIL: Final = Owner(code="council", name="Local authority")


@default_registry.register
class AddressChangeNotifiedV1(Event):
    """A resident told their council about a change of address."""

    contract = ContractInfo(
        event_type="uk.gov.council.address-change-notified",
        version=1,
        owner=COUNCIL,
        description="A resident notified a council that they moved; shared with other services.",
        personal_data=("person", "nino", "date_of_birth", "previous_address", "new_address"),
        example={
            "local_authority": "E09000033",
            "notification_reference": "COA-2025-118204",
            "person": {"given_names": "Priya", "family_name": "Raman"},
            "nino": "CE 29 84 17 A",
            "date_of_birth": "1988-11-02",
            "previous_address": {
                "lines": ["Flat 9", "21 Rochester Row"],
                "town": "London",
                "postcode": "SW1P 1JU",
                "uprn": 10033545032,
            },
            "new_address": {
                "lines": ["5 Marsham Street"],
                "town": "London",
                "postcode": "SW1P 4DF",
            },
            "moved_on": "2025-04-01",
        },
    )

    local_authority: LocalAuthorityDistrictCode = Field(
        description="GSS code of the notified council."
    )
    notification_reference: Reference = Field(description="The council's case reference.")
    person: PersonName = Field(description="The resident who moved.")
    nino: NationalInsuranceNumber | None = Field(
        default=None, description="The resident's National Insurance number, if given."
    )
    date_of_birth: NotFutureDate | None = Field(
        default=None, description="The resident's date of birth, if given."
    )
    previous_address: PostalAddress = Field(description="Address moved from.")
    new_address: PostalAddress = Field(description="Address moved to.")
    moved_on: IsoDate = Field(description="Date of the move (may be announced in advance).")


class ClosureReason(StrEnum):
    """Why a council tax account was closed."""

    DEATH_OF_LIABLE_PERSON = "death-of-liable-person"
    MOVED_OUT = "moved-out"
    PROPERTY_EXEMPT = "property-exempt"
    PROPERTY_DEMOLISHED = "property-demolished"


@default_registry.register
class CouncilTaxAccountClosedV1(Event):
    """A council tax account was closed, for example after a Tell Us Once notification."""

    contract = ContractInfo(
        event_type="uk.gov.council.council-tax-account-closed",
        version=1,
        owner=COUNCIL,
        description="A council closed a council tax account for a property.",
        personal_data=("account_reference", "liable_person", "property_address"),
        example={
            "local_authority": "E06000001",
            "account_reference": "CT/40187734",
            "liable_person": {"given_names": "Joseph Emeka", "family_name": "Oduya"},
            "property_address": {
                "lines": ["14 Seaview Terrace"],
                "town": "Hartlepool",
                "postcode": "TS24 0PP",
                "uprn": 100110672847,
            },
            "closed_on": "2025-03-01",
            "reason": "death-of-liable-person",
            "tell_us_once_reference": "TUO-2025-0040127",
        },
    )

    local_authority: LocalAuthorityDistrictCode = Field(
        description="GSS code of the billing council."
    )
    account_reference: Reference = Field(description="Council tax account reference.")
    liable_person: PersonName = Field(description="The person liable on the account.")
    property_address: PostalAddress = Field(description="The property the account was for.")
    closed_on: IsoDate = Field(description="Date from which no more council tax is due.")
    reason: ClosureReason = Field(description="Why the account was closed.")
    tell_us_once_reference: Reference | None = Field(
        default=None, description="Tell Us Once reference that prompted the closure, if any."
    )


class BinContainer(StrEnum):
    """The kind of bin whose collection was missed."""

    GENERAL_WASTE = "general-waste"
    RECYCLING = "recycling"
    FOOD_WASTE = "food-waste"
    GARDEN_WASTE = "garden-waste"
    GLASS = "glass"


@default_registry.register
class MissedBinCollectionReportedV1(Event):
    """A missed bin collection was reported for a street (open data, no household detail)."""

    contract = ContractInfo(
        event_type="uk.gov.council.missed-bin-collection-reported",
        version=1,
        owner=COUNCIL,
        description="A resident reported that a scheduled bin collection on a street was missed.",
        licence=OGL_V3,
        example={
            "local_authority": "E08000025",
            "report_reference": "MB-7730412",
            "ward": "E05011118",
            "street_usrn": 2704385,
            "street_name": "Moseley Road",
            "container": "recycling",
            "scheduled_on": "2025-05-06",
            "reported_at": "2025-05-06T17:42:10Z",
        },
    )

    local_authority: LocalAuthorityDistrictCode = Field(
        description="GSS code of the collecting council."
    )
    report_reference: Reference = Field(description="The council's report reference.")
    ward: GssCode | None = Field(default=None, description="GSS code of the electoral ward.")
    street_usrn: Usrn = Field(description="USRN of the street where collection was missed.")
    street_name: Line = Field(description="Name of the street.")
    container: BinContainer = Field(description="The kind of bin that was not collected.")
    scheduled_on: NotFutureDate = Field(description="Date the collection was scheduled.")
    reported_at: IsoDateTime = Field(description="When the report was made.")


class ApplicationType(StrEnum):
    """Planning application types as councils publish them."""

    FULL = "full"
    HOUSEHOLDER = "householder"
    OUTLINE = "outline"
    RESERVED_MATTERS = "reserved-matters"
    LISTED_BUILDING_CONSENT = "listed-building-consent"
    CHANGE_OF_USE = "change-of-use"
    PRIOR_APPROVAL = "prior-approval"
    LAWFUL_DEVELOPMENT_CERTIFICATE = "lawful-development-certificate"


@default_registry.register
class PlanningApplicationSubmittedV1(Event):
    """A planning application was received (public register data, open under OGL)."""

    contract = ContractInfo(
        event_type="uk.gov.council.planning-application-submitted",
        version=1,
        owner=COUNCIL,
        description="A planning application was submitted to a local planning authority.",
        licence=OGL_V3,
        example={
            "local_authority": "E07000178",
            "application_reference": "25/00412/HH",
            "application_type": "householder",
            "proposal": "Single storey rear extension and replacement of garage door.",
            "site_address": {
                "lines": ["12 Divinity Road"],
                "town": "Oxford",
                "postcode": "OX4 1LJ",
            },
            "site_uprn": 100120820456,
            "received_on": "2025-02-17",
        },
    )

    local_authority: LocalAuthorityDistrictCode = Field(
        description="GSS code of the planning authority."
    )
    application_reference: Reference = Field(description="The planning application reference.")
    application_type: ApplicationType = Field(description="Type of application.")
    proposal: Text = Field(description="Description of the proposed development.")
    site_address: PostalAddress = Field(description="Address of the site.")
    site_uprn: Uprn | None = Field(default=None, description="UPRN of the site, if it has one.")
    received_on: NotFutureDate = Field(description="Date the application was received.")
