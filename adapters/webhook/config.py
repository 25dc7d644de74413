"""Configuration of the ``webhook`` kind: an HTTP endpoint a legacy system POSTs JSON to."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, SecretStr, model_validator


class WebhookConfig(BaseModel):
    """Where the receiver listens and what a sender must prove."""

    # The input holds the secret: validation errors must not repeat it.
    model_config = ConfigDict(frozen=True, extra="forbid", hide_input_in_errors=True)

    host: str = Field(
        "127.0.0.1", description="Address to listen on; set it to reach senders off this host."
    )
    port: int = Field(8088, ge=0, le=65535, description="Port to listen on (0: any free port).")
    path: str = Field("/webhook", description="URL path senders POST to.")
    secret: SecretStr = Field(description="Shared secret of the HMAC-SHA256 signature.")
    signature_header: str = Field(
        "X-Govbus-Signature", description='Header with "sha256=<hex>" of the signed bytes.'
    )
    timestamp_header: str | None = Field(
        None,
        description="Header with the sending time in Unix seconds; when set it is required "
        'and signed ("<timestamp>.<body>"), and old or future times are refused.',
    )
    tolerance_s: int = Field(
        300, ge=1, description="How far the signed timestamp may be from now, in seconds."
    )
    delivery_id_header: str = Field(
        "X-Govbus-Delivery",
        description="Header with the sender's delivery id; a retried delivery keeps its event "
        "id. Without it the event id derives from a hash of the body.",
    )
    max_body_bytes: int = Field(
        1_000_000, ge=1, description="Largest body accepted; a larger one is answered 413."
    )
    response_timeout_s: float = Field(
        30.0,
        gt=0,
        description="How long a sender waits for Kafka to have its event before a 503.",
    )
    max_pending: int = Field(
        1000, ge=1, description="Deliveries waiting for Kafka at most; more are answered 503."
    )

    @model_validator(mode="after")
    def _path(self) -> WebhookConfig:
        if not self.path.startswith("/"):
            raise ValueError(f"path {self.path!r} must start with /")
        if len(self.secret.get_secret_value()) < 16:
            raise ValueError("secret must be at least 16 characters")
        return self
