"""Configuration of the ``soap`` adapter kind: one SOAP operation of one WSDL service.

A source polls the operation with a cursor (``since``) taken from its stored offset; a sink calls
it once per event with arguments taken from the event. The same model configures both; give the
``source`` or the ``sink`` section for the role the adapter plays.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

Scalar = str | int | float | bool


class SoapSourceConfig(BaseModel):
    """How a source polls the operation and finds records in its reply."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id_field: str = Field(description="Record field naming the record, e.g. sequence or case id.")
    cursor_field: str | None = Field(
        None,
        description="Record field whose value, increasing, is the cursor passed as "
        "cursor_argument on the next call; defaults to id_field.",
    )
    cursor_argument: str = Field(
        "since", description="Operation argument that receives the cursor (the stored offset)."
    )
    initial_cursor: str | int | None = Field(
        None, description="Cursor of the first call ever; none sends no cursor argument."
    )
    result_path: str = Field(
        "",
        description="Dotted path in the reply to the list of records; empty when the reply "
        "is the list itself (zeep unwraps a reply with one repeated element).",
    )
    arguments: dict[str, Scalar] = Field(
        default_factory=dict, description="Constant arguments sent with every call."
    )
    limit_argument: str | None = Field(
        None, description="Operation argument that receives batch_size, if the service has one."
    )
    batch_size: int = Field(100, ge=1, le=10_000, description="Records asked for per call.")
    min_interval_s: float = Field(
        0.0,
        ge=0,
        le=3600,
        description="Least time between two calls, to spare a slow legacy service.",
    )

    @property
    def cursor(self) -> str:
        return self.cursor_field or self.id_field


class SoapSinkConfig(BaseModel):
    """How a sink builds the operation's arguments from an event."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    arguments: dict[str, str] = Field(
        description="Operation argument to a dotted path in the event data, e.g. "
        '{"nino" = "deceased.nino"}; an absent or null value leaves the argument out.'
    )
    constants: dict[str, Scalar] = Field(
        default_factory=dict, description="Arguments with a fixed value."
    )
    reference_argument: str | None = Field(
        "reference",
        description="Argument that receives the event id (ce_id), so the service can "
        "recognise a repeated delivery; none if the service has no such argument.",
    )
    duplicate_faults: tuple[str, ...] = Field(
        (),
        description="Fault codes (local part, e.g. Client.DuplicateReference) that mean the "
        "request was already carried out; such a fault counts as delivered.",
    )


class SoapConfig(BaseModel):
    """A SOAP 1.1 service described by a WSDL, and the operation the adapter calls."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    wsdl: str = Field(
        description="URL (http or https) or file path of the WSDL; it must be self-contained: "
        "imports of other documents are refused."
    )
    operation: str = Field(description="Operation to call, e.g. ListPaymentStops.")
    service: str | None = Field(None, description="WSDL service name; the first if none.")
    port: str | None = Field(None, description="WSDL port name; the first of the service if none.")
    address: str | None = Field(
        None, description="Endpoint URL overriding the WSDL's soap:address location."
    )
    timeout_s: float = Field(10.0, gt=0, le=600, description="Timeout of one HTTP request.")
    max_response_bytes: int = Field(
        1024 * 1024,
        ge=1024,
        le=256 * 1024 * 1024,
        description="Largest reply (and WSDL) read, after decompression; a larger one is "
        "refused unparsed.",
    )
    source: SoapSourceConfig | None = Field(None, description="Settings of a source adapter.")
    sink: SoapSinkConfig | None = Field(None, description="Settings of a sink adapter.")
