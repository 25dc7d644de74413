"""What every `govbus` command shares: settings from the environment and one-line failures."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import typer
from pydantic import ValidationError

from bus.foundation.errors import GovbusError
from bus.foundation.settings import Settings


def load_settings(**overrides: Any) -> Settings:
    """Settings from ``GOVBUS_*``, with command-line options that were given taking precedence."""
    given = {key: value for key, value in overrides.items() if value is not None}
    try:
        return Settings(**given)
    except ValidationError as exc:
        first = exc.errors()[0]
        key = "GOVBUS_" + "_".join(str(part) for part in first["loc"]).upper()
        typer.echo(f"govbus: invalid setting {key}: {first['msg']}", err=True)
        raise typer.Exit(2) from exc


@contextlib.contextmanager
def fail_on_govbus_error() -> Iterator[None]:
    """Turn a ``GovbusError`` into one line on standard error and exit status 1."""
    try:
        yield
    except GovbusError as exc:
        typer.echo(f"govbus: {exc}", err=True)
        raise typer.Exit(1) from exc
