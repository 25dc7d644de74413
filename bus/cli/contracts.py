"""`govbus contracts ...`: list, export, check and publish the event contracts.

Errors print one line to stderr and exit with status 1; no traceback reaches the user.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

import contracts
from contracts import ContractError, Event, default_registry
from contracts.asyncapi import build_asyncapi, dump_asyncapi
from contracts.compatibility import BaselineError, check_baseline
from contracts.export import current_documents, export_to
from contracts.site import render_catalogue

app = typer.Typer(
    help="Versioned event contracts: list, export, check, and publish as AsyncAPI or a site.",
    no_args_is_help=True,
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


def _fail(problem: Exception | str) -> typer.Exit:
    """Prints `error: <problem>` as one line on stderr; raise the result to exit with 1."""
    typer.echo(f"error: {problem}", err=True)
    return typer.Exit(code=1)


def _write_failed(error: OSError, path: Path) -> typer.Exit:
    """The one-line error for a file or folder that could not be written."""
    where = error.filename if error.filename is not None else path
    return _fail(f"{where}: cannot write: {error.strerror or error}")


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


@app.command("asyncapi")
def asyncapi(
    out: Annotated[
        Path | None,
        typer.Argument(
            metavar="OUT", help="File to write the JSON into; printed to stdout when omitted."
        ),
    ] = None,
) -> None:
    """Write the AsyncAPI 3.0 document, as JSON, of every registered contract version."""
    try:
        text = dump_asyncapi(build_asyncapi(current_documents()))
        if out is None:
            typer.echo(text, nl=False)
            return
        out.write_text(text, encoding="utf-8")
    except ContractError as error:
        raise _fail(error) from None
    except OSError as error:
        raise _write_failed(error, out or Path("-")) from None
    typer.echo(f"wrote AsyncAPI document to {out}")


@app.command("catalogue")
def catalogue(
    out_dir: Annotated[
        Path,
        typer.Argument(
            metavar="OUT_DIR", help="Directory to write the static site into (created if needed)."
        ),
    ],
) -> None:
    """Render the browsable catalogue site of every registered contract into OUT_DIR."""
    if out_dir.exists() and not out_dir.is_dir():
        raise _fail(f"{out_dir}: exists and is not a directory")
    try:
        written = render_catalogue(current_documents(), out_dir)
    except ContractError as error:
        raise _fail(error) from None
    except OSError as error:
        raise _write_failed(error, out_dir) from None
    typer.echo(f"wrote {len(written)} files to {out_dir}; open {out_dir / 'index.html'}")


COMMITTED_SCHEMAS = Path(contracts.__file__).parent / "schemas"


@app.command("check")
def check(
    baseline: Annotated[
        Path,
        typer.Option(
            "--baseline",
            help="A directory written by `govbus contracts export` from an earlier revision "
            "(default: the committed contracts/schemas).",
        ),
    ] = COMMITTED_SCHEMAS,
) -> None:
    """Check that every contract version stays FULL_TRANSITIVE compatible with the baseline.

    Exits 1 and prints one line per violation (contract, field, rule, why) on a breaking change.
    """
    try:
        violations = check_baseline(baseline, current_documents())
    except (BaselineError, ContractError) as error:
        raise _fail(f"baseline {baseline}: {error}") from None
    if violations:
        for violation in violations:
            typer.echo(str(violation))
        typer.echo(
            f"{len(violations)} breaking change(s): publish a new major version with an upcaster "
            "instead",
            err=True,
        )
        raise typer.Exit(1)
    typer.echo(f"compatible with {baseline}")
