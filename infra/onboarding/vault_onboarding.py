"""A tenant's part of OpenBao: its namespace, transit key, KV, PKI role and AppRole, applied alone.

The entry is derived from the validated request (never hand-edited into ``policies/vault/tenants.yaml`` by
code): a tenant the file already declares keeps the file's declaration; any other gets the defaults of the
model with its own domain ``<id>.egov.example`` and the pipeline CIDRs given. It is applied through the same
plan/apply as `egov vault apply`, on a desired state holding the platform of the file and this one tenant,
so no other tenant's namespace is read for change or touched. The entry is kept in the onboarding record,
which is what offboarding applies again (``offboarded: true``) on any runner.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from infra.config.tenant_request import TenantRequest
from infra.vault import policies as pol
from infra.vault.apply import apply_plan, make_plan
from infra.vault.errors import PlanRefused
from infra.vault.live import Connection
from infra.vault.model import PIPELINE_MANAGER, DesiredState, Tenant, load_desired

TENANT_DOMAIN = "{tenant}.egov.example"


def tenant_entry(request: TenantRequest, pipeline_cidrs: Sequence[str], desired_file: Path) -> Tenant:
    """The tenant's declaration: the file's own when it declares the id, else derived from the request.

    Validated together with the file's tenants, so a derived domain that overlaps a declared tenant's is
    refused here (one tenant could otherwise get certificates for another's names)."""
    declared = load_desired(desired_file)
    for tenant in declared.tenants:
        if tenant.id == request.id:
            return tenant
    entry = Tenant.model_validate({
        "id": request.id,
        "department": f"{request.name_en} ({request.name_zh})",
        "domains": [TENANT_DOMAIN.format(tenant=request.id)],
        "pipeline_cidrs": list(pipeline_cidrs),
        "kv_cas_required": True,
        "managed_by": PIPELINE_MANAGER,
    })
    DesiredState(version=1, platform=declared.platform, tenants=[*declared.tenants, entry])
    return entry


def apply_tenant(conn: Connection, entry: Tenant, desired_file: Path,
                 progress: Callable[[str], None] = lambda _: None) -> int:
    """Bring OpenBao to the platform of ``desired_file`` plus this one tenant; returns the changes made."""
    state = DesiredState(version=1, platform=load_desired(desired_file).platform, tenants=[entry])
    plan = make_plan(conn, state)
    if plan.blocking:
        raise PlanRefused("OpenBao refuses the tenant's onboarding; nothing was changed:\n"
                          + "\n".join(f"  - {finding}" for finding in plan.blocking))
    if plan.empty:
        return 0
    return len(apply_plan(conn, state, plan, progress=progress).applied)


def revoke_pipeline(conn: Connection, entry: Tenant) -> None:
    """Offboarding: the pipeline's AppRole role is deleted (its secret-ids with it) and every token it issued
    is revoked, so its login fails from now on. Safe to run again."""
    namespace = entry.namespace
    conn.call("DELETE", namespace, f"auth/{pol.APPROLE_MOUNT}/role/{pol.PIPELINE_ROLE}")
    conn.call("PUT", namespace, f"sys/leases/revoke-prefix/auth/{pol.APPROLE_MOUNT}/login")


def entry_document(entry: Tenant) -> dict[str, Any]:
    return entry.model_dump(mode="json")


def entry_from_document(document: dict[str, Any], *, offboarded: bool = False) -> Tenant:
    return Tenant.model_validate({**document, "offboarded": offboarded or document.get("offboarded", False)})
