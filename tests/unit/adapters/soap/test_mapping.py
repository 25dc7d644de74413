"""The soap kind's conversions: replies to flat records, events to arguments, config checks."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from pydantic import ValidationError

from adapters.soap import KIND, SoapConfig, SoapSinkConfig
from adapters.soap.mapping import ReplyShapeError, arguments_for, flatten, records_in
from adapters.soap.source import _cursor
from contracts.catalogue.gro import DeathRegisteredV2


def test_records_are_found_on_the_result_path() -> None:
    """A dotted result path leads to the list; one record alone becomes a list of one."""
    reply = {"body": {"stops": [{"id": 1}, {"id": 2}]}, "single": {"stop": {"id": 3}}}
    assert records_in(reply, "body.stops") == [{"id": 1}, {"id": 2}]
    assert records_in(reply, "single.stop") == [{"id": 3}]
    assert records_in(None, "") == []


def test_a_wrong_result_path_names_the_missing_element() -> None:
    """A path that is not in the reply is an error naming the element."""
    with pytest.raises(ReplyShapeError, match="'stops'"):
        records_in({"body": {}}, "body.stops")


def test_nested_elements_become_dotted_keys() -> None:
    """A record's nested elements are flattened so a mapping's ``from`` can name them."""
    record = {"id": 1, "address": {"postcode": "TS24 0PP", "lines": ["1 High St"]}}
    assert flatten(record) == {
        "id": 1,
        "address.postcode": "TS24 0PP",
        "address.lines": ["1 High St"],
    }


def test_event_paths_constants_and_the_reference_fill_the_arguments() -> None:
    """Arguments come from event paths, constants and the event id; empty paths are left out."""
    event = DeathRegisteredV2.model_validate(DeathRegisteredV2.contract.example)
    config = SoapSinkConfig(
        arguments={"nino": "deceased.nino", "dateOfDeath": "death.date",
                   "qualifier": "death.date_qualifier", "missing": "deceased.nowhere"},
        constants={"channel": "TUO"},
    )  # fmt: skip
    assert arguments_for(event, "ce-1", config) == {
        "channel": "TUO",
        "nino": "AB123456C",
        "dateOfDeath": date(2025, 3, 1),
        "qualifier": "on",
        "reference": "ce-1",
    }


def test_cursors_are_stored_as_ints_or_text() -> None:
    """Whole numbers stay numbers, dates become ISO text, nothing usable becomes None."""
    assert _cursor(Decimal("41")) == 41
    assert _cursor(date(2025, 3, 1)) == "2025-03-01"
    assert _cursor(" ") is None
    assert _cursor(True) is None


def test_config_refuses_unknown_settings_and_is_registered() -> None:
    """A misspelt setting fails at start-up; the kind is found under the name soap."""
    with pytest.raises(ValidationError, match="wsdl_url"):
        SoapConfig.model_validate({"wsdl_url": "x", "wsdl": "x", "operation": "Op"})
    assert KIND.name == "soap"
    assert KIND.config is SoapConfig
    assert all(field.description for field in SoapConfig.model_fields.values())
