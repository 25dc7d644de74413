"""Upcasting: converting older events along the chain to the version a consumer asks for."""

from __future__ import annotations

import pytest

from contracts import (
    ContractDefinitionError,
    ContractInfo,
    DowncastError,
    Event,
    MissingUpcasterError,
    Owner,
    Registry,
    UnknownVersionError,
    UpcastError,
    Upcasters,
)

ACME = Owner(code="acme", name="Acme Borough Council")


def contract(version: int, example: dict[str, object]) -> ContractInfo:
    return ContractInfo(
        event_type="uk.gov.acme.permit-issued",
        version=version,
        owner=ACME,
        description="A parking permit was issued.",
        example=example,
    )


class PermitIssuedV1(Event):
    contract = contract(1, {"zone": "A", "vrm": "ab12cde"})
    zone: str
    vrm: str


class PermitIssuedV2(Event):
    contract = contract(2, {"zone": "A", "registration": "AB12CDE"})
    zone: str
    registration: str


class PermitIssuedV3(Event):
    contract = contract(3, {"zones": ["A"], "registration": "AB12CDE"})
    zones: tuple[str, ...]
    registration: str


class PermitIssuedV4(Event):
    contract = contract(4, {"zones": ["A"], "registration": "AB12CDE", "months": 12})
    zones: tuple[str, ...]
    registration: str
    months: int


def v1_to_v2(old: PermitIssuedV1) -> PermitIssuedV2:
    return PermitIssuedV2(zone=old.zone, registration=old.vrm.upper())


def v2_to_v3(old: PermitIssuedV2) -> PermitIssuedV3:
    return PermitIssuedV3(zones=(old.zone,), registration=old.registration)


@pytest.fixture
def registry() -> Registry:
    registry = Registry()
    for model in (PermitIssuedV1, PermitIssuedV2, PermitIssuedV3, PermitIssuedV4):
        registry.register(model)
    return registry


@pytest.fixture
def upcasters(registry: Registry) -> Upcasters:
    upcasters = Upcasters(registry)
    upcasters.register(PermitIssuedV1, PermitIssuedV2)(v1_to_v2)
    upcasters.register(PermitIssuedV2, PermitIssuedV3)(v2_to_v3)
    return upcasters


def test_single_step_upcast(upcasters: Upcasters) -> None:
    """A v1 event asked for as v2 goes through the v1 -> v2 upcaster."""
    result = upcasters.upcast(PermitIssuedV1(zone="B", vrm="xy51abc"), to_version=2)
    assert result == PermitIssuedV2(zone="B", registration="XY51ABC")


def test_chain_walks_every_step(upcasters: Upcasters) -> None:
    """A v1 event asked for as v3 goes v1 -> v2 -> v3 and is an instance of the v3 model."""
    result = upcasters.upcast(PermitIssuedV1(zone="B", vrm="xy51abc"), to_version=3)
    assert type(result) is PermitIssuedV3
    assert result == PermitIssuedV3(zones=("B",), registration="XY51ABC")


def test_same_version_is_returned_unchanged(upcasters: Upcasters) -> None:
    """Asking for the version the event already has returns the event itself."""
    event = PermitIssuedV2(zone="C", registration="AB12CDE")
    assert upcasters.upcast(event, to_version=2) is event


def test_read_parses_leniently_then_upcasts(upcasters: Upcasters) -> None:
    """A consumer on v3 reads raw v1 data (with unknown fields) as a v3 event."""
    result = upcasters.read(
        b'{"zone": "D", "vrm": "gh70xyz", "issued_by": "kiosk"}',
        cloudevents_type="uk.gov.acme.permit-issued.v1",
        to_version=3,
    )
    assert result == PermitIssuedV3(zones=("D",), registration="GH70XYZ")


