"""`govbus kafka status` with GOVBUS_KAFKA_BOOTSTRAP describes the cluster it points at."""

from __future__ import annotations

import json
import socket

from tests.integration.bus.govbus_cli import govbus


def test_status_json_lists_the_external_clusters_brokers(kafka_bootstrap: str) -> None:
    """Node id, host, port, controller and reachability come from the cluster's metadata."""
    done = govbus(kafka_bootstrap, "kafka", "status", "--json")
    assert done.returncode == 0, done.stderr
    state = json.loads(done.stdout)
    assert (state["source"], state["bootstrap"], state["running"]) == (
        "external", kafka_bootstrap, True
    )  # fmt: skip
    assert state["error"] is None
    assert state["cluster_id"]
    addresses = {b["host"] + ":" + str(b["port"]) for b in state["brokers"]}
    assert set(kafka_bootstrap.split(",")) <= addresses
    assert all(b["reachable"] for b in state["brokers"])
    assert sum(b["controller"] for b in state["brokers"]) <= 1
    assert all(isinstance(b["node_id"], int) for b in state["brokers"])


def test_status_of_an_external_cluster_that_does_not_answer_says_why_and_fails() -> None:
    """A bootstrap address nothing listens on gives running false, the reason and exit 1."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        address = f"127.0.0.1:{sock.getsockname()[1]}"  # bound, never listening: refused
        done = govbus(address, "kafka", "status", "--json")
    assert done.returncode == 1
    state = json.loads(done.stdout)
    assert (state["running"], state["brokers"]) == (False, [])
    assert address.split(":")[1] in state["error"]
    assert done.stderr == ""
