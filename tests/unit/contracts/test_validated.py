"""Instances remember whether they came out of validation, all the way down."""

from __future__ import annotations

import copy
import pickle
from typing import Any

from pydantic import AwareDatetime

from contracts.base import ContractModel, was_validated
from contracts.catalogue.gro import BirthRegisteredV1, DeathRegisteredV1
from contracts.common import PersonName, PostalAddress


class Readings(ContractModel):
    values: tuple[float, ...]
    taken_at: AwareDatetime | None = None


class Tags(ContractModel):
    tags: list[str]


class Anything(ContractModel):
    payload: Any = None


def test_instances_built_by_validation_are_marked() -> None:
    """The constructor, model_validate and from_consumed all give validated instances."""
    event = DeathRegisteredV1.example_event()
    assert was_validated(event)
    assert was_validated(DeathRegisteredV1(**event.__dict__))
    assert was_validated(DeathRegisteredV1.from_consumed(event.model_dump_json()))
    assert was_validated(BirthRegisteredV1.example_event())  # a tuple of nested models


def test_instances_built_around_validation_are_not() -> None:
    """model_construct, copies and unpickled instances do not claim to be validated."""
    event = DeathRegisteredV1.example_event()
    assert not was_validated(DeathRegisteredV1.model_construct(**event.__dict__))
    assert not was_validated(event.model_copy(update={"entry_number": -4}))
    assert not was_validated(event.model_copy())
    assert not was_validated(copy.deepcopy(event))
    assert not was_validated(pickle.loads(pickle.dumps(event)))  # noqa: S301 - our own bytes


def test_an_unvalidated_instance_nested_in_a_validated_one_taints_it() -> None:
    """Validation passes nested instances through unchecked, so the outer one is not marked."""
    event = DeathRegisteredV1.example_event()
    address = PostalAddress.model_construct(**event.deceased_address.__dict__)
    outer = DeathRegisteredV1(**(event.__dict__ | {"deceased_address": address}))
    assert outer.deceased_address is address
    assert not was_validated(address)
    assert not was_validated(outer)
    name = PersonName.model_construct(family_name="\x00")
    assert not was_validated(PersonName.model_validate(name))  # passed through, not validated
    birth = BirthRegisteredV1.example_event()
    parent = birth.parents[0].model_construct(**birth.parents[0].__dict__)
    assert not was_validated(BirthRegisteredV1(**(birth.__dict__ | {"parents": (parent,)})))


def test_validated_nested_instances_passed_in_keep_the_mark() -> None:
    """An event assembled from validated parts is validated."""
    event = DeathRegisteredV1.example_event()
    address = PostalAddress(lines=("1 High Street",), town="Leeds", postcode="LS1 1AA")
    assert was_validated(DeathRegisteredV1(**(event.__dict__ | {"deceased_address": address})))


def test_values_that_may_change_or_not_survive_json_are_not_trusted() -> None:
    """A list can change after validation and NaN has no JSON form, so neither is trusted."""
    assert was_validated(Readings(values=(1.5, 2.0), taken_at="2026-11-25T10:00:00Z"))
    assert not was_validated(Readings(values=(1.5, float("nan"))))
    assert not was_validated(Readings(values=(float("inf"),)))
    assert not was_validated(Tags(tags=["a"]))
    assert not was_validated(Anything(payload={"a": 1}))
    assert was_validated(Anything(payload="text"))


def test_the_mark_takes_no_part_in_equality() -> None:
    """A validated and a constructed instance with the same values are still equal."""
    event = DeathRegisteredV1.example_event()
    constructed = DeathRegisteredV1.model_construct(**event.__dict__)
    assert constructed == event
    assert hash(constructed) == hash(event)
    assert "_govbus_validated" not in event.model_dump()
