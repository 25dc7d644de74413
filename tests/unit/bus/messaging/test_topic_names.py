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


def test_an_operator_names_a_dead_letter_topic_any_way_and_gets_one_dlq() -> None:
    """Event topic or DLQ, with or without the prefix: one DLQ, never ``<topic>.dlq.dlq``."""
    names = TopicNames("staging.")
    meant = "staging.gro.death-registered.v1.dlq"
    for given in (
        "gro.death-registered.v1",
        "gro.death-registered.v1.dlq",
        "staging.gro.death-registered.v1",
        "staging.gro.death-registered.v1.dlq",
    ):
        assert names.dead_letters_named(given) == meant, given
    adapter = "staging.govbus.adapter.council-badges.dlq"
    assert names.dead_letters_named("govbus.adapter.council-badges.dlq") == adapter
    assert names.dead_letters_named("govbus.adapter.council-badges") == adapter


def test_a_dead_letter_topic_says_whose_it_is() -> None:
    """An adapter's DLQ names its adapter and no event topic; a subscriber's names its topic."""
    names = TopicNames("staging.")
    adapter_dlq = names.adapter_dead_letters("council-badges")
    assert names.adapter_of(adapter_dlq) == "council-badges"
    assert names.origin_of(adapter_dlq) is None
    event_dlq = names.dead_letters("gro.death-registered.v1")
    assert names.adapter_of(event_dlq) is None
    assert names.origin_of(event_dlq) == "staging.gro.death-registered.v1"
    assert names.adapter_of("staging.govbus.adapter..dlq") is None


def test_each_dead_letter_topic_has_its_own_replay_group_under_the_prefix() -> None:
    """The group recording replays carries the prefix once and differs per DLQ."""
    names = TopicNames("staging.")
    first = names.replay_group("staging.gro.death-registered.v1.dlq")
    assert first == "staging.govbus.dlq-replayed.gro.death-registered.v1.dlq"
    assert first != names.replay_group("staging.gro.death-registered.v2.dlq")
    assert TopicNames().replay_group("a.b.v1.dlq") == "govbus.dlq-replayed.a.b.v1.dlq"
