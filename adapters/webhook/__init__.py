"""The ``webhook`` adapter kind: a signed HTTP endpoint that legacy systems push JSON to."""

from __future__ import annotations

from adapters.webhook.config import WebhookConfig
from adapters.webhook.signature import sign
from adapters.webhook.source import WebhookSource
from bus.adapter_runtime.plugins import AdapterKind, SourceContext


def _source(config: WebhookConfig, context: SourceContext) -> WebhookSource:
    return WebhookSource(config, context.mapper)


KIND = AdapterKind(
    name="webhook",
    summary="Receives signed JSON webhooks; answers 202 once Kafka has the event.",
    config=WebhookConfig,
    source=_source,
)

__all__ = ["KIND", "WebhookConfig", "WebhookSource", "sign"]
