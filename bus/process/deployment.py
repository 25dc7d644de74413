"""Deployment files: which adapters and subscribers one govbus process runs.

A deployment is a TOML file validated once, completely, before anything starts; every error
names its key (``sources[0].config.table: Field required``). Any string value may hold
``${env:NAME}`` and ``${file:/path}`` references (see ``bus.process.references``), resolved
first; error messages show a reference, never the value it resolved to. A source's mapping is
checked against its contract (``sources[0].mapping.fields.holder_nme: ... did you mean``).
Example::

    [service]
    name = "gro-register-office"

    [[sources]]
    name = "deaths"
    kind = "sql"
    poll_interval_s = 2
    config = { url = "sqlite+aiosqlite:///${env:DATA_DIR}/registrar.db", source = { ... } }

    [sources.mapping]
    contract = "uk.gov.gro.death-registered.v1"
    key = "{id}"
    identity = "deaths/{id}"
    fields = { registration_district = "district", entry_number = { from = "no", type = "int" } }
    function = "registrar.mapping:death"   # fills the contract's other required fields

    [[sinks]]
    name = "dvla-licences"
    kind = "rest"
    contract = "uk.gov.gro.death-registered.v2"
    config = { base_url = "${env:DVLA_API}", secret = "${file:/run/secrets/dvla-token}", ... }
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from bus.adapter_runtime.mapping import Mapper, MappingConfig
from bus.adapter_runtime.plugins import AdapterKind, SinkContext, SourceContext, adapter_kinds
from bus.foundation.errors import ConfigError, MappingError
from bus.messaging.subscriber import RetryPolicy
from bus.process import references
from bus.process.service import Service
from contracts import ContractError, Event, default_registry

_Spec = TypeVar("_Spec", "SourceSpec", "SinkSpec")
_NAME = r"^[a-z0-9][a-z0-9-]{0,62}$"
MAX_FILE_BYTES = 1024 * 1024


class ServiceSpec(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(pattern=_NAME, description="The process's name in metrics and groups.")


class RetrySpec(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    max_attempts: int = Field(5, ge=1, le=1000, description="Tries before dead-lettering.")
    initial_backoff_s: float = Field(0.2, gt=0, description="Wait after the first failure.")
    max_backoff_s: float = Field(10.0, gt=0, description="Longest wait between tries.")


class SourceSpec(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(pattern=_NAME, description="Adapter name: metrics, offsets, dead letters.")
    kind: str = Field(description="Adapter kind, e.g. sql, csv, fixed-width, soap, rest.")
    source: str | None = Field(None, description="CloudEvents source URI of its events.")
    poll_interval_s: float = Field(1.0, gt=0, le=86_400, description="Wait after an empty read.")
    config: dict[str, Any] = Field(description="The kind's configuration.")
    mapping: MappingConfig = Field(description="Legacy record to contract event.")


class SinkSpec(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(pattern=_NAME, description="Adapter name; also its consumer group.")
    kind: str = Field(description="Adapter kind, e.g. sql, csv, fixed-width, soap, rest.")
    contract: str = Field(description="CloudEvents type consumed; older versions are upcast.")
    config: dict[str, Any] = Field(description="The kind's configuration.")
    retry: RetrySpec = Field(default_factory=RetrySpec, description="Retries before the DLQ.")


class Deployment(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    service: ServiceSpec
    sources: list[SourceSpec] = Field(default_factory=list)
    sinks: list[SinkSpec] = Field(default_factory=list)

    @model_validator(mode="after")
    def _unique_names(self) -> Deployment:
        names = [a.name for a in self.sources] + [a.name for a in self.sinks]
        repeated = sorted({n for n in names if names.count(n) > 1})
        if repeated:
            raise ValueError(f"adapter names must be unique; repeated: {', '.join(repeated)}")
        if not names:
            raise ValueError("a deployment runs at least one source or sink")
        return self


@dataclass(frozen=True, slots=True)
class PlannedSource:
    spec: SourceSpec
    kind: AdapterKind
    config: BaseModel
    mapper: Mapper


@dataclass(frozen=True, slots=True)
class PlannedSink:
    spec: SinkSpec
    kind: AdapterKind
    config: BaseModel
    contract: type[Event]


@dataclass(frozen=True, slots=True)
class Plan:
    """A validated deployment: every adapter with its kind, config and mapping resolved."""

    deployment: Deployment
    sources: tuple[PlannedSource, ...]
    sinks: tuple[PlannedSink, ...]
    redact: Callable[[str], str] = field(default=str, repr=False)

    def build(self, service: Service) -> None:
        """Create each adapter (no I/O yet) and add it to ``service``.

        A ``ConfigError`` an adapter raises is re-raised with resolved references redacted.
        """
        try:
            self._build(service)
        except ConfigError as exc:
            raise ConfigError(self.redact(str(exc))) from None

    def _build(self, service: Service) -> None:
        for s in self.sources:
            assert s.kind.source is not None  # noqa: S101 - checked when planned
            source = s.kind.source(s.config, SourceContext(name=s.spec.name, mapper=s.mapper))
            service.add_source(
                s.spec.name,
                source,
                source_uri=s.spec.source,
                poll_interval_s=s.spec.poll_interval_s,
                contract=s.mapper.model,
            )
        for k in self.sinks:
            assert k.kind.sink is not None  # noqa: S101 - checked when planned
            sink = k.kind.sink(k.config, SinkContext(name=k.spec.name, contract=k.contract))
            retry = RetryPolicy(**k.spec.retry.model_dump())
            service.add_sink(k.spec.name, sink, k.contract, retry=retry)


def load(
    path: Path,
    *,
    kinds: Mapping[str, AdapterKind] | None = None,
    environ: Mapping[str, str] | None = None,
) -> Plan:
    """Read, resolve and validate a deployment file; raise ``ConfigError`` listing every problem.

    ``environ`` serves ``${env:...}`` references (none are set without it); relative
    ``${file:...}`` paths are taken from the file's folder.
    """
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror or exc}") from None
    if len(raw) > MAX_FILE_BYTES:
        raise ConfigError(
            f"{path}: {len(raw)} bytes; a deployment file is at most {MAX_FILE_BYTES}"
        )
    try:
        document = tomllib.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    return plan(
        document,
        kinds=adapter_kinds() if kinds is None else kinds,
        origin=str(path),
        environ={} if environ is None else environ,
        base_dir=path.parent,
    )


def plan(
    document: Mapping[str, Any],
    *,
    kinds: Mapping[str, AdapterKind],
    origin: str,
    environ: Mapping[str, str],
    base_dir: Path,
) -> Plan:
    """Resolve references in a parsed deployment document, then validate it against the kinds."""
    resolution = references.resolve(document, environ=environ, base_dir=base_dir)
    if resolution.problems:
        raise ConfigError("\n".join(f"{origin}: {p}" for p in resolution.problems))
    try:
        validated = _validated(resolution.document, kinds)
    except ConfigError as exc:
        lines = [line.partition(": ") for line in str(exc).splitlines()]
        raise ConfigError(
            "\n".join(f"{origin}: {key}{sep}{resolution.redact(why)}" for key, sep, why in lines)
        ) from None
    return _as_written(document, *validated, redact=resolution.redact)


def _as_written(
    document: Mapping[str, Any],
    deployment: Deployment,
    sources: tuple[PlannedSource, ...],
    sinks: tuple[PlannedSink, ...],
    *,
    redact: Callable[[str], str],
) -> Plan:
    """The plan with each spec's ``config`` as written, references unresolved.

    The adapters get the validated, resolved config models; the specs keep what the file says,
    so whoever prints or dumps the deployment shows ``${file:...}``, never the secret.
    """

    def written(spec: _Spec, section: str, index: int) -> _Spec:
        return spec.model_copy(update={"config": document[section][index]["config"]})

    # Planning succeeded, so every spec was planned, in the file's order.
    planned_sources = tuple(
        replace(s, spec=written(s.spec, "sources", i)) for i, s in enumerate(sources)
    )
    planned_sinks = tuple(replace(k, spec=written(k.spec, "sinks", i)) for i, k in enumerate(sinks))
    shown = deployment.model_copy(
        update={
            "sources": [s.spec for s in planned_sources],
            "sinks": [k.spec for k in planned_sinks],
        }
    )
    return Plan(shown, planned_sources, planned_sinks, redact=redact)


def _validated(
    document: Any, kinds: Mapping[str, AdapterKind]
) -> tuple[Deployment, tuple[PlannedSource, ...], tuple[PlannedSink, ...]]:
    try:
        deployment = Deployment.model_validate(document)
    except ValidationError as exc:
        raise ConfigError("\n".join(_problems(exc, prefix=""))) from None
    problems: list[str] = []
    sources = [
        planned
        for i, spec in enumerate(deployment.sources)
        if (planned := _source(spec, f"sources[{i}]", kinds, problems)) is not None
    ]
    sinks = [
        planned_sink
        for i, spec in enumerate(deployment.sinks)
        if (planned_sink := _sink(spec, f"sinks[{i}]", kinds, problems)) is not None
    ]
    if problems:
        raise ConfigError("\n".join(problems))
    return deployment, tuple(sources), tuple(sinks)


def _source(
    spec: SourceSpec, where: str, kinds: Mapping[str, AdapterKind], problems: list[str]
) -> PlannedSource | None:
    resolved = _kind_and_config(spec, where, kinds, problems, role="source")
    try:
        mapper = Mapper(spec.mapping)
    except MappingError as exc:
        problems.append(f"{where}.mapping.{exc.field}: {exc}")
        return None
    mistakes = mapper.check()
    problems += [f"{where}.mapping.{mistake}" for mistake in mistakes]
    if mistakes:
        return None
    return PlannedSource(spec, *resolved, mapper) if resolved else None


def _sink(
    spec: SinkSpec, where: str, kinds: Mapping[str, AdapterKind], problems: list[str]
) -> PlannedSink | None:
    resolved = _kind_and_config(spec, where, kinds, problems, role="sink")
    try:
        contract = default_registry.by_cloudevents_type(spec.contract)
    except ContractError as exc:
        problems.append(f"{where}.contract: {exc}")
        return None
    return PlannedSink(spec, *resolved, contract) if resolved else None


def _kind_and_config(
    spec: SourceSpec | SinkSpec,
    where: str,
    kinds: Mapping[str, AdapterKind],
    problems: list[str],
    *,
    role: str,
) -> tuple[AdapterKind, BaseModel] | None:
    """The adapter's kind and its validated config; ``None`` after noting what is wrong."""
    kind = _kind(spec.kind, where, kinds, problems, role=role)
    if kind is None:
        return None
    try:
        return kind, kind.config.model_validate(spec.config)
    except ValidationError as exc:
        problems += _problems(exc, prefix=f"{where}.config")
        return None


def _kind(
    name: str, where: str, kinds: Mapping[str, AdapterKind], problems: list[str], *, role: str
) -> AdapterKind | None:
    kind = kinds.get(name)
    if kind is None:
        known = ", ".join(sorted(kinds)) or "none installed"
        problems.append(f"{where}.kind: unknown adapter kind {name!r} (known: {known})")
        return None
    if getattr(kind, role) is None:
        problems.append(f"{where}.kind: adapter kind {name!r} has no {role}")
        return None
    return kind


def _problems(exc: ValidationError, *, prefix: str) -> list[str]:
    """One ``key.path: message`` line per validation error."""
    lines = []
    for error in exc.errors(include_url=False, include_input=False):
        path = prefix
        for part in error["loc"]:
            path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
        lines.append(f"{path or '(file)'}: {error['msg']}")
    return lines
