"""The models on their own: codes, principals, kinds, legislation links, retention, e-mail."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from bus.federation.model import Agreement, LawfulBasis, Organisation, PublishingRight

CONTACT = {"name": "Data Sharing Team", "email": "data.sharing@dwp.gov.uk"}
ORGANISATION: dict[str, Any] = {
    "code": "dwp",
    "name": "Department for Work and Pensions",
    "kind": "department",
    "kafka_principal": "User:dwp",
    "contact": CONTACT,
}
AGREEMENT: dict[str, Any] = {
    "id": "gro-dwp-deaths",
    "title": "Deaths to DWP",
    "provider": "gro",
    "recipient": "dwp",
    "contract": "uk.gov.gro.death-registered",
    "versions": [2],
    "fields": ["death.date"],
    "purpose": "Stop pensions.",
    "lawful_basis": {
        "text": "SI 2010/444",
        "legislation": "https://www.legislation.gov.uk/uksi/2010/444",
    },
    "retention": "P6Y",
    "start": "2025-04-01",
    "review": "2026-04-01",
    "status": "active",
    "contacts": [{**CONTACT, "organisation": "gro"}, {**CONTACT, "organisation": "dwp"}],
}


def _errors(model: type[Any], data: dict[str, Any]) -> list[str]:
    with pytest.raises(ValidationError) as caught:
        model.model_validate(data)
    return [
        f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}"
        for e in caught.value.errors(include_url=False)
    ]


@pytest.mark.parametrize("code", ["DWP", "d wp", "1dwp", "dwp-", "a--b", "x" * 41, ""])
def test_organisation_codes_are_short_lower_case_names(code: str) -> None:
    """Upper case, spaces, leading digits, stray hyphens and long codes are refused."""
    [error] = _errors(Organisation, {**ORGANISATION, "code": code})
    assert error.startswith("code: Value error, a code is")


@pytest.mark.parametrize(
    "principal", ["dwp", "User:", "Group:dwp", "User:dwp;User:admin", "User:dwp\n"]
)
def test_a_kafka_principal_is_one_user(principal: str) -> None:
    """Only User:<name> with a plain name is accepted: no lists, other types or newlines."""
    [error] = _errors(Organisation, {**ORGANISATION, "kafka_principal": principal})
    assert error.startswith("kafka_principal: Value error, a Kafka principal is User:<name>")


def test_a_local_authority_needs_a_local_authority_gss_code() -> None:
    """A council without a GSS code, a ward's code, or a department with one are refused."""
    council = {**ORGANISATION, "code": "kent", "kind": "local-authority"}
    assert _errors(Organisation, council) == [
        "gss_code: Value error, a local authority is identified by its GSS code; set gss_code"
    ]
    [ward] = _errors(Organisation, {**council, "gss_code": "E05000026"})
    assert ward.startswith("gss_code: GSS entity code 'E05'")
    assert _errors(Organisation, {**ORGANISATION, "gss_code": "E10000016"}) == [
        "gss_code: Value error, only a local authority has a GSS code, not a department"
    ]
    assert Organisation.model_validate({**council, "gss_code": "e10000016"}).gss_code == "E10000016"


@pytest.mark.parametrize(
    "url",
    [
        "http://www.legislation.gov.uk/uksi/2010/444",
        "https://www.legislation.gov.uk.example.com/uksi/2010/444",
        "https://example.com/?www.legislation.gov.uk",
        "https://user@www.legislation.gov.uk/uksi/2010/444",
        "https://www.legislation.gov.uk:8443/uksi/2010/444",
        "https://www.legislation.gov.uk/",
        "javascript:alert(1)",
        "https://www.legislation.gov.uk/uksi/2010/444 extra",
        "https://www.legislation.gov.uk/" + "a" * 500,
    ],
)
def test_the_legislation_link_is_https_on_legislation_gov_uk(url: str) -> None:
    """Other schemes, look-alike hosts, credentials, ports and bare site links are refused."""
    [error] = _errors(LawfulBasis, {"text": "SI 2010/444", "legislation": url})
    assert error.startswith("legislation: Value error, the legislation link must")


@pytest.mark.parametrize(("given", "days"), [("P6Y", 2190), ("P18M", 540), ("P2W", 14), (30, 30)])
def test_retention_is_an_iso_duration_or_days(given: object, days: int) -> None:
    """Durations in years, months, weeks or days, or a number of days, give a day count."""
    agreement = Agreement.model_validate({**AGREEMENT, "retention": given})
    assert agreement.retention_days == days


@pytest.mark.parametrize("given", ["six years", "P", "PT5H", "P0D", 0, -3, True, "P999Y", 1.5])
def test_retention_that_is_no_duration_is_refused(given: object) -> None:
    """Words, empty or time-only durations, zero, negatives, booleans and centuries are refused."""
    [error] = _errors(Agreement, {**AGREEMENT, "retention": given})
    assert error.startswith("retention: Value error, retention")


def test_a_provider_cannot_share_with_itself() -> None:
    """The recipient must be another organisation."""
    assert _errors(Agreement, {**AGREEMENT, "recipient": "gro"}) == [
        "recipient: Value error, the recipient must be another organisation than the provider"
    ]


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("fields", ["death.date", "death.date"]),
        ("fields", ["Death.Date"]),
        ("fields", []),
        ("versions", [2, 2]),
        ("versions", [0]),
        ("versions", ["2"]),
        ("contract", "uk.gov.gro.death-registered.v2"),
        ("id", "GRO DWP"),
        ("status", "live"),
        ("start", "2025-02-30"),
    ],
)
def test_malformed_agreement_values_are_refused_at_their_key(key: str, value: object) -> None:
    """Repeats, bad paths, empty lists, bad versions, a versioned type, bad ids and dates."""
    errors = _errors(Agreement, {**AGREEMENT, key: value})
    assert errors
    assert all(e.startswith(f"{key}") for e in errors)


@pytest.mark.parametrize("email", ["not-an-email", "a@b", "a b@dwp.gov.uk", "x@dwp.gov.uk\n"])
def test_contacts_have_an_email_address(email: str) -> None:
    """An address without a domain, with spaces or with a newline is refused."""
    [error] = _errors(Organisation, {**ORGANISATION, "contact": {**CONTACT, "email": email}})
    assert error.startswith("contact.email: Value error, not an e-mail address")


def test_a_publishing_right_names_someone() -> None:
    """A right that names neither organisations nor kinds grants nothing and is refused."""
    assert _errors(
        PublishingRight, {"contract": "uk.gov.gro.death-registered", "versions": [2]}
    ) == ["kinds: Value error, name organisations or kinds that may publish the contract"]
