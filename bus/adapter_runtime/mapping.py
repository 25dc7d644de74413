"""Declarative mapping from a legacy record to a contract event.

A mapping is data, validated once at start-up. Each target field of the contract (a dotted path
such as ``deceased_name.given_names``) takes a legacy field (renamed), a constant, or a template
(``"{forenames} {surname}"``), with an optional type conversion (``int``, ``float``, ``bool``,
``date``, ``datetime``, with a ``strptime`` format for dates such as ``%d/%m/%Y``). Anything
harder is a Python function named ``"package.module:function"`` that returns the event's data.
The result is validated by the contract, so a bad value names the contract's field.

A mapping failure rejects that record only (``MappingError``); the adapter carries on. Mistakes
that would reject every record are found before the first one, by ``Mapper.check``: a target
field the contract does not have (with the nearest names it does have), a target that is both a
value and the parent of another, and a required contract field that nothing fills.
"""

from __future__ import annotations

import difflib
import functools
import importlib
import string
import types
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from bus.foundation.errors import MappingError
from contracts import ContractError, Event, Registry, default_registry
from contracts.base import describe_errors

Scalar = str | int | float | bool | None
Converter = Literal["str", "int", "float", "bool", "date", "datetime"]
_TRUE = {"true", "t", "yes", "y", "1"}
_FALSE = {"false", "f", "no", "n", "0"}


class FieldRule(BaseModel):
    """How one target field is filled: exactly one of ``from``, ``const`` or ``template``."""

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    source: str | None = Field(None, alias="from", description="Legacy field to copy.")
    const: Scalar = Field(None, description="A constant value.")
    template: str | None = Field(
        None, description='Text built from legacy fields, e.g. "{forenames} {surname}".'
    )
    type: Converter | None = Field(None, description="Conversion of the legacy text.")
    format: str | None = Field(None, description="strptime format for date and datetime.")
    optional: bool = Field(False, description="Leave the field out when the legacy value is empty.")

    @model_validator(mode="after")
    def _one_origin(self) -> FieldRule:
        given = [
            self.source is not None,
            "const" in self.model_fields_set,
            self.template is not None,
        ]
        if sum(given) != 1:
            raise ValueError("give exactly one of from, const or template")
        if self.template is not None:
            template_fields(self.template)
        if self.format is not None and self.type not in ("date", "datetime"):
            raise ValueError("format applies to type date or datetime only")
        return self


