"""The federation's members, who may publish what, and the data-sharing agreements between them.

Each model is frozen and checks what it can on its own: the shape of codes, principals, URLs and
e-mail addresses, and the order of an agreement's dates. Whether the references between them
resolve (organisations, contracts, fields) is decided by ``bus.federation.checks`` as a whole.
An agreement follows the ICO data sharing code's headings (parties, purpose, lawful basis, data
items, retention, review) and what the Digital Economy Act 2017 register publishes.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Final, Literal
from urllib.parse import urlsplit

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, ValidationInfo
from pydantic import field_validator as validates

from contracts.base import EVENT_TYPE_PATTERN
from contracts.common import Line, Text
from contracts.identifiers import LocalAuthorityCode

if TYPE_CHECKING:
    from contracts.registry import Registry

OrganisationKind = Literal["department", "agency", "local-authority", "third-sector"]
Status = Literal["draft", "active", "suspended", "withdrawn", "expired"]

CODE_PATTERN: Final = re.compile(r"[a-z][a-z0-9]*(?:-[a-z0-9]+)*")
MAX_CODE: Final = 40
PRINCIPAL_PATTERN: Final = re.compile(r"User:[A-Za-z0-9][A-Za-z0-9._@-]{0,199}")
AGREEMENT_ID_PATTERN: Final = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
FIELD_PATH_PATTERN: Final = re.compile(r"[a-z_][a-z0-9_]*(?:\.[a-z_][a-z0-9_]*)*")
EMAIL_PATTERN: Final = re.compile(
    r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}"
)
LEGISLATION_HOSTS: Final = frozenset({"www.legislation.gov.uk", "legislation.gov.uk"})
_DURATION: Final = re.compile(r"P(?:(\d{1,3})Y)?(?:(\d{1,4})M)?(?:(\d{1,4})W)?(?:(\d{1,5})D)?")
MAX_RETENTION_DAYS: Final = 100 * 365
# The lengths a year and a month count for in `retention_days`, as pydantic and Kafka tools count.
_DAYS_IN: Final = {"Y": 365, "M": 30, "W": 7, "D": 1}


def _code(value: str) -> str:
    if len(value) > MAX_CODE or not CODE_PATTERN.fullmatch(value):
        raise ValueError(
            f"a code is 1 to {MAX_CODE} lower-case letters, digits and single hyphens,"
            " starting with a letter, e.g. dwp or kent-libraries"
        )
    return value


def _principal(value: str) -> str:
    if not PRINCIPAL_PATTERN.fullmatch(value):
        raise ValueError(
            "a Kafka principal is User:<name>, the name up to 200 letters, digits and . _ @ -,"
            " e.g. User:dwp"
        )
    return value


def _event_type(value: str) -> str:
    if not EVENT_TYPE_PATTERN.fullmatch(value):
        raise ValueError(
            "a contract is named by its event type uk.gov.<owner>.<event-name> without the"
            " version, e.g. uk.gov.gro.death-registered"
        )
    return value


def _email(value: str) -> str:
    if len(value) > 254 or not EMAIL_PATTERN.fullmatch(value):
        raise ValueError("not an e-mail address such as data.sharing@dwp.gov.uk")
    return value


def _legislation(value: str) -> str:
    """An https link to legislation.gov.uk, with no user, password or port (never fetched)."""
    if len(value) > 500 or not value.isascii() or not value.isprintable() or " " in value:
        raise ValueError("the legislation link must be a URL of at most 500 ASCII characters")
    parts = urlsplit(value)
    if parts.scheme != "https":
        raise ValueError("the legislation link must use https")
    if parts.username is not None or parts.password is not None or parts.port is not None:
        raise ValueError("the legislation link must not hold a user, password or port")
    if parts.hostname not in LEGISLATION_HOSTS or parts.netloc != parts.hostname:
        raise ValueError(
            "the legislation link must be on https://www.legislation.gov.uk,"
            " e.g. https://www.legislation.gov.uk/ukpga/2017/30/part/5"
        )
    if parts.path in ("", "/"):
        raise ValueError("the legislation link must name an Act or instrument, not the site")
    return value


def _agreement_id(value: str) -> str:
    if not AGREEMENT_ID_PATTERN.fullmatch(value):
        raise ValueError(
            "an agreement id is lower-case letters, digits and single hyphens, e.g. gro-dwp-deaths"
        )
    return value


def _field_path(value: str) -> str:
    if not FIELD_PATH_PATTERN.fullmatch(value):
        raise ValueError(
            "a field is a dotted path of snake_case names as in the contract, e.g. deceased.name"
        )
    return value


def _retention(value: object) -> object:
    """Whole days (``30``) become ``P30D``; ISO 8601 durations of Y, M, W and D pass through."""
    if isinstance(value, bool):
        raise ValueError("retention is a whole number of days or an ISO 8601 duration")
    if isinstance(value, int):
        if not 1 <= value <= MAX_RETENTION_DAYS:
            raise ValueError(f"retention in days must be from 1 to {MAX_RETENTION_DAYS}")
        return f"P{value}D"
    if not isinstance(value, str):
        raise ValueError("retention is a whole number of days or an ISO 8601 duration")
    matched = _DURATION.fullmatch(value) if len(value) <= 30 else None
    if matched is None or not any(matched.groups()):
        raise ValueError(
            "retention must be an ISO 8601 duration in years, months, weeks or days"
            " (P6Y, P18M, P30D) or a whole number of days"
        )
    if not 1 <= retention_days(value) <= MAX_RETENTION_DAYS:
        raise ValueError(f"retention must be from one day to {MAX_RETENTION_DAYS} days")
    return value


def retention_days(duration: str) -> int:
    """Days of an ISO 8601 duration of years, months, weeks and days (a year 365, a month 30)."""
    matched = _DURATION.fullmatch(duration)
    if matched is None:
        raise ValueError(f"not a duration in years, months, weeks or days: {duration!r}")
    return sum(
        int(count) * _DAYS_IN[unit]
        for count, unit in zip(matched.groups(), "YMWD", strict=True)
        if count is not None
    )


def _unique(values: tuple[str, ...] | tuple[int, ...]) -> tuple[str, ...] | tuple[int, ...]:
    repeated = sorted({str(v) for v in values if values.count(v) > 1})
    if repeated:
        raise ValueError(f"repeated: {', '.join(repeated)}")
    return values


Code = Annotated[str, AfterValidator(_code)]
EventType = Annotated[str, AfterValidator(_event_type)]
Versions = Annotated[
    tuple[Annotated[int, Field(ge=1, le=1000, strict=True)], ...],
    Field(min_length=1, max_length=100),
    AfterValidator(_unique),
]
FieldPath = Annotated[str, Field(max_length=300), AfterValidator(_field_path)]
Retention = Annotated[str, BeforeValidator(_retention)]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Contact(_Frozen):
    """Someone to ask about an organisation or an agreement."""

    name: Line = Field(description="A person's or a team's name, e.g. Data Sharing Team.")
    email: Annotated[str, AfterValidator(_email)] = Field(
        description="E-mail address, e.g. data.sharing@dwp.gov.uk."
    )
    role: Line | None = Field(
        default=None, description="Their role, e.g. Data Protection Officer (optional)."
    )


class PartyContact(Contact):
    """A contact for one party to an agreement."""

    organisation: Code = Field(
        description="Code of the organisation the contact speaks for: the provider or recipient."
    )


class Organisation(_Frozen):
    """A member of the federation: a data controller with its own identity on Kafka."""

    code: Code = Field(
        description="Short unique code in lower case, e.g. dwp; names it in every other file."
    )
    name: Line = Field(description="Display name, e.g. Department for Work and Pensions.")
    kind: OrganisationKind = Field(description="What sort of public or third-sector body it is.")
    gss_code: LocalAuthorityCode | None = Field(
        default=None,
        validate_default=True,
        description="ONS GSS code of a local authority (E06-E10, E47, W06, S12, N09), e.g."
        " E10000016; required for a local authority, refused for any other kind.",
    )
    kafka_principal: Annotated[str, AfterValidator(_principal)] = Field(
        description="The Kafka principal it authenticates as, User:<name>; unique."
    )
    contact: Contact = Field(description="Who answers for it in the federation.")

    @validates("gss_code")
    @classmethod
    def _gss_code_with_local_authorities(cls, value: str | None, info: ValidationInfo) -> object:
        kind = info.data.get("kind")
        if kind == "local-authority" and value is None:
            raise ValueError("a local authority is identified by its GSS code; set gss_code")
        if kind is not None and kind != "local-authority" and value is not None:
            raise ValueError(f"only a local authority has a GSS code, not a {kind}")
        return value


class PublishingRight(_Frozen):
    """Who may publish a contract: named organisations, every member of some kinds, or both.

    A contract's owner stewards its schema; publishing it is granted here, per organisation
    (every council publishes ``uk.gov.council.*`` events under its own identity).
    """

    contract: EventType = Field(
        description="Event type of the contract, without version, e.g. uk.gov.gro.death-registered."
    )
    versions: Versions = Field(description="Major versions that may be published, e.g. [2].")
    organisations: tuple[Code, ...] = Field(
        default=(), max_length=1000, description="Codes of organisations that may publish it."
    )
    kinds: tuple[OrganisationKind, ...] = Field(
        default=(),
        validate_default=True,
        description='Kinds whose every member may publish it, e.g. ["local-authority"].',
    )

    @validates("organisations")
    @classmethod
    def _distinct_organisations(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return _unique(value)  # type: ignore[return-value]

    @validates("kinds")
    @classmethod
    def _someone_publishes(cls, value: tuple[str, ...], info: ValidationInfo) -> tuple[str, ...]:
        if not value and not info.data.get("organisations", ("unknown",)):
            raise ValueError("name organisations or kinds that may publish the contract")
        return _unique(value)  # type: ignore[return-value]

    def grants(self, organisation: Organisation) -> bool:
        """Whether this right lets ``organisation`` publish the contract."""
        return organisation.code in self.organisations or organisation.kind in self.kinds


class LawfulBasis(_Frozen):
    """Why the sharing is lawful: the gateway in words and the legislation it rests on."""

    text: Text = Field(
        description="The legal power and UK GDPR basis in words, e.g. Social Security"
        " (Notification of Changes of Circumstances) Regulations 2010; Article 6(1)(e)."
    )
    legislation: Annotated[str, AfterValidator(_legislation)] = Field(
        description="https link to the legislation on www.legislation.gov.uk (not fetched)."
    )


class Agreement(_Frozen):
    """A data-sharing agreement: one provider shares named fields of a contract with a recipient.

    A field not named is not shared. A personal-data field (the contract's ``personal_data``)
    flows only if it, or a field inside it, is named: naming an object that holds personal data
    (``deceased`` for ``deceased.nino``) is refused, so personal data is never shared by
    implication. Dates are in order, ``start <= review <= end``; without ``end`` it runs until
    withdrawn.
    """

    id: Annotated[str, Field(min_length=3, max_length=63), AfterValidator(_agreement_id)] = Field(
        description="Unique id in lower case, e.g. gro-dwp-deaths; audit records cite it."
    )
    title: Line = Field(description="Short title, as published in the register.")
    provider: Code = Field(description="Code of the organisation that shares the data.")
    recipient: Code = Field(description="Code of the organisation that receives it.")
    contract: EventType = Field(
        description="Event type of the contract shared, e.g. uk.gov.gro.death-registered."
    )
    versions: Versions = Field(description="Major versions it covers, e.g. [2].")
    fields: Annotated[
        tuple[FieldPath, ...], Field(min_length=1, max_length=500), AfterValidator(_unique)
    ] = Field(
        description="Dotted paths of the fields shared, e.g. deceased.name; personal-data"
        " fields must be named one by one."
    )
    purpose: Text = Field(description="What the sharing is for, in plain words.")
    lawful_basis: LawfulBasis = Field(description="The legal power and basis for sharing.")
    retention: Retention = Field(
        description="How long the recipient keeps the data: an ISO 8601 duration (P6Y, P18M,"
        " P30D) or a whole number of days."
    )
    start: date = Field(description="First day data may be shared (YYYY-MM-DD).")
    review: date = Field(description="When the parties review it; on or after start.")
    end: date | None = Field(
        default=None, description="Last day data may be shared; on or after review. None: open."
    )
    status: Status = Field(
        description="draft, active, suspended, withdrawn or expired; only an active agreement"
        " shares data, and an active one past its end must be marked expired."
    )
    contacts: Annotated[tuple[PartyContact, ...], Field(min_length=1, max_length=50)] = Field(
        description="Contacts of the parties; at least one each for provider and recipient."
    )

    @validates("recipient")
    @classmethod
    def _two_parties(cls, value: str, info: ValidationInfo) -> str:
        if value == info.data.get("provider"):
            raise ValueError("the recipient must be another organisation than the provider")
        return value

    @validates("review")
    @classmethod
    def _review_after_start(cls, value: date, info: ValidationInfo) -> date:
        start = info.data.get("start")
        if start is not None and value < start:
            raise ValueError(f"review {value} is before start {start}")
        return value

    @validates("end")
    @classmethod
    def _end_after_review(cls, value: date | None, info: ValidationInfo) -> date | None:
        review, start = info.data.get("review"), info.data.get("start")
        if value is not None and review is not None and value < review:
            raise ValueError(f"end {value} is before review {review}")
        if value is not None and start is not None and value < start:
            raise ValueError(f"end {value} is before start {start}")
        return value

    @property
    def retention_days(self) -> int:
        """The retention in days (a year counts 365, a month 30)."""
        return retention_days(self.retention)

    def in_force(self, on: date) -> bool:
        """Whether data may flow on ``on``: active, started and not ended."""
        return self.status == "active" and self.start <= on and (self.end is None or on <= self.end)

    def overlaps(self, other: Agreement) -> bool:
        """Whether both cover a shared version of one contract between the same two parties
        on some common day."""
        return (
            (self.provider, self.recipient, self.contract)
            == (other.provider, other.recipient, other.contract)
            and bool(set(self.versions) & set(other.versions))
            and self.start <= (other.end or date.max)
            and other.start <= (self.end or date.max)
        )


class Federation(_Frozen):
    """The whole directory: members, publishing rights and agreements, as loaded and checked."""

    organisations: tuple[Organisation, ...] = Field(description="The members.")
    publishers: tuple[PublishingRight, ...] = Field(description="Who may publish each contract.")
    agreements: tuple[Agreement, ...] = Field(description="The data-sharing agreements.")

    @classmethod
    def load(
        cls, directory: Path, *, registry: Registry | None = None, today: date | None = None
    ) -> Federation:
        """Read and check a federation directory (see ``bus.federation.directory``).

        Raises ``ConfigError`` listing every problem, one per line.
        """
        # Imported here: the directory reader builds these models, so it imports this module.
        from bus.federation.directory import load

        return load(directory, registry=registry, today=today)

    def organisation(self, code: str) -> Organisation | None:
        """The member with ``code``, or ``None``."""
        return next((o for o in self.organisations if o.code == code), None)

    def publishers_of(self, event_type: str, version: int) -> list[Organisation]:
        """The members that may publish major ``version`` of ``event_type``, in file order."""
        rights = [r for r in self.publishers if r.contract == event_type and version in r.versions]
        return [o for o in self.organisations if any(r.grants(o) for r in rights)]

    def in_force(self, on: date) -> Iterator[Agreement]:
        """The agreements under which data may flow on ``on``."""
        return (a for a in self.agreements if a.in_force(on))
