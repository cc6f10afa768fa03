"""The embedded OpenBao's server configuration: one ``config.hcl`` per node, rewritten on every start.

A mixin of :class:`infra.local.openbao.OpenBao` (it uses that class's paths); the layout of a node's files
is :class:`_Node`, its ports :class:`_Ports`.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from infra.local.process import LOOPBACK, DaemonRecord
from infra.local.tls import ServerTLS

NODE_ID = "egov-local"
AUDIT_PATH = "file"
AUDIT_SECONDARY_PATH = "file-secondary"
# Stored in the audit table on first enable; config-declared devices may never change afterwards
# (OpenBao refuses to unseal into a table that differs from the config), so these strings are frozen.
AUDIT_DESCRIPTION = "egov local: every request and response, HMAC-ed"
AUDIT_SECONDARY_DESCRIPTION = "egov local: second copy, so one failing audit device never blocks requests"


@dataclass(frozen=True)
class _Ports:
    """Ports chosen once and reused, so VAULT_ADDR stays stable across restarts."""

    port: int
    cluster_port: int


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


class ConfigRendering:
    """Writes each node's ``config.hcl`` and reloads a running node whose config is out of date."""

    if TYPE_CHECKING:
        ca_cert: Path
        tls_dir: Path
        audit_log: Path
        audit_secondary_log: Path

        @staticmethod
        def _address_of(ports: _Ports) -> str: ...

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