class MappingConfig(BaseModel):
    """A mapping from one kind of legacy record to one contract version."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    contract: str = Field(description='CloudEvents type, e.g. "uk.gov.gro.death-registered.v1".')
    key: str = Field(description="Template of the Kafka record key (the partition key).")
    identity: str = Field(description="Template naming the record in the legacy system.")
    subject: str | None = Field(None, description="Template of the CloudEvents subject.")
    fields: dict[str, str | FieldRule] = Field(
        default_factory=dict,
        description="Target field (dotted path) to a legacy field name or a rule.",
    )
    function: str | None = Field(
        None,
        description='"module:function" taking the legacy record and returning event data; '
        "its result is merged over the fields, at every level.",
    )

    @field_validator("key", "identity", "subject")
    @classmethod
    def _template(cls, template: str | None) -> str | None:
        if template is not None:
            template_fields(template)
        return template


@dataclass(frozen=True, slots=True)
class Mapped:
    """A legacy record mapped: the event and where it goes."""

    event: Event
    key: str
    identity: str
    subject: str | None


@functools.lru_cache(maxsize=1024)
def template_fields(template: str) -> tuple[str, ...]:
    """The legacy field names a template uses; only plain ``{name}`` fields are allowed."""
    names = []
    try:
        parsed = list(string.Formatter().parse(template))
    except ValueError as exc:
        raise ValueError(f"template {template!r} is malformed: {exc}") from None
    for _, name, spec, conversion in parsed:
        if name is None:
            continue
        if not name or any(c in name for c in ".[]") or spec or conversion:
            raise ValueError(f"template {template!r}: use plain {{field}} names only")
        names.append(name)
    return tuple(names)


class Mapper:
    """Applies a validated ``MappingConfig`` to legacy records."""

    def __init__(self, config: MappingConfig, *, registry: Registry = default_registry) -> None:
        self.config = config
        try:
            self.model = registry.by_cloudevents_type(config.contract)
        except ContractError as exc:
            raise MappingError(f"mapping contract: {exc}", field="contract") from None
        self._function = _load_function(config.function) if config.function else None
        self._rules = {
            target: rule if isinstance(rule, FieldRule) else FieldRule(source=rule)
            for target, rule in config.fields.items()
        }

    def check(self) -> list[str]:
        """Every problem of the mapping against its contract, as ``fields.<target>: why``.

        A target must name a field of the contract, with dotted paths only through nested
        models; a misspelt one gets the closest names. A required field that no target fills
        is reported unless a mapping function is given (it may fill anything).
        """
        targets = list(self._rules)
        problems: list[str] = []
        suggested: set[str] = set()
        for target in targets:
            problem, close = _target_problem(self.model, target)
            if problem is not None:
                problems.append(f"fields.{target}: {problem}")
                suggested.update(close)
        for target in targets:
            child = next((t for t in targets if t.startswith(target + ".")), None)
            if child is not None:
                problems.append(
                    f"fields.{target}: also filled field by field ({child!r}); map one or the other"
                )
        if self._function is None:
            problems += [
                f"fields.{path}: required by {_model_name(self.model)} but never filled; map it "
                "(or fill it in a mapping function)"
                for path in _unfilled(self.model, set(targets), "")
                if path not in suggested  # already named as the fix of a misspelt target
            ]
        return problems

    def map(self, record: Mapping[str, Any]) -> Mapped:
        """Map one legacy record; raise ``MappingError`` naming the field that failed."""
        data: dict[str, Any] = {}
        for target, rule in self._rules.items():
            value = _value(rule, record, target)
            if value is not None or not rule.optional:
                _put(data, target, value)
        if self._function is not None:
            try:
                extra = self._function(record)
            except Exception as exc:
                raise MappingError(f"mapping function failed: {exc!r}") from exc
            if not isinstance(extra, Mapping):
                raise MappingError("mapping function must return a mapping of event data")
            _merge(data, extra)
        try:
            event = self.model.model_validate(data)
        except ValidationError as exc:
            problems = describe_errors(exc)
            field = problems[0].split(":", 1)[0] if problems else ""
            raise MappingError("; ".join(problems), field=field) from None
        return Mapped(
            event=event,
            key=_render(self.config.key, record, "key"),
            identity=_render(self.config.identity, record, "identity"),
            subject=_render(self.config.subject, record, "subject")
            if self.config.subject
            else None,
        )


def _model_name(model: type[BaseModel]) -> str:
    contract = getattr(model, "contract", None)
    return str(getattr(contract, "cloudevents_type", model.__name__))


def _nested_model(annotation: Any) -> type[BaseModel] | None:
    """The model a field holds (directly or as ``Model | None``), if it holds exactly one."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if get_origin(annotation) in (Union, types.UnionType):
        models = [m for arg in get_args(annotation) if (m := _nested_model(arg)) is not None]
        return models[0] if len(models) == 1 else None
    return None


def _field_names(model: type[BaseModel]) -> dict[str, Any]:
    """The model's fields by the names a mapping gives them (the alias, where one is set)."""
    return {info.alias or name: info for name, info in model.model_fields.items()}


def _target_problem(model: type[BaseModel], target: str) -> tuple[str | None, list[str]]:
    """Why ``target`` (a dotted path) names no field of ``model`` (``None`` when it does), and
    the paths suggested instead."""
    current: type[BaseModel] | None = model
    parts = target.split(".")
    for depth, part in enumerate(parts):
        prefix = ".".join(parts[:depth])
        if current is None:
            return f"{prefix!r} is not an object with fields, so {target!r} cannot be filled", []
        fields = _field_names(current)
        if part not in fields:
            message = f"{_model_name(current)} has no field {part!r}"
            close = [
                f"{prefix}.{name}" if prefix else name
                for name in difflib.get_close_matches(part, fields, n=3, cutoff=0.6)
            ]
            if close:
                message += f"; did you mean {' or '.join(repr(c) for c in close)}?"
            return message, close
        current = _nested_model(fields[part].annotation)
    return None, []


