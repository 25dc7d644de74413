"""The one error tree of `contracts`.

```
ContractError                      anything wrong with a contract or its data
├── ContractDefinitionError        a model's class metadata is wrong (raised at import time)
├── RegistryError                  looking up or registering contracts
│   ├── DuplicateContractError     (event type, version) registered twice
│   ├── UnknownEventTypeError      no contract has this event type
│   └── UnknownVersionError        the event type exists, this major version does not
├── ContractValidationError        consumed data does not fit the contract (also a ValueError)
├── UpcastError                    converting an event to a newer major version
│   ├── MissingUpcasterError       a link N -> N+1 of the chain is not registered
│   └── DowncastError              asked for an older version than the event has
├── SchemaDocumentError            exported schema documents cannot be written or read
├── ExportFormatError              a document breaks the export format (also a ValueError)
└── ContractPackageError           an installed contract package cannot be loaded or selected
```

Every error carries its context as keyword-only attributes, and its message names the offending
event type, version, field or path, so a dead-letter reason or a CLI line is enough to act on.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path


class ContractError(Exception):
    """Base of every error raised by `contracts`."""


class ContractDefinitionError(ContractError):
    """A contract model declares invalid metadata; raised when the class is defined.

    `subject` is the model's class name, or the event type while the metadata is being built.
    """

    def __init__(self, message: str, *, subject: str) -> None:
        super().__init__(f"{subject}: {message}")
        self.subject = subject


class RegistryError(ContractError):
    """Registering or looking up a contract failed."""


class DuplicateContractError(RegistryError):
    """A contract with the same event type and major version is already registered."""

    def __init__(self, *, event_type: str, version: int, existing: str) -> None:
        super().__init__(f"contract {event_type} v{version} is already registered (by {existing})")
        self.event_type = event_type
        self.version = version
        self.existing = existing


class UnknownEventTypeError(RegistryError):
    """No registered contract has this event type (or CloudEvents type)."""

    def __init__(self, *, event_type: str) -> None:
        super().__init__(f"unknown event type {event_type!r}")
        self.event_type = event_type


class UnknownVersionError(RegistryError):
    """The event type is registered, but not in this major version."""

    def __init__(self, *, event_type: str, version: int, known: Sequence[int]) -> None:
        listed = ", ".join(f"v{v}" for v in known) or "none"
        super().__init__(f"unknown version v{version} of {event_type} (known: {listed})")
        self.event_type = event_type
        self.version = version
        self.known = tuple(known)


class ContractValidationError(ContractError, ValueError):
    """Consumed data does not validate against its contract.

    `problems` lists one `"<dotted field>: <reason>"` line per pydantic error; the message
    starts with the CloudEvents type so a dead-letter reason says which contract failed.
    """

    def __init__(self, *, cloudevents_type: str, problems: Sequence[str]) -> None:
        super().__init__(f"{cloudevents_type}: " + "; ".join(problems))
        self.cloudevents_type = cloudevents_type
        self.problems = tuple(problems)


class UpcastError(ContractError):
    """An event could not be converted to the requested major version."""


class MissingUpcasterError(UpcastError):
    """The chain from the event's version to the requested one lacks a link."""

    def __init__(self, *, event_type: str, from_version: int, to_version: int) -> None:
        super().__init__(
            f"no upcaster registered from {event_type} v{from_version} to v{from_version + 1}"
            f" (needed to reach v{to_version})"
        )
        self.event_type = event_type
        self.from_version = from_version
        self.to_version = to_version


class DowncastError(UpcastError):
    """The requested version is older than the event's; govbus never converts backwards."""

    def __init__(self, *, event_type: str, from_version: int, to_version: int) -> None:
        super().__init__(
            f"cannot convert {event_type} v{from_version} down to v{to_version}:"
            " upcasters only convert to newer versions"
        )
        self.event_type = event_type
        self.from_version = from_version
        self.to_version = to_version


class SchemaDocumentError(ContractError):
    """A schema document directory or file is missing, unreadable or malformed."""

    def __init__(self, message: str, *, path: Path) -> None:
        super().__init__(f"{path}: {message}")
        self.path = path


class ExportFormatError(ContractError, ValueError):
    """A document does not follow the export format, so it cannot be published.

    `path` is the document's relative path (or a name for it) and `field` the offending key,
    dotted or as a JSON pointer, when one is to blame.
    """

    def __init__(self, message: str, *, path: str, field: str | None = None) -> None:
        where = f"{path}: {field}" if field else path
        super().__init__(f"{where}: {message}")
        self.path = path
        self.field = field


class ContractPackageError(ContractError):
    """An installed contract package (a `govbus.contracts` entry point) failed to load.

    `package` is the distribution's name and `entry_point` the entry point's `name = value`
    line, when one is to blame; the message says what went wrong and names both.
    """

    def __init__(self, message: str, *, package: str, entry_point: str | None = None) -> None:
        where = f"contract package {package!r}"
        if entry_point is not None:
            where += f" (entry point {entry_point})"
        super().__init__(f"{where}: {message}")
        self.package = package
        self.entry_point = entry_point
