"""Deployment files: which adapters and subscribers one govbus process runs.

A deployment is a TOML file validated once, completely, before anything starts; every error
names its key (``sources[0].config.table: Field required``). Example::

    [service]
    name = "gro-register-office"

    [[sources]]
    name = "deaths"
    kind = "sql"
    poll_interval_s = 2
    config = { url = "sqlite+aiosqlite:///registrar.db", table = "deaths", key_column = "id" }

    [sources.mapping]
    contract = "uk.gov.gro.death-registered.v1"
    key = "{id}"
    identity = "deaths/{id}"
    fields = { registration_district = "district", entry_number = { from = "no", type = "int" } }

    [[sinks]]
    name = "dvla-licences"
    kind = "fixed-width"
    contract = "uk.gov.gro.death-registered.v2"
    config = { folder = "/srv/dvla/outbox" }
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from bus.adapter_runtime.mapping import Mapper, MappingConfig
from bus.adapter_runtime.plugins import AdapterKind, SinkContext, SourceContext, adapter_kinds
from bus.foundation.errors import ConfigError, MappingError
from bus.messaging.subscriber import RetryPolicy
from bus.process.service import Service
from contracts import ContractError, Event, default_registry

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

    def build(self, service: Service) -> None:
        """Create each adapter (no I/O yet) and add it to ``service``."""
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


def load(path: Path, *, kinds: Mapping[str, AdapterKind] | None = None) -> Plan:
    """Read and validate a deployment file; raise ``ConfigError`` listing every problem."""
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
    return plan(document, kinds=adapter_kinds() if kinds is None else kinds, origin=str(path))


def plan(document: Mapping[str, Any], *, kinds: Mapping[str, AdapterKind], origin: str) -> Plan:
    """Validate a parsed deployment document against the installed adapter kinds."""
    try:
        deployment = Deployment.model_validate(document)
    except ValidationError as exc:
        raise ConfigError("\n".join(f"{origin}: {p}" for p in _problems(exc, prefix=""))) from None
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
        raise ConfigError("\n".join(f"{origin}: {problem}" for problem in problems))
    return Plan(deployment, tuple(sources), tuple(sinks))


def _source(
    spec: SourceSpec, where: str, kinds: Mapping[str, AdapterKind], problems: list[str]
) -> PlannedSource | None:
    resolved = _kind_and_config(spec, where, kinds, problems, role="source")
    try:
        mapper = Mapper(spec.mapping)
    except MappingError as exc:
        problems.append(f"{where}.mapping.{exc.field}: {exc}")
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
