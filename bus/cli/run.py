"""`govbus run FILE`, `govbus validate FILE` and `govbus adapters ...`: deployments."""

from __future__ import annotations

import asyncio
import logging
import os
from pathlib import Path
from typing import Annotated

import typer

from bus.adapter_runtime.plugins import adapter_kinds
from bus.broker.topics import WantedTopic
from bus.cli.output import fail_on_govbus_error, load_settings
from bus.messaging.codec import Codec
from bus.observability.topic_plan import Access, source_topics, subscription_topics
from bus.process import deployment
from bus.process.config_docs import reference
from bus.process.service import Service

adapters_app = typer.Typer(help="Installed adapter kinds and their reference docs.")

DeploymentFile = Annotated[Path, typer.Argument(help="A deployment file (TOML).")]


def validate(file: DeploymentFile) -> None:
    """Check a deployment file without running it; every error names its key.

    ``${env:NAME}`` and ``${file:/path}`` references are resolved as `govbus run` would. Then
    lists, per adapter, the topics it reads and writes (with GOVBUS_TOPIC_PREFIX applied), dead
    letters included; adapter configs, and so secrets, are never printed.
    """
    with fail_on_govbus_error():
        plan = deployment.load(file, environ=os.environ)
    typer.echo(f"{file}: ok ({len(plan.sources)} source(s), {len(plan.sinks)} sink(s))")
    settings = load_settings()
    codec = Codec(source="urn:govbus:validate", topic_prefix=settings.topic_prefix)
    for source in plan.sources:
        typer.echo(f"source {source.spec.name} ({source.spec.kind})")
        _echo_topics(source_topics(source.spec.name, source.mapper.model, settings=settings))
    for sink in plan.sinks:
        typer.echo(f"sink {sink.spec.name} ({sink.spec.kind})")
        _echo_topics(subscription_topics(sink.contract, codec=codec, settings=settings))


def _echo_topics(topics: list[tuple[Access, WantedTopic]]) -> None:
    width = max(len(topic.name) for _, topic in topics)
    for access, topic in topics:
        typer.echo(f"  {access:<6}  {topic.name:<{width}}  {topic.purpose}")


def run(file: DeploymentFile) -> None:
    """Run the adapters of a deployment file until SIGTERM or SIGINT.

    Serves /metrics, /healthz, /readyz and a status page at / on
    GOVBUS_HEALTH_HOST:GOVBUS_HEALTH_PORT.
    """
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    with fail_on_govbus_error():
        plan = deployment.load(file, environ=os.environ)
        service = Service(plan.deployment.service.name, settings=load_settings())
        plan.build(service)
        asyncio.run(service.run())


@adapters_app.command("list")
def list_kinds() -> None:
    """The installed adapter kinds and whether each has a source and a sink."""
    for name, kind in sorted(adapter_kinds().items()):
        roles = "/".join(r for r in ("source", "sink") if getattr(kind, r) is not None)
        typer.echo(f"{name:<14} {roles:<12} {kind.summary}")


@adapters_app.command("docs")
def docs(
    out: Annotated[Path | None, typer.Argument(help="Markdown file; stdout without it.")] = None,
) -> None:
    """Write the adapter reference, generated from the config models."""
    text = reference(adapter_kinds())
    if out is None:
        typer.echo(text, nl=False)
    else:
        out.write_text(text)
        typer.echo(f"wrote {out}")
