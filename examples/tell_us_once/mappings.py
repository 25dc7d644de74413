"""How the register office's legacy rows become contract events (named in the deployment)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any


def _date(text: str) -> str:
    return datetime.strptime(text, "%d/%m/%Y").date().isoformat()


def _name(forenames: Any, surname: Any) -> dict[str, Any]:
    return {"given_names": forenames, "family_name": surname}


def death_entry(row: Mapping[str, Any]) -> dict[str, Any]:
    """A ``death_entries`` row as ``uk.gov.gro.death-registered.v2`` data."""
    return {
        "registration": {
            "district": row["district"],
            "entry_number": row["entry_no"],
            "registered_on": _date(row["reg_date"]),
            "local_authority": row["la_code"],
            "tell_us_once_reference": row["tuo_ref"],
        },
        "deceased": {
            "name": _name(row["forenames"], row["surname"]),
            "date_of_birth": _date(row["dob"]),
            "nino": row["nino"],
            "usual_address": {
                "lines": [row["addr_line1"]],
                "town": row["addr_town"],
                "postcode": row["addr_postcode"],
                "uprn": row["uprn"],
            },
        },
        "death": {"date": _date(row["dod"]), "date_qualifier": "on", "place": row["place"]},
        "informant": {
            "name": _name(row["inf_forenames"], row["inf_surname"]),
            "qualification": row["inf_qual"],
            "address": {
                "lines": [row["inf_line1"]],
                "town": row["inf_town"],
                "postcode": row["inf_postcode"],
            },
        },
    }


def address_change(row: Mapping[str, Any]) -> dict[str, Any]:
    """An ``address_changes`` row as ``uk.gov.council.address-change-notified.v1`` data."""
    return {
        "local_authority": row["la_code"],
        "notification_reference": row["ref"],
        "person": _name(row["forenames"], row["surname"]),
        "nino": row["nino"],
        "date_of_birth": _date(row["dob"]),
        "previous_address": {
            "lines": [row["old_line1"]], "town": row["old_town"], "postcode": row["old_postcode"],
        },
        "new_address": {
            "lines": [row["new_line1"]], "town": row["new_town"], "postcode": row["new_postcode"],
        },
        "moved_on": _date(row["moved_on"]),
    }  # fmt: skip
