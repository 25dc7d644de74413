"""The base of every contract: class metadata (`ContractInfo`) and the `Event` model.

A contract version is one model class that declares its metadata as a class variable::

    class DeathRegisteredV1(Event):
        contract = ContractInfo(
            event_type="uk.gov.gro.death-registered",
            version=1,
            owner=GRO,
            description="A death was registered at a register office.",
            handling_caveat="SENSITIVE",
            personal_data=("deceased",),
            example={...},
        )
        registration_district: str = Field(description="...")

The class is checked when it is defined: the name ends in `V<version>`, every personal-data path
names a real field and the example validates. Models are strict where events are produced
(unknown fields are an error, instances are frozen) and lenient where they are consumed:
`Model.from_consumed(data)` ignores fields it does not know, at every level, so a newer producer
adding an optional field never breaks an older consumer.
"""

from __future__ import annotations

import math
import re
import types
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, time, timedelta
from enum import Enum, StrEnum
from typing import (
    Annotated,
    Any,
    ClassVar,
    Final,
    Literal,
    Self,
    TypeVar,
    Union,
    cast,
    get_args,
    get_origin,
)
from uuid import UUID

from pydantic import (
    BaseModel,
    ConfigDict,
    ValidationError,
)

from contracts.errors import ContractDefinitionError, ContractValidationError
from contracts.fast_path import fast_validator

_NAME: Final = r"[a-z][a-z0-9]*(?:-[a-z0-9]+)*"
EVENT_TYPE_PATTERN: Final = re.compile(rf"uk\.gov\.(?P<owner>[a-z][a-z0-9]*)\.(?P<name>{_NAME})")
_OWNER_CODE: Final = re.compile(r"[a-z][a-z0-9]*")
_CAVEAT: Final = re.compile(r"[A-Z][A-Z]*(?:[ -][A-Z]+)*")
_FIELD_PATH: Final = re.compile(r"[a-z_][a-z0-9_]*(?:\.[a-z_][a-z0-9_]*)*")


class Classification(StrEnum):
    """UK Government Security Classifications (2018 onwards)."""

    OFFICIAL = "OFFICIAL"
    SECRET = "SECRET"  # noqa: S105 - a classification marking, not a password
    TOP_SECRET = "TOP SECRET"  # noqa: S105 - a classification marking, not a password


@dataclass(frozen=True, slots=True)
class Owner:
    """The organisation that publishes an event: a short code for topics and a display name."""

    code: str
    name: str

    def __post_init__(self) -> None:
        if not _OWNER_CODE.fullmatch(self.code):
            raise ContractDefinitionError(
                "owner code must be lower-case letters and digits, starting with a letter",
                subject=f"owner {self.code!r}",
            )
        if not self.name.strip():
            raise ContractDefinitionError("owner needs a display name", subject=self.code)


@dataclass(frozen=True, slots=True)
class Licence:
    """The licence under which an open event's data may be reused."""

    name: str
    url: str


MAX_PARTITIONS: Final = 1000


@dataclass(frozen=True, slots=True, kw_only=True)
class TopicSpec:
    """How a contract version's Kafka topic is provisioned, where the defaults do not suit.

    `partitions` bounds how many consumers of one group share the work (at least 1; govbus
    only ever raises a topic's partition count, never lowers it). `retention` is how long
    Kafka keeps each event; `None` keeps events forever. Replication follows the cluster and
    is not a property of the contract.
    """

    partitions: int = 3
    retention: timedelta | None = timedelta(days=7)

    def __post_init__(self) -> None:
        if type(self.partitions) is not int or not 1 <= self.partitions <= MAX_PARTITIONS:
            raise ContractDefinitionError(
                f"topic partitions must be an integer from 1 to {MAX_PARTITIONS}, "
                f"not {self.partitions!r}",
                subject="topic",
            )
        if self.retention is not None and (
            not isinstance(self.retention, timedelta) or self.retention < timedelta(minutes=1)
        ):
            raise ContractDefinitionError(
                f"topic retention must be a timedelta of at least one minute, or None to keep "
                f"events forever, not {self.retention!r}",
                subject="topic",
            )


