"""Secured local clusters (``govbus kafka up --secure``) of their own, in a temporary home."""

from __future__ import annotations

import contextlib
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from bus.broker.client import client_options
from bus.broker.local import LocalKafka, security
from bus.foundation.settings import Settings
from bus.testing.kafka import free_port


@dataclass(frozen=True)
class SecureCluster:
    """A running secured cluster: its home, bootstrap address and the admin's settings."""

    home: Path
    bootstrap: str
    admin: Settings

    @property
    def files(self) -> security.SecureFiles:
        return security.SecureFiles(self.home)

    def admin_options(self) -> dict[str, Any]:
        return client_options(self.admin, self.bootstrap)


def client_and_controller_ports(nodes: int) -> tuple[int, ...]:
    """``nodes`` free client ports, each with the next port (its controller's) free too."""
    chosen: list[int] = []
    while len(chosen) < nodes:
        port = free_port()
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port + 1))
            except OSError:
                continue
        if port not in chosen and port + 1 not in chosen and port - 1 not in chosen:
            chosen.append(port)
    return tuple(chosen)


@contextlib.contextmanager
def secure_cluster(home: Path, nodes: int) -> Iterator[SecureCluster]:
    """Start a secured cluster of ``nodes`` in ``home`` on free ports; stop it afterwards."""
    kafka = LocalKafka(Settings(kafka_home=home))
    with kafka.running(nodes=nodes, secure=True, ports=client_and_controller_ports(nodes)) as up:
        admin = security.admin_settings(security.SecureFiles(home))
        yield SecureCluster(home, up.bootstrap, admin)


@pytest.fixture(scope="module")
def secured(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SecureCluster]:
    """A one-node secured cluster for the module."""
    with secure_cluster(tmp_path_factory.mktemp("secure-kafka"), 1) as cluster:
        yield cluster
