"""`govbus kafka up | status | down`: a real local Kafka cluster (KRaft) on 127.0.0.1."""

from __future__ import annotations

import asyncio
import json
import logging
import os
from collections.abc import Mapping
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from bus.broker.client import client_options
from bus.broker.local import LocalKafka, scram, security
from bus.cli.output import fail_on_govbus_error, load_settings
from bus.federation.model import Federation
from bus.foundation.errors import ConfigError
from bus.foundation.settings import Settings

app = typer.Typer(
    help="A real local Apache Kafka cluster (KRaft) on 127.0.0.1, for development and tests.",
    no_args_is_help=True,
)

Home = Annotated[
    Path | None,
    typer.Option("--home", help="Cluster directory (default: GOVBUS_KAFKA_HOME or XDG state)."),
]


class Nodes(StrEnum):
    one = "1"
    three = "3"


@app.command()
def up(
    nodes: Annotated[Nodes, typer.Option("--nodes", help="One node, or a three-node cluster.")] = (
        Nodes.one
    ),
    home: Home = None,
    secure: Annotated[
        bool,
        typer.Option(
            "--secure",
            help="SASL_SSL with SCRAM-SHA-512 only, TLS from a local CA, ACLs enforced; the "
            "admin's settings go to <home>/admin.env (the password stays in a 0600 file).",
        ),
    ] = False,
) -> None:
    """Start Kafka (or reuse the running one); the last output line is the bootstrap address."""
    with fail_on_govbus_error():
        result = LocalKafka(load_settings(kafka_home=home)).up(
            nodes=int(nodes.value), secure=secure, report=typer.echo
        )
    typer.echo(result.bootstrap)


@app.command()
def status(
    as_json: Annotated[bool, typer.Option("--json", help="Print the status as JSON.")] = False,
    home: Home = None,
) -> None:
    """List the local cluster's nodes, ports and process ids, or with GOVBUS_KAFKA_BOOTSTRAP
    the external cluster's brokers from its metadata; exit 1 when it is not running (or the
    external cluster does not answer)."""
    logging.getLogger("aiokafka").setLevel(logging.CRITICAL)  # the status says what failed
    with fail_on_govbus_error():
        state = LocalKafka(load_settings(kafka_home=home)).status()
    if as_json:
        typer.echo(json.dumps(state.as_json(), indent=2))
    elif state.source == "external":
        typer.echo(f"external Kafka at {state.bootstrap} (GOVBUS_KAFKA_BOOTSTRAP)")
        if state.error is not None:
            typer.echo(f"no answer to a metadata request: {state.error}")
        else:
            typer.echo(f"cluster {state.cluster_id}")
            typer.echo(f"{'node':>4}  {'host:port':<30} {'controller':<10}  reachable")
        for broker in state.brokers:
            typer.echo(
                f"{broker.node_id:>4}  {broker.host + ':' + str(broker.port):<30} "
                f"{'yes' if broker.controller else '':<10}  "
                f"{'yes' if broker.reachable else 'no'}"
            )
    elif not state.nodes:
        typer.echo(f"no local Kafka under {state.home}")
    else:
        typer.echo(f"{state.source} cluster {state.cluster_id} under {state.home}")
        typer.echo(f"{'node':>4}  {'port':>5}  {'controller':>10}  {'pid/container':<20} state")
        for node in state.nodes:
            typer.echo(
                f"{node.node_id:>4}  {node.port:>5}  {node.controller_port:>10}  "
                f"{node.handle:<20} {'running' if node.running else 'stopped'}"
            )
        typer.echo(f"bootstrap: {state.bootstrap}")
        if state.secure:
            typer.echo(f"secured: SASL_SSL, SCRAM-SHA-512; admin settings: {state.home}/admin.env")
    if not state.running:
        raise typer.Exit(1)


@app.command()
def down(
    keep_data: Annotated[
        bool, typer.Option("--keep-data", help="Keep topics and offsets for the next `up`.")
    ] = False,
    home: Home = None,
) -> None:
    """Stop the Kafka nodes govbus started and remove their data (unless --keep-data)."""
    with fail_on_govbus_error():
        typer.echo(LocalKafka(load_settings(kafka_home=home)).down(keep_data=keep_data))


users_app = typer.Typer(help="SCRAM users of a secured cluster.", no_args_is_help=True)
app.add_typer(users_app, name="users")


@users_app.command("apply")
def users_apply(
    federation: Annotated[
        Path, typer.Option("--federation", help="Federation directory naming the organisations.")
    ],
    secrets_dir: Annotated[
        Path | None,
        typer.Option(
            "--secrets",
            help="Folder of <code>.password files; GOVBUS_SCRAM_PASSWORD_<CODE> wins over them.",
        ),
    ] = None,
    home: Home = None,
) -> None:
    """Create or update a SCRAM-SHA-512 user for each organisation's Kafka principal, with the
    password from GOVBUS_SCRAM_PASSWORD_<CODE> or <secrets>/<code>.password (never printed),
    as the admin of the secured cluster under the home (or the GOVBUS_KAFKA_* settings)."""
    with fail_on_govbus_error():
        settings = load_settings(kafka_home=home)
        members = Federation.load(federation)
        users = organisation_passwords(members, secrets_dir, os.environ)
        options = admin_client_options(settings)
        applied = asyncio.run(scram.upsert_users(options, users))
    for name in applied:
        typer.echo(f"SCRAM-SHA-512 credential set for User:{name}")


def organisation_passwords(
    members: Federation, secrets_dir: Path | None, environ: Mapping[str, str]
) -> dict[str, str]:
    """Each organisation's SCRAM user name (its principal without ``User:``) and password.

    Raises ``ConfigError`` naming every organisation whose password is missing or empty.
    """
    users: dict[str, str] = {}
    missing: list[str] = []
    for organisation in members.organisations:
        variable = "GOVBUS_SCRAM_PASSWORD_" + organisation.code.upper().replace("-", "_")
        password = environ.get(variable, "")
        source = secrets_dir / f"{organisation.code}.password" if secrets_dir else None
        if not password and source is not None and source.is_file():
            password = (
                source.read_text(encoding="utf-8").splitlines()[0] if source.stat().st_size else ""
            )
        if not password:
            where = f" or {source}" if source else ""
            missing.append(f"{organisation.code} ({variable}{where})")
            continue
        users[organisation.kafka_principal.removeprefix("User:")] = password
    if missing:
        raise ConfigError("no SCRAM password for: " + ", ".join(missing))
    return users


def admin_client_options(settings: Settings) -> dict[str, Any]:
    """Admin client options: the GOVBUS_KAFKA_* settings when they name a SASL cluster, else
    the admin settings ``govbus kafka up --secure`` wrote under the home."""
    if settings.kafka_bootstrap and settings.kafka_security_protocol.startswith("SASL_"):
        return client_options(settings, settings.kafka_bootstrap)
    admin = security.admin_settings(security.SecureFiles(settings.kafka_home))
    assert admin.kafka_bootstrap is not None  # noqa: S101 - admin.env always names it
    return client_options(admin, admin.kafka_bootstrap)
