"""General Register Office: births and deaths registered at register offices (Tell Us Once).

`death-registered` has two major versions. v1 is flat, as the first registrar feed sent it; v2
groups the deceased's details and the circumstances of death, and records whether the date of
death is exact ("on or about" dates are common when a person is found some time after death).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Final

from pydantic import Field

from contracts.base import ContractInfo, ContractModel, Event, Owner
from contracts.common import Line, PersonName, PostalAddress, Reference
from contracts.identifiers import LocalAuthorityDistrictCode, NationalInsuranceNumber, NotFutureDate
from contracts.registry import default_registry
from contracts.upcasting import default_upcasters

GRO: Final = Owner(code="gro", name="General Register Office")

_ADDRESS: Final = {
    "lines": ["14 Seaview Terrace"],
    "town": "Hartlepool",
    "postcode": "TS24 0PP",
    "uprn": 100110672847,
}
_INFORMANT: Final = {
    "name": {"given_names": "Margaret Ann", "family_name": "Oduya"},
    "qualification": "Daughter",
    "address": {"lines": ["3 Elwick Road"], "town": "Hartlepool", "postcode": "TS26 9BP"},
}


class Registration(ContractModel):
    """Where and when an entry was made in the register."""

    district: Line = Field(description="Registration district, e.g. Hartlepool.")
    entry_number: int = Field(ge=1, le=999_999, description="Entry number in the register.")
    registered_on: NotFutureDate = Field(description="Date the entry was registered.")
    local_authority: LocalAuthorityDistrictCode = Field(
        description="GSS code of the local authority for the registration district."
    )
    tell_us_once_reference: Reference | None = Field(
        default=None, description="Tell Us Once reference given to the informant, if any."
    )


class Informant(ContractModel):
    """The person who gave the registrar the information."""

    name: PersonName = Field(description="The informant's name.")
    qualification: Line = Field(description="Relationship to the deceased, e.g. Daughter.")
    address: PostalAddress = Field(description="The informant's usual address.")


@default_registry.register
class DeathRegisteredV1(Event):
    """A death registered at a register office (flat record, superseded by v2)."""

    contract = ContractInfo(
        event_type="uk.gov.gro.death-registered",
        version=1,
        owner=GRO,
        description="A death was registered at a register office in England or Wales.",
        handling_caveat="SENSITIVE",
        personal_data=(
            "deceased_name",
            "deceased_date_of_birth",
            "deceased_nino",
            "deceased_address",
            "place_of_death",
            "informant",
        ),
        example={
            "registration_district": "Hartlepool",
            "entry_number": 412,
            "registered_on": "2025-03-04",
            "local_authority": "E06000001",
            "deceased_name": {"given_names": "Joseph Emeka", "family_name": "Oduya"},
            "deceased_date_of_birth": "1941-07-19",
            "deceased_nino": "AB123456C",
            "deceased_address": _ADDRESS,
            "date_of_death": "2025-03-01",
            "place_of_death": "University Hospital of Hartlepool",
            "informant": _INFORMANT,
        },
    )

    registration_district: Line = Field(description="Registration district.")
    entry_number: int = Field(ge=1, le=999_999, description="Entry number in the register.")
    registered_on: NotFutureDate = Field(description="Date the death was registered.")
    local_authority: LocalAuthorityDistrictCode = Field(
        description="GSS code of the local authority for the registration district."
    )
    deceased_name: PersonName = Field(description="Name of the deceased.")
    deceased_date_of_birth: NotFutureDate = Field(description="Date of birth of the deceased.")
    deceased_nino: NationalInsuranceNumber | None = Field(
        default=None, description="National Insurance number of the deceased, if known."
    )
    deceased_address: PostalAddress = Field(description="Usual address of the deceased.")
    date_of_death: NotFutureDate = Field(description="Date of death.")
    place_of_death: Line = Field(description="Place of death as entered in the register.")
    informant: Informant = Field(description="Who registered the death.")


class DateQualifier(StrEnum):
    """How exactly the date of death is known, as the register records it."""

    ON = "on"
    ON_OR_ABOUT = "on-or-about"
    FOUND_DEAD_ON = "found-dead-on"


class Deceased(ContractModel):
    """The person who died."""

    name: PersonName = Field(description="Name of the deceased.")
    date_of_birth: NotFutureDate = Field(description="Date of birth.")
    nino: NationalInsuranceNumber | None = Field(
        default=None, description="National Insurance number, if known."
    )
    usual_address: PostalAddress = Field(description="Usual address.")


class Death(ContractModel):
    """When and where the death happened."""

    date: NotFutureDate = Field(description="Date of death.")
    date_qualifier: DateQualifier = Field(
        default=DateQualifier.ON, description="Whether the date is exact."
    )
    place: Line = Field(description="Place of death as entered in the register.")


@default_registry.register
class DeathRegisteredV2(Event):
    """A death registered at a register office, with deceased and death grouped."""

    contract = ContractInfo(
        event_type="uk.gov.gro.death-registered",
        version=2,
        owner=GRO,
        description="A death was registered at a register office in England or Wales.",
        handling_caveat="SENSITIVE",
        personal_data=(
            "deceased.name",
            "deceased.date_of_birth",
            "deceased.nino",
            "deceased.usual_address",
            "death.place",
            "informant",
        ),
        example={
            "registration": {
                "district": "Hartlepool",
                "entry_number": 412,
                "registered_on": "2025-03-04",
                "local_authority": "E06000001",
                "tell_us_once_reference": "TUO-2025-0040127",
            },
            "deceased": {
                "name": {"given_names": "Joseph Emeka", "family_name": "Oduya"},
                "date_of_birth": "1941-07-19",
                "nino": "AB123456C",
                "usual_address": _ADDRESS,
            },
            "death": {"date": "2025-03-01", "date_qualifier": "on", "place": "At home"},
            "informant": _INFORMANT,
        },
    )

    registration: Registration = Field(description="The register entry.")
    deceased: Deceased = Field(description="The person who died.")
    death: Death = Field(description="When and where the death happened.")
    informant: Informant = Field(description="Who registered the death.")


@default_upcasters.register(DeathRegisteredV1, DeathRegisteredV2)
def death_registered_v1_to_v2(old: DeathRegisteredV1) -> DeathRegisteredV2:
    """Group v1's flat fields; v1 only ever carried exact dates of death."""
    return DeathRegisteredV2(
        registration=Registration(
            district=old.registration_district,
            entry_number=old.entry_number,
            registered_on=old.registered_on,
            local_authority=old.local_authority,
        ),
        deceased=Deceased(
            name=old.deceased_name,
            date_of_birth=old.deceased_date_of_birth,
            nino=old.deceased_nino,
            usual_address=old.deceased_address,
        ),
        death=Death(
            date=old.date_of_death, date_qualifier=DateQualifier.ON, place=old.place_of_death
        ),
        informant=old.informant,
    )


