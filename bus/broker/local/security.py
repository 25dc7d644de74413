"""A secured local cluster (``govbus kafka up --secure``): its CA, certificates, admin and settings.

Clients reach the brokers only through a SASL_SSL listener with SCRAM-SHA-512. The KRaft
controller listener cannot use SCRAM (its credentials live in the metadata log the controllers
are still forming), so it is SSL with mutual TLS: only holders of a node certificate signed by
the cluster's own CA get in, as the super user ``User:CN=govbus-kafka-node``. Every node runs the
StandardAuthorizer with ``allow.everyone.if.no.acl.found=false``, and ``admin`` is a super user.

Everything is generated once under ``<home>/secure/`` (private keys and the admin password
0600) and reused by the next ``up``. ``<home>/admin.env`` holds the admin's ``GOVBUS_KAFKA_*``
settings, naming the password file rather than holding the password.
"""

from __future__ import annotations

import datetime
import ipaddress
import os
import secrets
import ssl
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from bus.broker.local.layout import HOST, NodeSpec
from bus.foundation.errors import ClusterStateError
from bus.foundation.settings import Settings

ADMIN_USER = "admin"
NODE_COMMON_NAME = "govbus-kafka-node"
NODE_PRINCIPAL = f"User:CN={NODE_COMMON_NAME}"
MECHANISM = "SCRAM-SHA-512"
CERT_DAYS = 825
AUTHORIZER = "org.apache.kafka.metadata.authorizer.StandardAuthorizer"
SCRAM_LOGIN = "org.apache.kafka.common.security.scram.ScramLoginModule"


@dataclass(frozen=True, slots=True)
class SecureFiles:
    """Where a secured cluster's CA, node keys, admin password and admin settings live."""

    home: Path

    @property
    def folder(self) -> Path:
        return self.home / "secure"

    @property
    def ca_cert(self) -> Path:
        return self.folder / "ca.pem"

    @property
    def ca_key(self) -> Path:
        return self.folder / "ca-key.pem"

    @property
    def admin_password(self) -> Path:
        return self.folder / "admin.password"

    @property
    def admin_env(self) -> Path:
        return self.home / "admin.env"

    def node_keystore(self, node_id: int) -> Path:
        """The node's private key and certificate chain, one PEM file (Kafka's PEM keystore)."""
        return self.folder / f"node-{node_id}.pem"


def ensure_material(files: SecureFiles, specs: list[NodeSpec]) -> str:
    """Create the CA, each node's key and certificate and the admin password if missing.

    Returns the admin password. Existing files are reused, so a restarted cluster keeps its
    credentials; a half-written set (a node key without the CA that signed it) is refused.
    """
    files.folder.mkdir(parents=True, exist_ok=True)
    files.folder.chmod(0o700)
    if files.ca_cert.exists() != files.ca_key.exists():
        raise ClusterStateError(
            f"{files.folder} holds only part of the cluster's CA; run `govbus kafka down` to reset"
        )
    if not files.ca_cert.exists():
        if any(files.node_keystore(s.node_id).exists() for s in specs):
            raise ClusterStateError(
                f"{files.folder} holds node keys without their CA; run `govbus kafka down`"
            )
        ca_key, ca_cert = _new_ca()
        _write_private(files.ca_key, _key_pem(ca_key))
        files.ca_cert.write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
    ca_key_loaded = serialization.load_pem_private_key(files.ca_key.read_bytes(), password=None)
    if not isinstance(ca_key_loaded, ec.EllipticCurvePrivateKey):
        raise ClusterStateError(f"{files.ca_key} is not the EC key govbus generated")
    ca_cert_loaded = x509.load_pem_x509_certificate(files.ca_cert.read_bytes())
    for spec in specs:
        keystore = files.node_keystore(spec.node_id)
        if not keystore.exists():
            key, cert = _new_node_cert(ca_key_loaded, ca_cert_loaded)
            chain = cert.public_bytes(serialization.Encoding.PEM) + files.ca_cert.read_bytes()
            _write_private(keystore, _key_pem(key) + chain)
    if not files.admin_password.exists():
        _write_private(files.admin_password, secrets.token_urlsafe(32).encode())
    password = files.admin_password.read_text().strip()
    if not password:
        raise ClusterStateError(f"{files.admin_password} is empty; run `govbus kafka down`")
    return password


