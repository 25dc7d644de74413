"""`govbus publish TYPE --data JSON|@FILE`: validate one event against its contract and publish it.

The data is checked strictly, as a producer's is (unknown fields are errors), before anything
connects to Kafka. Problems print one line each on standard error and exit with status 1; the
event id alone is printed on standard output once Kafka acknowledged the event (acks=all).
"""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path
from typing import Annotated

import orjson
import typer
from pydantic import ValidationError

from bus.cli.connection import DEFAULT_DEADLINE_S, resolve_bootstrap, run_client
from bus.cli.output import load_settings
from bus.messaging.codec import Codec
from bus.messaging.publisher import Publisher
from contracts import ContractError, Event, default_registry
from contracts.base import describe_errors

MAX_DATA_BYTES = 1024 * 1024
DEFAULT_SOURCE = "urn:govbus:cli"


def _fail(message: str) -> typer.Exit:
    typer.echo(f"govbus: {message}", err=True)
    return typer.Exit(1)


def read_data(argument: str) -> bytes:
    """The bytes of ``--data``: the JSON itself, or the contents of ``@FILE`` (at most 1 MiB)."""
    if not argument.startswith("@"):
        raw = argument.encode("utf-8", "surrogateescape")
    else:
        path = Path(argument[1:])
        try:
            with path.open("rb") as file:
                raw = file.read(MAX_DATA_BYTES + 1)
        except OSError as exc:
            raise _fail(f"--data: cannot read {str(path)!r}: {exc.strerror or exc}") from None
    if len(raw) > MAX_DATA_BYTES:
        raise _fail(f"--data is larger than {MAX_DATA_BYTES} bytes (1 MiB)")
    return raw


def parse_data(raw: bytes) -> dict[str, object]:
    """The JSON object in ``raw``; exits with one line if it is not UTF-8 JSON or not an object."""
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _fail(f"--data is not UTF-8 (invalid byte at position {exc.start})") from None
    try:
        document = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise _fail(f"--data is not valid JSON: {exc}") from None
    if not isinstance(document, dict):
        raise _fail(f"--data must be a JSON object, not {type(document).__name__}")
    return document


def contract_for(cloudevents_type: str) -> type[Event]:
    """The contract model of a CloudEvents type, or exit with a hint at the known types."""
    try:
        return default_registry.by_cloudevents_type(cloudevents_type)
    except ContractError:
        pass
    versions = [
        model.contract.cloudevents_type
        for model in default_registry
        if model.contract.event_type == cloudevents_type
    ]
    hint = (
        f"; did you mean {' or '.join(versions)}?"
        if versions
        else "; `govbus contracts list` shows the known types"
    )
    raise _fail(f"unknown event type {cloudevents_type[:200]!r}{hint}")


def validate(model: type[Event], raw: bytes) -> Event:
    """``raw`` as an instance of ``model``, validated as strictly as a producer's data is."""
    try:
        return model.model_validate_json(raw)
    except ValidationError as exc:
        name = model.contract.cloudevents_type
        for problem in describe_errors(exc):
            typer.echo(f"govbus: {name}: {problem}", err=True)
        raise typer.Exit(1) from None


async def _publish(
    event: Event,
    *,
    bootstrap: str,
    codec: Codec,
    key: str,
    event_id: str,
    subject: str | None,
) -> str:
    publisher = Publisher(bootstrap=bootstrap, codec=codec, name="govbus-cli")
    try:
        async with asyncio.timeout(DEFAULT_DEADLINE_S):
            # Not `async with`: a publisher whose start fails must still be closed.
            await publisher.start()
            return await publisher.publish(event, key=key, subject=subject, event_id=event_id)
    finally:
        await publisher.close()


def publish(
    cloudevents_type: Annotated[
        str,
        typer.Argument(
            metavar="TYPE",
            help="CloudEvents type, e.g. uk.gov.gro.death-registered.v1 (see `contracts list`).",
        ),
    ],
    data: Annotated[
        str,
        typer.Option("--data", help="The event's JSON data, or @FILE to read it from a file."),
    ],
    key: Annotated[
        str | None, typer.Option("--key", help="Partition key (default: the event id).")
    ] = None,
    subject: Annotated[str | None, typer.Option("--subject", help="CloudEvents subject.")] = None,
    source: Annotated[
        str, typer.Option("--source", help="CloudEvents source URI of this publisher.")
    ] = DEFAULT_SOURCE,
    event_id: Annotated[
        str | None, typer.Option("--id", help="Event id (default: a new random UUID).")
    ] = None,
    topic_prefix: Annotated[
        str, typer.Option("--topic-prefix", help="Prefix of the deployment's topics.")
    ] = "",
) -> None:
    """Validate one event against its contract and publish it; print its id."""
    model = contract_for(cloudevents_type)
    raw = read_data(data)
    parse_data(raw)
    event = validate(model, raw)
    for option, value in (("--source", source), ("--id", event_id), ("--key", key)):
        if value is not None and (not value.strip() or len(value) > 1000):
            raise _fail(f"{option} must be 1 to 1000 characters, not only spaces")
    event_id = event_id or str(uuid.uuid4())
    bootstrap = resolve_bootstrap(load_settings())
    codec = Codec(source=source, topic_prefix=topic_prefix)
    published = run_client(
        _publish(
            event,
            bootstrap=bootstrap,
            codec=codec,
            key=key or event_id,
            event_id=event_id,
            subject=subject,
        ),
        bootstrap=bootstrap,
    )
    typer.echo(published)