OGL_V3: Final = Licence(
    name="Open Government Licence v3.0",
    url="https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/",
)


@dataclass(frozen=True, slots=True, kw_only=True)
class ContractInfo:
    """Metadata of one contract version, validated on construction.

    `event_type` is reverse-DNS `uk.gov.<owner>.<event-name>` whose owner segment must equal
    `owner.code`; `version` is the major version (>= 1). `personal_data` lists dotted field
    paths (`"deceased.nino"`; a path to an object covers everything inside it). A `licence`
    makes the event open data, so it may carry neither personal data nor a handling caveat.
    `example` is the JSON data of one valid event; it is checked against the model. `topic_spec`
    says how many partitions its topic has and how long it keeps events (`TopicSpec()`: 3
    partitions, 7 days).
    """

    event_type: str
    version: int
    owner: Owner
    description: str
    example: Mapping[str, Any] = field(compare=False)
    classification: Classification = Classification.OFFICIAL
    handling_caveat: str | None = None
    personal_data: tuple[str, ...] = ()
    licence: Licence | None = None
    topic_spec: TopicSpec = field(default_factory=TopicSpec)
    _name: str = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        subject = f"contract {self.event_type!r}"
        matched = EVENT_TYPE_PATTERN.fullmatch(self.event_type)
        if matched is None:
            raise ContractDefinitionError(
                "event type must be reverse-DNS uk.gov.<owner>.<event-name> in lower case,"
                " e.g. uk.gov.gro.death-registered",
                subject=subject,
            )
        if matched["owner"] != self.owner.code:
            raise ContractDefinitionError(
                f"event type owner {matched['owner']!r} differs from owner code"
                f" {self.owner.code!r}",
                subject=subject,
            )
        object.__setattr__(self, "_name", matched["name"])
        if type(self.version) is not int or self.version < 1:
            raise ContractDefinitionError(
                f"version must be an integer >= 1, not {self.version!r}", subject=subject
            )
        if not self.description.strip():
            raise ContractDefinitionError("description must not be empty", subject=subject)
        if not isinstance(self.classification, Classification):
            raise ContractDefinitionError(
                f"classification must be a Classification, not {self.classification!r}",
                subject=subject,
            )
        if self.handling_caveat is not None and not _CAVEAT.fullmatch(self.handling_caveat):
            raise ContractDefinitionError(
                f"handling caveat {self.handling_caveat!r} must be upper-case words,"
                " e.g. SENSITIVE",
                subject=subject,
            )
        for path in self.personal_data:
            if not _FIELD_PATH.fullmatch(path):
                raise ContractDefinitionError(
                    f"personal data path {path!r} must be dotted snake_case field names",
                    subject=subject,
                )
        if len(set(self.personal_data)) != len(self.personal_data):
            raise ContractDefinitionError("personal data paths repeat", subject=subject)
        if self.licence is not None and (self.personal_data or self.handling_caveat):
            raise ContractDefinitionError(
                "an open (licensed) event must not declare personal data or a handling caveat",
                subject=subject,
            )
        if not isinstance(self.topic_spec, TopicSpec):
            raise ContractDefinitionError(
                f"topic_spec must be a TopicSpec, not {self.topic_spec!r}", subject=subject
            )
        if self.licence is not None and self.classification is not Classification.OFFICIAL:
            raise ContractDefinitionError(
                "only OFFICIAL events can be published under an open licence", subject=subject
            )

    @property
    def event_name(self) -> str:
        """The last segment of the event type, e.g. `death-registered`."""
        return self._name

    @property
    def cloudevents_type(self) -> str:
        """The CloudEvents `type` attribute, e.g. `uk.gov.gro.death-registered.v1`."""
        return f"{self.event_type}.v{self.version}"

    @property
    def topic(self) -> str:
        """The Kafka topic, e.g. `gro.death-registered.v1`."""
        return f"{self.owner.code}.{self._name}.v{self.version}"

    def describe(self) -> dict[str, Any]:
        """The metadata as JSON data: the `x-govbus` block of the exported schema."""
        return {
            "type": self.event_type,
            "version": self.version,
            "cloudevents_type": self.cloudevents_type,
            "topic": self.topic,
            "owner": self.owner.code,
            "owner_name": self.owner.name,
            "classification": self.classification.value,
            "handling_caveat": self.handling_caveat,
            "personal_data": list(self.personal_data),
            "licence": (
                None
                if self.licence is None
                else {"name": self.licence.name, "url": self.licence.url}
            ),
        }


