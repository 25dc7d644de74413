"""Process settings: one pydantic-settings model, read from ``GOVBUS_*`` environment variables.

Settings are validated once at start-up and passed down; nothing else reads the environment.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


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
    kafka_start_timeout_s: float = Field(
        default=120.0,
        gt=0,
        description="How long `govbus kafka up` waits for every broker to answer.",
    )
