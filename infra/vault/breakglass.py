"""Which actions of a plan the `operators` policy refuses on purpose, so that only the break-glass token runs them.

An operator who could write a policy some token carries, an AppRole's binding parameters, a mount's audit
HMAC settings or a CA certificate could become root, a tenant's pipeline, a CA or a reader of tenant
secrets (issue 7). ``egov vault apply`` therefore runs these few actions with the break-glass (root) token
and everything else with the operator's own token. Pure: unit-tested without a server.
"""

from __future__ import annotations

from infra.vault import policies as pol
from infra.vault.plan import Action

# AppRole role fields the operators policy lets an operator change (lifetimes); every other one binds.
OPERATOR_ROLE_FIELDS = frozenset({"token_ttl", "token_max_ttl", "secret_id_ttl", "secret_id_num_uses"})
BREAK_GLASS_VARIABLE = "EGOV_VAULT_BREAK_GLASS_TOKEN"


def break_glass_reason(action: Action) -> str:
    """Why ``action`` needs the break-glass token, or "" when the operators policy allows it."""
    r = action.resource
    fields = {change.field for change in action.changes}
    if r.kind == "policy":
        if r.path.endswith(f"/{pol.DEFAULT_POLICY}"):
            return "every token carries the `default` policy"
        if not r.namespace:
            return "root-namespace policies are carried by operators' and Pulumi's own tokens"
        return ""
    if r.kind == "approle_role":
        binding = sorted(fields - OPERATOR_ROLE_FIELDS) if action.op == "update" else ["create"]
        return f"AppRole binding parameters ({', '.join(binding)})" if binding else ""
    if r.kind in ("mount", "auth_mount") and any(f.startswith("audit_non_hmac") for f in fields):
        if action.op == "update":
            return "audit HMAC settings decide which values reach the audit log in clear"
        return ""
    if r.kind == "kv_config" and r.path == f"{pol.LEDGER_MOUNT}/config" and not r.namespace:
        return "the CIDR ledger's check-and-set requirement keeps concurrent planners off one block"
    if r.kind in ("pki_root", "pki_intermediate", "tenant_ca"):
        return "creating or signing a CA certificate"
    return ""
