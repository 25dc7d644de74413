"""Council tax changes as the test API holds them, and the mapping of them to events."""

from __future__ import annotations

from typing import Any

from bus.adapter_runtime.mapping import FieldRule, MappingConfig
from contracts.catalogue.council import CouncilTaxAccountClosedV1

MAPPING = MappingConfig(
    contract="uk.gov.council.council-tax-account-closed.v1",
    key="{account_reference}",
    identity="{change_number}",
    fields={
        "local_authority": "local_authority",
        "account_reference": "account_reference",
        "liable_person.given_names": "given_names",
        "liable_person.family_name": "family_name",
        "property_address.lines": "address.lines",
        "property_address.town": "address.town",
        "property_address.postcode": "address.postcode",
        "closed_on": FieldRule(source="closed_on", type="date"),
        "reason": "reason",
    },
)


def change(number: int, **overrides: Any) -> dict[str, Any]:
    """A closed account numbered ``number``, as the council tax system reports it."""
    return {
        "local_authority": "E06000001",
        "account_reference": f"CT/{number:08d}",
        "given_names": "Joseph",
        "family_name": f"Oduya-{number}",
        "address": {"lines": [f"{number} Seaview Terrace"], "town": "Hartlepool",
                    "postcode": "TS24 0PP"},
        "closed_on": "2025-03-01",
        "reason": "death-of-liable-person",
        **overrides,
    }  # fmt: skip


def number_of(event: CouncilTaxAccountClosedV1) -> int:
    """The number an event's account reference carries."""
    return int(event.account_reference.split("/")[1])
