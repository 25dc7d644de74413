"""The ``soap`` adapter kind: SOAP 1.1 services described by a WSDL, called with zeep.

A source polls an operation with a cursor; a sink calls an operation per event, idempotent by
the event id passed as a reference. See ``config.py`` for the settings.
"""

from __future__ import annotations

from adapters.soap.config import SoapConfig, SoapSinkConfig, SoapSourceConfig
from adapters.soap.sink import SoapSink
from adapters.soap.source import SoapSource
from bus.adapter_runtime.plugins import AdapterKind, SinkContext, SourceContext


def _source(config: SoapConfig, context: SourceContext) -> SoapSource:
    return SoapSource(config, mapper=context.mapper)


def _sink(config: SoapConfig, context: SinkContext) -> SoapSink:
    return SoapSink(config, contract=context.contract)


KIND = AdapterKind(
    name="soap",
    summary="SOAP 1.1 services (WSDL): poll an operation as a source, call one per event.",
    config=SoapConfig,
    source=_source,
    sink=_sink,
)

__all__ = ["KIND", "SoapConfig", "SoapSink", "SoapSinkConfig", "SoapSource", "SoapSourceConfig"]
