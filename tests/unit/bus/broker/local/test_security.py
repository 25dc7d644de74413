"""The secured cluster's material and configuration, and the settings and users that reach it."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from cryptography import x509
from pydantic import ValidationError

from bus.broker.local import security
from bus.broker.local.layout import plan
from bus.cli.kafka import organisation_passwords
from bus.federation.model import Federation
from bus.foundation.errors import ClusterStateError, ConfigError
from bus.foundation.settings import Settings

FEDERATION = Path(__file__).parents[5] / "examples" / "tell_us_once" / "federation"


def test_material_is_created_private_once_and_reused(tmp_path: Path) -> None:
    """The CA, node keys and password are 0600 and a second call returns the same password."""
    files = security.SecureFiles(tmp_path)
    specs = plan(3, tmp_path, (40001, 40011, 40021))
    password = security.ensure_material(files, specs)
    for private in (
        files.ca_key,
        files.admin_password,
        *(files.node_keystore(i) for i in (1, 2, 3)),
    ):
        assert stat.S_IMODE(private.stat().st_mode) == 0o600
    ca = files.ca_cert.read_bytes()
    assert security.ensure_material(files, specs) == password
    assert files.ca_cert.read_bytes() == ca


def test_a_node_certificate_names_127_0_0_1_and_localhost(tmp_path: Path) -> None:
    """Clients verify the broker's host name, so the certificate carries both loopback names."""
    files = security.SecureFiles(tmp_path)
    security.ensure_material(files, plan(1, tmp_path, (40001,)))
    cert = x509.load_pem_x509_certificate(files.node_keystore(1).read_bytes())
    names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert names.get_values_for_type(x509.DNSName) == ["localhost"]
    assert [str(ip) for ip in names.get_values_for_type(x509.IPAddress)] == ["127.0.0.1"]


def test_a_node_key_without_its_ca_is_refused(tmp_path: Path) -> None:
    """Half-written material is not silently replaced by a new CA the node key does not match."""
    files = security.SecureFiles(tmp_path)
    files.folder.mkdir()
    files.node_keystore(1).write_text("key")
    with pytest.raises(ClusterStateError, match="without their CA"):
        security.ensure_material(files, plan(1, tmp_path, (40001,)))


def test_no_listener_of_a_secured_node_is_plaintext(tmp_path: Path) -> None:
    """The client listener is SASL_SSL, the controller's SSL with client certificates required."""
    (spec,) = plan(1, tmp_path, (40001,))
    config = security.server_overrides(spec, security.SecureFiles(tmp_path), "pw")
    assert config["listener.security.protocol.map"] == "CONTROLLER:SSL,SASL_SSL:SASL_SSL"
    assert "PLAINTEXT" not in config["listeners"]
    assert config["listener.name.controller.ssl.client.auth"] == "required"
    assert config["allow.everyone.if.no.acl.found"] == "false"


def test_admin_env_names_the_password_file_not_the_password(tmp_path: Path) -> None:
    """admin.env loads as Settings that read the password from its 0600 file."""
    files = security.SecureFiles(tmp_path)
    password = security.ensure_material(files, plan(1, tmp_path, (40001,)))
    security.write_admin_env(files, "127.0.0.1:40001")
    assert password not in files.admin_env.read_text()
    admin = security.admin_settings(files)
    assert admin.kafka_sasl_password is not None
    assert admin.kafka_sasl_password.get_secret_value() == password


def test_a_password_file_and_a_password_together_are_refused(tmp_path: Path) -> None:
    """Two sources for one password would leave it unclear which one is used."""
    secret = tmp_path / "pw"
    secret.write_text("from-file\n")
    with pytest.raises(ValidationError, match="both set"):
        Settings(
            kafka_security_protocol="SASL_SSL", kafka_sasl_mechanism="SCRAM-SHA-512",
            kafka_sasl_username="u", kafka_sasl_password="direct",  # noqa: S106 - a test value
            kafka_sasl_password_file=secret,
        )  # fmt: skip


@pytest.mark.parametrize("content", [b"", b"\n", b"x" * 5000, b"\xff\xfe"])
def test_an_empty_oversized_or_binary_password_file_is_refused(
    tmp_path: Path, content: bytes
) -> None:
    """The file must hold a password of 1 to 4096 characters on its first line."""
    secret = tmp_path / "pw"
    secret.write_bytes(content)
    with pytest.raises(ValidationError, match="GOVBUS_KAFKA_SASL_PASSWORD_FILE"):
        Settings(
            kafka_security_protocol="SASL_SSL", kafka_sasl_mechanism="SCRAM-SHA-512",
            kafka_sasl_username="u", kafka_sasl_password_file=secret,
        )  # fmt: skip


def test_organisation_passwords_come_from_env_then_secret_files(tmp_path: Path) -> None:
    """The environment wins over a secret file, and each user is the principal's name."""
    members = Federation.load(FEDERATION)
    for organisation in members.organisations:
        (tmp_path / f"{organisation.code}.password").write_text(f"file-{organisation.code}\n")
    users = organisation_passwords(members, tmp_path, {"GOVBUS_SCRAM_PASSWORD_DWP": "env-dwp"})
    assert users["dwp"] == "env-dwp"
    assert users["gro"] == "file-gro"
    assert len(users) == len(members.organisations)


def test_a_missing_organisation_password_is_named_without_printing_others() -> None:
    """The error names each organisation without a password and none of the passwords given."""
    members = Federation.load(FEDERATION)
    with pytest.raises(ConfigError, match="GOVBUS_SCRAM_PASSWORD_GRO") as caught:
        organisation_passwords(members, None, {"GOVBUS_SCRAM_PASSWORD_DWP": "env-dwp"})
    assert "env-dwp" not in str(caught.value)
