"""OpenBao evidence through hvac: audit devices, and in every namespace the transit keys and AppRole roles.

Read-only by construction: the client's adapter refuses every HTTP method but GET and LIST before a request
leaves the process. A sealed or unreachable server raises ``SourceUnreachable`` naming the address; a path
the token may not read is recorded under ``errors`` (its checks report error, never pass).

Evidence shape (``evidence["vault"]``)::

    {"address": ..., "global": {"audit_devices": [{"path", "type", "options"}],
                                "transit_keys": [{"namespace", "mount", "name", "type", "exportable", ...}],
                                "approle_roles": [{"namespace", "mount", "name", "secret_id_ttl", ...}],
                                "namespaces": ["", "tenants/", "tenants/finance/"]},
     "errors": {"global.transit_keys": "permission denied at tenants/x/transit/keys"}}
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from typing import Any

import hvac
import requests
from hvac.adapters import JSONAdapter

from compliance.evidence.cloud import MutatingCallRefused, SourceUnreachable

MAX_NAMESPACE_DEPTH = 4


class ReadOnlyAdapter(JSONAdapter):
    """hvac's JSON adapter that only sends GET and LIST, and counts what it sends."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.calls: dict[str, int] = {}

    def request(self, method: str, url: str, headers: Any = None, raise_exception: bool = True,
                **kwargs: Any) -> Any:
        if method.upper() not in ("GET", "LIST"):
            raise MutatingCallRefused(f"the scanner refuses {method.upper()} {url}: it only reads")
        key = f"vault.{method.upper()} {url.split('?')[0]}"
        self.calls[key] = self.calls.get(key, 0) + 1
        return super().request(method, url, headers=headers, raise_exception=raise_exception, **kwargs)


class VaultCollector:
    def __init__(self, *, address: str | None = None, token: str | None = None, ca_cert: str | None = None,
                 timeout: float = 10) -> None:
        self.address = address or os.environ.get("VAULT_ADDR", "")
        self.token = token or os.environ.get("VAULT_TOKEN", "")
        self.ca_cert = ca_cert or os.environ.get("VAULT_CACERT") or True
        self.timeout = timeout
        self.calls: dict[str, int] = {}

    def client(self, namespace: str = "") -> hvac.Client:
        client = hvac.Client(url=self.address, token=self.token, verify=self.ca_cert, timeout=self.timeout,
                             namespace=namespace or None, adapter=ReadOnlyAdapter)
        client.adapter.calls = self.calls  # one count for the whole scan
        return client

    def collect(self, progress: Callable[[str], None] = lambda _: None) -> dict[str, Any]:
        if not self.address:
            raise SourceUnreachable("vault", "(no address)", "VAULT_ADDR is not set")
        progress(f"vault: connecting to {self.address}")
        root = self.client()
        try:
            sealed = root.sys.is_sealed()
        except (requests.exceptions.RequestException, hvac.exceptions.VaultError) as exc:
            raise SourceUnreachable("vault", self.address, f"{type(exc).__name__}: {exc}") from exc
        if sealed:
            raise SourceUnreachable("vault", self.address, "OpenBao is sealed; unseal it and scan again")
        evidence: dict[str, Any] = {"address": self.address, "global": {}, "errors": {}}
        self._read(evidence, "audit_devices", lambda: self._audit_devices(root))
        namespaces = self._read(evidence, "namespaces", lambda: self._namespaces(root)) or [""]
        self._read(evidence, "transit_keys", lambda: [k for ns in namespaces for k in self._transit_keys(ns)])
        self._read(evidence, "approle_roles", lambda: [r for ns in namespaces for r in self._approle_roles(ns)])
        progress(f"vault: {len(namespaces)} namespaces, {sum(self.calls.values())} API calls")
        return evidence

    def _read(self, evidence: dict[str, Any], key: str, read: Callable[[], Any]) -> Any:
        try:
            value = read()
        except requests.exceptions.ConnectionError as exc:
            raise SourceUnreachable("vault", self.address, f"connection lost: {exc}") from exc
        except (hvac.exceptions.VaultError, requests.exceptions.RequestException, KeyError) as exc:
            evidence["errors"][f"global.{key}"] = f"{type(exc).__name__}: {exc}".strip()
            return None
        evidence["global"][key] = value
        return value

    def _audit_devices(self, client: hvac.Client) -> list[dict[str, Any]]:
        answer = client.sys.list_enabled_audit_devices()
        devices = answer.get("data", answer) if isinstance(answer, Mapping) else {}
        return [{"path": path, "type": d.get("type"), "options": d.get("options") or {}}
                for path, d in sorted(devices.items()) if isinstance(d, Mapping)]

    def _namespaces(self, client: hvac.Client, prefix: str = "", depth: int = 0) -> list[str]:
        """Every namespace, root first (``""``), children as ``tenants/finance/``."""
        found = [prefix]
        if depth >= MAX_NAMESPACE_DEPTH:
            return found
        try:
            keys = self.client(prefix).sys.list_namespaces()["data"]["keys"]
        except hvac.exceptions.InvalidPath:  # no child namespace
            return found
        for key in sorted(keys):  # OpenBao lists them in no fixed order; the evidence is the same each scan
            found += self._namespaces(client, f"{prefix}{key}", depth + 1)
        return found

    def _mounts(self, namespace: str, kind: str) -> list[str]:
        client = self.client(namespace)
        answer = client.sys.list_mounted_secrets_engines() if kind != "approle" else client.sys.list_auth_methods()
        mounts = answer.get("data", answer)
        wanted = "approle" if kind == "approle" else kind
        return [path for path, m in sorted(mounts.items()) if isinstance(m, Mapping) and m.get("type") == wanted]

    def _transit_keys(self, namespace: str) -> list[dict[str, Any]]:
        client = self.client(namespace)
        keys = []
        for mount in self._mounts(namespace, "transit"):
            try:
                names = client.secrets.transit.list_keys(mount_point=mount.rstrip("/"))["data"]["keys"]
            except hvac.exceptions.InvalidPath:
                continue  # a transit mount without keys
            for name in names:
                data = client.secrets.transit.read_key(name=name, mount_point=mount.rstrip("/"))["data"]
                keys.append({"namespace": namespace, "mount": mount, "name": name, **{
                    k: data.get(k) for k in ("type", "exportable", "allow_plaintext_backup", "deletion_allowed",
                                             "auto_rotate_period", "latest_version", "min_decryption_version")}})
        return keys

    def _approle_roles(self, namespace: str) -> list[dict[str, Any]]:
        client = self.client(namespace)
        roles = []
        for mount in self._mounts(namespace, "approle"):
            try:
                names = client.list(f"auth/{mount}role")["data"]["keys"]
            except (hvac.exceptions.InvalidPath, TypeError):
                continue
            for name in names:
                data = client.read(f"auth/{mount}role/{name}")["data"]
                roles.append({"namespace": namespace, "mount": mount, "name": name, **{
                    k: data.get(k) for k in ("secret_id_ttl", "secret_id_num_uses", "token_ttl", "token_max_ttl",
                                             "token_policies", "secret_id_bound_cidrs", "token_bound_cidrs")}})
        return roles
