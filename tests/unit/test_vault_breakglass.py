"""Which plan actions need the break-glass token: exactly those the operators policy refuses on purpose."""

from __future__ import annotations

import pytest

from infra.vault.breakglass import break_glass_reason
from infra.vault.model import parse_desired
from infra.vault.plan import Action, Change
from infra.vault.resources import Resource, build_resources

YAML = """\
version: 1
tenants:
  - id: finance
    department: Finance Bureau
    domains: [finance.egov.example]
    pipeline_cidrs: [10.20.8.0/24]
"""
RESOURCES = {r.key: r for r in build_resources(parse_desired(YAML, "t.yaml"), "https://bao.test:8200")}


def _update(key: str, **changes: object) -> Action:
    return Action("update", RESOURCES[key], tuple(Change(name, None, value) for name, value in changes.items()))


def _create(key: str) -> Action:
    return Action("create", RESOURCES[key])


@pytest.mark.parametrize(("action", "reason"), [
    (_update("sys/policies/acl/default", policy="x"), "every token carries the `default` policy"),
    (_update("tenants/finance/sys/policies/acl/default", policy="x"), "every token carries the `default` policy"),
    (_create("tenants/finance/sys/policies/acl/default"), "every token carries the `default` policy"),
    (_update("sys/policies/acl/operators", policy="x"), "root-namespace policies are carried by operators' and "
                                                        "Pulumi's own tokens"),
    (_update("sys/policies/acl/pulumi", policy="x"), "root-namespace policies are carried by operators' and "
                                                     "Pulumi's own tokens"),
    (_create("tenants/finance/auth/approle/role/pipeline"), "AppRole binding parameters (create)"),
    (_update("tenants/finance/auth/approle/role/pipeline", bind_secret_id=True, token_ttl=60),
     "AppRole binding parameters (bind_secret_id)"),
    (_update("auth/approle/role/pulumi", token_bound_cidrs=[], secret_id_bound_cidrs=[]),
     "AppRole binding parameters (secret_id_bound_cidrs, token_bound_cidrs)"),
    (_update("tenants/finance/sys/mounts/kv", audit_non_hmac_response_keys=[]),
     "audit HMAC settings decide which values reach the audit log in clear"),
    (_update("tenants/finance/sys/auth/approle", audit_non_hmac_request_keys=[]),
     "audit HMAC settings decide which values reach the audit log in clear"),
    (_create("pki/root"), "creating or signing a CA certificate"),
    (_create("pki_int/intermediate"), "creating or signing a CA certificate"),
    (_update("tenants/finance/pki/intermediate", permitted_dns_domains=["a"]), "creating or signing a CA certificate"),
])
def test_break_glass_actions_are_named_with_why(action: Action, reason: str) -> None:
    assert break_glass_reason(action) == reason


@pytest.mark.parametrize("action", [
    _update("tenants/finance/sys/policies/acl/pipeline", policy="x"),  # offboarding
    _create("tenants/finance/sys/policies/acl/pipeline"),
    _update("tenants/finance/auth/approle/role/pipeline", token_ttl=60, token_max_ttl=120, secret_id_ttl=60,
            secret_id_num_uses=1),
    _create("tenants/finance/sys/mounts/kv"),  # created without audit HMAC keys
    _update("tenants/finance/sys/mounts/pki", max_lease_ttl=3600),
    _create("tenants/finance/sys/auth/approle"),
    _update("tenants/finance/kv/config", max_versions=7),
    _update("tenants/finance/transit/keys/finance", auto_rotate_period=3600),
    _update("tenants/sys/namespaces/finance", custom_metadata={}),
    _update("tenants/finance/pki/roles/finance", max_ttl=3600),
    _update("pki/config/urls", ocsp_servers=[]),
])
def test_routine_actions_run_with_the_operators_own_token(action: Action) -> None:
    assert break_glass_reason(action) == ""


def test_every_resource_kind_is_classified_on_purpose() -> None:
    kinds = {r.kind for r in RESOURCES.values()}
    assert kinds == {"audit_device", "namespace", "mount", "auth_mount", "kv_config", "transit_key", "policy",
                     "approle_role", "pki_root", "pki_intermediate", "tenant_ca", "pki_urls", "pki_role"}
    assert isinstance(RESOURCES["pki/root"], Resource)
