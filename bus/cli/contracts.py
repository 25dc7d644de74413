"""`govbus contracts ...`: list, export and check the event contracts.

Errors print one line to stderr and exit with status 1; no traceback reaches the user.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from contracts import ContractError, Event, default_registry
from contracts.export import export_to

app = typer.Typer(
    help="Versioned event contracts: list, export, check, describe.", no_args_is_help=True
)


def contract_summary(model: type[Event]) -> dict[str, Any]:
    """What `govbus contracts list --json` prints for one contract version.

    `type` is the CloudEvents type (what `govbus publish TYPE` accepts); `event_type` is the
    reverse-DNS name without version.
    """
    info = model.contract
    described = info.describe()
    return {
        "type": info.cloudevents_type,
        "event_type": info.event_type,
        "version": info.version,
        "topic": info.topic,
        "owner": info.owner.code,
        "owner_name": info.owner.name,
        "model": model.__name__,
        "description": info.description,
        "classification": described["classification"],
        "handling_caveat": info.handling_caveat,
        "personal_data": described["personal_data"],
        "licence": described["licence"],
    }


def _marking(summary: dict[str, Any]) -> str:
    """The protective marking as it is written on a document, e.g. `OFFICIAL-SENSITIVE`."""
    caveat = summary["handling_caveat"]
    return str(summary["classification"]) + (f"-{caveat}" if caveat else "")


def _table(rows: list[dict[str, Any]]) -> str:
    headers = ("TYPE", "TOPIC", "OWNER", "MARKING", "PERSONAL", "LICENCE")
    cells = [
        (
            row["type"],
            row["topic"],
            row["owner"],
            _marking(row),
            "yes" if row["personal_data"] else "no",
            row["licence"]["name"] if row["licence"] else "-",
        )
        for row in rows
    ]
    widths = [max(len(line[i]) for line in [headers, *cells]) for i in range(len(headers))]
    lines = [
        "  ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)).rstrip()
        for line in [headers, *cells]
    ]
    return "\n".join(lines)


def _fail(error: Exception) -> typer.Exit:
    typer.echo(f"error: {error}", err=True)
    return typer.Exit(code=1)


@app.command("list")
def list_contracts(
    as_json: Annotated[
        bool, typer.Option("--json", help="Print a JSON array instead of a table.")
    ] = False,
) -> None:
    """List every registered contract version with its topic, marking and licence."""
    rows = [contract_summary(model) for model in default_registry]
    if as_json:
        typer.echo(json.dumps(rows, indent=2, ensure_ascii=False))
    else:
        typer.echo(_table(rows))


@app.command("export")
def export(
    directory: Annotated[
        Path, typer.Argument(help="Directory to write <event-type>/v<N>.*.json into.")
    ],
) -> None:
    """Write the JSON Schema and example of every contract version into DIRECTORY."""
    try:
        written = export_to(directory)
    except ContractError as error:
        raise _fail(error) from None
    typer.echo(f"wrote {len(written)} documents to {directory}")
