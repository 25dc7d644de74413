"""`govbus contracts ...`: list, export, check and publish the event contracts.

Every command sees the contracts of every installed contract package (`govbus.contracts` entry
points, govbus's own catalogue among them) and takes `--package NAME` to work on one package's
contracts only, so an organisation exports, checks and catalogues its own contracts from its own
repository. Errors print one line to stderr and exit with status 1; no traceback reaches the user.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

import contracts
from contracts import ContractError, Event, Registry, default_registry, default_upcasters
from contracts.asyncapi import build_asyncapi, dump_asyncapi
from contracts.compatibility import BaselineError, check_baseline, check_upcasters
from contracts.export import current_documents, export_to
from contracts.packages import (
    BUILTIN_PACKAGE,
    ContractPackage,
    builtin_registry,
    load_contract_packages,
    normalise_name,
    package_of,
    select,
)
from contracts.site import render_catalogue

app = typer.Typer(
    help="Versioned event contracts: list, export, check, and publish as AsyncAPI or a site.",
    no_args_is_help=True,
)


PackageOption = Annotated[
    list[str] | None,
    typer.Option(
        "--package",
        metavar="NAME",
        help="Only the contracts of this installed contract package (its distribution name, "
        f"e.g. {BUILTIN_PACKAGE}); repeat for several. Default: every installed contract.",
    ),
]


def load_installed_contracts() -> list[ContractPackage]:
    """Load every installed contract package, or exit with one line naming the broken one."""
    try:
        return load_contract_packages()
    except ContractError as error:
        raise _fail(error) from None


def _selection(packages: list[str] | None) -> Registry:
    """The contracts `--package` selects: every installed contract when none is given."""
    if not packages:
        return default_registry
    try:
        return select(load_installed_contracts(), packages)
    except ContractError as error:
        raise _fail(error) from None


def _upcasts(model: type[Event]) -> tuple[int | None, int | None]:
    """The versions `model`'s events are upcast to, and from, by a registered upcaster."""
    info = model.contract
    steps = default_upcasters.steps()
    to = info.version + 1 if (info.event_type, info.version) in steps else None
    from_ = info.version - 1 if (info.event_type, info.version - 1) in steps else None
    return to, from_


def contract_summary(
    model: type[Event], packages: list[ContractPackage] | None = None
) -> dict[str, Any]:
    """What `govbus contracts list --json` prints for one contract version.

    `type` is the CloudEvents type (what `govbus publish TYPE` accepts); `event_type` is the
    reverse-DNS name without version; `package` the installed contract package that registered
    it; `upcasts_to` / `upcasts_from` the next / previous major version an upcaster converts its
    events to / from (null when there is none).
    """
    info = model.contract
    described = info.describe()
    upcasts_to, upcasts_from = _upcasts(model)
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
        "package": package_of(model, packages or []),
        "upcasts_to": upcasts_to,
        "upcasts_from": upcasts_from,
    }


def _marking(summary: dict[str, Any]) -> str:
    """The protective marking as it is written on a document, e.g. `OFFICIAL-SENSITIVE`."""
    caveat = summary["handling_caveat"]
    return str(summary["classification"]) + (f"-{caveat}" if caveat else "")


