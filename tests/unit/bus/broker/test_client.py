"""Kafka security settings: validated at start-up, then mapped onto aiokafka's client options."""

from __future__ import annotations

import ssl
import subprocess
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from bus.broker.client import client_options
from bus.foundation.errors import ConfigError, InvalidSetting
from bus.foundation.settings import Settings

SASL: dict[str, Any] = {
    "kafka_security_protocol": "SASL_PLAINTEXT",
    "kafka_sasl_mechanism": "SCRAM-SHA-512",
    "kafka_sasl_username": "pensions",
    "kafka_sasl_password": "correct horse battery staple",
}


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A self-signed certificate and its key as PEM files, plus both in one file."""
    directory = tmp_path_factory.mktemp("pki")
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
         "-nodes", "-keyout", str(key), "-out", str(cert), "-days", "2",
         "-subj", "/CN=govbus-test-ca"],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    combined = directory / "combined.pem"
    combined.write_text(cert.read_text() + key.read_text())
    return {"cert": cert, "key": key, "combined": combined}


def _error(**fields: Any) -> tuple[tuple[str | int, ...], str]:
    with pytest.raises(ValidationError) as raised:
        Settings(**fields)
    first = raised.value.errors()[0]
    return first["loc"], first["msg"]


def test_plaintext_options_carry_address_client_id_and_protocol_only() -> None:
    """By default clients connect in plain text as client id `govbus`, with no SASL or TLS."""
    options = client_options(Settings(), "127.0.0.1:9092")
    assert options == {
        "bootstrap_servers": "127.0.0.1:9092",
        "client_id": "govbus",
        "security_protocol": "PLAINTEXT",
    }


def test_sasl_options_pass_mechanism_and_credentials_to_aiokafka() -> None:
    """SASL settings become aiokafka's sasl_* options, the password revealed only there."""
    settings = Settings(**SASL, kafka_client_id="pensions-sink")
    options = client_options(settings, "kafka-1:9093,kafka-2:9093")
    assert options == {
        "bootstrap_servers": "kafka-1:9093,kafka-2:9093",
        "client_id": "pensions-sink",
        "security_protocol": "SASL_PLAINTEXT",
        "sasl_mechanism": "SCRAM-SHA-512",
        "sasl_plain_username": "pensions",
        "sasl_plain_password": "correct horse battery staple",
    }
    assert "correct horse" not in repr(settings)
    assert "correct horse" not in str(settings.model_dump())


