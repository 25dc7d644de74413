"""Topic names come from one place and carry the deployment's prefix."""

from __future__ import annotations

from bus.messaging.codec import Codec
from bus.messaging.topic_names import TopicNames
from contracts.catalogue.gro import DeathRegisteredV1


def test_every_name_carries_the_prefix() -> None:
    """Event, dead-letter, adapter dead-letter and offsets topics all start with the prefix."""
    names = TopicNames("staging.")
    assert names.events(DeathRegisteredV1) == "staging.gro.death-registered.v1"
    assert names.dead_letters("gro.death-registered.v1") == "staging.gro.death-registered.v1.dlq"
    assert names.adapter_dead_letters("deaths") == "staging.govbus.adapter.deaths.dlq"
    assert names.source_offsets() == "staging.govbus.source-offsets"


def test_a_name_given_with_its_prefix_is_not_prefixed_twice() -> None:
    """An operator may name a topic with or without the prefix and means the same topic."""
    names = TopicNames("staging.")
    assert names.named("staging.gro.death-registered.v1") == "staging.gro.death-registered.v1"
    assert names.dead_letters("staging.gro.death-registered.v1") == (
        "staging.gro.death-registered.v1.dlq"
    )


def test_without_a_prefix_names_are_the_contract_topics() -> None:
    """The default deployment uses the contracts' own topic names."""
    assert TopicNames().events(DeathRegisteredV1) == DeathRegisteredV1.contract.topic
    assert TopicNames().dead_letters("a.b.v1") == "a.b.v1.dlq"


def test_the_codec_publishes_to_the_same_names() -> None:
    """The codec's topic for a contract is the one TopicNames gives."""
    codec = Codec(source="urn:test", topic_prefix="dev.")
    assert codec.topic_for(DeathRegisteredV1) == TopicNames("dev.").events(DeathRegisteredV1)
