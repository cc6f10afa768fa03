"""Plan computation from desired resources vs. observed dicts, without a server."""

from __future__ import annotations

from typing import Any

import pytest

from infra.vault.apply import apply_plan
from infra.vault.errors import PlanRefused
from infra.vault.live import Connection
from infra.vault.model import DAY, parse_desired
from infra.vault.plan import compute_plan, same
from infra.vault.resources import Resource, build_resources

YAML = """\
version: 1
tenants:
  - id: finance
    department: Finance Bureau
    domains: [finance.egov.example]
    pipeline_cidrs: [127.0.0.1/32, 10.20.8.0/24]
"""
URL = "https://bao.test:8200"


def _resources() -> list[Resource]:
    return build_resources(parse_desired(YAML, "t.yaml"), URL)


def _converged(resources: list[Resource]) -> dict[str, dict[str, Any] | None]:
    """What an up-to-date server reports: every field as declared."""
    return {r.key: {**r.immutable, **r.settings} for r in resources}


def _by_key(resources: list[Resource]) -> dict[str, Resource]:
    return {r.key: r for r in resources}


def test_resources_are_namespaced_and_ordered_parents_first() -> None:
    resources = _resources()
    keys = [r.key for r in resources]
    assert keys.index("sys/namespaces/tenants") < keys.index("tenants/sys/namespaces/finance")
    assert keys.index("tenants/sys/namespaces/finance") < keys.index("tenants/finance/sys/mounts/kv")
    assert keys.index("pki/config/urls") < keys.index("pki/root") < keys.index("pki_int/intermediate")
    assert keys.index("pki_int/intermediate") < keys.index("tenants/finance/pki/intermediate")
    assert keys.index("tenants/finance/pki/config/urls") < keys.index("tenants/finance/pki/intermediate")
    for position, resource in enumerate(resources):
        for need in resource.needs:
            assert keys.index(need) < position, (resource.key, need)
    tenant_keys = [k for k in keys if "finance" in k]
    assert all(k.startswith("tenants/") for k in tenant_keys)


def test_tenant_resources_carry_the_security_settings() -> None:
    r = _by_key(_resources())
    key = r["tenants/finance/transit/keys/finance"]
    assert key.immutable == {"type": "aes256-gcm96", "exportable": False, "allow_plaintext_backup": False}
    assert key.settings == {"deletion_allowed": False, "auto_rotate_period": 90 * DAY}
    role = r["tenants/finance/pki/roles/finance"].settings
    assert role["allowed_domains"] == ["finance.egov.example"]
    assert role["allow_subdomains"] and role["enforce_hostnames"]
    assert not (role["allow_bare_domains"] or role["allow_glob_domains"] or role["allow_wildcard_certificates"]
                or role["allow_any_name"] or role["allow_localhost"] or role["allow_ip_sans"])
    assert (role["key_type"], role["key_bits"]) == ("ec", 256)
    assert role["max_ttl"] <= 397 * DAY
    approle = r["tenants/finance/auth/approle/role/pipeline"].settings
    assert approle["token_bound_cidrs"] == approle["secret_id_bound_cidrs"] == ["10.20.8.0/24", "127.0.0.1/32"]
    assert (approle["token_ttl"], approle["token_max_ttl"]) == (900, 3600)
    assert approle["token_policies"] == ["pipeline"] and approle["token_no_default_policy"]
    assert r["tenants/finance/kv/config"].settings["max_versions"] == 20
    assert r["tenants/finance/sys/mounts/kv"].immutable == {"type": "kv", "version": "2"}
    ca = r["tenants/finance/pki/intermediate"]
    assert ca.settings == {"permitted_dns_domains": ["finance.egov.example"]}
    assert ca.create_only["signer_mount"] == "pki_int"
    assert r["tenants/finance/pki/config/urls"].settings == {
        "issuing_certificates": [f"{URL}/v1/tenants/finance/pki/ca"],
        "crl_distribution_points": [f"{URL}/v1/tenants/finance/pki/crl"],
        "ocsp_servers": [f"{URL}/v1/tenants/finance/pki/ocsp"],
    }
    assert r["sys/audit/file"].verify_only and r["sys/audit/file-secondary"].verify_only


def test_from_scratch_everything_is_created_except_audit_devices() -> None:
    resources = _resources()
    plan = compute_plan(resources, {}, URL)
    assert {a.op for a in plan.actions} == {"create"}
    assert [a.resource.key for a in plan.actions] == [r.key for r in resources if not r.verify_only]
    assert [f.subject for f in plan.findings] == ["audit device sys/audit/file",
                                                  "audit device sys/audit/file-secondary"]
    assert "declare it in the OpenBao server config" in plan.findings[0].fix
    assert not plan.blocking


