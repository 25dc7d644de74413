"""The starter catalogue: registered on import, realistic, and upcastable."""

from __future__ import annotations

import pytest

from contracts import Event, default_registry, default_upcasters
from contracts.catalogue.gro import DeathRegisteredV1, DeathRegisteredV2
from contracts.packages import builtin_models

EXPECTED = {
    "uk.gov.gro.death-registered.v1",
    "uk.gov.gro.death-registered.v2",
    "uk.gov.gro.birth-registered.v1",
    "uk.gov.council.address-change-notified.v1",
    "uk.gov.council.council-tax-account-closed.v1",
    "uk.gov.dwp.state-pension-payment-stopped.v1",
    "uk.gov.dvla.driving-licence-cancelled.v1",
    "uk.gov.council.missed-bin-collection-reported.v1",
    "uk.gov.council.planning-application-submitted.v1",
}


def test_importing_contracts_registers_the_catalogue() -> None:
    """`import contracts` is enough for every starter contract to be looked up."""
    assert {m.contract.cloudevents_type for m in builtin_models()} == EXPECTED
    assert set(builtin_models()) <= set(default_registry)


@pytest.mark.parametrize("model", builtin_models(), ids=lambda m: m.__name__)
def test_personal_events_are_not_open_and_open_events_carry_ogl(model: type[Event]) -> None:
    """Events with personal data have no licence; the rest are open under OGL v3.0."""
    info = model.contract
    if info.personal_data:
        assert info.licence is None
    else:
        assert info.licence is not None
        assert info.licence.name == "Open Government Licence v3.0"


@pytest.mark.parametrize("model", builtin_models(), ids=lambda m: m.__name__)
def test_example_round_trips_through_the_consumer_side(model: type[Event]) -> None:
    """The declared example survives produce -> JSON -> consume unchanged."""
    produced = model.example_event()
    assert model.from_consumed(produced.model_dump_json()) == produced


def test_death_registered_v1_upcasts_to_v2() -> None:
    """A v1 registrar record reaches a v2 consumer with the same facts, regrouped."""
    old = DeathRegisteredV1.example_event()
    new = default_upcasters.read(
        old.model_dump_json(), cloudevents_type="uk.gov.gro.death-registered.v1", to_version=2
    )
    assert isinstance(new, DeathRegisteredV2)
    assert new.registration.district == old.registration_district
    assert new.registration.entry_number == old.entry_number
    assert new.deceased.nino == old.deceased_nino
    assert new.deceased.usual_address == old.deceased_address
    assert new.death.date == old.date_of_death
    assert new.death.date_qualifier == "on"
    assert new.death.place == old.place_of_death
    assert new.informant == old.informant


def test_latest_death_registered_is_v2() -> None:
    """The newest major version of death-registered is v2."""
    assert default_registry.latest("uk.gov.gro.death-registered") is DeathRegisteredV2
