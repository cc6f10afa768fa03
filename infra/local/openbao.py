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

Modules: this one (paths, public API, status), ``openbao_process`` (binary, ports, PID records, start/stop),
``openbao_bootstrap`` (init, unseal, join, audit devices, transit key), ``openbao_config`` (config.hcl),
``pulumi_token`` (Pulumi's own token).

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

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import hvac

from infra.local.openbao_bootstrap import HEALTH_ACTIVE, HEALTH_STANDBY, ClusterBootstrap
from infra.local.openbao_config import (
    AUDIT_PATH,
    AUDIT_SECONDARY_PATH,
    NODE_ID,
    ConfigRendering,
    _Node,
    _Ports,
)
from infra.local.openbao_process import ProcessSupervision, find_bao
from infra.local.paths import LocalPaths
from infra.local.process import LOOPBACK, LocalEnvError
from infra.local.pulumi_token import PulumiToken
from infra.local.status import PartStatus
from infra.local.tls import ensure_server_tls
from infra.vault.live import Connection

__all__ = ["AUDIT_PATH", "AUDIT_SECONDARY_PATH", "NAME", "NODE_ID", "NodeStatus", "OpenBao", "find_bao"]

NAME = "openbao"


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


class OpenBao(ProcessSupervision, ClusterBootstrap, ConfigRendering):
    """Lifecycle of the local OpenBao: bootstrap, start, init, join, unseal, configure, stop.

    Process supervision (``openbao_process.py``), cluster bootstrap (``openbao_bootstrap.py``) and config
    rendering (``openbao_config.py``) are mixins of their own; this class holds the paths and the public API.
    """

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

    def root_connection(self) -> Connection:
        """A ``Connection`` to this server with the root token (``root_env``), for the break-glass actions of
        `egov vault apply` and the demo's apply: the one place the embedded server's root connection is built."""
        local = self.root_env()
        return Connection(local["VAULT_ADDR"], local["VAULT_TOKEN"], local["VAULT_CACERT"], source="embedded",
                          namespace_keys_dir=self.namespace_keys_dir, break_glass_token=local["VAULT_TOKEN"])

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