def test_sasl_settings_are_read_from_govbus_environment_variables(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Operators configure SASL with GOVBUS_KAFKA_* variables."""
    for field, value in SASL.items():
        monkeypatch.setenv(f"GOVBUS_{field.upper()}", value)
    options = client_options(Settings(), "kafka:9093")
    assert options["sasl_mechanism"] == "SCRAM-SHA-512"
    assert options["sasl_plain_password"] == SASL["kafka_sasl_password"]


def test_sasl_ssl_options_carry_a_verifying_context_with_the_given_ca(
    pki: dict[str, Path],
) -> None:
    """SASL_SSL gets both SASL options and a TLS context trusting the CA file, checking names."""
    settings = Settings(
        **{**SASL, "kafka_security_protocol": "SASL_SSL"}, kafka_ssl_cafile=pki["cert"]
    )
    options = client_options(settings, "kafka:9093")
    context = options["ssl_context"]
    assert isinstance(context, ssl.SSLContext)
    assert context.verify_mode == ssl.CERT_REQUIRED
    assert context.check_hostname
    subjects = [str(ca["subject"]) for ca in context.get_ca_certs()]
    assert any("govbus-test-ca" in subject for subject in subjects)
    assert options["sasl_mechanism"] == "SCRAM-SHA-512"


@pytest.mark.parametrize(
    "files",
    [{"certfile": "cert", "keyfile": "key"}, {"certfile": "combined"}],
    ids=["separate-key", "key-in-certificate-file"],
)
def test_ssl_loads_a_client_certificate_for_mutual_tls(
    pki: dict[str, Path], files: dict[str, str]
) -> None:
    """A client certificate loads with its key given separately or inside the same file."""
    settings = Settings(
        kafka_security_protocol="SSL",
        **{f"kafka_ssl_{kind}": pki[name] for kind, name in files.items()},  # type: ignore[arg-type]
    )
    options = client_options(settings, "kafka:9093")
    assert isinstance(options["ssl_context"], ssl.SSLContext)
    assert "sasl_mechanism" not in options


@pytest.mark.parametrize("protocol", ["SASL_PLAINTEXT", "SASL_SSL"])
@pytest.mark.parametrize(
    "missing", ["kafka_sasl_mechanism", "kafka_sasl_username", "kafka_sasl_password"]
)
def test_a_sasl_protocol_without_mechanism_username_or_password_fails(
    protocol: str, missing: str
) -> None:
    """Each missing SASL setting is reported on its own GOVBUS_ variable."""
    fields = {**SASL, "kafka_security_protocol": protocol}
    del fields[missing]
    loc, message = _error(**fields)
    assert loc == (missing,)
    assert f"GOVBUS_{missing.upper()} is required" in message
    assert protocol in message


@pytest.mark.parametrize("given", ["kafka_sasl_mechanism", "kafka_sasl_username"])
def test_sasl_credentials_without_a_sasl_protocol_are_refused(given: str) -> None:
    """Credentials with PLAINTEXT would silently connect unauthenticated, so they fail."""
    loc, message = _error(**{given: SASL[given]})
    assert loc == (given,)
    assert "GOVBUS_KAFKA_SECURITY_PROTOCOL is PLAINTEXT" in message


@pytest.mark.parametrize("field", ["kafka_ssl_cafile", "kafka_ssl_certfile"])
def test_a_tls_file_that_does_not_exist_fails_naming_variable_and_path(
    tmp_path: Path, field: str
) -> None:
    """A missing certificate file is a start-up error, not a failure at first connection."""
    missing = tmp_path / "nowhere" / "ca.pem"
    loc, message = _error(kafka_security_protocol="SSL", **{field: missing})
    assert loc == (field,)
    assert f"GOVBUS_{field.upper()}" in message
    assert str(missing) in message


def test_a_directory_is_not_a_tls_file(tmp_path: Path) -> None:
    """A path naming a directory is refused like a missing file."""
    loc, _ = _error(kafka_security_protocol="SSL", kafka_ssl_cafile=tmp_path)
    assert loc == ("kafka_ssl_cafile",)


def test_tls_files_without_a_tls_protocol_are_refused(pki: dict[str, Path]) -> None:
    """A CA file with SASL_PLAINTEXT means TLS was intended: it fails instead of being ignored."""
    loc, message = _error(**SASL, kafka_ssl_cafile=pki["cert"])
    assert loc == ("kafka_ssl_cafile",)
    assert "use SSL or SASL_SSL" in message


def test_a_key_file_without_a_certificate_file_is_refused(pki: dict[str, Path]) -> None:
    """A private key alone cannot authenticate the client."""
    loc, message = _error(kafka_security_protocol="SSL", kafka_ssl_keyfile=pki["key"])
    assert loc == ("kafka_ssl_keyfile",)
    assert "without GOVBUS_KAFKA_SSL_CERTFILE" in message


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("kafka_security_protocol", "TLS"),
        ("kafka_security_protocol", "plaintext"),
        ("kafka_sasl_mechanism", "GSSAPI"),
        ("kafka_client_id", ""),
        ("kafka_client_id", "govbus\nforged-log-line"),
        ("kafka_client_id", "x" * 201),
    ],
)
def test_unknown_protocols_mechanisms_and_bad_client_ids_fail(field: str, value: str) -> None:
    """Values outside the supported sets fail on their own field."""
    loc, _ = _error(**{field: value})
    assert loc == (field,)


def test_an_empty_sasl_password_fails() -> None:
    """An empty password is a mistake in the environment, not a credential."""
    loc, _ = _error(**{**SASL, "kafka_sasl_password": ""})
    assert loc == ("kafka_sasl_password",)


def test_a_ca_file_that_is_not_pem_is_an_invalid_setting(tmp_path: Path) -> None:
    """A CA file that exists but holds no certificate fails when the options are built."""
    garbage = tmp_path / "ca.pem"
    garbage.write_text("not a certificate\n")
    settings = Settings(kafka_security_protocol="SSL", kafka_ssl_cafile=garbage)
    with pytest.raises(InvalidSetting, match="GOVBUS_KAFKA_SSL_CAFILE") as raised:
        client_options(settings, "kafka:9093")
    assert raised.value.variable == "GOVBUS_KAFKA_SSL_CAFILE"
    assert isinstance(raised.value, ConfigError)


def test_a_key_that_does_not_match_the_certificate_is_an_invalid_setting(
    pki: dict[str, Path], tmp_path: Path
) -> None:
    """A client certificate with the wrong key names GOVBUS_KAFKA_SSL_KEYFILE."""
    wrong = tmp_path / "other-key.pem"
    subprocess.run(
        ["openssl", "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:prime256v1",
         "-out", str(wrong)],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    settings = Settings(
        kafka_security_protocol="SSL", kafka_ssl_certfile=pki["cert"], kafka_ssl_keyfile=wrong
    )
    with pytest.raises(InvalidSetting) as raised:
        client_options(settings, "kafka:9093")
    assert raised.value.variable == "GOVBUS_KAFKA_SSL_KEYFILE"


@pytest.mark.parametrize("bootstrap", ["", "  "])
def test_an_empty_bootstrap_is_refused(bootstrap: str) -> None:
    """Clients need at least one address to start from."""
    with pytest.raises(ValueError, match="bootstrap"):
        client_options(Settings(), bootstrap)
