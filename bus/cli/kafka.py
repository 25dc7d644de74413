"""`govbus kafka up | status | down`: a real local Kafka cluster (KRaft) on 127.0.0.1."""

from __future__ import annotations

import json
import logging
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from bus.broker.local import LocalKafka
from bus.cli.output import fail_on_govbus_error, load_settings

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
) -> None:
    """Start Kafka (or reuse the running one); the last output line is the bootstrap address."""
    with fail_on_govbus_error():
        result = LocalKafka(load_settings(kafka_home=home)).up(
            nodes=int(nodes.value), report=typer.echo
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
