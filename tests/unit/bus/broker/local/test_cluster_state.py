"""What `govbus kafka up` refuses before it starts anything, and what `down` does with nothing."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from bus.broker.local import LocalKafka
from bus.foundation.errors import ClusterStateError, PortInUse
from bus.foundation.settings import Settings


def _local(home: Path) -> LocalKafka:
    return LocalKafka(Settings(kafka_home=home, kafka_backend="jars", kafka_bootstrap=None))


@pytest.fixture
def port_19092_taken() -> Iterator[None]:
    with socket.socket() as holder:
        holder.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        holder.bind(("127.0.0.1", 19092))
        holder.listen()
        yield


@pytest.mark.usefixtures("port_19092_taken")
def test_a_port_in_use_is_named_and_nothing_starts(tmp_path: Path) -> None:
    """Another process on a node's port stops `up` before any node starts."""
    with pytest.raises(PortInUse, match=r"port 19092 on 127\.0\.0\.1 is in use") as caught:
        _local(tmp_path).up(nodes=3)
    assert caught.value.port == 19092
    assert not (tmp_path / "cluster.json").exists()


def test_a_recorded_cluster_of_another_size_must_be_removed_first(tmp_path: Path) -> None:
    """A three-node record is not silently turned into a one-node cluster."""
    tmp_path.mkdir(exist_ok=True)
    record = {"backend": "jars", "cluster_id": "x", "nodes": ["", "", ""]}
    (tmp_path / "cluster.json").write_text(json.dumps(record))
    with pytest.raises(ClusterStateError, match="3-node local Kafka from an earlier run"):
        _local(tmp_path).up(nodes=1)


@pytest.mark.parametrize("content", ["{not json", '{"nodes": "many"}', '{"nodes": [1, 2]}'])
def test_a_malformed_cluster_record_says_how_to_reset(tmp_path: Path, content: str) -> None:
    """A damaged record is reported with the way out, never guessed at."""
    (tmp_path / "cluster.json").write_text(content)
    with pytest.raises(ClusterStateError, match="govbus kafka down"):
        _local(tmp_path).up(nodes=1)


def test_leftover_data_of_another_cluster_is_refused(tmp_path: Path) -> None:
    """Data directories from an earlier, different cluster are reported, not reused or wiped."""
    for node in (1, 2, 3):
        data = tmp_path / f"node-{node}" / "data"
        data.mkdir(parents=True)
        (data / "meta.properties").write_text(f"cluster.id=cluster-{node}\nnode.id={node}\n")
    with pytest.raises(ClusterStateError, match="data from an earlier run"):
        _local(tmp_path).up(nodes=3)
    assert (tmp_path / "node-1" / "data" / "meta.properties").exists()


def test_down_with_nothing_running_says_so(tmp_path: Path) -> None:
    """`down` on an empty home stops nothing and says which home it looked at."""
    message = _local(tmp_path / "absent").down()
    assert message == f"no local Kafka under {tmp_path / 'absent'}; nothing to stop"


def test_status_without_a_cluster_lists_no_nodes(tmp_path: Path) -> None:
    """`status` on an empty home reports no nodes and not running."""
    state = _local(tmp_path).status()
    assert state.nodes == ()
    assert not state.running


def test_an_external_cluster_is_described_and_never_stopped(tmp_path: Path) -> None:
    """With GOVBUS_KAFKA_BOOTSTRAP set, govbus starts and stops nothing; one that does not
    answer is reported as not running, with the reason."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))  # bound but not listening: connections are refused
        address = f"127.0.0.1:{sock.getsockname()[1]}"
        local = LocalKafka(Settings(kafka_home=tmp_path, kafka_bootstrap=address))
        state = local.status()
    assert (state.source, state.bootstrap, state.running) == ("external", address, False)
    assert state.error
    assert "stops nothing" in local.down()
