"""Configuration of the ``rest`` kind: one HTTP API, polled as a source or called as a sink.

The connection settings (base URL, authentication, timeouts, size limit) are shared; the
``poll`` section makes the adapter a source, the ``call`` section a sink. Secrets are
``SecretStr`` config values, given in a deployment file by reference (``${file:/run/secrets/x}``
or ``${env:NAME}``) and resolved by the deployment loader, so nothing here reads the environment.
"""

from __future__ import annotations

from typing import Literal

from pydantic import AnyHttpUrl, BaseModel, ConfigDict, Field, SecretStr, model_validator

Method = Literal["POST", "PUT", "PATCH", "DELETE"]


class RestPoll(BaseModel):
    """How the source polls one collection of the API for new records."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    path: str = Field(description='Path of the collection under the base URL, e.g. "/changes".')
    params: dict[str, str] = Field(
        default_factory=dict, description="Fixed query parameters sent on every request."
    )
    records_path: str = Field(
        "",
        description='Dotted path to the list of records in the JSON body, e.g. "changes"; '
        "empty when the body is the list itself.",
    )
    id_field: str = Field(description="Record field that identifies it in the legacy system.")
    cursor_field: str = Field(
        description="Record field that orders the feed (a change number or timestamp); the "
        "last one published is the stored offset."
    )
    since_param: str = Field(
        "since", description="Query parameter carrying the stored cursor to the API."
    )
    pagination: Literal["none", "link", "cursor", "page"] = Field(
        "link",
        description='How to reach the next page: "link" follows a Link rel="next" header, '
        '"cursor" sends the body\'s next-cursor field as the since parameter, "page" counts '
        '"page" numbers from 1 until an empty page, "none" reads one page per poll.',
    )
    next_cursor_path: str = Field(
        "next_cursor", description='Dotted path of the next cursor (pagination "cursor").'
    )
    page_param: str = Field("page", description='Page number parameter (pagination "page").')
    max_pages: int = Field(
        100, ge=1, description="Pages followed in one poll at most, also against loops."
    )

    @model_validator(mode="after")
    def _path(self) -> RestPoll:
        if not self.path.startswith("/"):
            raise ValueError(f"path {self.path!r} must start with /")
        return self


class RestCall(BaseModel):
    """How the sink turns one event into one HTTP request."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    method: Method = Field("PUT", description="HTTP method of the request.")
    path: str = Field(
        description="Path template under the base URL; {field.path} takes an event field, "
        'percent-encoded, e.g. "/accounts/{account_reference}/closure".'
    )
    body: dict[str, str] | None = Field(
        None,
        description="JSON body: body field (dotted path) to event field (dotted path); "
        "absent sends the whole event data.",
    )
    constants: dict[str, str | int | float | bool] = Field(
        default_factory=dict,
        description='Fixed JSON body fields (dotted path) the API needs, e.g. {reason = "death"}.',
    )
    done_statuses: tuple[int, ...] = Field(
        (),
        description="Non-2xx statuses that mean the change is already made (e.g. 409 for an "
        "API that answers so to a repeat); they count as delivered.",
    )

    @model_validator(mode="after")
    def _path(self) -> RestCall:
        if not self.path.startswith("/"):
            raise ValueError(f"path {self.path!r} must start with /")
        if any(not 400 <= status <= 499 for status in self.done_statuses):
            raise ValueError("done_statuses must be 4xx statuses")
        return self


class RestConfig(BaseModel):
    """One HTTP API: polled for records (``poll``) and/or called with events (``call``)."""

    # The input holds the secret: validation errors must not repeat it.
    model_config = ConfigDict(frozen=True, extra="forbid", hide_input_in_errors=True)

    base_url: AnyHttpUrl = Field(description='Base URL of the API, e.g. "https://ct.example".')
    auth_header: str = Field(
        "Authorization", description="Header that carries the secret, if one is given."
    )
    auth_scheme: str = Field(
        "Bearer", description='Text before the secret in that header ("" for a bare API key).'
    )
    secret: SecretStr | None = Field(None, description="Token or API key; never logged.")
    headers: dict[str, str] = Field(
        default_factory=dict, description="Other headers sent on every request."
    )
    timeout_s: float = Field(10.0, gt=0, description="Connect, read and write timeout.")
    max_response_bytes: int = Field(
        5_000_000, ge=1024, description="Largest response body read; a larger one is rejected."
    )
    poll: RestPoll | None = Field(None, description="Polling settings; makes this a source.")
    call: RestCall | None = Field(None, description="Request settings; makes this a sink.")

    @model_validator(mode="after")
    def _role(self) -> RestConfig:
        if self.poll is None and self.call is None:
            raise ValueError("give a poll section (source), a call section (sink), or both")
        return self

    @property
    def root(self) -> str:
        """The base URL without a trailing slash, to which paths are appended."""
        return str(self.base_url).rstrip("/")

    def request_headers(self) -> dict[str, str]:
        """Headers for every request, with the secret if one is configured."""
        headers = {"Accept": "application/json", **self.headers}
        if self.secret is not None:
            value = self.secret.get_secret_value()
            headers[self.auth_header] = f"{self.auth_scheme} {value}".strip()
        return headers
