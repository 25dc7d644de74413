"""Connection options every Kafka client of govbus shares: address, identity, SASL and TLS.

Producers, consumers and admin clients are built with ``client_options(settings, bootstrap)``
so that one set of ``GOVBUS_KAFKA_*`` settings secures them all the same way. The settings were
validated when ``Settings`` was built; what is left to fail here is reading the TLS files.
"""

from __future__ import annotations

import asyncio
import ssl
from typing import Any

from aiokafka.conn import create_conn
from aiokafka.errors import KafkaError, SaslAuthenticationFailed
from aiokafka.helpers import create_ssl_context
from aiokafka.protocol.metadata import MetadataRequest

from bus.foundation.errors import InvalidSetting, KafkaUnavailable
from bus.foundation.settings import Settings


def client_options(settings: Settings, bootstrap: str) -> dict[str, Any]:
    """Keyword arguments common to ``AIOKafkaProducer``, ``AIOKafkaConsumer`` and the admin client.

    Always ``bootstrap_servers``, ``client_id`` and ``security_protocol``; with a SASL protocol
    also ``sasl_mechanism``, ``sasl_plain_username`` and ``sasl_plain_password`` (aiokafka uses
    these for SCRAM too); with a TLS protocol an ``ssl_context`` that verifies the brokers'
    certificates and host names. Raises ``InvalidSetting`` naming the ``GOVBUS_`` variable when
    a TLS file cannot be loaded, and ``ValueError`` when ``bootstrap`` is empty.
    """
    if not bootstrap.strip():
        raise ValueError("bootstrap must name at least one host:port")
    protocol = settings.kafka_security_protocol
    options: dict[str, Any] = {
        "bootstrap_servers": bootstrap,
        "client_id": settings.kafka_client_id,
        "security_protocol": protocol,
    }
    if protocol.startswith("SASL_"):
        # Settings validation guarantees all three are present with a SASL protocol.
        password = settings.kafka_sasl_password
        options["sasl_mechanism"] = settings.kafka_sasl_mechanism
        options["sasl_plain_username"] = settings.kafka_sasl_username
        options["sasl_plain_password"] = password.get_secret_value() if password else None
    if protocol.endswith("SSL"):
        options["ssl_context"] = ssl_context(settings)
    return options


def ssl_context(settings: Settings) -> ssl.SSLContext:
    """A client TLS context from the ``GOVBUS_KAFKA_SSL_*`` files (system CAs when unset)."""
    try:
        cafile = settings.kafka_ssl_cafile
        context: ssl.SSLContext = create_ssl_context(cafile=cafile)
    except (OSError, ssl.SSLError) as exc:
        raise InvalidSetting(
            f"GOVBUS_KAFKA_SSL_CAFILE={cafile}: not a PEM file of certificates: {_reason(exc)}",
            variable="GOVBUS_KAFKA_SSL_CAFILE",
        ) from exc
    certfile, keyfile = settings.kafka_ssl_certfile, settings.kafka_ssl_keyfile
    if certfile is not None:
        try:
            context.load_cert_chain(certfile=certfile, keyfile=keyfile)
        except (OSError, ssl.SSLError) as exc:
            variable = "GOVBUS_KAFKA_SSL_KEYFILE" if keyfile else "GOVBUS_KAFKA_SSL_CERTFILE"
            raise InvalidSetting(
                f"{variable}: cannot load the client certificate {certfile} with its key "
                f"{keyfile or certfile}: {_reason(exc)}",
                variable=variable,
            ) from exc
    return context


async def check_credentials(settings: Settings, bootstrap: str, *, timeout_s: float = 10.0) -> None:
    """Connect once to the first broker of ``bootstrap`` with ``settings``' security and ask
    it for metadata.

    aiokafka's clients only log a refused login and then report that they cannot bootstrap;
    this says why. Raises ``InvalidSetting`` naming the SASL variables when the broker refuses
    the user name or password (which it never shows), and ``KafkaUnavailable`` when the
    broker cannot be reached or the TLS handshake fails.
    """
    options = client_options(settings, bootstrap)
    host, _, port = bootstrap.split(",")[0].strip().rpartition(":")
    connection_options = {
        key: value for key, value in options.items() if key not in ("bootstrap_servers",)
    }
    try:
        connection = await create_conn(
            host, int(port), request_timeout_ms=int(timeout_s * 1000), **connection_options
        )
    except SaslAuthenticationFailed as exc:
        raise InvalidSetting(
            f"Kafka at {host}:{port} refused SASL user {settings.kafka_sasl_username!r} "
            f"({settings.kafka_sasl_mechanism}): wrong GOVBUS_KAFKA_SASL_USERNAME or "
            "GOVBUS_KAFKA_SASL_PASSWORD",
            variable="GOVBUS_KAFKA_SASL_PASSWORD",
        ) from exc
    except (KafkaError, OSError, ssl.SSLError, TimeoutError) as exc:
        raise KafkaUnavailable(
            f"Kafka at {host}:{port} cannot be reached with GOVBUS_KAFKA_SECURITY_PROTOCOL="
            f"{settings.kafka_security_protocol}: {_reason(exc) or type(exc).__name__}",
            bootstrap=bootstrap,
        ) from exc
    try:
        # Kafka answers ApiVersions before any login; a metadata request needs a session.
        await asyncio.wait_for(connection.send(MetadataRequest([])), timeout_s)
    except (KafkaError, OSError, TimeoutError) as exc:
        raise KafkaUnavailable(
            f"Kafka at {host}:{port} closed the connection of an unauthenticated client "
            f"(GOVBUS_KAFKA_SECURITY_PROTOCOL={settings.kafka_security_protocol}): "
            f"{_reason(exc) or type(exc).__name__}",
            bootstrap=bootstrap,
        ) from exc
    finally:
        connection.close()


def _reason(exc: BaseException) -> str:
    if isinstance(exc, ssl.SSLError) and exc.reason:
        return str(exc.reason)
    return str(exc)


def resolve_bootstrap(settings: Settings) -> str:
    """The cluster a govbus process talks to: ``GOVBUS_KAFKA_BOOTSTRAP``, else the running
    local cluster of ``govbus kafka up``; raises ``KafkaUnavailable`` saying how to get one."""
    if settings.kafka_bootstrap:
        return settings.kafka_bootstrap
    from bus.broker.local import LocalKafka  # the launcher is only needed without a bootstrap

    local = LocalKafka(settings).status()
    if local.running:
        return local.bootstrap
    raise KafkaUnavailable(
        "no Kafka to talk to: set GOVBUS_KAFKA_BOOTSTRAP or run `govbus kafka up`",
        bootstrap="",
    )
