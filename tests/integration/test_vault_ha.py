"""A three-node OpenBao raft cluster from `OpenBao(paths, nodes=3)`: real servers, real raft, no mocks.

The scenario runs in order on one cluster: existing single-node data grows into three voters, any node
serves reads and writes, the leader is killed with SIGKILL and the survivors take over, the killed node
comes back and rejoins, and `down()` stops every node (and nothing else) while the data stays.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import hvac
import hvac.exceptions
import pytest
import requests

from infra.local.openbao import NODE_ID, OpenBao, find_bao
from infra.local.paths import LocalPaths
from infra.local.process import LocalEnvError, pid_alive, port_is_free, wait_until
from infra.vault import transit
from tests.integration.openbao_server import stop_openbao

pytestmark = pytest.mark.integration

KV = "kv"
FAILOVER_BUDGET = 30.0


@dataclass
class Cluster:
    bao: OpenBao
    paths: LocalPaths
    values: dict[str, str] = field(default_factory=dict)  # kv path -> value written so far
    ciphertexts: dict[str, bytes] = field(default_factory=dict)  # ciphertext -> plaintext


def _client(bao: OpenBao, address: str, timeout: int = 5) -> hvac.Client:
    return hvac.Client(url=address, token=bao.root_env()["VAULT_TOKEN"], verify=str(bao.ca_cert), timeout=timeout)


def _write(cluster: Cluster, client: hvac.Client, path: str, value: str) -> None:
    client.secrets.kv.v1.create_or_update_secret(path, {"value": value}, mount_point=KV)
    cluster.values[path] = value


def _read_all(cluster: Cluster, client: hvac.Client) -> None:
    for path, value in cluster.values.items():
        assert client.secrets.kv.v1.read_secret(path, mount_point=KV)["data"]["value"] == value, path
    ciphertexts = list(cluster.ciphertexts)
    assert transit.decrypt(client, OpenBao.PULUMI_KEY, ciphertexts) == [cluster.ciphertexts[c] for c in ciphertexts]


def _voters(client: hvac.Client) -> dict[str, bool]:
    servers = client.sys.read_raft_config()["data"]["config"]["servers"]
    return {server["node_id"]: bool(server["voter"]) for server in servers}


def _roles(bao: OpenBao) -> dict[str, str]:
    return {node.name: node.role for node in bao.nodes()}


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    paths = LocalPaths(tmp_path_factory.mktemp("egov-ha"))
    try:
        single = OpenBao(paths)  # the layout every existing checkout has: one node
        assert single.up().healthy
        state = Cluster(OpenBao(paths, nodes=3), paths)
        client = single.client()
        client.sys.enable_secrets_engine("kv", path=KV, options={"version": "1"})
        for i in range(5):
            _write(state, client, f"before-ha/{i}", f"single-node value {i}")
        plaintexts = [f"secret {i}".encode() for i in range(5)]
        state.ciphertexts = dict(zip(transit.encrypt(client, OpenBao.PULUMI_KEY, plaintexts), plaintexts,
                                     strict=True))
        yield state
    finally:
        stop_openbao(OpenBao(paths))  # down() stops every node; if it fails, kill what this module started


def test_single_node_grows_into_three_voters_and_keeps_its_data(cluster: Cluster) -> None:
    bao = cluster.bao
    messages: list[str] = []
    started = time.monotonic()
    status = bao.up(messages.append)
    grow_seconds = time.monotonic() - started
    assert status.healthy, status.detail
    assert any("node-2 joins the raft cluster" in m for m in messages), messages
    assert grow_seconds < 45, grow_seconds

    client = bao.client()
    assert _voters(client) == {NODE_ID: True, f"{NODE_ID}-2": True, f"{NODE_ID}-3": True}
    assert sorted(_roles(bao).values()) == ["follower", "follower", "leader"]
    for line in ("node-1 https://127.0.0.1:", "node-2 https://127.0.0.1:", "node-3 https://127.0.0.1:"):
        assert line in status.detail
    assert "leader" in status.detail and "follower" in status.detail
    assert OpenBao(cluster.paths).node_count == 3  # `egov local status/env` without the flag see the cluster
    assert json.loads((cluster.paths.openbao / "cluster.json").read_text()) == {"nodes": 3}
    for index in (1, 2, 3):
        _read_all(cluster, bao.client(node=index))


def test_every_node_serves_reads_right_after_writes(cluster: Cluster) -> None:
    bao = cluster.bao
    clients = [bao.client(node=index) for index in (1, 2, 3)]
    for i in range(6):
        writer, reader = clients[i % 3], clients[(i + 1) % 3]
        _write(cluster, writer, f"any-node/{i}", f"written through node-{i % 3 + 1}")
        # standbys forward reads to the active node (disable_standby_reads): no stale read anywhere
        assert reader.secrets.kv.v1.read_secret(f"any-node/{i}", mount_point=KV)["data"]["value"] == (
            f"written through node-{i % 3 + 1}")
    ciphertext = transit.encrypt(clients[1], OpenBao.PULUMI_KEY, [b"via a standby"])[0]
    assert transit.decrypt(clients[2], OpenBao.PULUMI_KEY, [ciphertext]) == [b"via a standby"]
    cluster.ciphertexts[ciphertext] = b"via a standby"
    leader = next(node for node in bao.nodes() if node.role == "leader")
    assert bao.root_env()["VAULT_ADDR"] == leader.address


def test_killing_the_leader_loses_no_write_and_it_rejoins(cluster: Cluster) -> None:
    bao = cluster.bao
    leader = next(node for node in bao.nodes() if node.role == "leader")
    survivors = [node for node in bao.nodes() if node.name != leader.name]
    assert leader.pid is not None
    os.kill(leader.pid, signal.SIGKILL)
    killed_at = time.monotonic()
    wait_until(lambda: not pid_alive(leader.pid or 0), 10, "killed leader")
    with contextlib.suppress(ChildProcessError):
        os.waitpid(leader.pid, 0)  # our child in tests: reap it

    clients = [_client(bao, node.address) for node in survivors]
    errors: list[str] = []

    def write_succeeds() -> bool:
        for client in clients:
            try:
                _write(cluster, client, "after-failover", "written while the old leader is dead")
                return True
            except (hvac.exceptions.VaultError, requests.exceptions.RequestException) as exc:
                errors.append(f"{client.url}: {exc.__class__.__name__}")
        time.sleep(0.2)
        return False

    wait_until(write_succeeds, FAILOVER_BUDGET, f"a write through {', '.join(n.name for n in survivors)}")
    failover = time.monotonic() - killed_at
    assert failover < FAILOVER_BUDGET
    print(f"\nfailover: writes succeed {failover:.1f}s after SIGKILL of {leader.name} ({len(errors)} refused first)")
    for client in clients:
        _read_all(cluster, client)

    roles = _roles(bao)
    assert roles[leader.name] == "stopped"
    assert sorted(role for name, role in roles.items() if name != leader.name) == ["follower", "leader"]
    status = bao.status()
    assert not status.healthy and "not running" in status.detail
    assert bao.root_env()["VAULT_ADDR"] != leader.address  # env follows the new leader

    messages: list[str] = []
    assert bao.up(messages.append).healthy
    assert any(f"unsealing {leader.name}" in m or "unsealing with the stored keys" in m for m in messages), messages
    assert not any("joins the raft cluster" in m for m in messages)  # it rejoins with its own data
    assert _roles(bao)[leader.name] == "follower"
    client = bao.client()
    assert _voters(client) == {NODE_ID: True, f"{NODE_ID}-2": True, f"{NODE_ID}-3": True}

    def autopilot_healthy() -> bool:
        state = client.adapter.get("/v1/sys/storage/raft/autopilot/state")["data"]
        return bool(state["healthy"]) and state["failure_tolerance"] == 1

    wait_until(autopilot_healthy, 30, "raft autopilot to report all three nodes healthy")
    _read_all(cluster, bao.client(node=int(leader.name.split("-")[1])))

    peers = subprocess.run([str(find_bao()), "operator", "raft", "list-peers", "-format=json"],
                           env={**os.environ, **bao.root_env()}, capture_output=True, text=True, timeout=30,
                           check=False)
    assert peers.returncode == 0, peers.stderr
    servers = json.loads(peers.stdout)["data"]["config"]["servers"]
    assert sorted((s["node_id"], s["voter"]) for s in servers) == [
        (NODE_ID, True), (f"{NODE_ID}-2", True), (f"{NODE_ID}-3", True)]


def test_growth_only_no_shrinking_and_odd_sizes(cluster: Cluster) -> None:
    pids = [node.pid for node in cluster.bao.nodes()]
    with pytest.raises(LocalEnvError, match=r"3-node raft cluster; it cannot shrink to 1"):
        OpenBao(cluster.paths, nodes=1).up()
    with pytest.raises(LocalEnvError, match="odd number"):
        OpenBao(cluster.paths, nodes=4).up()
    assert [node.pid for node in cluster.bao.nodes()] == pids  # nothing was started or stopped


def test_down_stops_every_node_and_only_ours_then_a_cold_start(cluster: Cluster) -> None:
    bao = cluster.bao
    nodes = bao.nodes()
    bystander = subprocess.Popen(["sleep", "300"])
    try:
        OpenBao(cluster.paths).down()  # as `egov local down` does: no --vault-nodes needed
        for node in nodes:
            assert node.pid is not None and not pid_alive(node.pid), node
            assert port_is_free(int(node.address.rsplit(":", 1)[1]))
        assert bystander.poll() is None
        assert all(node.role == "stopped" for node in bao.nodes())
    finally:
        bystander.kill()
        bystander.wait()

    started = time.monotonic()
    assert OpenBao(cluster.paths).up().healthy  # all three sealed at once: quorum comes back after unseal
    print(f"\ncold start of 3 nodes: {time.monotonic() - started:.1f}s")
    _read_all(cluster, bao.client())


def test_fresh_three_node_cluster_from_nothing(tmp_path: Path) -> None:
    """`egov local up --vault-nodes 3` on a new checkout: node 1 is initialized, 2 and 3 join at once."""
    paths = LocalPaths(tmp_path / "egov")
    bao = OpenBao(paths, nodes=3)
    try:
        messages: list[str] = []
        status = bao.up(messages.append)
        assert status.healthy, status.detail
        assert sum("initializing" in m for m in messages) == 1
        assert sum("joins the raft cluster" in m for m in messages) == 2
        assert _voters(bao.client()) == {NODE_ID: True, f"{NODE_ID}-2": True, f"{NODE_ID}-3": True}
        assert (paths.openbao / "node-2" / "data").is_dir() and (paths.openbao / "node-3" / "config.hcl").is_file()
        ciphertext = transit.encrypt(bao.client(node=3), OpenBao.PULUMI_KEY, [b"fresh"])
        assert transit.decrypt(bao.client(node=2), OpenBao.PULUMI_KEY, ciphertext) == [b"fresh"]
    finally:
        stop_openbao(bao)
    assert all(node.role == "stopped" for node in bao.nodes())