class ParentRole(StrEnum):
    """How a birth entry names a parent."""

    MOTHER = "mother"
    FATHER = "father"
    PARENT = "parent"


class Parent(ContractModel):
    """A parent named in a birth entry."""

    name: PersonName = Field(description="The parent's name.")
    role: ParentRole = Field(description="How the register names the parent.")


class Child(ContractModel):
    """The child whose birth was registered."""

    name: PersonName = Field(description="Name of the child.")
    date_of_birth: NotFutureDate = Field(description="Date of birth.")
    place_of_birth: Line = Field(description="Place of birth as entered in the register.")


@default_registry.register
class BirthRegisteredV1(Event):
    """A birth registered at a register office."""

    contract = ContractInfo(
        event_type="uk.gov.gro.birth-registered",
        version=1,
        owner=GRO,
        description="A birth was registered at a register office in England or Wales.",
        handling_caveat="SENSITIVE",
        personal_data=("child", "parents", "usual_address"),
        example={
            "registration": {
                "district": "Birmingham",
                "entry_number": 2087,
                "registered_on": "2025-02-11",
                "local_authority": "E08000025",
            },
            "child": {
                "name": {"given_names": "Amara Siân", "family_name": "Clarke"},
                "date_of_birth": "2025-01-28",
                "place_of_birth": "Birmingham Women's Hospital",
            },
            "parents": [
                {"name": {"given_names": "Rhiannon", "family_name": "Clarke"}, "role": "mother"},
                {"name": {"given_names": "Daniel", "family_name": "Clarke"}, "role": "father"},
            ],
            "usual_address": {
                "lines": ["Flat 2", "77 Moseley Road"],
                "town": "Birmingham",
                "postcode": "B12 0HJ",
            },
        },
    )

    registration: Registration = Field(description="The register entry.")
    child: Child = Field(description="The child.")
    parents: tuple[Parent, ...] = Field(
        min_length=1, max_length=2, description="Parents named in the entry."
    )
    usual_address: PostalAddress = Field(description="The child's usual address.")
