"""The ACLs a federation calls for, and the plan that brings a cluster to them."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bus.federation.acls import Binding, event_topic, plan, wanted
from bus.federation.model import Federation
from tests.unit.bus.federation.conftest import EXAMPLE, TODAY, edit

DEATHS_V2 = "gro.death-registered.v2"


def _of(bindings: frozenset[Binding], principal: str) -> set[tuple[str, str, str]]:
    return {
        (b.operation, b.resource_type, b.resource) for b in bindings if b.principal == principal
    }


@pytest.fixture(scope="module")
def example() -> frozenset[Binding]:
    """The bindings of the example federation on TODAY."""
    return wanted(Federation.load(EXAMPLE, today=TODAY), on=TODAY)


def test_a_contract_version_topic_is_named_as_contracts_name_it() -> None:
    """``uk.gov.gro.death-registered`` v2 is ``gro.death-registered.v2``, after the prefix."""
    assert event_topic("uk.gov.gro.death-registered", 2) == DEATHS_V2
    assert event_topic("uk.gov.gro.death-registered", 2, "staging.") == "staging." + DEATHS_V2


def test_a_publisher_may_write_every_granted_version_of_its_contracts(
    example: frozenset[Binding],
) -> None:
    """GRO writes and describes both death versions and births, and reads nothing."""
    gro = _of(example, "User:gro")
    topics = {"gro.death-registered.v1", DEATHS_V2, "gro.birth-registered.v1"}
    assert gro == {(op, "TOPIC", t) for t in topics for op in ("WRITE", "DESCRIBE")}


def test_a_recipient_reads_only_what_its_agreements_in_force_grant(
    example: frozenset[Binding],
) -> None:
    """DWP reads deaths v2 (its agreement) and its own groups; no other topic, nor v1."""
    dwp = _of(example, "User:dwp")
    assert ("READ", "TOPIC", DEATHS_V2) in dwp
    assert ("READ", "GROUP", "dwp.") in dwp
    read_topics = {r for op, kind, r in dwp if op == "READ" and kind == "TOPIC"}
    assert read_topics == {DEATHS_V2}


def test_consumer_groups_are_granted_by_prefix_under_the_organisations_own_code(
    example: frozenset[Binding],
) -> None:
    """Every group binding is PREFIXED ``<code>.`` of the principal's own organisation."""
    groups = [b for b in example if b.resource_type == "GROUP"]
    assert groups
    for binding in groups:
        assert binding.pattern_type == "PREFIXED"
        assert binding.principal == f"User:{binding.resource.removesuffix('.')}"


def test_a_draft_agreement_grants_nothing(example: frozenset[Binding]) -> None:
    """The library's address agreement is a draft: it may not read council addresses."""
    library = _of(example, "User:library")
    assert ("READ", "TOPIC", "council.address-change-notified.v1") not in library
    assert ("READ", "TOPIC", DEATHS_V2) in library


def test_nobody_gets_dead_letters_creation_or_configs(example: frozenset[Binding]) -> None:
    """No binding names a dead-letter topic, and none is beyond READ, WRITE and DESCRIBE."""
    assert not [b for b in example if b.resource.endswith(".dlq")]
    assert {b.operation for b in example} <= {"READ", "WRITE", "DESCRIBE"}
    assert {b.resource_type for b in example} <= {"TOPIC", "GROUP"}


def test_a_recipient_without_agreements_gets_nothing(tmp_path: Path) -> None:
    """With its only agreement withdrawn, DWP (which publishes nothing) has no binding at all."""
    folder = Path(shutil.copytree(EXAMPLE, tmp_path / "federation"))
    edit(folder / "agreements" / "gro-dwp-deaths.toml", 'status = "active"', 'status = "withdrawn"')
    edit(folder / "publishers.toml", 'organisations = ["dwp"]', 'organisations = ["dvla"]')
    bindings = wanted(Federation.load(folder, today=TODAY), on=TODAY)
    assert _of(bindings, "User:dwp") == set()


def test_the_prefix_applies_to_topics_and_groups() -> None:
    """With ``staging.`` every topic and group name starts with it."""
    bindings = wanted(Federation.load(EXAMPLE, today=TODAY), on=TODAY, prefix="staging.")
    assert all(b.resource.startswith("staging.") for b in bindings)


def test_an_agreement_grants_nothing_before_it_starts() -> None:
    """Before every agreement's start, recipients get no READ at all."""
    federation = Federation.load(EXAMPLE, today=TODAY)
    first = min(a.start for a in federation.agreements)
    early = first.replace(year=first.year - 1)
    assert not [b for b in wanted(federation, on=early) if b.operation == "READ"]


def _b(principal: str, topic: str, operation: str = "READ") -> Binding:
    return Binding(principal, "TOPIC", "LITERAL", topic, operation)  # type: ignore[arg-type]


def test_the_plan_creates_what_is_missing_and_deletes_only_what_govbus_made() -> None:
    """Missing wanted bindings are created; unwanted recorded ones deleted; foreign kept."""
    keep, new, old, by_hand = (_b("User:a", t) for t in ("keep", "new", "old", "hand"))
    result = plan(
        frozenset({keep, new}),
        existing=frozenset({keep, old, by_hand}),
        recorded=frozenset({keep, old}),
    )
    assert result.create == (new,)
    assert result.delete == (old,)
    assert result.foreign == (by_hand,)
    assert not result.empty


def test_a_plan_after_apply_is_empty_but_still_shows_foreign_bindings() -> None:
    """When the cluster holds exactly what is wanted and recorded, nothing is to change."""
    mine, by_hand = _b("User:a", "mine"), _b("User:b", "hand")
    result = plan(
        frozenset({mine}), existing=frozenset({mine, by_hand}), recorded=frozenset({mine})
    )
    assert result.empty
    assert result.foreign == (by_hand,)


def test_a_recorded_binding_removed_by_hand_is_recreated_or_forgotten() -> None:
    """Removed by hand: created again while wanted, else only dropped from the record."""
    wanted_one, unwanted_one = _b("User:a", "w"), _b("User:a", "u")
    result = plan(
        frozenset({wanted_one}),
        existing=frozenset(),
        recorded=frozenset({wanted_one, unwanted_one}),
    )
    assert result.create == (wanted_one,)
    assert result.forget == (unwanted_one,)
    assert result.delete == ()


def test_a_wanted_binding_made_by_hand_is_not_adopted() -> None:
    """A hand-made binding that is also wanted is not created again nor taken into the record."""
    both = _b("User:a", "t")
    result = plan(frozenset({both}), existing=frozenset({both}), recorded=frozenset())
    assert result.empty
    assert result.foreign == (both,)


def test_a_binding_key_round_trips_and_hostile_keys_are_refused() -> None:
    """``from_key(key)`` gives the binding back; malformed, hostile or oversized keys raise."""
    binding = Binding("User:dwp", "GROUP", "PREFIXED", "dwp.", "READ")
    assert Binding.from_key(binding.key) == binding
    bad_keys = (
        "",
        "a|b",
        "User:x|CLUSTER|LITERAL|t|READ",
        "User:x|TOPIC|LITERAL|t|ALTER",
        "nobody|TOPIC|LITERAL|t|READ",
        "User:x|TOPIC|LITERAL||READ",
        "x" * 100_000,
    )
    for bad in bad_keys:
        with pytest.raises(ValueError, match="not a govbus ACL record key") as caught:
            Binding.from_key(bad)
        assert len(str(caught.value)) < 300
