"""Bootstrapping the embedded OpenBao cluster: init (Shamir), unseal, raft join, leader election, audit
devices and the Pulumi transit key.

A mixin of :class:`infra.local.openbao.OpenBao`. Local-only trade-off: the unseal keys and the root token are
kept unencrypted in ``init.json`` (0600) so that ``up()`` can unseal without a human.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import hvac
import hvac.exceptions
import requests

from infra.local.openbao_config import AUDIT_PATH, AUDIT_SECONDARY_PATH, _Node, _Ports
from infra.local.process import LocalEnvError, wait_until
from infra.local.tls import write_private_file
from infra.vault.errors import DesiredStateError
from infra.vault.model import Platform, load_desired
from infra.vault.policies import DEFAULT_DESIRED

KEY_SHARES = 5
KEY_THRESHOLD = 3
ACTIVE_TIMEOUT = 30.0
# retry_join polls the leader every few seconds; a node also needs the raft snapshot before unsealing.
JOIN_TIMEOUT = 60.0
# After the keys answered a join challenge, the node fetches the raft snapshot before it reports unsealed;
# resubmitting (or resetting) the keys meanwhile would disturb that.
RESUBMIT_AFTER = 5.0
# Autopilot promotes a joined node to voter after its stabilization time (10s by default).
VOTER_TIMEOUT = 60.0
AUTOPILOT_STABILIZATION = "3s"
# /v1/sys/health status codes (same as Vault).
HEALTH_ACTIVE = 200
HEALTH_STANDBY = 429
HEALTH_UNINITIALIZED = 501
HEALTH_SEALED = 503


def pulumi_key_rotation_seconds(desired: Path = DEFAULT_DESIRED) -> int:
    """How often Pulumi's transit key rotates: ``platform.pulumi_key_rotation_period`` of the OpenBao policy file
    (the one fact `egov vault apply` enforces too), else that field's default when the file is absent or invalid
    (`egov vault plan` reports the file's problems; the bootstrap must not depend on it)."""
    try:
        return int(load_desired(desired).platform.pulumi_key_rotation_period)
    except DesiredStateError:
        return int(Platform.model_fields["pulumi_key_rotation_period"].default)


@dataclass(frozen=True)
class _Probe:
    """What the server answers on its unauthenticated endpoints."""

    initialized: bool
    sealed: bool
    version: str
    health_code: int


class ClusterBootstrap:
    """Init, unseal, join and elect; then the audit devices and the transit key, verified or created."""

    TRANSIT_MOUNT = "transit"
    PULUMI_KEY = "pulumi-secrets"

    if TYPE_CHECKING:
        dir: Path
        tls_dir: Path
        ca_cert: Path
        init_path: Path
        data_dir: Path
        log_path: Path
        config_path: Path
        audit_log: Path
        audit_secondary_log: Path

        def _lost_data_message(self) -> str: ...

        @staticmethod
        def _address_of(ports: _Ports) -> str: ...

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
        rotation = pulumi_key_rotation_seconds()
        if key.get("deletion_allowed") or int(key.get("auto_rotate_period") or 0) != rotation:
            progress(f"OpenBao: transit key {self.PULUMI_KEY} rotates every {rotation // 86400} days, "
                     "deletion refused")
            transit.update_key_configuration(self.PULUMI_KEY, deletion_allowed=False,
                                             auto_rotate_period=f"{rotation}s", mount_point=self.TRANSIT_MOUNT)
