"""The registry of contract versions, keyed by (event type, major version).

`default_registry` holds the starter catalogue; importing `contracts` fills it. Services that
define their own contracts can build a separate `Registry` and register into it.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, Final, TypeVar

from contracts.base import Event
from contracts.errors import (
    ContractDefinitionError,
    DuplicateContractError,
    UnknownEventTypeError,
    UnknownVersionError,
)

E = TypeVar("E", bound=Event)
_CE_VERSION_SUFFIX: Final = ".v"


class Registry:
    """Contract model classes by event type and major version; lookups never guess."""

    def __init__(self) -> None:
        self._models: dict[str, dict[int, type[Event]]] = {}

    def register(self, model: type[E]) -> type[E]:
        """Add `model`; returns it, so it can decorate the class.

        Raises `DuplicateContractError` if its event type and version are already registered.
        """
        if not (isinstance(model, type) and issubclass(model, Event)) or model is Event:
            raise ContractDefinitionError(
                "only Event subclasses can be registered", subject=repr(model)
            )
        info = model.contract
        versions = self._models.setdefault(info.event_type, {})
        existing = versions.get(info.version)
        if existing is not None:
            raise DuplicateContractError(
                event_type=info.event_type,
                version=info.version,
                existing=f"{existing.__module__}.{existing.__qualname__}",
            )
        versions[info.version] = model
        return model

    def get(self, event_type: str, version: int) -> type[Event]:
        """The model for `event_type` in major `version`.

        Raises `UnknownEventTypeError` or `UnknownVersionError` (which lists known versions).
        """
        versions = self._versions_of(event_type)
        try:
            return versions[version]
        except KeyError:
            raise UnknownVersionError(
                event_type=event_type, version=version, known=sorted(versions)
            ) from None

    def by_cloudevents_type(self, cloudevents_type: str) -> type[Event]:
        """The model for a CloudEvents type such as `uk.gov.gro.death-registered.v1`."""
        event_type, _, suffix = cloudevents_type.rpartition(_CE_VERSION_SUFFIX)
        # Plain ASCII digits only, without a leading zero: "v01" is not the name of v1.
        if not event_type or not suffix.isascii() or not suffix.isdigit() or suffix[0] == "0":
            raise UnknownEventTypeError(event_type=cloudevents_type)
        return self.get(event_type, int(suffix))

    def versions(self, event_type: str) -> list[int]:
        """The registered major versions of `event_type`, oldest first."""
        return sorted(self._versions_of(event_type))

    def latest(self, event_type: str) -> type[Event]:
        """The model of the highest registered major version of `event_type`."""
        versions = self._versions_of(event_type)
        return versions[max(versions)]

    def event_types(self) -> list[str]:
        """Every registered event type, sorted."""
        return sorted(self._models)

    def all(self) -> list[type[Event]]:
        """Every registered model, sorted by event type then version."""
        return [self._models[t][v] for t in self.event_types() for v in self.versions(t)]

    def parse(self, data: Mapping[str, Any] | str | bytes, *, cloudevents_type: str) -> Event:
        """Validate consumed data as the contract named by its CloudEvents type, leniently.

        Unknown fields are ignored; raises `UnknownEventTypeError`/`UnknownVersionError` for
        an unregistered type and `ContractValidationError` for data that does not fit.
        """
        return self.by_cloudevents_type(cloudevents_type).from_consumed(data)

    def __iter__(self) -> Iterator[type[Event]]:
        return iter(self.all())

    def __len__(self) -> int:
        return sum(len(v) for v in self._models.values())

    def __contains__(self, key: object) -> bool:
        """`(event_type, version) in registry`."""
        if not (isinstance(key, tuple) and len(key) == 2):
            return False
        event_type, version = key
        return version in self._models.get(event_type, {})

    def _versions_of(self, event_type: str) -> dict[int, type[Event]]:
        versions = self._models.get(event_type)
        if not versions:
            raise UnknownEventTypeError(event_type=event_type)
        return versions


default_registry: Final = Registry()
"""The registry holding the starter catalogue (filled when `contracts` is imported)."""
