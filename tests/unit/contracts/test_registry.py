"""The registry: registration, lookups by type and version, and clear errors."""

from __future__ import annotations

from typing import Any

import pytest

from contracts import (
    ContractDefinitionError,
    ContractInfo,
    ContractValidationError,
    DuplicateContractError,
    Event,
    Owner,
    Registry,
    RegistryError,
    UnknownEventTypeError,
    UnknownVersionError,
)

ACME = Owner(code="acme", name="Acme Borough Council")


def contract(version: int, event_name: str = "bin-emptied", **example: Any) -> ContractInfo:
    return ContractInfo(
        event_type=f"uk.gov.acme.{event_name}",
        version=version,
        owner=ACME,
        description="A bin was emptied.",
        example=example or {"bins": 1},
    )


class BinEmptiedV1(Event):
    contract = contract(1)
    bins: int


class BinEmptiedV2(Event):
    contract = contract(2, bins=1, street="High Street")
    bins: int
    street: str


class LampLitV1(Event):
    contract = contract(1, "lamp-lit", lamps=3)
    lamps: int


@pytest.fixture
def registry() -> Registry:
    registry = Registry()
    for model in (BinEmptiedV2, LampLitV1, BinEmptiedV1):
        registry.register(model)
    return registry


def test_lookup_by_type_and_version(registry: Registry) -> None:
    """Each (event type, version) resolves to its own model class."""
    assert registry.get("uk.gov.acme.bin-emptied", 1) is BinEmptiedV1
    assert registry.get("uk.gov.acme.bin-emptied", 2) is BinEmptiedV2
    assert ("uk.gov.acme.bin-emptied", 2) in registry
    assert ("uk.gov.acme.bin-emptied", 3) not in registry


def test_lookup_by_cloudevents_type(registry: Registry) -> None:
    """The CloudEvents type carried in `ce_type` resolves to the same model."""
    assert registry.by_cloudevents_type("uk.gov.acme.bin-emptied.v2") is BinEmptiedV2
    assert registry.by_cloudevents_type("uk.gov.acme.lamp-lit.v1") is LampLitV1


def test_listing_is_sorted_by_type_then_version(registry: Registry) -> None:
    """Listing order does not depend on registration order."""
    assert registry.all() == [BinEmptiedV1, BinEmptiedV2, LampLitV1]
    assert list(registry) == registry.all()
    assert len(registry) == 3
    assert registry.event_types() == ["uk.gov.acme.bin-emptied", "uk.gov.acme.lamp-lit"]
    assert registry.versions("uk.gov.acme.bin-emptied") == [1, 2]


def test_latest_is_the_highest_major_version(registry: Registry) -> None:
    """`latest` returns the newest major version, not the last registered."""
    assert registry.latest("uk.gov.acme.bin-emptied") is BinEmptiedV2
    assert registry.latest("uk.gov.acme.lamp-lit") is LampLitV1


def test_duplicate_registration_is_refused(registry: Registry) -> None:
    """A second model for the same type and version is refused, naming the first."""

    class BinEmptiedAgainV1(Event):
        contract = contract(1)
        bins: int

    with pytest.raises(DuplicateContractError) as caught:
        registry.register(BinEmptiedAgainV1)
    assert "uk.gov.acme.bin-emptied v1 is already registered" in str(caught.value)
    assert "BinEmptiedV1" in str(caught.value)
    assert registry.get("uk.gov.acme.bin-emptied", 1) is BinEmptiedV1


def test_only_event_models_can_be_registered() -> None:
    """Registering something that is not a contract model is a definition error."""
    with pytest.raises(ContractDefinitionError, match="only Event subclasses"):
        Registry().register(dict)  # type: ignore[type-var]
    with pytest.raises(ContractDefinitionError, match="only Event subclasses"):
        Registry().register(Event)


@pytest.mark.parametrize(
    "lookup",
    [
        lambda r: r.get("uk.gov.acme.bin-collected", 1),
        lambda r: r.latest("uk.gov.acme.bin-collected"),
        lambda r: r.versions("uk.gov.acme.bin-collected"),
        lambda r: r.by_cloudevents_type("uk.gov.acme.bin-collected.v1"),
    ],
)
def test_unknown_type_names_the_type(registry: Registry, lookup: Any) -> None:
    """Every lookup of an unregistered type raises UnknownEventTypeError naming it."""
    with pytest.raises(UnknownEventTypeError, match=r"uk\.gov\.acme\.bin-collected"):
        lookup(registry)


def test_unknown_version_lists_known_versions(registry: Registry) -> None:
    """Asking for a version that does not exist says which versions do."""
    with pytest.raises(UnknownVersionError) as caught:
        registry.get("uk.gov.acme.bin-emptied", 7)
    assert str(caught.value) == "unknown version v7 of uk.gov.acme.bin-emptied (known: v1, v2)"
    assert caught.value.known == (1, 2)
    with pytest.raises(UnknownVersionError):
        registry.by_cloudevents_type("uk.gov.acme.bin-emptied.v3")


@pytest.mark.parametrize(
    "ce_type",
    [
        "uk.gov.acme.bin-emptied",
        "uk.gov.acme.bin-emptied.v",
        "uk.gov.acme.bin-emptied.v01",
        "uk.gov.acme.bin-emptied.vx",
        "uk.gov.acme.bin-emptied.v\u0661",
        ".v1",
        "",
    ],
)
def test_malformed_cloudevents_type_is_unknown(registry: Registry, ce_type: str) -> None:
    """CloudEvents types without a plain `.v<N>` suffix never resolve to a contract."""
    with pytest.raises(RegistryError):
        registry.by_cloudevents_type(ce_type)


def test_parse_is_lenient_and_names_the_contract(registry: Registry) -> None:
    """`parse` ignores unknown fields and reports bad data against its CloudEvents type."""
    event = registry.parse(
        {"bins": 2, "lorry": "LK12 ABC"}, cloudevents_type="uk.gov.acme.bin-emptied.v1"
    )
    assert event == BinEmptiedV1(bins=2)
    with pytest.raises(ContractValidationError, match=r"^uk\.gov\.acme\.bin-emptied\.v2: street"):
        registry.parse(b'{"bins": 2}', cloudevents_type="uk.gov.acme.bin-emptied.v2")
