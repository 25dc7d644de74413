"""The ``rest`` adapter kind: poll a JSON API for new records, or call it with events."""

from __future__ import annotations

from adapters.rest.config import RestCall, RestConfig, RestPoll
from adapters.rest.sink import RequestRefused, RestSink
from adapters.rest.source import RestSource
from bus.adapter_runtime.plugins import AdapterKind, SinkContext, SourceContext


def _source(config: RestConfig, context: SourceContext) -> RestSource:
    return RestSource(config, context.mapper)


def _sink(config: RestConfig, context: SinkContext) -> RestSink:
    return RestSink(config, context.contract)


KIND = AdapterKind(
    name="rest",
    summary="A JSON HTTP API: polled page by page as a source, called once per event as a sink.",
    config=RestConfig,
    source=_source,
    sink=_sink,
)

__all__ = ["KIND", "RequestRefused", "RestCall", "RestConfig", "RestPoll", "RestSink", "RestSource"]
