"""`govbus contracts ...`: list, export and check the event contracts."""

from __future__ import annotations

import typer

app = typer.Typer(
    help="Versioned event contracts: list, export, check, describe.", no_args_is_help=True
)