def server_overrides(spec: NodeSpec, files: SecureFiles, password: str) -> dict[str, str]:
    """The server properties that secure ``spec``, laid over the plain ones from ``layout``."""
    listener = f"SASL_SSL://{HOST}:{spec.port}"
    jaas = f'{SCRAM_LOGIN} required username="{ADMIN_USER}" password="{password}";'
    return {
        "listeners": f"{listener},CONTROLLER://{HOST}:{spec.controller_port}",
        "advertised.listeners": listener,
        "listener.security.protocol.map": "CONTROLLER:SSL,SASL_SSL:SASL_SSL",
        "inter.broker.listener.name": "SASL_SSL",
        "sasl.enabled.mechanisms": MECHANISM,
        "sasl.mechanism.inter.broker.protocol": MECHANISM,
        "listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config": jaas,
        # Only the nodes hold a certificate of this CA: the controllers admit nothing else.
        "listener.name.controller.ssl.client.auth": "required",
        "ssl.keystore.type": "PEM",
        "ssl.keystore.location": str(files.node_keystore(spec.node_id)),
        "ssl.truststore.type": "PEM",
        "ssl.truststore.location": str(files.ca_cert),
        "ssl.endpoint.identification.algorithm": "https",
        "authorizer.class.name": AUTHORIZER,
        "allow.everyone.if.no.acl.found": "false",
        "super.users": f"User:{ADMIN_USER};{NODE_PRINCIPAL}",
    }


def format_arguments(password: str) -> list[str]:
    """``kafka-storage format`` arguments that create the admin's SCRAM credential.

    SCRAM users live in the metadata log, so the first one must be there from the start.
    """
    return ["--add-scram", f"{MECHANISM}=[name={ADMIN_USER},password={password}]"]


def write_admin_env(files: SecureFiles, bootstrap: str) -> None:
    """Write ``admin.env``: the admin's ``GOVBUS_KAFKA_*`` settings, without the password."""
    lines = {
        "GOVBUS_KAFKA_BOOTSTRAP": bootstrap,
        "GOVBUS_KAFKA_SECURITY_PROTOCOL": "SASL_SSL",
        "GOVBUS_KAFKA_SASL_MECHANISM": MECHANISM,
        "GOVBUS_KAFKA_SASL_USERNAME": ADMIN_USER,
        "GOVBUS_KAFKA_SASL_PASSWORD_FILE": str(files.admin_password),
        "GOVBUS_KAFKA_SSL_CAFILE": str(files.ca_cert),
    }
    text = "# The admin of the secured local Kafka; load with `set -a; . ./admin.env; set +a`.\n"
    files.admin_env.write_text(text + "".join(f"{k}={v}\n" for k, v in lines.items()))


def read_admin_env(path: Path) -> dict[str, str]:
    """The ``GOVBUS_*`` variables of an ``admin.env`` file; raises ``ClusterStateError``."""
    try:
        text = path.read_text()
    except OSError as exc:
        raise ClusterStateError(
            f"no admin settings at {path} ({exc.strerror}); start the cluster with "
            "`govbus kafka up --secure`"
        ) from exc
    found: dict[str, str] = {}
    for line in text.splitlines():
        name, sep, value = line.partition("=")
        if sep and name.startswith("GOVBUS_"):
            found[name.strip()] = value.strip()
    return found


def admin_settings(files: SecureFiles) -> Settings:
    """The admin's ``Settings`` from ``admin.env`` alone (the environment is not consulted)."""
    env = read_admin_env(files.admin_env)
    return Settings.model_validate({name[len("GOVBUS_") :].lower(): v for name, v in env.items()})


def admin_options(files: SecureFiles, bootstrap: str, password: str) -> dict[str, Any]:
    """aiokafka client options for the admin (the launcher's readiness probe uses them)."""
    return {
        "bootstrap_servers": bootstrap,
        "security_protocol": "SASL_SSL",
        "sasl_mechanism": MECHANISM,
        "sasl_plain_username": ADMIN_USER,
        "sasl_plain_password": password,
        "ssl_context": ssl.create_default_context(cafile=str(files.ca_cert)),
    }


def _new_ca() -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "govbus local Kafka CA")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=CERT_DAYS))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
        .sign(key, hashes.SHA256())
    )
    return key, cert


def _new_node_cert(
    ca_key: ec.EllipticCurvePrivateKey, ca_cert: x509.Certificate
) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.UTC)
    names = [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address(HOST))]
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, NODE_COMMON_NAME)]))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=CERT_DAYS))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        # A node is a TLS server to clients and a TLS client of its controllers.
        .add_extension(
            x509.ExtendedKeyUsage(
                [ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]
            ),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    return key, cert


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    # Unencrypted PKCS#8: the form Kafka's PEM keystore reads without a key password.
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _write_private(path: Path, data: bytes) -> None:
    """Write ``data`` to a new file readable by its owner only (created 0600, never wider)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(data)
    path.chmod(0o600)
