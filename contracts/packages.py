"""Contract packages: the contracts an organisation keeps in its own installed distribution.

An organisation publishes its contracts from its own repository as an ordinary Python
distribution and names one module of it under the `govbus.contracts` entry-point group::

    [project.entry-points."govbus.contracts"]
    blue-county = "blue_county_contracts"

Importing that module registers the package's contract models with `default_registry` and its
upcasters with `default_upcasters`. govbus's own catalogue is declared the same way
(`govbus = "contracts.catalogue"`), so every installed package is found, listed, exported, checked
and catalogued alike, and the bus finds contracts through metadata without importing any
organisation's package by name.

`load_contract_packages()` imports every entry point once per process. A package's contracts are
the models registered while its module was imported, and the registered models defined in that
module or beneath it (govbus's catalogue is imported with `contracts` itself, before any entry
point). A package that cannot be imported, names an attribute instead of a module, registers a
contract that is already registered, or registers nothing is a `ContractPackageError` naming the
package and the entry point.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from importlib.metadata import EntryPoint, entry_points
from typing import Final

from contracts.base import Event
from contracts.errors import ContractError, ContractPackageError
from contracts.registry import Registry, default_registry

ENTRY_POINT_GROUP: Final = "govbus.contracts"
BUILTIN_PACKAGE: Final = "govbus"
"""The distribution name of govbus itself, whose package holds the starter catalogue."""
BUILTIN_MODULE: Final = "contracts.catalogue"


@dataclass(frozen=True, slots=True)
class ContractPackage:
    """One installed package of contracts: where it was declared and what it registered."""

    name: str  # the distribution's normalised name, e.g. "blue-county-contracts"
    entry_point: str  # the entry point as declared, e.g. "blue-county = blue_county_contracts"
    module: str
    models: tuple[type[Event], ...]  # sorted by event type, then version


def normalise_name(name: str) -> str:
    """A distribution name as pip compares them (PEP 503): lower case, runs of `-_.` as `-`."""
    return re.sub(r"[-_.]+", "-", name).lower()


_loaded: list[ContractPackage] | None = None


def load_contract_packages() -> list[ContractPackage]:
    """Import every installed `govbus.contracts` entry point once; return the packages, sorted.

    Later calls return the first result without importing again. Raises `ContractPackageError`
    for the first entry point that fails (see the module docstring); entry points loaded before
    it stay registered.
    """
    global _loaded  # one import of each package per process: modules register on import
    if _loaded is None:
        _loaded = load_entry_points(entry_points(group=ENTRY_POINT_GROUP))
    return list(_loaded)


def load_entry_points(found: Iterable[EntryPoint]) -> list[ContractPackage]:
    """Import each entry point's module into `default_registry`; the packages, sorted by name."""
    packages = [_load(entry) for entry in found]
    return sorted(packages, key=lambda package: (package.name, package.entry_point))


def _load(entry: EntryPoint) -> ContractPackage:
    package = normalise_name(entry.dist.name) if entry.dist is not None else "(unknown)"
    declared = f"{entry.name} = {entry.value}"
    if entry.attr:
        raise ContractPackageError(
            f"must name a module, not the attribute {entry.attr!r}: write"
            f" {entry.name} = {entry.module!r}",
            package=package,
            entry_point=declared,
        )
    before = set(default_registry)
    try:
        importlib.import_module(entry.module)
    except ContractError as error:
        raise ContractPackageError(
            f"importing {entry.module} failed: {error}", package=package, entry_point=declared
        ) from error
    except Exception as error:  # any import failure of foreign code is reported the same way
        raise ContractPackageError(
            f"cannot import {entry.module}: {type(error).__name__}: {error}",
            package=package,
            entry_point=declared,
        ) from error
    models = tuple(
        model
        for model in default_registry
        if model not in before or _defined_under(model, entry.module)
    )
    if not models:
        raise ContractPackageError(
            f"importing {entry.module} registered no contracts; decorate each contract model"
            " with @default_registry.register in that module or one it imports",
            package=package,
            entry_point=declared,
        )
    return ContractPackage(name=package, entry_point=declared, module=entry.module, models=models)


def _defined_under(model: type[Event], module: str) -> bool:
    return model.__module__ == module or model.__module__.startswith(f"{module}.")


def builtin_models() -> list[type[Event]]:
    """govbus's own contract versions (its catalogue), whatever else is installed."""
    return [model for model in default_registry if _defined_under(model, BUILTIN_MODULE)]


def registry_of(models: Iterable[type[Event]]) -> Registry:
    """A new registry holding `models` only (for exporting or checking a selection)."""
    registry = Registry()
    for model in models:
        registry.register(model)
    return registry


def builtin_registry() -> Registry:
    """A registry of govbus's own contract versions only: what `contracts/schemas` holds."""
    return registry_of(builtin_models())


def package_of(model: type[Event], packages: Sequence[ContractPackage]) -> str | None:
    """The name of the package that registered `model`, or None if no package did."""
    for package in packages:
        if model in package.models:
            return package.name
    if _defined_under(model, BUILTIN_MODULE):
        return BUILTIN_PACKAGE  # also when govbus runs from a source tree without metadata
    return None


def select(packages: Sequence[ContractPackage], names: Sequence[str]) -> Registry:
    """A registry of the contracts of the packages called `names` (distribution names).

    Names compare as pip compares them (`Blue_County` is `blue-county`). `govbus` always names
    the built-in catalogue. Raises `ContractPackageError` for a name that is not installed,
    listing the names that are.
    """
    by_name = {package.name: package for package in packages}
    models: list[type[Event]] = []
    for name in names:
        wanted = normalise_name(name)
        if wanted == BUILTIN_PACKAGE:
            models.extend(builtin_models())
            continue
        package = by_name.get(wanted)
        if package is None:
            installed = sorted({BUILTIN_PACKAGE, *by_name})
            raise ContractPackageError(
                "is not installed (installed contract packages: " + ", ".join(installed) + ")",
                package=name,
            )
        models.extend(package.models)
    return registry_of(dict.fromkeys(models))
