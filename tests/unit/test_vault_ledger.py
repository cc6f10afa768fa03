"""The CIDR ledger in Vault as code: declared with the platform, in the form `egov tenant plan` relies on."""

from __future__ import annotations

import json
import re

from infra.tenants import ledger
from infra.vault import policies as pol
from infra.vault.breakglass import break_glass_reason
from infra.vault.model import parse_desired
from infra.vault.plan import Action, Change
from infra.vault.resources import build_resources

YAML = """\
version: 1
tenants:
  - id: finance
    department: Finance Bureau
    domains: [finance.egov.example]
    pipeline_cidrs: [10.20.8.0/24]
"""
RESOURCES = {r.key: r for r in build_resources(parse_desired(YAML, "t.yaml"), "https://bao.test:8200")}


def test_the_ledger_mount_config_and_policy_are_declared_in_the_root_namespace() -> None:
    mount = RESOURCES["sys/mounts/tenant-ledger"]
    assert (mount.kind, mount.namespace, dict(mount.immutable)) == ("mount", "", {"type": "kv", "version": "2"})
    config = RESOURCES["tenant-ledger/config"]
    assert config.kind == "kv_config" and config.needs == (mount.key,)
    assert dict(config.settings) == {"max_versions": 100, "cas_required": True, "delete_version_after": 0}
    policy = RESOURCES["sys/policies/acl/tenant-ledger"]
    # The policy as read from its HCL: exactly the ledger document (read, CAS write) and its metadata (read).
    text = policy.settings["policy"]
    blocks = re.findall(r'^path "([^"]+)" \{\s*capabilities = (\[[^\]]*\])\s*\}', text, re.M)
    assert len(blocks) == text.count("path \"")
    paths = {path: json.loads(capabilities) for path, capabilities in blocks}
    assert paths == {"tenant-ledger/data/cidrs": ["create", "read", "update"],
                     "tenant-ledger/metadata/cidrs": ["read"]}


def test_vault_as_code_and_the_ledger_agree_on_names_and_policy_text() -> None:
    """The ledger module (layer of its own) keeps its names; the declaration must be the same ledger."""
    assert (pol.LEDGER_MOUNT, pol.LEDGER_POLICY, pol.LEDGER_DOCUMENT) == (
        ledger.LEDGER_MOUNT, ledger.LEDGER_POLICY, ledger.LEDGER_DOCUMENT)
    assert RESOURCES["sys/policies/acl/tenant-ledger"].settings["policy"] == ledger.ledger_policy()


def test_changing_the_ledger_settings_takes_the_break_glass_token_a_tenant_kv_does_not() -> None:
    ledger_change = Action("update", RESOURCES["tenant-ledger/config"], (Change("cas_required", False, True),))
    assert "check-and-set" in break_glass_reason(ledger_change)
    assert break_glass_reason(Action("create", RESOURCES["tenant-ledger/config"])) != ""
    tenant_change = Action("update", RESOURCES["tenants/finance/kv/config"], (Change("max_versions", 5, 10),))
    assert break_glass_reason(tenant_change) == ""
    assert break_glass_reason(Action("create", RESOURCES["sys/mounts/tenant-ledger"])) == ""  # operators may
    policy = Action("create", RESOURCES["sys/policies/acl/tenant-ledger"])
    assert "root-namespace policies" in break_glass_reason(policy)
