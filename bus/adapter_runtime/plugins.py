"""Adapter kinds: what a deployment file's ``kind = "..."`` refers to.

Each adapter package declares one ``AdapterKind`` and registers it under the ``govbus.adapters``
entry-point group in its distribution's metadata, e.g. ``sql = "adapters.sql:KIND"``. The bus
finds kinds through that metadata, so it never imports an adapter package by name, and other
organisations can ship adapter kinds of their own.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from importlib.metadata import entry_points
from typing import Any

from pydantic import BaseModel

from bus.adapter_runtime.mapping import Mapper
from bus.adapter_runtime.sink import Sink
from bus.adapter_runtime.source import Source
from bus.foundation.errors import ConfigError
from contracts import Event

ENTRY_POINT_GROUP = "govbus.adapters"


@dataclass(frozen=True, slots=True)
class SourceContext:
    """What a source factory receives besides its config."""

    name: str  # the adapter's name in the deployment (metrics, offsets, dead letters)
    mapper: Mapper  # legacy record -> contract event, from the deployment's [mapping]


@dataclass(frozen=True, slots=True)
class SinkContext:
    """What a sink factory receives besides its config."""

    name: str
    contract: type[Event]  # the contract version the sink consumes


@dataclass(frozen=True, slots=True)
class AdapterKind:
    """A kind of legacy system: its config model and how to build its source and/or sink.

    ``config`` is a frozen pydantic model with a ``description`` on every field; it is the
    reference documentation of the kind. Factories are called once per adapter at start-up
    and must not do I/O (``open`` does).
    """

    name: str
    summary: str
    config: type[BaseModel]
    source: Callable[[Any, SourceContext], Source] | None = None
    sink: Callable[[Any, SinkContext], Sink] | None = None


def adapter_kinds() -> dict[str, AdapterKind]:
    """Every installed adapter kind, by name."""
    kinds: dict[str, AdapterKind] = {}
    for entry in entry_points(group=ENTRY_POINT_GROUP):
        kind = entry.load()
        if not isinstance(kind, AdapterKind) or kind.name != entry.name:
            raise ConfigError(f"entry point {entry.value!r} is not the AdapterKind {entry.name!r}")
        kinds[kind.name] = kind
    return kinds
