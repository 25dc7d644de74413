"""Upcasters: convert an event of major version N to N+1, and chain them to reach version M.

A consumer written against `DeathRegisteredV2` still receives v1 events while producers move
over. It asks for the version it understands and gets a v2 instance, converted link by link::

    event = default_upcasters.read(data, cloudevents_type="uk.gov.gro.death-registered.v1",
                                   to_version=2)

An upcaster is a typed function from one model to the next, registered with a decorator::

    @default_upcasters.register(DeathRegisteredV1, DeathRegisteredV2)
    def death_registered_v1_to_v2(old: DeathRegisteredV1) -> DeathRegisteredV2: ...

Only single steps are registered; longer distances are walked through the chain. Converting to
an older version is refused (`DowncastError`): an old consumer reads the old topic instead.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Final, TypeVar

from contracts.base import Event
from contracts.errors import (
    ContractDefinitionError,
    DowncastError,
    MissingUpcasterError,
    UpcastError,
)
from contracts.registry import Registry, default_registry

Old = TypeVar("Old", bound=Event)
New = TypeVar("New", bound=Event)
Upcaster = Callable[[Old], New]


class Upcasters:
    """Single-step upcasters keyed by (event type, from version), resolved against a registry."""

    def __init__(self, registry: Registry) -> None:
        self._registry = registry
        self._steps: dict[tuple[str, int], Callable[[Any], Event]] = {}

    def register(
        self, source: type[Old], target: type[New]
    ) -> Callable[[Upcaster[Old, New]], Upcaster[Old, New]]:
        """Decorate a function converting `source` events into `target` events.

        `target` must have the same event type and exactly the next major version; a second
        upcaster for the same step is refused (`ContractDefinitionError`).
        """
        src, dst = source.contract, target.contract
        subject = f"upcaster {source.__name__} -> {target.__name__}"
        if src.event_type != dst.event_type:
            raise ContractDefinitionError(
                f"event types differ ({src.event_type} vs {dst.event_type})", subject=subject
            )
        if dst.version != src.version + 1:
            raise ContractDefinitionError(
                f"must go from v{src.version} to v{src.version + 1}, not to v{dst.version}",
                subject=subject,
            )
        key = (src.event_type, src.version)
        if key in self._steps:
            raise ContractDefinitionError(
                f"{src.event_type} v{src.version} already has an upcaster", subject=subject
            )

        def add(func: Upcaster[Old, New]) -> Upcaster[Old, New]:
            self._steps[key] = func
            return func

        return add

    def has_step(self, event_type: str, from_version: int) -> bool:
        """Whether an upcaster from `event_type` v`from_version` to the next version exists."""
        return (event_type, from_version) in self._steps

    def steps(self) -> frozenset[tuple[str, int]]:
        """Every registered step as (event type, from version); each goes to the next version."""
        return frozenset(self._steps)

    def upcast(self, event: Event, *, to_version: int) -> Event:
        """Convert `event` through the chain of upcasters to `to_version`.

        Returns the event itself when it already has that version. The result is an instance
        of the registered model for `to_version`. Raises `UnknownVersionError` if that version
        is not registered, `DowncastError` if it is older than the event's, and
        `MissingUpcasterError` naming the first missing link.
        """
        info = type(event).contract
        self._registry.get(info.event_type, to_version)  # UnknownVersionError names known ones
        if to_version < info.version:
            raise DowncastError(
                event_type=info.event_type, from_version=info.version, to_version=to_version
            )
        for version in range(info.version, to_version):
            if (info.event_type, version) not in self._steps:
                raise MissingUpcasterError(
                    event_type=info.event_type, from_version=version, to_version=to_version
                )
        current = event
        for version in range(info.version, to_version):
            step = self._steps[(info.event_type, version)]
            current = step(current)
            expected = self._registry.get(info.event_type, version + 1)
            if type(current) is not expected:
                raise UpcastError(
                    f"upcaster for {info.event_type} v{version} returned"
                    f" {type(current).__name__}, not {expected.__name__}"
                )
        return current

    def read(
        self, data: Mapping[str, Any] | str | bytes, *, cloudevents_type: str, to_version: int
    ) -> Event:
        """Parse consumed data of `cloudevents_type` leniently, then upcast it to `to_version`."""
        return self.upcast(
            self._registry.parse(data, cloudevents_type=cloudevents_type), to_version=to_version
        )


default_upcasters: Final = Upcasters(default_registry)
"""The upcasters of the starter catalogue, resolved against `default_registry`."""