def _table(rows: list[dict[str, Any]]) -> str:
    headers = ("TYPE", "TOPIC", "OWNER", "MARKING", "PERSONAL", "LICENCE", "UPCASTS", "PACKAGE")
    cells = [
        (
            row["type"],
            row["topic"],
            row["owner"],
            _marking(row),
            "yes" if row["personal_data"] else "no",
            row["licence"]["name"] if row["licence"] else "-",
            f"v{row['version']} -> v{row['upcasts_to']}" if row["upcasts_to"] else "-",
            row["package"] or "-",
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
    package: PackageOption = None,
) -> None:
    """List every contract version with its topic, marking, licence, upcaster and package."""
    installed = load_installed_contracts()
    rows = [contract_summary(model, installed) for model in _selection(package)]
    if as_json:
        typer.echo(json.dumps(rows, indent=2, ensure_ascii=False))
    else:
        typer.echo(_table(rows))


@app.command("export")
def export(
    directory: Annotated[
        Path, typer.Argument(help="Directory to write <event-type>/v<N>.*.json into.")
    ],
    package: PackageOption = None,
) -> None:
    """Write the JSON Schema and example of every selected contract version into DIRECTORY.

    Documents of contracts no longer selected are deleted, so DIRECTORY mirrors the selection:
    give each package its own directory.
    """
    registry = _selection(package)
    try:
        written = export_to(directory, registry=registry)
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
    package: PackageOption = None,
) -> None:
    """Write the AsyncAPI 3.0 document, as JSON, of every selected contract version."""
    registry = _selection(package)
    try:
        text = dump_asyncapi(build_asyncapi(current_documents(registry)))
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
    package: PackageOption = None,
) -> None:
    """Render the browsable catalogue site of every selected contract into OUT_DIR.

    Each contract's page shows which of its versions an upcaster converts to which.
    """
    if out_dir.exists() and not out_dir.is_dir():
        raise _fail(f"{out_dir}: exists and is not a directory")
    registry = _selection(package)
    try:
        written = render_catalogue(
            current_documents(registry), out_dir, upcasts=default_upcasters.steps()
        )
    except ContractError as error:
        raise _fail(error) from None
    except OSError as error:
        raise _write_failed(error, out_dir) from None
    typer.echo(f"wrote {len(written)} files to {out_dir}; open {out_dir / 'index.html'}")


COMMITTED_SCHEMAS = Path(contracts.__file__).parent / "schemas"
"""govbus's own contract schemas as committed: the baseline of its built-in contracts."""


@app.command("check")
def check(
    baseline: Annotated[
        Path | None,
        typer.Option(
            "--baseline",
            help="A directory written by `govbus contracts export` from an earlier revision "
            "(default: govbus's committed contracts/schemas, for govbus's own contracts).",
        ),
    ] = None,
    package: PackageOption = None,
) -> None:
    """Check that contract versions stay FULL_TRANSITIVE compatible with the baseline.

    Without --package, the default baseline checks govbus's own contracts and a --baseline you
    give checks every installed contract. A package other than govbus needs --baseline: the
    directory where it commits its schemas. A major version N > 1 also needs an upcaster from
    N-1. Exits 1 and prints one line per violation (contract, field, rule, why).
    """
    others = [name for name in package or [] if normalise_name(name) != BUILTIN_PACKAGE]
    if baseline is None and others:
        raise _fail(
            f"--baseline is needed with --package {others[0]}: give the directory where its "
            f"schemas are committed (written by `govbus contracts export DIR --package "
            f"{others[0]}`)"
        )
    if baseline is None:
        baseline = COMMITTED_SCHEMAS
        registry = _selection(package) if package else builtin_registry()
        unchecked = sorted(
            {p.name for p in load_installed_contracts() if p.name != BUILTIN_PACKAGE}
        )
        if unchecked and not package:
            typer.echo(
                f"note: checked govbus's own contracts only; check {', '.join(unchecked)} with "
                "--package NAME --baseline DIR",
                err=True,
            )
    else:
        registry = _selection(package)
    try:
        violations = check_baseline(baseline, current_documents(registry))
    except (BaselineError, ContractError) as error:
        raise _fail(f"baseline {baseline}: {error}") from None
    violations += check_upcasters(registry, default_registry, default_upcasters)
    if violations:
        for violation in violations:
            typer.echo(str(violation))
        typer.echo(
            f"{len(violations)} problem(s): a breaking change needs a new major version, and a "
            "new major version needs an upcaster from the previous one",
            err=True,
        )
        raise typer.Exit(1)
    typer.echo(f"compatible with {baseline}")