def _unfilled(model: type[BaseModel], targets: set[str], prefix: str) -> Iterator[str]:
    """Dotted paths of required fields of ``model`` that no target fills."""
    for name, info in _field_names(model).items():
        path = f"{prefix}{name}"
        if path in targets:
            continue
        nested = _nested_model(info.annotation)
        if nested is not None and any(t.startswith(path + ".") for t in targets):
            yield from _unfilled(nested, targets, path + ".")
        elif info.is_required():
            yield path


def _value(rule: FieldRule, record: Mapping[str, Any], target: str) -> Any:
    if rule.template is not None:
        raw: Any = _render(rule.template, record, target)
    elif rule.source is not None:
        if rule.source not in record:
            if rule.optional:
                return None
            raise MappingError(f"{target}: legacy field {rule.source!r} is missing", field=target)
        raw = record[rule.source]
    else:
        return rule.const
    if isinstance(raw, str):
        raw = raw.strip()
        if raw == "":
            raw = None
    if raw is None or rule.type is None:
        return raw
    try:
        return _convert(raw, rule.type, rule.format)
    except (ValueError, TypeError) as exc:
        shown = str(raw)[:60]
        raise MappingError(
            f"{target}: {shown!r} is not a valid {rule.type}: {exc}", field=target
        ) from None


def _convert(raw: Any, kind: Converter, fmt: str | None) -> Any:
    if kind == "str":
        return str(raw)
    if kind == "int":
        if isinstance(raw, bool):
            raise TypeError("a boolean is not a number")
        return raw if isinstance(raw, int) else int(str(raw), 10)
    if kind == "float":
        return float(raw)
    if kind == "bool":
        text = str(raw).lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        raise ValueError("expected one of true/false, yes/no, y/n, 1/0")
    if kind == "date":
        if isinstance(raw, date):
            return raw
        return datetime.strptime(str(raw), fmt).date() if fmt else date.fromisoformat(str(raw))
    if isinstance(raw, datetime):
        return raw
    return datetime.strptime(str(raw), fmt) if fmt else datetime.fromisoformat(str(raw))


def _render(template: str, record: Mapping[str, Any], target: str) -> str:
    try:
        return template.format_map(
            {name: _text(record[name]) for name in template_fields(template)}
        )
    except KeyError as exc:
        raise MappingError(
            f"{target}: legacy field {exc.args[0]!r} is missing", field=target
        ) from None


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def _put(data: dict[str, Any], path: str, value: Any) -> None:
    *parents, leaf = path.split(".")
    node = data
    for part in parents:
        node = node.setdefault(part, {})
        if not isinstance(node, dict):
            raise MappingError(f"{path}: {part} is both a value and an object", field=path)
    node[leaf] = value


def _merge(data: dict[str, Any], extra: Mapping[str, Any]) -> None:
    """Merge ``extra`` into ``data`` at every level; ``extra`` wins on conflicts."""
    for key, value in extra.items():
        if isinstance(value, Mapping) and isinstance(data.get(key), dict):
            _merge(data[key], value)
        else:
            data[key] = value


def _load_function(reference: str) -> Callable[[Mapping[str, Any]], Any]:
    module_name, _, attribute = reference.partition(":")
    try:
        function = getattr(importlib.import_module(module_name), attribute)
    except (ImportError, AttributeError, ValueError) as exc:
        raise MappingError(
            f"mapping function {reference!r} cannot be loaded: {exc}", field="function"
        ) from None
    if not callable(function):
        raise MappingError(f"mapping function {reference!r} is not callable", field="function")
    return function  # type: ignore[no-any-return]