def test_missing_link_names_the_step(upcasters: Upcasters) -> None:
    """Without a v3 -> v4 upcaster, asking for v4 fails naming the missing step."""
    with pytest.raises(MissingUpcasterError) as caught:
        upcasters.upcast(PermitIssuedV1(zone="B", vrm="x"), to_version=4)
    assert "no upcaster registered from uk.gov.acme.permit-issued v3 to v4" in str(caught.value)
    assert caught.value.from_version == 3


def test_missing_link_fails_before_running_any_step(registry: Registry) -> None:
    """A broken chain is detected up front, so no upcaster runs for nothing."""
    calls: list[str] = []

    def counting(old: PermitIssuedV1) -> PermitIssuedV2:
        calls.append("v1")
        return v1_to_v2(old)

    upcasters = Upcasters(registry)
    upcasters.register(PermitIssuedV1, PermitIssuedV2)(counting)
    with pytest.raises(MissingUpcasterError):
        upcasters.upcast(PermitIssuedV1(zone="B", vrm="x"), to_version=3)
    assert calls == []


def test_downcast_is_refused(upcasters: Upcasters) -> None:
    """Asking for an older version than the event has is an error, never a lossy guess."""
    with pytest.raises(
        DowncastError, match=r"cannot convert uk\.gov\.acme\.permit-issued v3 down to v1"
    ):
        upcasters.upcast(PermitIssuedV3(zones=("A",), registration="X"), to_version=1)


def test_unknown_target_version_lists_known_ones(upcasters: Upcasters) -> None:
    """Asking for a version nobody defined is an UnknownVersionError, not a missing link."""
    with pytest.raises(UnknownVersionError, match=r"v9 .*known: v1, v2, v3, v4"):
        upcasters.upcast(PermitIssuedV1(zone="B", vrm="x"), to_version=9)


@pytest.mark.parametrize(
    ("source", "target", "message"),
    [
        (PermitIssuedV1, PermitIssuedV3, "must go from v1 to v2, not to v3"),
        (PermitIssuedV2, PermitIssuedV1, "must go from v2 to v3, not to v1"),
        (PermitIssuedV1, PermitIssuedV1, "must go from v1 to v2, not to v1"),
    ],
)
def test_only_single_forward_steps_can_be_registered(
    registry: Registry, source: type[Event], target: type[Event], message: str
) -> None:
    """Upcasters are registered for N -> N+1 only; longer jumps come from the chain."""
    with pytest.raises(ContractDefinitionError, match=message):
        Upcasters(registry).register(source, target)


def test_upcaster_between_event_types_is_refused(registry: Registry) -> None:
    """An upcaster cannot turn one event type into another."""

    class PermitRevokedV2(Event):
        contract = ContractInfo(
            event_type="uk.gov.acme.permit-revoked",
            version=2,
            owner=ACME,
            description="A permit was revoked.",
            example={},
        )

    with pytest.raises(ContractDefinitionError, match="event types differ"):
        Upcasters(registry).register(PermitIssuedV1, PermitRevokedV2)


def test_second_upcaster_for_a_step_is_refused(upcasters: Upcasters) -> None:
    """Each step has exactly one upcaster, so the conversion is never ambiguous."""
    with pytest.raises(ContractDefinitionError, match="already has an upcaster"):
        upcasters.register(PermitIssuedV1, PermitIssuedV2)
    assert upcasters.has_step("uk.gov.acme.permit-issued", 1)
    assert not upcasters.has_step("uk.gov.acme.permit-issued", 3)


def test_upcaster_returning_the_wrong_model_is_caught(registry: Registry) -> None:
    """A buggy upcaster that returns another version is reported, naming the step."""
    upcasters = Upcasters(registry)

    def wrong(old: PermitIssuedV1) -> PermitIssuedV2:
        return old  # type: ignore[return-value]

    upcasters.register(PermitIssuedV1, PermitIssuedV2)(wrong)
    with pytest.raises(UpcastError, match="returned PermitIssuedV1, not PermitIssuedV2"):
        upcasters.upcast(PermitIssuedV1(zone="A", vrm="x"), to_version=2)
