"""SCRAM-SHA-512 users of a secured cluster, created or updated through the Kafka admin API.

aiokafka has no ``AlterUserScramCredentials`` call, so this module sends the request (API key
51, version 0) itself. As the protocol requires, the password never leaves this process: only a
random salt and the salted password (PBKDF2-HMAC-SHA512) are sent, over the admin's SASL_SSL
connection.
"""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.protocol.api import Request, RequestStruct, Response
from aiokafka.protocol.types import (
    CompactArray,
    CompactBytes,
    CompactString,
    Int8,
    Int16,
    Int32,
    Schema,
    TaggedFields,
)

from bus.foundation.errors import ClusterStateError

SHA_512 = 2  # Kafka's ScramMechanism code for SCRAM-SHA-512
# Kafka's default and the floor its documentation recommends is 4096; 8192 costs little here.
ITERATIONS = 8192


class _AlterUserScramCredentialsResponse_v0(Response):  # type: ignore[misc]
    API_KEY = 51
    API_VERSION = 0
    SCHEMA = Schema(
        ("throttle_time_ms", Int32),
        (
            "results",
            CompactArray(
                ("user", CompactString("utf-8")),
                ("error_code", Int16),
                ("error_message", CompactString("utf-8")),
                ("tags", TaggedFields),
            ),
        ),
        ("tags", TaggedFields),
    )


class _AlterUserScramCredentialsRequest_v0(RequestStruct):  # type: ignore[misc]
    FLEXIBLE_VERSION = True
    API_KEY = 51
    API_VERSION = 0
    RESPONSE_TYPE = _AlterUserScramCredentialsResponse_v0
    SCHEMA = Schema(
        (
            "deletions",
            CompactArray(
                ("name", CompactString("utf-8")), ("mechanism", Int8), ("tags", TaggedFields)
            ),
        ),
        (
            "upsertions",
            CompactArray(
                ("name", CompactString("utf-8")),
                ("mechanism", Int8),
                ("iterations", Int32),
                ("salt", CompactBytes),
                ("salted_password", CompactBytes),
                ("tags", TaggedFields),
            ),
        ),
        ("tags", TaggedFields),
    )


class _AlterUserScramCredentials(Request[_AlterUserScramCredentialsRequest_v0]):  # type: ignore[misc]
    API_KEY = 51

    def __init__(self, upsertions: list[tuple[str, int, int, bytes, bytes, dict[int, bytes]]]):
        self._upsertions = upsertions

    def build(
        self, request_struct_class: type[_AlterUserScramCredentialsRequest_v0]
    ) -> _AlterUserScramCredentialsRequest_v0:
        return request_struct_class([], self._upsertions, {})


def salted(password: str, salt: bytes, iterations: int = ITERATIONS) -> bytes:
    """The SCRAM salted password (RFC 5802 ``Hi``), which is what Kafka stores and checks."""
    return hashlib.pbkdf2_hmac("sha512", password.encode("utf-8"), salt, iterations)


async def upsert_users(options: dict[str, Any], users: dict[str, str]) -> list[str]:
    """Create or update the SCRAM-SHA-512 credential of each user name in ``users``.

    ``options`` are an admin's client options. Returns the user names, sorted. Raises
    ``ClusterStateError`` naming each user the cluster refused and why (never the password).
    """
    if not users:
        return []
    upsertions: list[tuple[str, int, int, bytes, bytes, dict[int, bytes]]] = []
    for name, password in sorted(users.items()):
        salt = secrets.token_bytes(32)
        upsertions.append((name, SHA_512, ITERATIONS, salt, salted(password, salt), {}))
    admin = AIOKafkaAdminClient(**options)
    await admin.start()
    try:
        response = await admin._send_request(_AlterUserScramCredentials(upsertions))
    finally:
        await admin.close()
    failures = [
        f"{user}: error {code}{' (' + message + ')' if message else ''}"
        for user, code, message, _ in response.results
        if code != 0
    ]
    if failures:
        raise ClusterStateError("the cluster refused SCRAM credentials for " + "; ".join(failures))
    return sorted(users)
