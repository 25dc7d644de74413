"""Cross-references of a federation: every code, contract and field resolves; nothing collides.

The rules, each reported as a ``Problem`` naming file and key:

- organisation codes, Kafka principals and GSS codes are unique;
- publishing rights name registered contracts and versions and known organisations, and grant a
  contract version in one entry only;
- agreement ids are unique; provider and recipient are members, and the provider may publish the
  contract version it shares; every field exists in every version the agreement covers; an
  object holding personal data is not named in place of its personal-data fields (see
  ``bus.federation.fields``); each party has a contact, and contacts speak for a party;
- status agrees with the dates as of ``today``: an active or suspended agreement past its end
  is an error (mark it ``expired``, or extend it), and so is an ``expired`` one still running;
- two agreements that could both be in force (not withdrawn or expired) must not cover the same
  provider, recipient, contract and a common version on a common day.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date

from bus.federation.fields import implied_personal_data, path_problem
from bus.federation.model import Agreement, Federation
from bus.federation.problems import (
    ORGANISATIONS_FILE,
    PUBLISHERS_FILE,
    Problem,
    agreement_file,
    did_you_mean,
)
from contracts import ContractError, Event, Registry

Where = Callable[[str, str], None]
"""Reports a problem: the key below the item checked, and why."""

# Agreements that can no longer come into force do not collide with their successors.
_CLOSED = frozenset({"withdrawn", "expired"})


@dataclass(slots=True)
class _Report:
    agreement_files: Sequence[str]
    problems: list[Problem] = field(default_factory=list)

    def organisation(self, index: int, key: str, message: str) -> None:
        self.problems.append(Problem(ORGANISATIONS_FILE, f"organisations[{index}].{key}", message))

    def right(self, index: int, key: str, message: str) -> None:
        self.problems.append(Problem(PUBLISHERS_FILE, f"publishers[{index}].{key}", message))

    def agreement(self, index: int, key: str, message: str) -> None:
        self.problems.append(Problem(self.agreement_files[index], f"agreement.{key}", message))


def check(
    federation: Federation,
    *,
    registry: Registry,
    today: date,
    agreement_files: Sequence[str] | None = None,
    members: bool = True,
) -> list[Problem]:
    """Every problem of ``federation`` as of ``today``; empty when it is consistent.

    ``agreement_files`` names the file of each agreement, in order (``agreements/<id>.toml``
    when not given). With ``members=False`` (the member files could not be read) the rules
    that need organisations and publishing rights are left out; the agreements' contracts,
    fields, dates and overlaps are still checked.
    """
    files = agreement_files or [agreement_file(a.id) for a in federation.agreements]
    report = _Report(files)
    if members:
        _organisations(federation, report)
        _rights(federation, registry, report)
    for index, agreement in enumerate(federation.agreements):
        _agreement(
            federation,
            index,
            agreement,
            registry=registry,
            today=today,
            report=report,
            members=members,
        )
    _duplicates(
        [a.id for a in federation.agreements],
        lambda i, first: report.agreement(
            i, "id", f"{federation.agreements[i].id!r} is also the id in {files[first]}"
        ),
    )
    _overlaps(federation.agreements, report)
    return report.problems


def _duplicates(values: Iterable[object], report: Callable[[int, int], None]) -> None:
    """Call ``report(index, first_index)`` for each value seen before."""
    seen: dict[object, int] = {}
    for index, value in enumerate(values):
        if value is None:
            continue
        if value in seen:
            report(index, seen[value])
        else:
            seen[value] = index


def _organisations(federation: Federation, report: _Report) -> None:
    members = federation.organisations
    for key in ("code", "kafka_principal", "gss_code"):

        def repeated(index: int, first: int, key: str = key) -> None:
            value = getattr(members[index], key)
            report.organisation(
                index, key, f"{value!r} is also the {key} of organisations[{first}]"
            )

        _duplicates([getattr(o, key) for o in members], repeated)


def _contract(
    registry: Registry, event_type: str, versions: Sequence[int], *, where: Where
) -> dict[int, type[Event]]:
    """The registered models of ``event_type`` by version; unknowns reported at ``where``."""
    if event_type not in registry.event_types():
        where(
            "contract",
            f"no contract {event_type!r} is registered"
            f"{did_you_mean(event_type, registry.event_types())}",
        )
        return {}
    models: dict[int, type[Event]] = {}
    for j, version in enumerate(versions):
        try:
            models[version] = registry.get(event_type, version)
        except ContractError:
            known = ", ".join(str(v) for v in registry.versions(event_type))
            where(f"versions[{j}]", f"{event_type} has no version {version} (registered: {known})")
    return models


def _rights(federation: Federation, registry: Registry, report: _Report) -> None:
    codes = [o.code for o in federation.organisations]
    granted: dict[tuple[str, int], int] = {}
    for i, right in enumerate(federation.publishers):

        def where(key: str, message: str, i: int = i) -> None:
            report.right(i, key, message)

        _contract(registry, right.contract, right.versions, where=where)
        for j, code in enumerate(right.organisations):
            if code not in codes:
                where(f"organisations[{j}]", _unknown(code, codes))
        for j, version in enumerate(right.versions):
            first = granted.setdefault((right.contract, version), i)
            if first != i:
                where(
                    f"versions[{j}]",
                    f"{right.contract} v{version} is also granted in publishers[{first}];"
                    " list all its publishers in one entry",
                )


def _unknown(code: str, codes: Sequence[str]) -> str:
    return f"no organisation has the code {code!r}{did_you_mean(code, codes)}"


def _agreement(
    federation: Federation,
    index: int,
    agreement: Agreement,
    *,
    registry: Registry,
    today: date,
    report: _Report,
    members: bool,
) -> None:
    def where(key: str, message: str) -> None:
        report.agreement(index, key, message)

    codes = [o.code for o in federation.organisations]
    for role in ("provider", "recipient"):
        code = getattr(agreement, role)
        if members and code not in codes:
            where(role, _unknown(code, codes))
    models = _contract(registry, agreement.contract, agreement.versions, where=where)
    provider = federation.organisation(agreement.provider)
    for version in models if members else ():
        allowed = federation.publishers_of(agreement.contract, version)
        if provider is not None and provider not in allowed:
            names = ", ".join(o.code for o in allowed) or "nobody"
            where(
                "provider",
                f"{provider.code!r} may not publish {agreement.contract} v{version}"
                f" ({PUBLISHERS_FILE} grants it to: {names})",
            )
    for j, path in enumerate(agreement.fields):
        for version, model in models.items():
            missing = path_problem(model, path)
            if missing is not None:
                where(f"fields[{j}]", missing)
                continue
            implied = implied_personal_data(model, path)
            if implied:
                where(
                    f"fields[{j}]",
                    f"{path!r} holds personal data ({', '.join(implied)}) in v{version}; a"
                    " personal-data field flows only if named, so name each one shared",
                )
    _contacts(agreement, where)
    _status(agreement, today, where)


def _contacts(agreement: Agreement, where: Where) -> None:
    parties = (agreement.provider, agreement.recipient)
    for j, contact in enumerate(agreement.contacts):
        if contact.organisation not in parties:
            where(
                f"contacts[{j}].organisation",
                f"{contact.organisation!r} is not a party; contacts speak for"
                f" {agreement.provider!r} or {agreement.recipient!r}",
            )
    for party in parties:
        if all(c.organisation != party for c in agreement.contacts):
            where("contacts", f"no contact for {party!r}; each party names one")


def _status(agreement: Agreement, today: date, where: Where) -> None:
    ended = agreement.end is not None and agreement.end < today
    if agreement.status in ("active", "suspended") and ended:
        where(
            "status",
            f"{agreement.status!r} but the agreement ended on {agreement.end} (today is {today});"
            ' set status = "expired" or extend end',
        )
    if agreement.status == "expired" and not ended:
        running = "has no end" if agreement.end is None else f"runs until {agreement.end}"
        where("status", f"'expired' but the agreement {running}")


def _overlaps(agreements: Sequence[Agreement], report: _Report) -> None:
    for j, later in enumerate(agreements):
        if later.status in _CLOSED:
            continue
        for i, earlier in enumerate(agreements[:j]):
            if earlier.status not in _CLOSED and later.overlaps(earlier):
                common = sorted(set(later.versions) & set(earlier.versions))
                report.agreement(
                    j,
                    "start",
                    f"overlaps agreement {earlier.id!r} ({report.agreement_files[i]}): the same"
                    f" provider, recipient and {later.contract} v"
                    f"{', v'.join(str(v) for v in common)} on common days; end one before the"
                    " other starts, or withdraw it",
                )
