"""Canonical consumed data validates on the fast path, and the fast path never disagrees."""

from __future__ import annotations

import json
import re
import sys
import unicodedata
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from enum import IntEnum
from types import FrameType
from typing import Any, cast

import pytest
from pydantic import ValidationError

from contracts import Event, default_registry
from contracts import identifiers as identifiers_module
from contracts.base import was_validated
from contracts.catalogue.council import PlanningApplicationSubmittedV1
from contracts.common import CANONICAL_TEXT_PATTERN, LINE_MAX, _text_cleaner
from contracts.errors import ContractValidationError
from contracts.fast_path import fast_validator, forget_fast_validators
from contracts.identifiers import latest_today

MODELS = default_registry.all()
clean_line = cast(Callable[[object], str], _text_cleaner(LINE_MAX).func)
FAR_FUTURE = (latest_today() + timedelta(days=400)).isoformat()
TRICKY: list[object] = [
    "e06000001",
    " E06000001",
    "E06000001 ",
    "ab123456c",
    "AB 12 34 56 C",
    "sw1p 4df",
    "SW1P4DF",
    "Sia\u0302n",
    "  Siân ",
    "Siân",
    "a\u0000b",
    "a\tb",
    "line\n",
    "x\u202ey",
    "\ud800",
    "\u0410\u0412123456\u0421",  # Cyrillic look-alikes of ABC
    "\uff12\uff10\uff12\uff15-01-05",  # fullwidth digits
    "x" * 5000,
    "",
    " ",
    "2025-02-30",
    "2025-2-3",
    "2025-02-03",
    "2025-02-03\n",
    FAR_FUTURE,
    "2025-05-06T17:42:10",
    "2025-05-06T17:42:10+01:00",
    True,
    False,
    0,
    12.0,
    "100120820456",
    10**40,
    None,
    [],
]


def _leaves(data: Any, path: tuple[str | int, ...] = ()) -> Iterator[tuple[str | int, ...]]:
    if isinstance(data, dict):
        for key, value in data.items():
            yield from _leaves(value, (*path, key))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            yield from _leaves(value, (*path, index))
    else:
        yield path


def _replaced(data: Any, path: tuple[str | int, ...], value: object) -> Any:
    if not path:
        return value
    copied = dict(data) if isinstance(data, dict) else list(data)
    copied[path[0]] = _replaced(data[path[0]], path[1:], value)  # type: ignore[index]
    return copied


def _variants(model: type[Event]) -> Iterator[Any]:
    example = json.loads(json.dumps(model.contract.example))
    for path in _leaves(example):
        for value in TRICKY:
            yield _replaced(example, path, value)


def _outcome(validate: Any, data: Any) -> tuple[bool, Any]:
    try:
        return True, validate(data)
    except ValidationError:
        return False, None


def _full(model: type[Event], data: Any) -> Any:
    if isinstance(data, str):
        return model.model_validate_json(data, extra="ignore")
    return model.model_validate(data, extra="ignore")


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_every_example_takes_the_fast_path_and_equals_full_validation(
    model: type[Event],
) -> None:
    """The example, as a producer would send it, is accepted fast and validates the same."""
    text = model.example_event().model_dump_json()
    fast = fast_validator(model)
    for event in (fast.validate_json(text), fast.validate_python(json.loads(text))):
        assert type(event) is model
        assert event == _full(model, text)
        assert was_validated(event)


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_fast_path_never_disagrees_with_full_validation(model: type[Event]) -> None:
    """On hostile and non-canonical values the fast path accepts only what full validation
    accepts, with an equal result, and from_consumed behaves exactly as full validation."""
    fast = fast_validator(model)
    accepted_fast = 0
    for data in _variants(model):
        text = json.dumps(data)
        for mode, validate_fast, payload in (
            ("python", fast.validate_python, data),
            ("json", fast.validate_json, text),
        ):
            full_ok, full = _outcome(lambda d: _full(model, d), payload)
            fast_ok, quick = _outcome(validate_fast, payload)
            accepted_fast += fast_ok
            if fast_ok:
                assert full_ok, (mode, data)
                assert quick == full
                assert quick.model_fields_set == full.model_fields_set
            if full_ok:
                assert model.from_consumed(payload) == full
            else:
                assert not fast_ok, (mode, data)
                with pytest.raises(ContractValidationError) as raised:
                    model.from_consumed(payload)
                with pytest.raises(ValidationError) as full_error:
                    _full(model, payload)
                assert str(raised.value.__cause__) == str(full_error.value)
    assert accepted_fast > 0  # the variations do exercise the fast path


def _python_calls_in_contracts(run: Any) -> list[str]:
    called: list[str] = []

    def profile(frame: FrameType, event: str, arg: object) -> None:
        if event == "call" and frame.f_globals.get("__name__", "").startswith("contracts."):
            called.append(frame.f_code.co_name)

    sys.setprofile(profile)
    try:
        run()
    finally:
        sys.setprofile(None)
    return called


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_canonical_json_never_reaches_a_python_validator(model: type[Event]) -> None:
    """Validating a producer's JSON on the fast path runs no govbus Python code at all."""
    text = model.example_event().model_dump_json()
    fast = fast_validator(model)
    assert _python_calls_in_contracts(lambda: fast.validate_json(text)) == []


