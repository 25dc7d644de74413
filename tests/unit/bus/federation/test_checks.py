"""Cross-references: unknown names, duplicates, personal data by implication, dates, overlaps."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from tests.unit.bus.federation.conftest import edit

Problems = Callable[[], list[str]]
DWP = "agreements/gro-dwp-deaths.toml"


def test_an_unknown_recipient_is_named_with_a_suggestion(
    federation_dir: Path, problems: Problems
) -> None:
    """A recipient code no member has is refused, suggesting the code it resembles."""
    edit(federation_dir / DWP, 'recipient = "dwp"', 'recipient = "dwpp"')
    edit(federation_dir / DWP, '{ organisation = "dwp"', '{ organisation = "dwpp"')
    assert problems() == [
        f"{DWP}: agreement.recipient: no organisation has the code 'dwpp'; did you mean 'dwp'?"
    ]


def test_a_publisher_naming_an_unknown_organisation_is_refused(
    federation_dir: Path, problems: Problems
) -> None:
    """A publishing right for a code that is not a member names the entry and position."""
    edit(federation_dir / "publishers.toml", 'organisations = ["dvla"]', 'organisations = ["dvls"]')
    assert problems()[0] == (
        "publishers.toml: publishers[3].organisations[0]: no organisation has the code 'dvls';"
        " did you mean 'dvla'?"
    )


def test_an_unknown_contract_is_named_with_a_suggestion(
    federation_dir: Path, problems: Problems
) -> None:
    """A contract that is not registered is refused, suggesting a registered one."""
    edit(federation_dir / DWP, "uk.gov.gro.death-registered", "uk.gov.gro.death-registred")
    assert problems() == [
        f"{DWP}: agreement.contract: no contract 'uk.gov.gro.death-registred' is registered;"
        " did you mean 'uk.gov.gro.death-registered' or 'uk.gov.gro.birth-registered'?"
    ]


def test_an_unregistered_version_lists_the_registered_ones(
    federation_dir: Path, problems: Problems
) -> None:
    """A major version the registry lacks is refused with the versions it has."""
    edit(federation_dir / DWP, "versions = [2]", "versions = [2, 7]")
    assert problems() == [
        f"{DWP}: agreement.versions[1]: uk.gov.gro.death-registered has no version 7"
        " (registered: 1, 2)"
    ]


def test_an_unknown_field_is_named_with_its_nearest_path(
    federation_dir: Path, problems: Problems
) -> None:
    """A nested field that does not exist names the object searched and suggests a path."""
    edit(federation_dir / DWP, '"deceased.date_of_birth"', '"deceased.date_of_brith"')
    assert problems() == [
        f"{DWP}: agreement.fields[3]: deceased has no field 'date_of_brith';"
        " did you mean 'deceased.date_of_birth'?"
    ]


def test_a_field_must_exist_in_every_version_covered(
    federation_dir: Path, problems: Problems
) -> None:
    """v1 of death-registered is flat, so a v2 path in an agreement covering v1 is refused."""
    edit(federation_dir / DWP, "versions = [2]", "versions = [1, 2]")
    found = problems()
    assert [line.split(": ")[1] for line in found] == [f"agreement.fields[{i}]" for i in range(6)]
    assert found[0].startswith(
        f"{DWP}: agreement.fields[0]: uk.gov.gro.death-registered.v1 has no field 'registration'"
    )


def test_a_path_into_a_plain_value_names_nothing(federation_dir: Path, problems: Problems) -> None:
    """A path continuing below a date is refused: a date has no fields."""
    edit(federation_dir / DWP, '"death.date"', '"death.date.year"')
    assert problems() == [
        f"{DWP}: agreement.fields[5]: 'death.date' has no fields inside it, so"
        " 'death.date.year' names nothing"
    ]


def test_personal_data_is_never_shared_by_naming_its_parent(
    federation_dir: Path, problems: Problems
) -> None:
    """Naming ``deceased`` would carry the NINO unnamed; the agreement must list each field."""
    library = "agreements/gro-library-deaths.toml"
    edit(federation_dir / library, '"deceased.name",\n    "deceased.usual_address",', '"deceased",')
    assert problems() == [
        f"{library}: agreement.fields[1]: 'deceased' holds personal data (deceased.name,"
        " deceased.date_of_birth, deceased.nino, deceased.usual_address) in v2; a personal-data"
        " field flows only if named, so name each one shared"
    ]


def test_a_whole_object_without_personal_data_may_be_named(
    federation_dir: Path, problems: Problems
) -> None:
    """``registration`` holds no personal data, and a named personal object may be shared whole."""
    edit(federation_dir / DWP, '"registration.registered_on",', '"registration", "informant",')
    edit(federation_dir / DWP, '"registration.tell_us_once_reference",', "")
    assert problems() == []


def test_duplicate_organisation_codes_principals_and_gss_codes_are_refused(
    federation_dir: Path, problems: Problems
) -> None:
    """Two members with one code, one principal or one GSS code are each an error."""
    path = federation_dir / "organisations.toml"
    council = path.read_text().split("[[organisations]]")[4]
    path.write_text(path.read_text() + "[[organisations]]" + council)
    assert problems() == [
        "organisations.toml: organisations[5].code: 'council' is also the code of organisations[3]",
        "organisations.toml: organisations[5].kafka_principal: 'User:council' is also the"
        " kafka_principal of organisations[3]",
        "organisations.toml: organisations[5].gss_code: 'E06000001' is also the gss_code of"
        " organisations[3]",
    ]


def test_duplicate_agreement_ids_are_refused(federation_dir: Path, problems: Problems) -> None:
    """Two files holding one agreement id: the later file is named with the earlier one."""
    folder = federation_dir / "agreements"
    (folder / "gro-dwp-deaths-copy.toml").write_text((folder / "gro-dwp-deaths.toml").read_text())
    found = problems()
    assert found[0] == (
        "agreements/gro-dwp-deaths.toml: agreement.id: 'gro-dwp-deaths' is also the id in"
        " agreements/gro-dwp-deaths-copy.toml"
    )
    assert "overlaps agreement 'gro-dwp-deaths'" in found[1]


def test_overlapping_agreements_for_the_same_parties_and_contract_are_refused(
    federation_dir: Path, problems: Problems
) -> None:
    """A second agreement between gro and dwp for v2 on common days is an error."""
    folder = federation_dir / "agreements"
    text = (folder / "gro-dwp-deaths.toml").read_text()
    (folder / "gro-dwp-renewal.toml").write_text(
        text.replace('id = "gro-dwp-deaths"', 'id = "gro-dwp-renewal"')
        .replace("start = 2025-04-01", "start = 2030-03-01")
        .replace("review = 2027-04-01", "review = 2031-03-01")
        .replace("end = 2030-03-31", "end = 2033-03-31")
    )
    assert problems() == [
        "agreements/gro-dwp-renewal.toml: agreement.start: overlaps agreement 'gro-dwp-deaths'"
        " (agreements/gro-dwp-deaths.toml): the same provider, recipient and"
        " uk.gov.gro.death-registered v2 on common days; end one before the other starts, or"
        " withdraw it"
    ]


def test_a_successor_starting_after_the_end_does_not_overlap(
    federation_dir: Path, problems: Problems
) -> None:
    """Back-to-back agreements, or one withdrawn, are not overlaps."""
    folder = federation_dir / "agreements"
    text = (folder / "gro-dwp-deaths.toml").read_text()
    (folder / "gro-dwp-renewal.toml").write_text(
        text.replace('id = "gro-dwp-deaths"', 'id = "gro-dwp-renewal"')
        .replace("start = 2025-04-01", "start = 2030-04-01")
        .replace("review = 2027-04-01", "review = 2031-04-01")
        .replace("end = 2030-03-31", "end = 2033-03-31")
        .replace('status = "active"', 'status = "draft"')
    )
    (folder / "gro-dwp-old.toml").write_text(
        text.replace('id = "gro-dwp-deaths"', 'id = "gro-dwp-old"').replace(
            'status = "active"', 'status = "withdrawn"'
        )
    )
    assert problems() == []


def test_an_active_agreement_past_its_end_is_an_error(
    federation_dir: Path, problems: Problems
) -> None:
    """An agreement that ended must say so: 'active' after its end date is refused."""
    edit(federation_dir / DWP, "review = 2027-04-01", "review = 2025-06-01")
    edit(federation_dir / DWP, "end = 2030-03-31", "end = 2025-12-31")
    assert problems() == [
        f"{DWP}: agreement.status: 'active' but the agreement ended on 2025-12-31 (today is"
        ' 2026-01-15); set status = "expired" or extend end'
    ]


def test_an_expired_agreement_that_has_not_ended_is_an_error(
    federation_dir: Path, problems: Problems
) -> None:
    """'expired' with an end still to come, or with no end, contradicts the dates."""
    edit(federation_dir / DWP, 'status = "active"', 'status = "expired"')
    assert problems() == [
        f"{DWP}: agreement.status: 'expired' but the agreement runs until 2030-03-31"
    ]


def test_dates_out_of_order_are_refused_at_their_key(
    federation_dir: Path, problems: Problems
) -> None:
    """A review before the start, or an end before the review, names the later key."""
    edit(federation_dir / DWP, "review = 2027-04-01", "review = 2024-04-01")
    edit(
        federation_dir / "agreements" / "gro-council-deaths.toml",
        "end = 2028-03-31",
        "end = 2026-09-30",
    )
    assert problems() == [
        "agreements/gro-council-deaths.toml: agreement.end: Value error, end 2026-09-30 is"
        " before review 2026-10-01",
        f"{DWP}: agreement.review: Value error, review 2024-04-01 is before start 2025-04-01",
    ]


def test_a_provider_may_share_only_what_it_may_publish(
    federation_dir: Path, problems: Problems
) -> None:
    """dwp is not granted death-registered, so it cannot provide it to anyone."""
    library = "agreements/gro-library-deaths.toml"
    edit(federation_dir / library, 'provider = "gro"', 'provider = "dwp"')
    edit(federation_dir / library, '{ organisation = "gro"', '{ organisation = "dwp"')
    assert problems() == [
        f"{library}: agreement.provider: 'dwp' may not publish uk.gov.gro.death-registered v2"
        " (publishers.toml grants it to: gro)"
    ]


def test_each_party_names_a_contact_and_contacts_speak_for_a_party(
    federation_dir: Path, problems: Problems
) -> None:
    """A contact for a third organisation, leaving the recipient without one, is two errors."""
    edit(federation_dir / DWP, '{ organisation = "dwp"', '{ organisation = "dvla"')
    assert problems() == [
        f"{DWP}: agreement.contacts[1].organisation: 'dvla' is not a party; contacts speak for"
        " 'gro' or 'dwp'",
        f"{DWP}: agreement.contacts: no contact for 'dwp'; each party names one",
    ]


def test_a_contract_version_is_granted_in_one_entry_only(
    federation_dir: Path, problems: Problems
) -> None:
    """Granting the same contract version twice is refused: one entry lists all publishers."""
    path = federation_dir / "publishers.toml"
    path.write_text(
        path.read_text()
        + '\n[[publishers]]\ncontract = "uk.gov.dwp.state-pension-payment-stopped"\n'
        'versions = [1]\norganisations = ["gro"]\n'
    )
    assert problems() == [
        "publishers.toml: publishers[6].versions[0]: uk.gov.dwp.state-pension-payment-stopped v1"
        " is also granted in publishers[2]; list all its publishers in one entry"
    ]
