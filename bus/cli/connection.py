"""How the Kafka verbs of `govbus` find a cluster and run their client, failing on one line."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from typing import Any, TypeVar

import typer
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.errors import KafkaError

from bus.broker import client as kafka_client
from bus.broker.topics import topic_partitions
from bus.cli.output import fail_on_govbus_error
from bus.foundation.settings import Settings

T = TypeVar("T")

# Long enough for a topic to be created and a leader elected on a local cluster, short enough
# that a broker which accepts connections but never answers does not hang a command.
DEFAULT_DEADLINE_S = 60.0


def resolve_bootstrap(settings: Settings) -> str:
    """``GOVBUS_KAFKA_BOOTSTRAP``, else the running local cluster's address; else exit 1."""
    with fail_on_govbus_error():
        return kafka_client.resolve_bootstrap(settings)


def run_client(work: Coroutine[Any, Any, T], *, bootstrap: str) -> T:
    """Run ``work`` to completion; a Kafka or govbus error becomes one line and exit status 1.

    The Kafka client's own log lines (its retries while a broker is unreachable) are silenced,
    because the command reports the outcome itself.
    """
    logging.getLogger("aiokafka").setLevel(logging.CRITICAL)
    with fail_on_govbus_error():
        try:
            return asyncio.run(work)
        except KafkaError as exc:
            typer.echo(f"govbus: Kafka at {bootstrap}: {exc or type(exc).__name__}", err=True)
            raise typer.Exit(1) from exc
        except TimeoutError as exc:
            typer.echo(f"govbus: Kafka at {bootstrap} did not answer in time", err=True)
            raise typer.Exit(1) from exc
        except KeyboardInterrupt:
            raise typer.Exit(130) from None


async def assign_all(
    consumer: AIOKafkaConsumer, bootstrap: str, topic: str
) -> list[TopicPartition] | None:
    """Assign every partition of ``topic`` to a group-less consumer; ``None`` if no such topic."""
    assigned = await topic_partitions(bootstrap, topic)
    if assigned is not None:
        consumer.assign(assigned)
    return assigned


def group_less_consumer(bootstrap: str) -> AIOKafkaConsumer:
    """A consumer outside any consumer group: it commits nothing and disturbs no subscriber."""
    return AIOKafkaConsumer(
        bootstrap_servers=bootstrap,
        group_id=None,
        enable_auto_commit=False,
        request_timeout_ms=30_000,
    )
