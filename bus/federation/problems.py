"""What is wrong with a federation directory: one `Problem` per mistake, naming file and key.

Validation reports every problem at once, so whoever edits the directory fixes them in one go.
A problem reads ``agreements/dwp-pensions.toml: agreement.fields[2]: ...``; paths are relative to
the directory and written with ``/`` on every system.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

ORGANISATIONS_FILE = "organisations.toml"
PUBLISHERS_FILE = "publishers.toml"
AGREEMENTS_DIR = "agreements"


@dataclass(frozen=True, slots=True, order=True)
class Problem:
    """One mistake: the file it is in, the key path inside it (empty for the whole file), why."""

    file: str
    key: str
    message: str

    def __str__(self) -> str:
        return (
            f"{self.file}: {self.key}: {self.message}"
            if self.key
            else (f"{self.file}: {self.message}")
        )

    def as_json(self) -> dict[str, str]:
        """The problem as JSON data: ``file``, ``key`` and ``message``."""
        return {"file": self.file, "key": self.key, "message": self.message}


def agreement_file(agreement_id: str) -> str:
    """Where an agreement is expected to live: ``agreements/<id>.toml``."""
    return f"{AGREEMENTS_DIR}/{agreement_id}.toml"


def did_you_mean(word: str, choices: Iterable[str], *, prefix: str = "") -> str:
    """``"; did you mean 'x'?"`` for the choices close to ``word``, or nothing.

    ``prefix`` is put before each suggestion (``deceased.`` suggests ``deceased.name``).
    """
    close = difflib.get_close_matches(word, list(choices), n=3, cutoff=0.6)
    if not close:
        return ""
    return f"; did you mean {' or '.join(repr(prefix + c) for c in close)}?"


def key_path(prefix: str, loc: Iterable[Any]) -> str:
    """A pydantic error location as a key path: ``organisations[2].contact.email``."""
    path = prefix
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path


def from_validation(
    exc: ValidationError, *, file: str, fields_at: Any = None, prefix: str = ""
) -> list[Problem]:
    """One problem per pydantic error, input values left out (they may be hostile or long).

    ``fields_at(loc)`` gives the field names valid where an unknown key was found, so a
    misspelt key gets a "did you mean".
    """
    problems = []
    for error in exc.errors(include_url=False, include_input=False):
        loc = error["loc"]
        message = error["msg"]
        if error["type"] == "extra_forbidden" and fields_at is not None and loc:
            message = f"unknown key{did_you_mean(str(loc[-1]), fields_at(loc[:-1]))}"
        problems.append(Problem(file, key_path(prefix, loc), message))
    return problems
