"""The topics a process needs follow from its subscriptions and sources, with their settings."""

from __future__ import annotations

from datetime import timedelta

import pytest
from pydantic import ValidationError

from bus.foundation.settings import Settings
from bus.messaging.codec import Codec
from bus.observability.topic_plan import source_topics, subscription_topics, wanted_topics
from contracts import ContractInfo, Event, Owner
from contracts.base import TopicSpec
from contracts.catalogue.gro import DeathRegisteredV2

DAY_MS = 24 * 3600 * 1000
ACME = Owner(code="acme", name="Acme Borough Council")


class LedgerPostedV1(Event):
    """A contract that keeps its events forever on twelve partitions."""

    contract = ContractInfo(
        event_type="uk.gov.acme.ledger-posted",
        version=1,
        owner=ACME,
        description="A ledger entry was posted.",
        example={"amount": 1},
        topic_spec=TopicSpec(partitions=12, retention=None),
    )
    amount: int


class NoticeSentV1(Event):
    """A contract whose events are kept for 90 days, longer than dead letters by default."""

    contract = ContractInfo(
        event_type="uk.gov.acme.notice-sent",
        version=1,
        owner=ACME,
        description="A notice was sent.",
        example={"reference": "N1"},
        topic_spec=TopicSpec(retention=timedelta(days=90)),
    )
    reference: str


def _settings(**values: object) -> Settings:
    return Settings.model_validate({"kafka_bootstrap": "unused:9092"} | values)


CODEC = Codec(source="urn:test")


def test_a_subscription_reads_its_version_and_the_older_ones_it_upcasts() -> None:
    """v2 of death-registered reads v2 and v1, and writes a dead-letter topic for each."""
    found = subscription_topics(DeathRegisteredV2, codec=CODEC, settings=_settings())
    assert [(access, topic.name) for access, topic in found] == [
        ("reads", "gro.death-registered.v2"),
        ("writes", "gro.death-registered.v2.dlq"),
        ("reads", "gro.death-registered.v1"),
        ("writes", "gro.death-registered.v1.dlq"),
    ]


def _retention(contract: type[Event], **settings: object) -> dict[str, str]:
    """retention.ms of each topic a subscription to ``contract`` needs."""
    found = subscription_topics(contract, codec=CODEC, settings=_settings(**settings))
    return {topic.name: topic.config["retention.ms"] for _, topic in found}


def test_dead_letters_outlive_the_events_they_belong_to() -> None:
    """Dead letters keep 28 days by default; longer when the events are kept longer."""
    default = _retention(DeathRegisteredV2)
    assert default["gro.death-registered.v2"] == str(7 * DAY_MS)
    assert default["gro.death-registered.v2.dlq"] == str(28 * DAY_MS)
    assert _retention(NoticeSentV1)["acme.notice-sent.v1.dlq"] == str(90 * DAY_MS)
    forever = _retention(LedgerPostedV1, dead_letter_retention_days=60)
    assert forever == {"acme.ledger-posted.v1": "-1", "acme.ledger-posted.v1.dlq": "-1"}
    longer = _retention(DeathRegisteredV2, dead_letter_retention_days=60)
    assert longer["gro.death-registered.v2.dlq"] == str(60 * DAY_MS)


def test_a_contracts_partitions_reach_its_topic_and_its_dead_letters() -> None:
    """A contract asking for 12 partitions gets them on its events and their dead letters."""
    found = subscription_topics(LedgerPostedV1, codec=CODEC, settings=_settings())
    assert {topic.name: topic.partitions for _, topic in found} == {
        "acme.ledger-posted.v1": 12,
        "acme.ledger-posted.v1.dlq": 12,
    }


def test_a_source_writes_its_events_its_rejects_and_the_offsets() -> None:
    """Events of its contract, its own dead-letter topic and the compacted offsets topic."""
    found = source_topics("deaths", DeathRegisteredV2, settings=_settings(topic_prefix="test."))
    assert [(a, t.name, t.partitions, t.config["cleanup.policy"]) for a, t in found] == [
        ("writes", "test.gro.death-registered.v2", 3, "delete"),
        ("writes", "test.govbus.adapter.deaths.dlq", 1, "delete"),
        ("writes", "test.govbus.source-offsets", 1, "compact"),
    ]


def test_a_process_wants_each_topic_once_with_the_prefix() -> None:
    """Two sources share the offsets topic; a source and a sink share an event topic."""
    wanted = wanted_topics(
        subscribed=[DeathRegisteredV2],
        sources=[("deaths", DeathRegisteredV2), ("ledger", LedgerPostedV1), ("hooks", None)],
        codec=Codec(source="urn:test", topic_prefix="staging."),
        settings=_settings(topic_prefix="staging."),
    )
    names = [t.name for t in wanted]
    assert len(names) == len(set(names))
    assert all(name.startswith("staging.") for name in names)
    assert names.count("staging.govbus.source-offsets") == 1
    assert "staging.govbus.adapter.hooks.dlq" in names
    assert "staging.acme.ledger-posted.v1" in names


def test_the_topic_settings_are_validated_at_start_up() -> None:
    """min ISR above the replication factor, zero days or a bad boolean name the variable."""
    with pytest.raises(ValidationError, match="GOVBUS_TOPIC_MIN_INSYNC_REPLICAS=3 exceeds"):
        _settings(topic_replication_factor=2, topic_min_insync_replicas=3)
    with pytest.raises(ValidationError, match="dead_letter_retention_days"):
        _settings(dead_letter_retention_days=0)
    with pytest.raises(ValidationError, match="create_topics"):
        _settings(create_topics="sometimes")
    assert _settings(create_topics="false").create_topics is False
