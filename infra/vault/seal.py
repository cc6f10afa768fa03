"""Sealable tenant namespaces (OpenBao >= 2.6): created with their own Shamir seal, sealed on their own.

Endpoints, all in the *parent* namespace (``tenants``), with ``<id>`` the tenant id:

    POST sys/namespaces/<id>           {"seal": "seal \"shamir\" { shares = N threshold = T }", ...}
                                       -> data.key_shares (returned once), data.key_threshold; created sealed
    GET  sys/namespaces/<id>/seal-status  -> data.sealed, t, n, progress; 400 "namespace is not sealable"
    PUT  sys/namespaces/<id>/unseal    {"key": "<share>"} or {"reset": true}
    PUT  sys/namespaces/<id>/seal      204; silently does nothing on a namespace without its own seal

While sealed, every request inside the namespace gets 503 "namespace is sealed"; the other
namespaces and the root namespace are not affected.

The key shares come back exactly once. For the embedded OpenBao they are kept like its
``init.json``: ``<openbao dir>/namespaces/<tenant>.json`` (0600) so that ``egov vault
unseal-tenant`` works without a human. In production they belong to the department's key
custodians (one share each) and the file is deleted once handed over.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import hvac.exceptions

from infra.vault.errors import VaultOpsError
from infra.vault.model import NamespaceSeal

if TYPE_CHECKING:
    from infra.vault.live import Connection

NOT_SEALABLE = "namespace is not sealable"
KEYS_DIR_VARIABLE = "EGOV_NAMESPACE_KEYS_DIR"


def seal_config(seal: NamespaceSeal) -> str:
    """The ``seal`` stanza OpenBao expects in the namespace creation request."""
    return f'seal "shamir" {{\n  shares = {seal.shares}\n  threshold = {seal.threshold}\n}}'


def split_namespace(namespace: str) -> tuple[str, str]:
    """``tenants/finance`` -> (``tenants``, ``finance``): seal endpoints live in the parent."""
    parent, _, name = namespace.rpartition("/")
    return parent, name


@dataclass(frozen=True)
class SealStatus:
    sealed: bool
    threshold: int
    shares: int
    progress: int


def read_seal_status(conn: Connection, namespace: str) -> SealStatus | None:
    """The namespace's own seal; None if it has none (it lives under the platform's seal)."""
    parent, name = split_namespace(namespace)
    try:
        body = conn.call("GET", parent, f"sys/namespaces/{name}/seal-status")
    except hvac.exceptions.InvalidRequest as exc:
        if NOT_SEALABLE in str(exc):
            return None
        raise
    if body is None:  # a release without sealable namespaces has no such route
        return None
    data = dict(body.get("data") or body)
    return SealStatus(sealed=bool(data.get("sealed")), threshold=int(data.get("t") or 0),
                      shares=int(data.get("n") or 0), progress=int(data.get("progress") or 0))


class KeyShareStore:
    """Key shares of sealable namespaces on this machine: one 0600 JSON per tenant in a 0700 directory."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def path(self, tenant_id: str) -> Path:
        return self.directory / f"{tenant_id}.json"

    def save(self, tenant_id: str, namespace: str, address: str, shares: list[str], threshold: int) -> Path:
        from infra.files import write_private_file

        self.directory.mkdir(parents=True, exist_ok=True)
        self.directory.chmod(0o700)
        path = self.path(tenant_id)
        if path.exists():  # shares of an earlier namespace of that name: never overwrite key material
            path.rename(path.with_name(f"{path.name}.replaced-{time.strftime('%Y%m%dT%H%M%SZ', time.gmtime())}"))
        material = {
            "_warning": "LOCAL ONLY: key shares of a sealable namespace in clear text. In production each share "
                        "goes to one of the department's key custodians and this file is deleted.",
            "tenant": tenant_id,
            "namespace": namespace,
            "address": address,
            "key_shares": shares,
            "key_threshold": threshold,
            "created_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        }
        write_private_file(path, (json.dumps(material, indent=2) + "\n").encode())
        return path

    def load(self, tenant_id: str) -> list[str] | None:
        path = self.path(tenant_id)
        if not path.exists():
            return None
        if path.stat().st_mode & 0o077:
            path.chmod(0o600)  # repair: key shares must never be group/world readable
        try:
            material: Any = json.loads(path.read_text())
            shares = material["key_shares"]
            if not (isinstance(shares, list) and all(isinstance(s, str) for s in shares)):
                raise ValueError("key_shares is not a list of strings")
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise VaultOpsError(f"{path} is unreadable ({exc}); unseal with the custodians' shares: "
                                f"`bao namespace unseal -namespace=<parent> {tenant_id}`") from exc
        return list(shares)


def create_sealable(conn: Connection, namespace: str, tenant_id: str, seal: NamespaceSeal,
                    metadata: dict[str, Any], store: KeyShareStore) -> Path:
    """Create the namespace with its own seal, store the shares once, then unseal it for use."""
    parent, name = split_namespace(namespace)
    body = conn.call("POST", parent, f"sys/namespaces/{name}",
                     {"custom_metadata": metadata, "seal": seal_config(seal)}) or {}
    data = dict(body.get("data") or {})
    shares = data.get("key_shares")
    if not isinstance(shares, list) or not shares:
        raise VaultOpsError(f"namespace {namespace} was created but OpenBao returned no key shares (a release "
                            "without sealable namespaces?); it cannot be unsealed. Delete it by hand "
                            f"(`bao namespace delete-sealed -namespace={parent} {name}`) and check the version")
    threshold = int(data.get("key_threshold") or seal.threshold)
    path = store.save(tenant_id, namespace, conn.address, [str(s) for s in shares], threshold)
    _submit(conn, namespace, [str(s) for s in shares][:threshold], str(path))
    return path


def _submit(conn: Connection, namespace: str, shares: list[str], source: str) -> None:
    parent, name = split_namespace(namespace)
    conn.call("PUT", parent, f"sys/namespaces/{name}/unseal", {"reset": True})  # drop someone's partial progress
    status: dict[str, Any] = {}
    for share in shares:
        try:
            body = conn.call("PUT", parent, f"sys/namespaces/{name}/unseal", {"key": share}) or {}
        except hvac.exceptions.InvalidRequest as exc:
            raise VaultOpsError(f"unsealing namespace {namespace} with the key shares from {source} failed "
                                f"({exc}); they do not belong to this namespace") from exc
        status = dict(body.get("data") or body)
        if not status.get("sealed", True):
            return
    raise VaultOpsError(f"namespace {namespace} is still sealed after {len(shares)} key shares from {source} "
                        f"(progress {status.get('progress')}/{status.get('t')}); they do not match it")


def _tenant_namespace(conn: Connection, namespace: str, tenant_id: str) -> SealStatus:
    parent, name = split_namespace(namespace)
    if conn.call("GET", parent, f"sys/namespaces/{name}") is None:
        raise VaultOpsError(f"tenant {tenant_id!r}: namespace {namespace} does not exist at {conn.address}; "
                            "run `egov vault apply` first")
    status = read_seal_status(conn, namespace)
    if status is None:
        raise VaultOpsError(
            f"tenant {tenant_id!r}: namespace {namespace} was created without its own seal, so it cannot be "
            "sealed or unsealed on its own (OpenBao chooses a namespace's seal at creation only). Nothing was "
            "changed. To seal this department separately, declare a new tenant with `sealable: true`, move the "
            "data to it and offboard this one")
    return status


def seal_tenant(conn: Connection, namespace: str, tenant_id: str) -> str:
    """Seal one tenant's namespace; the others and the root namespace keep working."""
    status = _tenant_namespace(conn, namespace, tenant_id)
    if status.sealed:
        return f"namespace {namespace} of tenant {tenant_id!r} is already sealed; nothing was changed"
    parent, name = split_namespace(namespace)
    conn.call("PUT", parent, f"sys/namespaces/{name}/seal")
    after = read_seal_status(conn, namespace)
    if after is None or not after.sealed:
        raise VaultOpsError(f"OpenBao at {conn.address} accepted sealing namespace {namespace} but reports it "
                            "unsealed; check `bao namespace seal-status` by hand")
    return (f"sealed namespace {namespace} of tenant {tenant_id!r}: its secrets, keys and CA answer "
            f"\"namespace is sealed\" until {after.threshold} of its {after.shares} key shares unseal it")


def unseal_tenant(conn: Connection, namespace: str, tenant_id: str, store: KeyShareStore | None) -> str:
    """Unseal one tenant's namespace with the key shares stored on this machine."""
    status = _tenant_namespace(conn, namespace, tenant_id)
    if not status.sealed:
        return f"namespace {namespace} of tenant {tenant_id!r} is not sealed; nothing was changed"
    parent, name = split_namespace(namespace)
    custodians = (f"its key custodians unseal it with `bao namespace unseal -namespace={parent} {name}` "
                  f"({status.threshold} of {status.shares} shares)")
    if store is None:
        raise VaultOpsError(f"no key-share directory for {conn.address} (set {KEYS_DIR_VARIABLE} for a "
                            f"non-embedded OpenBao); {custodians}")
    shares = store.load(tenant_id)
    if shares is None:
        raise VaultOpsError(f"no key shares of tenant {tenant_id!r} at {store.path(tenant_id)}; {custodians}")
    _submit(conn, namespace, shares[:status.threshold] if status.threshold else shares, str(store.path(tenant_id)))
    return f"unsealed namespace {namespace} of tenant {tenant_id!r} with the key shares in {store.path(tenant_id)}"


def unseal_stored(conn: Connection, store: KeyShareStore) -> list[str]:
    """Unseal every sealed tenant namespace whose shares this machine keeps (after an OpenBao restart, a
    sealable namespace comes back sealed). Local use only: in production the custodians unseal."""
    if not store.directory.is_dir():
        return []
    done = []
    for path in sorted(store.directory.glob("*.json")):
        material = json.loads(path.read_text())
        namespace, tenant_id = str(material.get("namespace", "")), path.stem
        status = read_seal_status(conn, namespace) if namespace else None
        if status is not None and status.sealed:
            done.append(unseal_tenant(conn, namespace, tenant_id, store))
    return done