_M = TypeVar("_M", bound="ContractModel")


class ContractModel(BaseModel):
    """Base of every model in a contract, events and their building blocks alike.

    Strict for producers: unknown fields are rejected and instances are frozen. When validated
    through `Event.from_consumed`, unknown fields are dropped instead, at every nesting level.
    An instance remembers whether it came out of validation (see `was_validated`).
    """

    # Set on every instance made without validation: `model_construct`, copies and unpickled
    # instances. Marking those (rather than every validated instance) keeps validation, the hot
    # path of consuming, free of Python-level hooks. A slot rather than a private attribute, so
    # that it takes no part in equality.
    __slots__ = ("_govbus_unvalidated",)

    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True)

    # The pydantic mypy plugin writes its own model_construct signature for every model; this
    # keeps pydantic's behaviour and only marks the result.
    @classmethod  # type: ignore[no-redef]
    def model_construct(  # type: ignore[override]
        cls, _fields_set: set[str] | None = None, **values: Any
    ) -> Self:
        return _unvalidated(super().model_construct(_fields_set, **values))

    def model_copy(self, *, update: Mapping[str, Any] | None = None, deep: bool = False) -> Self:
        return _unvalidated(super().model_copy(update=update, deep=deep))

    def __copy__(self) -> Self:
        return _unvalidated(super().__copy__())

    def __deepcopy__(self, memo: dict[int, Any] | None = None) -> Self:
        return _unvalidated(super().__deepcopy__(memo))

    def __setstate__(self, state: dict[Any, Any]) -> None:
        super().__setstate__(state)
        _unvalidated(self)


_UNVALIDATED_SLOT: Final = ContractModel.__dict__["_govbus_unvalidated"]


def _unvalidated(instance: _M) -> _M:
    object.__setattr__(instance, "_govbus_unvalidated", True)
    return instance


def was_validated(instance: ContractModel) -> bool:
    """Whether ``instance`` and everything in it came out of validation and cannot have changed.

    True for instances built by validation (the constructor, `model_validate`, `from_consumed`)
    from plain data or from other validated instances. False for instances built around
    validation (`model_construct`), for copies and unpickled instances, and for instances holding
    an instance that was not validated, a non-finite float, a mutable container such as a list,
    or a value of a type not known to be immutable.
    """
    try:
        # The slot read directly: an unset slot raises at once, without pydantic's __getattr__.
        _UNVALIDATED_SLOT.__get__(instance)
    except AttributeError:
        pass  # never marked: it came out of validation
    else:
        return False
    kind = type(instance)
    watched = _WATCHED.get(kind)
    if watched is None:
        watched = _WATCHED[kind] = tuple(
            name for name, field in kind.model_fields.items() if not _fixed(field.annotation)
        )
    if watched:
        values = instance.__dict__
        for name in watched:
            if not _settled(values[name]):
                return False
    return True


# Values of these types cannot change once validated (bool and datetime included).
_IMMUTABLE: Final = (str, int, bytes, date, time, timedelta, UUID, Enum, type(None))
# Per model, the fields whose values `was_validated` looks into: the others are of a type that
# validation only fills with immutable values.
_WATCHED: Final[dict[type[ContractModel], tuple[str, ...]]] = {}


def _fixed(annotation: Any) -> bool:
    """Whether every value validated as ``annotation`` is immutable and needs no second look."""
    origin = get_origin(annotation)
    if origin is Annotated:
        return _fixed(get_args(annotation)[0])
    if origin is Literal:
        return True
    if origin is Union or isinstance(annotation, types.UnionType):
        return all(_fixed(arg) for arg in get_args(annotation))
    if origin is tuple or origin is frozenset:
        return all(_fixed(arg) for arg in get_args(annotation) if arg is not ...)
    if origin is not None or not isinstance(annotation, type):
        return False
    return annotation is not float and issubclass(annotation, _IMMUTABLE)


