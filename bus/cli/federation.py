"""`govbus federation validate | plan | apply DIR` and `govbus federation docs`."""

from __future__ import annotations

import inspect
import json
from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from pydantic import BaseModel

from bus.cli.kafka import Home, admin_client_options
from bus.cli.output import fail_on_govbus_error, load_settings
from bus.federation import acls, checks, directory
from bus.federation.acl_cluster import ClusterAcls
from bus.federation.model import (
    Agreement,
    Contact,
    Federation,
    LawfulBasis,
    Organisation,
    PartyContact,
    PublishingRight,
)
from bus.process.config_docs import field_table

app = typer.Typer(help="The federation directory: members, publishers and data-sharing agreements.")


def _day(text: str | None) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise typer.BadParameter(f"{text!r} is not a date YYYY-MM-DD", param_hint="--on") from None


@app.command("validate")
def validate(
    folder: Annotated[Path, typer.Argument(help="The federation directory.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
    on: Annotated[
        str | None, typer.Option("--on", help="Check as of this day, YYYY-MM-DD (default today).")
    ] = None,
) -> None:
    """Check every file and reference of a federation directory; list every problem.

    Exits 0 with a summary (organisations, publishing rights, agreements, agreements in force),
    or 1 with one line per problem, each naming its file and key.
    """
    day = _day(on) or date.today()
    reading = directory.read(folder, today=day)
    federation = reading.federation
    if as_json:
        typer.echo(json.dumps(_result(folder, day, federation, reading), indent=2))
    elif federation is not None:
        typer.echo(f"{folder}: ok ({_summary(federation, day)})")
    else:
        typer.echo(f"govbus: {folder}: {len(reading.problems)} problem(s)", err=True)
        for problem in reading.problems:
            typer.echo(f"  {problem}", err=True)
    if federation is None:
        raise typer.Exit(1)


def _summary(federation: Federation, day: date) -> str:
    return (
        f"{len(federation.organisations)} organisations,"
        f" {len(federation.publishers)} publishing rights,"
        f" {len(federation.agreements)} agreements,"
        f" {sum(1 for _ in federation.in_force(day))} in force on {day}"
    )


def _result(
    folder: Path, day: date, federation: Federation | None, reading: directory.Reading
) -> dict[str, object]:
    counts = (
        {}
        if federation is None
        else {
            "organisations": len(federation.organisations),
            "publishers": len(federation.publishers),
            "agreements": len(federation.agreements),
            "in_force": [a.id for a in federation.in_force(day)],
        }
    )
    return {
        "directory": str(folder),
        "on": day.isoformat(),
        "ok": federation is not None,
        **counts,
        "problems": [p.as_json() for p in reading.problems],
    }


@app.command("plan")
def plan(
    folder: Annotated[Path, typer.Argument(help="The federation directory.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the plan as JSON.")] = False,
    on: Annotated[
        str | None, typer.Option("--on", help="Agreements in force on this day (default today).")
    ] = None,
    home: Home = None,
) -> None:
    """Print how the cluster's ACLs differ from what the federation calls for, changing nothing.

    Lists the bindings to create, those govbus created that no longer follow (delete), those
    govbus recorded that were removed by hand (forget) and foreign ACLs it never touches.
    Connects as the admin (GOVBUS_KAFKA_* settings, or admin.env under the home).
    """
    _run(folder, as_json=as_json, on=on, home=home, apply=False)


@app.command("apply")
def apply(
    folder: Annotated[Path, typer.Argument(help="The federation directory.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print what was done as JSON.")] = False,
    on: Annotated[
        str | None, typer.Option("--on", help="Agreements in force on this day (default today).")
    ] = None,
    home: Home = None,
) -> None:
    """Make the cluster's ACLs follow the federation: create what is missing and delete what
    govbus created that no longer follows; ACLs govbus did not create are left alone."""
    _run(folder, as_json=as_json, on=on, home=home, apply=True)


def _run(folder: Path, *, as_json: bool, on: str | None, home: Path | None, apply: bool) -> None:
    day = _day(on) or date.today()
    with fail_on_govbus_error():
        settings = load_settings(kafka_home=home)
        federation = Federation.load(folder, today=day)
        wanted = acls.wanted(federation, on=day, prefix=settings.topic_prefix)
        with ClusterAcls(admin_client_options(settings), prefix=settings.topic_prefix) as cluster:
            existing, others = cluster.existing()
            recorded = cluster.recorded()
            changes = acls.plan(wanted, existing=existing, recorded=recorded)
            if apply:
                # Recorded before created: a crash in between leaves a binding to create again,
                # never one govbus made but would take for foreign.
                cluster.record(added=changes.create)
                cluster.create(changes.create)
                cluster.delete(changes.delete)
                cluster.record(removed=changes.delete + changes.forget)
    if as_json:
        typer.echo(
            json.dumps({**changes.as_json(), "foreign_other": list(others), "applied": apply})
        )
        return
    verb = {"create": "created", "delete": "deleted", "forget": "forgotten"} if apply else {}
    for heading, bindings in (
        ("create", changes.create), ("delete", changes.delete), ("forget", changes.forget)
    ):  # fmt: skip
        for binding in bindings:
            typer.echo(f"{verb.get(heading, heading)}: {binding}")
    for foreign in [*map(str, changes.foreign), *others]:
        typer.echo(f"foreign (left alone): {foreign}")
    if changes.empty:
        typer.echo("ACLs follow the federation: nothing to change")


@app.command("docs")
def docs(
    out: Annotated[Path | None, typer.Argument(help="Markdown file; stdout without it.")] = None,
) -> None:
    """Write the federation reference, generated from the models."""
    text = reference()
    if out is None:
        typer.echo(text, nl=False)
    else:
        out.write_text(text)
        typer.echo(f"wrote {out}")


def reference() -> str:
    """The federation directory's reference: its files, each model's keys and the rules."""
    sections: list[tuple[str, type[BaseModel], str]] = [
        ("`organisations.toml`: `[[organisations]]`", Organisation, ""),
        ("`contact`", Contact, "The contact of an organisation."),
        ("`publishers.toml`: `[[publishers]]`", PublishingRight, ""),
        ("`agreements/<id>.toml`: `[agreement]`", Agreement, ""),
        ("`lawful_basis`", LawfulBasis, ""),
        ("`contacts`", PartyContact, ""),
    ]
    parts = [
        "# Federation reference",
        "",
        "Generated by `govbus federation docs` from the models; do not edit by hand.",
        "",
        "A federation directory (`GOVBUS_FEDERATION=DIR`; check it with"
        " `govbus federation validate DIR`):",
        "",
        "```",
        "organisations.toml       [[organisations]]: every member, once",
        "publishers.toml          [[publishers]]: who may publish each contract",
        "agreements/<id>.toml     [agreement]: one data-sharing agreement per file",
        "```",
        "",
        f"Each file is at most {directory.MAX_FILE_BYTES} bytes; at most"
        f" {directory.MAX_AGREEMENTS} agreements. Names starting with a dot are ignored; any"
        " other unexpected file is reported. Every problem is reported at once, naming its file"
        " and key (`agreements/gro-dwp-deaths.toml: agreement.fields[2]: ...`).",
    ]
    for title, model, note in sections:
        parts += ["", f"## {title}", "", note or _docstring(model), "", field_table(model)]
    parts += ["", "## Rules", "", _docstring(checks)]
    return "\n".join(parts) + "\n"


def _docstring(thing: object) -> str:
    return inspect.cleandoc(thing.__doc__ or "")
