"""The CIDR ledger: which department holds which block of the tenant pool, kept in OpenBao KV v2.

Several pipeline runners plan at once, so the ledger is one KV document written only with check-and-set:
read it (and its version), choose a free block, write with ``cas=<version read>``. When another runner
wrote in between, OpenBao refuses the write and we read again and retry; a block is therefore never
handed out twice, whatever the number of runners. The mount has ``cas_required`` so that no writer
(another tool, a hand-made ``bao kv put``) can skip the check.

The token used for the ledger carries only the ``tenant-ledger`` policy
(``policies/vault/ledger/tenant-ledger.hcl.tmpl``): read and CAS-write this one document, nothing else.

A department id is claimed once. Re-planning the same department (same names and owner) finds its block
again (idempotent); a request for an id already held by another department is refused.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from ipaddress import IPv4Network
from string import Template
from typing import Any

import hvac
import hvac.exceptions

from infra.config.tenant_request import TenantRequest
from infra.repository import REPO_ROOT
from infra.tenants.allocation import Allocation

LEDGER_MOUNT = "tenant-ledger"
LEDGER_DOCUMENT = "cidrs"
LEDGER_POLICY = "tenant-ledger"
POLICY_TEMPLATE = REPO_ROOT / "policies" / "vault" / "ledger" / "tenant-ledger.hcl.tmpl"
FORMAT = 1
_CAS_MISMATCH = "check-and-set parameter did not match the current version"


class LedgerError(Exception):
    """The ledger refused (id taken, pool full, overlap) or could not be used; the message says what to do."""


def ledger_policy(mount: str = LEDGER_MOUNT, document: str = LEDGER_DOCUMENT) -> str:
    """The ``tenant-ledger`` policy text."""
    return Template(POLICY_TEMPLATE.read_text(encoding="utf-8")).substitute(mount=mount, document=document)


def ensure_ledger(admin: hvac.Client, mount: str = LEDGER_MOUNT) -> None:
    """Create the ledger's KV v2 mount (``cas_required``) and its policy; safe to run again.

    Needs a token that may enable mounts and write policies (root or break-glass on a real platform).
    """
    mounts = admin.sys.list_mounted_secrets_engines()
    listing = mounts.get("data", mounts)
    if f"{mount}/" not in listing:
        admin.sys.enable_secrets_engine("kv", path=mount, options={"version": "2"},
                                        description="CIDR ledger of egov tenant plan")
    # A new KV v2 mount "upgrades" for a moment after it is enabled and refuses requests meanwhile.
    deadline = time.monotonic() + 30
    while True:
        try:
            admin.secrets.kv.v2.configure(cas_required=True, max_versions=100, mount_point=mount)
            break
        except hvac.exceptions.InvalidRequest as exc:
            if "Upgrading from non-versioned to versioned" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.2)
    admin.sys.create_or_update_policy(LEDGER_POLICY, ledger_policy(mount))


def ledger_ready(client: hvac.Client, mount: str = LEDGER_MOUNT, document: str = LEDGER_DOCUMENT) -> bool:
    """Whether ``client`` can use the ledger as it is: the mount exists and its token may read the document's
    metadata (a document not written yet counts). False when the mount is missing or the token lacks the policy."""
    try:
        client.secrets.kv.v2.read_secret_metadata(path=document, mount_point=mount)
    except hvac.exceptions.Forbidden:
        return False
    except hvac.exceptions.InvalidPath as exc:
        return "no handler for route" not in str(exc)  # the mount is missing; else only the document is
    return True


def ledger_token(admin: hvac.Client, ttl: str = "15m") -> str:
    """A short-lived token holding only the ledger policy (no ``default``, no children)."""
    created = admin.auth.token.create(policies=[LEDGER_POLICY], no_default_policy=True, ttl=ttl,
                                      renewable=False, display_name="tenant-ledger", meta={"purpose": "cidr ledger"})
    token: str = created["auth"]["client_token"]
    return token


class Ledger:
    """The ledger document at ``<mount>/data/cidrs`` and the pool it hands out."""

    def __init__(self, client: hvac.Client, pool: IPv4Network, mount: str = LEDGER_MOUNT,
                 document: str = LEDGER_DOCUMENT, attempts: int = 200,
                 now: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self.client = client
        self.pool = pool
        self.mount = mount
        self.document = document
        self.attempts = attempts
        self.now = now

    def allocations(self) -> dict[str, Allocation]:
        """Every department's block, by id."""
        tenants, _ = self._read()
        return {tenant: Allocation.from_record(tenant, record) for tenant, record in tenants.items()}

    def find(self, tenant: str) -> Allocation | None:
        return self.allocations().get(tenant)

    def allocate(self, request: TenantRequest) -> Allocation:
        """The request's block: its existing one, or a new one written with check-and-set (retried on conflict)."""
        for attempt in range(self.attempts):
            tenants, version = self._read()
            held = tenants.get(request.id)
            if held is not None:
                return self._existing(request, Allocation.from_record(request.id, held))
            cidr = self._choose(request, tenants)
            allocation = Allocation(request.id, cidr, request.name_en, request.name_zh, _owner(request),
                                    self.now().isoformat(timespec="seconds"), new=True)
            document = {"format": FORMAT, "pool": str(self.pool),
                        "tenants": {**tenants, request.id: allocation.record()}}
            if self._write(document, version):
                return allocation
            time.sleep(random.uniform(0.005, 0.05) * min(attempt + 1, 10))  # another runner won: read again
        raise LedgerError(f"the CIDR ledger stayed busy through {self.attempts} attempts (other runners kept "
                          "writing); run the plan again")

    def _existing(self, request: TenantRequest, held: Allocation) -> Allocation:
        if (held.name_en, held.name_zh, held.owner) != (request.name_en, request.name_zh, _owner(request)):
            raise LedgerError(
                f"department id '{request.id}' is already held by {held.name_en} ({held.name_zh}, owner "
                f"{held.owner}) with {held.cidr} since {held.allocated_at}; a second request for the same id is "
                "refused: choose another id, or have the holder change its own request")
        if held.cidr.prefixlen != request.prefix or (request.cidr is not None and request.cidr != held.cidr):
            wanted = request.cidr or f"a /{request.prefix}"
            raise LedgerError(
                f"department '{request.id}' already holds {held.cidr}; the request now asks for {wanted}, and a "
                f"tenant's block cannot change once allocated: keep network.prefix: {held.cidr.prefixlen}"
                + (f" and network.cidr: {held.cidr}" if request.cidr is not None else ""))
        return held

    def _choose(self, request: TenantRequest, tenants: Mapping[str, Mapping[str, Any]]) -> IPv4Network:
        taken = [(tenant, IPv4Network(record["cidr"])) for tenant, record in tenants.items()]
        if request.cidr is not None:
            for tenant, block in taken:
                if request.cidr.overlaps(block):
                    raise LedgerError(f"network.cidr {request.cidr} overlaps {block}, held by department "
                                      f"'{tenant}'; drop network.cidr to have a free block allocated")
            return request.cidr
        if request.prefix < self.pool.prefixlen:
            raise LedgerError(f"a /{request.prefix} does not fit in the tenant pool {self.pool}")
        blocks = sorted(block for _, block in taken)
        for candidate in self.pool.subnets(new_prefix=request.prefix):
            if not any(candidate.overlaps(block) for block in blocks):
                return candidate
        raise LedgerError(f"the tenant pool {self.pool} has no free /{request.prefix} left ({len(taken)} tenants "
                          "hold blocks); ask for a smaller network.prefix, or have the platform team extend "
                          "tenant_pool in policies/platform.yaml")

    def _read(self) -> tuple[dict[str, Any], int]:
        """The tenants recorded and the document's version (0 when it does not exist yet)."""
        for _ in range(self.attempts):
            found = self._read_once()
            if found is not None:
                return found
            time.sleep(random.uniform(0.005, 0.05))
        raise LedgerError(f"the CIDR ledger {self.mount}/{self.document} kept changing between reads; run the "
                          "plan again")

    def _read_once(self) -> tuple[dict[str, Any], int] | None:
        """As ``_read``; None when the document appeared between the read and the metadata check."""
        try:
            answer = self.client.secrets.kv.v2.read_secret_version(
                path=self.document, mount_point=self.mount, raise_on_deleted_version=True)
        except hvac.exceptions.InvalidPath:
            version = self._deleted_version()
            return None if version is None else ({}, version)
        except hvac.exceptions.Forbidden as exc:
            raise LedgerError(f"the token may not read the CIDR ledger ({self.mount}/{self.document}): it needs "
                              f"the '{LEDGER_POLICY}' policy") from exc
        except hvac.exceptions.VaultError as exc:
            raise LedgerError(f"cannot read the CIDR ledger {self.mount}/{self.document}: {exc}") from exc
        data = answer["data"]
        document = data.get("data") or {}
        tenants = document.get("tenants") or {}
        if not isinstance(tenants, dict):
            raise LedgerError(f"the CIDR ledger {self.mount}/{self.document} is not in the expected form")
        return dict(tenants), int(data["metadata"]["version"])

    def _deleted_version(self) -> int | None:
        """After a 404: 0 when the ledger was never written; None when another runner has written it since;
        a refusal when its latest version was deleted (starting over would hand out blocks departments hold)."""
        try:
            metadata = self.client.secrets.kv.v2.read_secret_metadata(path=self.document, mount_point=self.mount)
        except hvac.exceptions.InvalidPath:
            return 0
        except hvac.exceptions.VaultError as exc:
            raise LedgerError(f"cannot read the CIDR ledger's metadata {self.mount}/{self.document}: {exc}") from exc
        current = int(metadata["data"].get("current_version") or 0)
        if current == 0:
            return 0
        latest = (metadata["data"].get("versions") or {}).get(str(current)) or {}
        if not latest.get("deletion_time") and not latest.get("destroyed"):
            return None  # written by another runner after our read: read again
        raise LedgerError(f"the latest version ({current}) of the CIDR ledger {self.mount}/{self.document} is "
                          "deleted, so the blocks departments hold are unknown: an operator restores it with "
                          f"`bao kv undelete -mount={self.mount} -versions={current} {self.document}`")

    def _write(self, document: dict[str, Any], version: int) -> bool:
        """Write with check-and-set; False when another writer got there first."""
        try:
            self.client.secrets.kv.v2.create_or_update_secret(
                path=self.document, secret=document, cas=version, mount_point=self.mount)
        except hvac.exceptions.InvalidRequest as exc:
            if _CAS_MISMATCH in str(exc):
                return False
            raise LedgerError(f"the CIDR ledger refused the write: {exc}") from exc
        except hvac.exceptions.Forbidden as exc:
            raise LedgerError(f"the token may not write the CIDR ledger ({self.mount}/{self.document}): it needs "
                              f"the '{LEDGER_POLICY}' policy") from exc
        except hvac.exceptions.VaultError as exc:
            raise LedgerError(f"cannot write the CIDR ledger {self.mount}/{self.document}: {exc}") from exc
        return True


def _owner(request: TenantRequest) -> str:
    """The request's accountable contact: its owner, else its first contact."""
    owners = [contact.email for contact in request.contacts if contact.role == "owner"]
    return owners[0] if owners else request.contacts[0].email
