"""A contract says how many partitions its topic has and how long it keeps events."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from contracts import ContractDefinitionError, ContractInfo, Owner
from contracts.base import TopicSpec
from contracts.catalogue.gro import DeathRegisteredV2

ACME = Owner(code="acme", name="Acme Borough Council")


def _info(**overrides: Any) -> ContractInfo:
    fields: dict[str, Any] = {
        "event_type": "uk.gov.acme.thing-happened",
        "version": 1,
        "owner": ACME,
        "description": "A thing happened.",
        "example": {},
    }
    return ContractInfo(**(fields | overrides))


def test_a_contract_without_a_topic_spec_gets_three_partitions_and_seven_days() -> None:
    """Existing contracts need no change: the defaults match Kafka's usual topic settings."""
    spec = DeathRegisteredV2.contract.topic_spec
    assert (spec.partitions, spec.retention) == (3, timedelta(days=7))


def test_a_contract_may_ask_for_more_partitions_and_a_longer_retention() -> None:
    """Partitions and retention are the contract's to choose; None keeps events forever."""
    spec = TopicSpec(partitions=12, retention=None)
    assert _info(topic_spec=spec).topic_spec == spec
    assert TopicSpec(retention=timedelta(days=365)).retention == timedelta(days=365)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"partitions": 0}, "topic partitions must be an integer from 1 to 1000, not 0"),
        ({"partitions": 1001}, "not 1001"),
        ({"partitions": "3"}, "not '3'"),
        ({"partitions": True}, "not True"),
        ({"retention": timedelta(seconds=5)}, "at least one minute"),
        ({"retention": timedelta(days=-1)}, "at least one minute"),
        ({"retention": 604800000}, "not 604800000"),
    ],
)
def test_an_unusable_topic_spec_is_refused_naming_the_value(
    kwargs: dict[str, Any], message: str
) -> None:
    """Zero, too many or non-integer partitions and a short or non-timedelta retention fail."""
    with pytest.raises(ContractDefinitionError, match=message):
        TopicSpec(**kwargs)


def test_a_topic_spec_that_is_not_a_topic_spec_is_refused() -> None:
    """A dict where a TopicSpec belongs is a definition error, not a silent default."""
    with pytest.raises(ContractDefinitionError, match="topic_spec must be a TopicSpec"):
        _info(topic_spec={"partitions": 6})
