"""`govbus topics plan | apply FILE...`: the topics deployments need, for operators who
provision them separately (``GOVBUS_CREATE_TOPICS=false``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from bus.broker.client import client_options
from bus.broker.topics import TopicPlan, apply_topic_plan
from bus.cli.connection import resolve_bootstrap, run_client
from bus.cli.output import fail_on_govbus_error, load_settings
from bus.messaging.codec import Codec
from bus.observability.topic_plan import TopicProvider, wanted_topics
from bus.process import deployment
from contracts import Event

app = typer.Typer(
    help="Plan and apply the Kafka topics deployments need: events, dead letters, offsets.",
    no_args_is_help=True,
)

Files = Annotated[list[Path], typer.Argument(help="Deployment files (TOML).")]
AsJson = Annotated[bool, typer.Option("--json", help="Print the plan as JSON.")]


@app.command()
def plan(files: Files, as_json: AsJson = False) -> None:
    """Show what `apply` would create or change: missing topics, too few partitions, configs
    that differ. Changes nothing."""
    provider, bootstrap, _ = _provider(files)
    _print(run_client(provider.plan(), bootstrap=bootstrap), as_json=as_json, done=False)


@app.command()
def apply(files: Files, as_json: AsJson = False) -> None:
    """Create missing topics, raise partition counts and set configs as planned; a `plan`
    afterwards is empty. Never lowers partitions, moves replicas or deletes a topic."""
    provider, bootstrap, options = _provider(files)

    async def plan_and_apply() -> TopicPlan:
        planned = await provider.plan()
        await apply_topic_plan(bootstrap, planned, options=options)
        return planned

    _print(run_client(plan_and_apply(), bootstrap=bootstrap), as_json=as_json, done=True)


def _provider(files: list[Path]) -> tuple[TopicProvider, str, dict[str, Any]]:
    """The topics the deployment files need, each once, on the cluster the settings name."""
    settings = load_settings()
    codec = Codec(source="urn:govbus:topics", topic_prefix=settings.topic_prefix)
    subscribed: list[type[Event]] = []
    sources: list[tuple[str, type[Event] | None]] = []
    with fail_on_govbus_error():
        for file in files:
            loaded = deployment.load(file)
            subscribed += [sink.contract for sink in loaded.sinks]
            sources += [(source.spec.name, source.mapper.model) for source in loaded.sources]
    wanted = wanted_topics(subscribed=subscribed, sources=sources, codec=codec, settings=settings)
    bootstrap = resolve_bootstrap(settings)
    with fail_on_govbus_error():
        options = client_options(settings, bootstrap)
    provider = TopicProvider(
        wanted, bootstrap=bootstrap, options=options, settings=settings, report=lambda *_: None
    )
    return provider, bootstrap, options


def _print(planned: TopicPlan, *, as_json: bool, done: bool) -> None:
    if as_json:
        typer.echo(json.dumps(planned.as_json() | {"applied": done}, indent=2))
        return
    replication = planned.replication
    typer.echo(
        f"{len(planned.topics)} topic(s) on {planned.brokers} broker(s); replication factor "
        f"{replication.factor}, min.insync.replicas {replication.min_insync}"
    )
    if not planned.changes:
        typer.echo("nothing to change")
    for change in planned.changes:
        typer.echo(("done: " if done else "") + change.summary())
    for note in planned.notes:
        typer.echo(f"note: {note}")