def _settled(value: object) -> bool:
    """Whether a field value is validated and immutable all the way down."""
    if isinstance(value, ContractModel):
        return was_validated(value)
    if isinstance(value, float):
        return math.isfinite(value)  # JSON has no NaN or infinity: dumping would change it
    if isinstance(value, tuple | frozenset):
        return all(_settled(item) for item in value)
    return isinstance(value, _IMMUTABLE)


class Event(ContractModel):
    """Base of every contract version; subclasses must set `contract = ContractInfo(...)`."""

    contract: ClassVar[ContractInfo]

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        info = cls.__dict__.get("contract")
        if not isinstance(info, ContractInfo):
            raise ContractDefinitionError(
                "must declare `contract = ContractInfo(...)` in its class body",
                subject=cls.__name__,
            )
        if not cls.__name__.endswith(f"V{info.version}"):
            raise ContractDefinitionError(
                f"class name must end in V{info.version} to match its version",
                subject=cls.__name__,
            )
        for path in info.personal_data:
            _check_field_path(cls, path)
        if cls.__pydantic_complete__:
            cls.example_event()

    @classmethod
    def example_event(cls) -> Self:
        """Validate the declared example strictly and return it as an instance.

        Raises `ContractDefinitionError` naming the fields if the example does not fit.
        """
        try:
            return cls.model_validate(cls.contract.example)
        except ValidationError as exc:
            raise ContractDefinitionError(
                "example does not validate: " + "; ".join(describe_errors(exc)),
                subject=cls.__name__,
            ) from exc

    @classmethod
    def from_consumed(cls, data: Mapping[str, Any] | str | bytes) -> Self:
        """Validate consumed data (a mapping, or JSON text), ignoring unknown fields.

        Data already in canonical form takes the model's fast validator (no Python validators
        run); anything it refuses is validated in full, which normalises or explains.
        Raises `ContractValidationError` naming the CloudEvents type and each bad field.
        """
        fast = fast_validator(cls)
        try:
            if isinstance(data, str | bytes):
                return cast(Self, fast.validate_json(data))
            return cast(Self, fast.validate_python(data))
        except ValidationError:
            pass  # not canonical, or not valid: full validation decides and explains
        try:
            if isinstance(data, str | bytes):
                return cls.model_validate_json(data, extra="ignore")
            return cls.model_validate(data, extra="ignore")
        except ValidationError as exc:
            raise ContractValidationError(
                cloudevents_type=cls.contract.cloudevents_type, problems=describe_errors(exc)
            ) from exc


def describe_errors(exc: ValidationError) -> list[str]:
    """One `"<dotted field>: <message>"` line per pydantic error, input values left out."""
    lines = []
    for error in exc.errors(include_url=False, include_input=False):
        where = ".".join(str(part) for part in error["loc"]) or "(data)"
        lines.append(f"{where}: {error['msg']}")
    return lines


def _nested_models(annotation: Any) -> Iterator[type[BaseModel]]:
    """Yield the models reachable from a field annotation (through Optional, tuple, list, ...)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        yield annotation
        return
    origin = get_origin(annotation)
    if origin is not None or isinstance(annotation, types.UnionType):
        for arg in get_args(annotation):
            yield from _nested_models(arg)


def _check_field_path(model: type[BaseModel], path: str) -> None:
    """Raise `ContractDefinitionError` unless `path` names a field reachable from `model`."""
    candidates: list[type[BaseModel]] = [model]
    walked: list[str] = []
    for segment in path.split("."):
        found = [c.model_fields[segment] for c in candidates if segment in c.model_fields]
        if not found:
            where = ".".join(walked) or model.__name__
            raise ContractDefinitionError(
                f"personal data path {path!r}: {where} has no field {segment!r}",
                subject=model.__name__,
            )
        walked.append(segment)
        candidates = [m for f in found for m in _nested_models(f.annotation)]
