"""Reading a federation directory: one folder of TOML files, loaded by every govbus process.

::

    federation/
        organisations.toml      [[organisations]]: every member, once
        publishers.toml         [[publishers]]: who may publish each contract
        agreements/
            gro-dwp-deaths.toml [agreement]: one data-sharing agreement per file

One file per agreement keeps each agreement's history and review in its own diffs. Files are at
most ``MAX_FILE_BYTES`` each and there are at most ``MAX_AGREEMENTS`` agreements; names starting
with a dot are ignored, and any other file that is not one of these is reported, so a misspelt
name never drops an agreement unnoticed. Every problem is reported at once, each naming its file
and key; TOML syntax errors name the line. References are checked (``bus.federation.checks``)
among the files that are valid: an invalid agreement file is left out of them, and the rules
that need members and publishing rights wait until both of those files are valid.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Final, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from bus.federation.checks import check
from bus.federation.fields import nested_model
from bus.federation.model import Agreement, Federation, Organisation, PublishingRight
from bus.federation.problems import (
    AGREEMENTS_DIR,
    ORGANISATIONS_FILE,
    PUBLISHERS_FILE,
    Problem,
    did_you_mean,
    from_validation,
)
from bus.foundation.errors import ConfigError
from bus.foundation.settings import Settings
from contracts import Registry, default_registry

MAX_FILE_BYTES: Final = 256 * 1024
MAX_AGREEMENTS: Final = 10_000
_KNOWN_FILES: Final = (ORGANISATIONS_FILE, PUBLISHERS_FILE)

_File = TypeVar("_File", bound=BaseModel)


class OrganisationsFile(BaseModel):
    """``organisations.toml``: the members of the federation."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    organisations: tuple[Organisation, ...] = Field(
        min_length=1, max_length=10_000, description="One [[organisations]] table per member."
    )


class PublishersFile(BaseModel):
    """``publishers.toml``: who may publish each contract."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    publishers: tuple[PublishingRight, ...] = Field(
        default=(), max_length=10_000, description="One [[publishers]] table per contract."
    )


class AgreementFile(BaseModel):
    """``agreements/<id>.toml``: one data-sharing agreement."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    agreement: Agreement = Field(description="The [agreement] table.")


@dataclass(frozen=True, slots=True)
class Reading:
    """What a directory holds: the federation when every file is valid, and every problem."""

    federation: Federation | None
    problems: tuple[Problem, ...]


def read(
    directory: Path, *, registry: Registry | None = None, today: date | None = None
) -> Reading:
    """Read and check ``directory`` as of ``today`` (the local date when not given).

    Never raises for bad content: every problem is in the reading. ``registry`` holds the
    contracts (``default_registry`` when not given; load installed contract packages first).
    """
    if not directory.is_dir():
        return Reading(None, (Problem(str(directory), "", "not a directory"),))
    problems: list[Problem] = []
    organisations = _parse(directory, ORGANISATIONS_FILE, OrganisationsFile, problems)
    publishers = _parse(directory, PUBLISHERS_FILE, PublishersFile, problems)
    files, agreements = _agreements(directory, problems)
    problems += _strays(directory)
    members = organisations is not None and publishers is not None
    federation = Federation(
        organisations=() if organisations is None else organisations.organisations,
        publishers=() if publishers is None else publishers.publishers,
        agreements=tuple(agreements),
    )
    problems += check(
        federation,
        registry=default_registry if registry is None else registry,
        today=date.today() if today is None else today,
        agreement_files=files,
        members=members,
    )
    return Reading(None if problems else federation, tuple(problems))


def load(
    directory: Path, *, registry: Registry | None = None, today: date | None = None
) -> Federation:
    """The federation in ``directory``; raises ``ConfigError`` listing every problem."""
    reading = read(directory, registry=registry, today=today)
    if reading.federation is None:
        lines = "\n".join(str(p) for p in reading.problems)
        raise ConfigError(
            f"federation {directory} has {len(reading.problems)} problem(s):\n{lines}"
        )
    return reading.federation


def load_configured(settings: Settings, *, registry: Registry | None = None) -> Federation | None:
    """The federation ``GOVBUS_FEDERATION`` names, or ``None`` when it is not set."""
    if settings.federation is None:
        return None
    return load(settings.federation, registry=registry)


def _agreements(directory: Path, problems: list[Problem]) -> tuple[list[str], list[Agreement]]:
    folder = directory / AGREEMENTS_DIR
    if not folder.is_dir():
        if folder.exists():
            problems.append(Problem(AGREEMENTS_DIR, "", "must be a folder of .toml files"))
        return [], []
    entries = sorted(p for p in folder.iterdir() if not p.name.startswith("."))
    if len(entries) > MAX_AGREEMENTS:
        problems.append(
            Problem(AGREEMENTS_DIR, "", f"{len(entries)} entries; at most {MAX_AGREEMENTS}")
        )
        return [], []
    files: list[str] = []
    agreements: list[Agreement] = []
    for entry in entries:
        name = f"{AGREEMENTS_DIR}/{entry.name}"
        if entry.suffix != ".toml":
            problems.append(Problem(name, "", "not a .toml file; agreements are <id>.toml"))
            continue
        parsed = _parse(directory, name, AgreementFile, problems)
        if parsed is not None:
            files.append(name)
            agreements.append(parsed.agreement)
    return files, agreements


def _strays(directory: Path) -> list[Problem]:
    """Top-level TOML files govbus does not read: most likely misspelt."""
    return [
        Problem(path.name, "", f"not a federation file{did_you_mean(path.name, _KNOWN_FILES)}")
        for path in sorted(directory.glob("*.toml"))
        if path.name not in _KNOWN_FILES
    ]


def _parse(directory: Path, name: str, model: type[_File], problems: list[Problem]) -> _File | None:
    """The file validated as ``model``, or ``None`` after noting its problems."""
    document = _document(directory / name, name, problems)
    if document is None:
        return None
    try:
        return model.model_validate(document)
    except ValidationError as exc:
        problems += from_validation(exc, file=name, fields_at=_fields_at(model))
        return None


def _document(path: Path, name: str, problems: list[Problem]) -> dict[str, Any] | None:
    if not path.is_file():
        why = "missing" if not path.exists() else "not a regular file"
        problems.append(Problem(name, "", why))
        return None
    try:
        with path.open("rb") as file:
            raw = file.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        problems.append(Problem(name, "", f"cannot read: {exc.strerror or exc}"))
        return None
    if len(raw) > MAX_FILE_BYTES:
        problems.append(Problem(name, "", f"larger than {MAX_FILE_BYTES} bytes"))
        return None
    try:
        return tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        problems.append(Problem(name, "", f"not UTF-8 (byte {exc.start})"))
    except tomllib.TOMLDecodeError as exc:
        problems.append(Problem(name, "", f"not valid TOML: {exc}"))
    return None


def _fields_at(model: type[BaseModel]) -> Callable[[Sequence[Any]], list[str]]:
    """The keys valid at an error location inside ``model`` (for "did you mean")."""

    def fields(loc: Sequence[Any]) -> list[str]:
        current: type[BaseModel] | None = model
        for part in loc:
            if current is None:
                return []
            if isinstance(part, int):
                continue  # an index into a list of the current model
            info = current.model_fields.get(str(part))
            current = None if info is None else nested_model(info.annotation)
        return [] if current is None else list(current.model_fields)

    return fields