def test_canonical_mapping_runs_only_the_whole_number_check() -> None:
    """From a mapping, only the UPRN check runs in Python: pydantic-core would take an int
    subclass (IntEnum) as a strict int, which the UPRN rule refuses."""
    data = PlanningApplicationSubmittedV1.example_event().model_dump(mode="json")
    fast = fast_validator(PlanningApplicationSubmittedV1)
    assert set(_python_calls_in_contracts(lambda: fast.validate_python(data))) == {"check"}

    class Number(IntEnum):
        UPRN = data["site_uprn"]

    with pytest.raises(ContractValidationError, match="site_uprn: UPRN must be an integer"):
        PlanningApplicationSubmittedV1.from_consumed(data | {"site_uprn": Number.UPRN})


def test_unknown_fields_are_ignored_at_every_level_on_the_fast_path() -> None:
    """A newer producer's extra fields, at the top and nested, do not leave the fast path."""
    data = PlanningApplicationSubmittedV1.example_event().model_dump(mode="json")
    newer = data | {"ward": "E05000001", "site_address": data["site_address"] | {"flat": "2"}}
    fast = fast_validator(PlanningApplicationSubmittedV1)
    assert fast.validate_python(newer) == PlanningApplicationSubmittedV1.model_validate(data)
    assert fast.validate_json(json.dumps(newer)) == PlanningApplicationSubmittedV1.from_consumed(
        data
    )


def test_non_canonical_input_is_still_normalised_by_from_consumed() -> None:
    """Lower case, spaces and decomposed accents fall back to full validation's normalisers."""
    data = PlanningApplicationSubmittedV1.example_event().model_dump(mode="json")
    typed = data | {
        "local_authority": "e07000178",
        "application_reference": " 25/00412/hh ",
        "proposal": "  Extension for Sia\u0302n  ",
        "site_address": data["site_address"] | {"postcode": "ox41lj"},
    }
    with pytest.raises(ValidationError):
        fast_validator(PlanningApplicationSubmittedV1).validate_python(typed)
    event = PlanningApplicationSubmittedV1.from_consumed(typed)
    assert event.local_authority == "E07000178"
    assert event.application_reference == "25/00412/HH"
    assert event.proposal == "Extension for Siân"
    assert event.site_address.postcode == "OX4 1LJ"


@pytest.fixture
def stopped_clock(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Leave the latest known date and the fast validators as they were before the test."""
    monkeypatch.setattr(identifiers_module._LATEST, "known", identifiers_module._LATEST.known)
    yield
    monkeypatch.undo()
    forget_fast_validators()  # none may keep a bound from the test's clock


@pytest.mark.usefixtures("stopped_clock")
def test_not_in_future_asks_the_clock_only_for_a_later_date(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Dates up to the latest known today need no clock; a later one asks, and once the clock
    has moved on, the fast path is recompiled with the new bound."""
    latest = latest_today()
    calls: list[date] = []

    def clock() -> date:
        calls.append(latest)
        return latest

    monkeypatch.setattr(identifiers_module, "latest_today", clock)
    model = PlanningApplicationSubmittedV1
    data = model.example_event().model_dump(mode="json")
    forget_fast_validators()
    compiled = fast_validator(model)
    model.from_consumed(data | {"received_on": latest.isoformat()})
    assert calls == []
    tomorrow = (latest + timedelta(days=1)).isoformat()
    with pytest.raises(ContractValidationError, match="is in the future"):
        model.from_consumed(data | {"received_on": tomorrow})
    assert len(calls) == 1
    assert fast_validator(model) is compiled

    latest += timedelta(days=1)  # midnight passed somewhere
    with pytest.raises(ValidationError):
        compiled.validate_python(data | {"received_on": tomorrow})  # its bound is yesterday's
    assert model.from_consumed(data | {"received_on": tomorrow}).received_on.isoformat() == (
        tomorrow
    )
    recompiled = fast_validator(model)
    assert recompiled is not compiled
    assert recompiled.validate_python(data | {"received_on": tomorrow}).received_on == latest


def test_canonical_text_is_exactly_what_the_cleaner_leaves_unchanged() -> None:
    """Every character the canonical text pattern admits is NFC on its own and beside any other,
    is neither refused nor combining, and only the two spaces are stripped at an edge."""
    admitted = [
        chr(c) for c in range(0x110000) if re.fullmatch(CANONICAL_TEXT_PATTERN, f"a{chr(c)}a")
    ]
    assert len(admitted) == (0x7E - 0x20 + 1) + (0x17F - 0xA0 + 1)
    for char in admitted:
        assert unicodedata.combining(char) == 0
        assert all(unicodedata.normalize("NFC", char + other) == char + other for other in admitted)
        assert clean_line(f"x{char}x") == f"x{char}x"
    assert [char for char in admitted if char.strip() == ""] == [" ", "\u00a0"]
    assert not re.fullmatch(CANONICAL_TEXT_PATTERN, " a")
    assert not re.fullmatch(CANONICAL_TEXT_PATTERN, "a\u00a0")
