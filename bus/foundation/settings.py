"""Process settings: one pydantic-settings model, read from ``GOVBUS_*`` environment variables.

Settings are validated once at start-up and passed down; nothing else reads the environment.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

SecurityProtocol = Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"]
SaslMechanism = Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"]


def _xdg(variable: str, fallback: str) -> Path:
    base = os.environ.get(variable)
    return Path(base) if base else Path.home() / fallback


class Settings(BaseSettings):
    """Settings of one govbus process (environment prefix ``GOVBUS_``)."""

    model_config = SettingsConfigDict(env_prefix="GOVBUS_", frozen=True, extra="ignore")

    kafka_bootstrap: str | None = Field(
        default=None,
        description="Bootstrap servers of an existing Kafka cluster (host:port, comma-separated). "
        "When set it always wins: `govbus kafka up` and the tests start no broker of their own.",
    )
    kafka_backend: Literal["auto", "docker", "jars"] = Field(
        default="auto",
        description="How `govbus kafka up` runs a local broker: `docker` (the official "
        "apache/kafka image), `jars` (Kafka's jars from Maven Central on the local java) "
        "or `auto` (docker when a Docker engine answers, otherwise jars).",
    )
    kafka_home: Path = Field(
        default_factory=lambda: _xdg("XDG_STATE_HOME", ".local/state") / "govbus" / "kafka",
        description="Directory of the local cluster's configuration, data, logs and process ids.",
    )
    cache_dir: Path = Field(
        default_factory=lambda: _xdg("XDG_CACHE_HOME", ".cache") / "govbus",
        description="Cache of downloaded artefacts, such as Kafka's jars resolved with Maven.",
    )
    kafka_heap: str = Field(
        default="512m",
        pattern=r"^[1-9][0-9]*[mMgG]$",
        description="Java heap of each local Kafka node (-Xms and -Xmx), e.g. 512m or 1g.",
    )
    kafka_image: str = Field(
        default="apache/kafka:4.1.1",
        description="Container image `govbus kafka up` runs when the Docker backend is used.",
    )
    topic_prefix: str = Field(
        default="",
        pattern=r"^([a-zA-Z0-9_-]+\.)*$",
        description="Prefix of every topic this process uses (e.g. `staging.`), so several "
        "environments can share one Kafka cluster.",
    )
    create_topics: bool = Field(
        default=True,
        description="Whether `govbus run`, `Service.run()` and a FastStream `Govbus` create the "
        "topics they need (and "
        "raise partitions and retention to what the contracts ask) before consuming. Set it to "
        "false where topics are provisioned separately (`govbus topics apply`); missing topics "
        "are then named in the log and on /readyz.",
    )
    topic_replication_factor: int | None = Field(
        default=None,
        ge=1,
        le=32,
        description="Replication factor of the topics govbus creates; unset follows the cluster: "
        "the number of brokers, at most 3.",
    )
    topic_min_insync_replicas: int | None = Field(
        default=None,
        ge=1,
        le=32,
        description="`min.insync.replicas` of the topics govbus creates or aligns; unset is one "
        "less than the replication factor (1 with a single replica).",
    )
    dead_letter_retention_days: int = Field(
        default=28,
        ge=1,
        le=3650,
        description="How long dead-letter topics keep their records, in days (at least as long "
        "as the event topic they belong to), so operators have time to inspect and replay them.",
    )
    health_host: str = Field(
        default="127.0.0.1",
        description="Address the process's /metrics, /healthz and /readyz server listens on.",
    )
    health_port: int = Field(
        default=9480,
        ge=0,
        le=65535,
        description="Port of the /metrics, /healthz and /readyz server (0 picks a free port).",
    )
    kafka_start_timeout_s: float = Field(
        default=120.0,
        gt=0,
        description="How long `govbus kafka up` waits for every broker to answer.",
    )
    kafka_security_protocol: SecurityProtocol = Field(
        default="PLAINTEXT",
        description="How clients talk to Kafka: `PLAINTEXT`, `SSL` (TLS), `SASL_PLAINTEXT` "
        "(SASL without TLS, for test clusters only) or `SASL_SSL` (SASL over TLS).",
    )
    kafka_sasl_mechanism: SaslMechanism | None = Field(
        default=None,
        validate_default=True,
        description="SASL mechanism when the protocol is SASL_*: `PLAIN`, `SCRAM-SHA-256` or "
        "`SCRAM-SHA-512`. Required with SASL, refused without it.",
    )
    kafka_sasl_username: str | None = Field(
        default=None,
        validate_default=True,
        min_length=1,
        description="SASL user name. Required with SASL, refused without it.",
    )
    kafka_sasl_password_file: Path | None = Field(
        default=None,
        description="File holding the SASL password (its first line), instead of "
        "GOVBUS_KAFKA_SASL_PASSWORD; `govbus kafka up --secure` writes the admin's.",
    )
    kafka_sasl_password: SecretStr | None = Field(
        default=None,
        validate_default=True,
        min_length=1,
        description="SASL password (never printed). Required with SASL (or "
        "GOVBUS_KAFKA_SASL_PASSWORD_FILE), refused without it.",
    )
    kafka_ssl_cafile: Path | None = Field(
        default=None,
        description="PEM file of the certificate authorities that sign the brokers' certificates "
        "(SSL and SASL_SSL); unset means the system's trusted authorities.",
    )
    kafka_ssl_certfile: Path | None = Field(
        default=None,
        description="PEM file of this client's certificate, for brokers that require mutual TLS "
        "(SSL and SASL_SSL). It may also hold the private key.",
    )
    kafka_ssl_keyfile: Path | None = Field(
        default=None,
        description="PEM file of the private key of GOVBUS_KAFKA_SSL_CERTFILE, when the key is "
        "not in the certificate file.",
    )
    kafka_client_id: str = Field(
        default="govbus",
        pattern=r"^[A-Za-z0-9._-]{1,200}$",
        description="Client id sent to Kafka with every request: it names this process in the "
        "brokers' logs, metrics and quotas.",
    )
    federation: Path | None = Field(
        default=None,
        description="Folder of the federation directory: the organisations, who may publish "
        "each contract and the data-sharing agreements (`govbus federation validate DIR`).",
    )

    @field_validator("kafka_sasl_mechanism", "kafka_sasl_username", "kafka_sasl_password")
    @classmethod
    def _sasl_needs_protocol(cls, value: object, info: ValidationInfo) -> object:
        """SASL credentials go with a SASL_* protocol: all of them, and only with it."""
        protocol = info.data.get("kafka_security_protocol")
        if protocol is None:  # the protocol itself was invalid and is reported on its own
            return value
        variable = _variable(info.field_name)
        if info.field_name == "kafka_sasl_password":
            value = _password_from_file(value, info.data.get("kafka_sasl_password_file"))
        if protocol.startswith("SASL_") and value is None:
            raise ValueError(
                f"{variable} is required when GOVBUS_KAFKA_SECURITY_PROTOCOL is {protocol}"
            )
        if not protocol.startswith("SASL_") and value is not None:
            raise ValueError(
                f"{variable} is set but GOVBUS_KAFKA_SECURITY_PROTOCOL is {protocol}; "
                "use SASL_SSL (or SASL_PLAINTEXT) for SASL authentication"
            )
        return value

    @field_validator("topic_min_insync_replicas")
    @classmethod
    def _min_isr_within_replicas(cls, value: int | None, info: ValidationInfo) -> int | None:
        """More in-sync replicas than replicas would make every write fail."""
        replicas = info.data.get("topic_replication_factor")
        if value is not None and replicas is not None and value > replicas:
            raise ValueError(
                f"GOVBUS_TOPIC_MIN_INSYNC_REPLICAS={value} exceeds "
                f"GOVBUS_TOPIC_REPLICATION_FACTOR={replicas}; no write could ever succeed"
            )
        return value

    @field_validator("kafka_ssl_cafile", "kafka_ssl_certfile", "kafka_ssl_keyfile")
    @classmethod
    def _ssl_file_exists(cls, value: Path | None, info: ValidationInfo) -> Path | None:
        """A TLS file is an existing file, given only with a protocol that uses TLS."""
        if value is None:
            return value
        variable = _variable(info.field_name)
        protocol = info.data.get("kafka_security_protocol")
        if protocol is not None and not protocol.endswith("SSL"):
            raise ValueError(
                f"{variable} is set but GOVBUS_KAFKA_SECURITY_PROTOCOL is {protocol}; "
                "use SSL or SASL_SSL for TLS"
            )
        if not value.is_file():
            raise ValueError(f"{variable} names {value}, which is not an existing file")
        certfile_missing = info.data.get("kafka_ssl_certfile", "invalid") is None
        if info.field_name == "kafka_ssl_keyfile" and certfile_missing:
            raise ValueError(f"{variable} is set without GOVBUS_KAFKA_SSL_CERTFILE")
        return value

    @field_validator("federation")
    @classmethod
    def _federation_is_a_folder(cls, value: Path | None) -> Path | None:
        """The federation directory exists; its content is checked when it is loaded."""
        if value is not None and not value.is_dir():
            raise ValueError(f"GOVBUS_FEDERATION names {value}, which is not a folder")
        return value


def _password_from_file(value: object, path: Path | None) -> object:
    """The password read from GOVBUS_KAFKA_SASL_PASSWORD_FILE, which excludes the variable."""
    if path is None:
        return value
    if value is not None:
        raise ValueError(
            "GOVBUS_KAFKA_SASL_PASSWORD and GOVBUS_KAFKA_SASL_PASSWORD_FILE are both set; "
            "give the password one way"
        )
    try:
        with path.open(encoding="utf-8") as file:
            first = file.readline(4097).rstrip("\r\n")
    except (OSError, UnicodeDecodeError) as exc:
        raise ValueError(
            f"GOVBUS_KAFKA_SASL_PASSWORD_FILE names {path}, which cannot be read: {exc}"
        ) from exc
    if not first or len(first) > 4096:
        raise ValueError(
            f"GOVBUS_KAFKA_SASL_PASSWORD_FILE names {path}, whose first line is not a password "
            "of 1 to 4096 characters"
        )
    return SecretStr(first)


def _variable(field_name: str | None) -> str:
    return f"GOVBUS_{(field_name or '').upper()}"