def test_converged_state_gives_an_empty_plan() -> None:
    resources = _resources()
    plan = compute_plan(resources, _converged(resources), URL)
    assert plan.empty and plan.actions == () and plan.findings == ()


def test_only_the_changed_field_is_updated() -> None:
    resources = _resources()
    observed = _converged(resources)
    key = "tenants/finance/transit/keys/finance"
    observed[key] = {**(observed[key] or {}), "auto_rotate_period": 0, "min_decryption_version": 3}
    observed["tenants/finance/auth/approle/role/pipeline"] = {
        **(observed["tenants/finance/auth/approle/role/pipeline"] or {}),
        "token_bound_cidrs": ["127.0.0.1/32", "10.20.8.0/24"],  # another order is the same set
    }
    plan = compute_plan(resources, observed, URL)
    assert plan.describe() == [
        "update transit key tenants/finance/transit/keys/finance: auto_rotate_period: 0s -> 90d"]


def test_immutable_drift_is_a_finding_not_an_action() -> None:
    resources = _resources()
    observed = _converged(resources)
    observed["pki/root"] = {"common_name": "someone else's root", "key_type": "ec"}
    key = "tenants/finance/transit/keys/finance"
    observed[key] = {**(observed[key] or {}), "exportable": True}
    plan = compute_plan(resources, observed, URL)
    assert plan.empty
    assert [(f.severity, f.subject) for f in plan.findings] == [
        ("warning", "root CA pki/root"), ("warning", "transit key tenants/finance/transit/keys/finance")]
    assert "never regenerated" in plan.findings[0].fix
    assert "exportable is True, declared False, and cannot change in place" in plan.findings[1].message


def test_a_mount_of_the_wrong_type_blocks_the_apply() -> None:
    resources = _resources()
    observed = _converged(resources)
    observed["tenants/finance/sys/mounts/kv"] = {"type": "kv", "version": "1", "max_lease_ttl": 0}
    plan = compute_plan(resources, observed, URL)
    assert [str(f) for f in plan.blocking] == [
        "error: secrets engine tenants/finance/sys/mounts/kv: version is '1', declared '2', and cannot change in "
        "place; the path is taken by another engine; move or disable it by hand (`bao secrets disable`), then "
        "apply again"]


def test_absent_children_are_created_with_their_parent() -> None:
    resources = _resources()
    observed = _converged(resources)
    for key in list(observed):
        if key.startswith("tenants/finance/") or key == "tenants/sys/namespaces/finance":
            observed[key] = None
    plan = compute_plan(resources, observed, URL)
    assert plan.describe()[0] == "create namespace tenants/sys/namespaces/finance"
    assert all(a.op == "create" for a in plan.actions)
    assert len(plan.actions) == 13  # namespace, 2 policies, 3 mounts, 3 settings, key, CA, role, approle


def test_offboarding_changes_policy_rotation_and_metadata_only() -> None:
    resources = _resources()
    observed = _converged(resources)
    offboarded = build_resources(parse_desired(YAML + "    offboarded: true\n", "t.yaml"), URL)
    plan = compute_plan(offboarded, observed, URL)
    assert [a.resource.key for a in plan.actions] == [
        "tenants/sys/namespaces/finance",
        "tenants/finance/sys/policies/acl/pipeline",
        "tenants/finance/transit/keys/finance",
    ]
    assert plan.actions[2].describe().endswith("auto_rotate_period: 90d -> 0s")
    assert "deletion_allowed" not in plan.actions[2].describe()
    policy = plan.actions[1].changes[0].new
    assert 'path "transit/decrypt/finance"' in policy and "transit/encrypt" not in policy
    assert "pki/issue" not in policy


def test_same_treats_lists_as_sets() -> None:
    assert same(["b", "a"], ["a", "b"])
    assert not same(["a"], ["a", "b"])
    assert same({"x": "1"}, {"x": "1"})
    assert not same(None, False)


def test_apply_refuses_a_plan_with_blocking_findings_before_any_request() -> None:
    resources = _resources()
    observed = _converged(resources)
    observed["tenants/finance/sys/auth/approle"] = {"type": "userpass"}
    plan = compute_plan(resources, observed, URL)
    offline = Connection("https://127.0.0.1:9", "token", True, source="environment")
    with pytest.raises(PlanRefused, match=r"refusing to apply; nothing was changed:\n  - error: auth method "
                                          r"tenants/finance/sys/auth/approle: type is 'userpass', declared 'approle'"):
        apply_plan(offline, parse_desired(YAML, "t.yaml"), plan)
