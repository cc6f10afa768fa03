"""The scan's own OpenBao token: policy ``auditor`` (``policies/vault/templates/auditor.hcl.tmpl``, applied
by `egov vault apply` like the others), minted per scan from a root connection, short-lived and not
renewable, without ``default``. The scan then reads configuration and metadata and can do nothing else, so
it no longer needs the root token on the embedded server (the read-only guard of the collector stays, as a
second wall)."""

from __future__ import annotations

import hvac

from infra.vault.errors import VaultOpsError
from infra.vault.live import Connection
from infra.vault.policies import AUDITOR_POLICY

AUDITOR_TOKEN_TTL = "15m"


class AuditorPolicyMissing(VaultOpsError):
    """The ``auditor`` policy is not in OpenBao yet: a token naming it would be refused everything."""


def mint_auditor_token(root: Connection, ttl: str = AUDITOR_TOKEN_TTL) -> str:
    """A token carrying only ``auditor``: ``ttl`` hard limit (explicit max), not renewable, no children
    (no ``default`` policy, so no token self-management either)."""
    client = root.client("")
    try:
        client.sys.read_policy(name=AUDITOR_POLICY)
    except hvac.exceptions.InvalidPath as exc:
        raise AuditorPolicyMissing(
            f"OpenBao at {root.address} has no `{AUDITOR_POLICY}` policy, which the scan's token carries; "
            "run `egov vault apply` (it installs it from policies/vault/templates/auditor.hcl.tmpl)") from exc
    created = client.auth.token.create(
        policies=[AUDITOR_POLICY], no_default_policy=True, ttl=ttl, explicit_max_ttl=ttl, renewable=False,
        display_name="egov-scan-auditor", meta={"purpose": "egov scan (read-only)"})
    token: str = created["auth"]["client_token"]
    return token
