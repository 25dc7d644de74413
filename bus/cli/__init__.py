"""The `govbus` command-line program: one entry point, one sub-command group per concern."""

from __future__ import annotations

import typer

from bus.cli import contracts as contracts_cli
from bus.cli import dlq as dlq_cli
from bus.cli import federation as federation_cli
from bus.cli import kafka as kafka_cli
from bus.cli import publish as publish_cli
from bus.cli import run as run_cli
from bus.cli import tail as tail_cli
from bus.cli import topics as topics_cli

app = typer.Typer(
    name="govbus",
    help="govbus joins up government systems through versioned events on Apache Kafka.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.add_typer(contracts_cli.app, name="contracts")
app.add_typer(kafka_cli.app, name="kafka")
app.command("publish")(publish_cli.publish)
app.command("tail")(tail_cli.tail)
app.add_typer(dlq_cli.app, name="dlq")
app.command("run")(run_cli.run)
app.command("validate")(run_cli.validate)
app.add_typer(run_cli.adapters_app, name="adapters")
app.add_typer(topics_cli.app, name="topics")
app.add_typer(federation_cli.app, name="federation")


@app.callback()
def _load_contract_packages(ctx: typer.Context) -> None:
    """Load installed contract packages, so every command sees every organisation's contracts."""
    # Starting or inspecting a broker needs no contracts: a broken package must not stop it.
    if ctx.invoked_subcommand != "kafka":
        contracts_cli.load_installed_contracts()


def main() -> None:
    """Run the `govbus` program (the console script's entry point)."""
    app()
