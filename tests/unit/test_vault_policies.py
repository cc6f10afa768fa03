"""Policy rendering (deterministic, matches the committed files) and the offboarding edit of the YAML."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from infra.vault.apply import mark_offboarded, offboard_desired
from infra.vault.errors import VaultOpsError
from infra.vault.model import load_desired, parse_desired
from infra.vault.policies import (
    DEFAULT_DESIRED,
    TEMPLATES_DIR,
    render_all,
    render_auditor_policy,
    render_tenant_policy,
    rendered_dir_for,
    stale_files,
    write_rendered,
)


def test_committed_rendered_policies_match_the_templates() -> None:
    state = load_desired(DEFAULT_DESIRED)
    directory = rendered_dir_for(DEFAULT_DESIRED)
    assert stale_files(state, directory) == [], "run `egov vault render` and commit policies/vault/rendered/"
    assert sorted(str(p.relative_to(directory)) for p in directory.rglob("*.hcl")) == sorted(render_all(state))


def test_rendering_is_deterministic() -> None:
    state = load_desired(DEFAULT_DESIRED)
    assert render_all(state) == render_all(load_desired(DEFAULT_DESIRED))
    reordered = state.model_copy(update={"tenants": list(reversed(state.tenants))})
    assert list(render_all(reordered)) == list(render_all(state))


def test_every_template_placeholder_is_filled() -> None:
    for text in render_all(load_desired(DEFAULT_DESIRED)).values():
        assert "${" not in text and "$" not in text.replace("$$", "")


def test_pipeline_policy_reaches_only_its_own_namespace_paths() -> None:
    tenant = load_desired(DEFAULT_DESIRED).tenant("finance")
    text = render_tenant_policy(tenant)
    paths = [line.split('"')[1] for line in text.splitlines() if line.startswith("path ")]
    assert paths == [
        "kv/data/*", "kv/metadata/*",
        "transit/encrypt/finance", "transit/decrypt/finance", "transit/rewrap/finance",
        "transit/datakey/wrapped/finance",
        "pki/issue/finance",
        "auth/token/lookup-self", "auth/token/renew-self", "auth/token/revoke-self",
    ]
    assert "sys/" not in text and "tenants/" not in text.split("\n", 3)[3]


def test_auditor_policy_reads_configuration_and_never_a_secret() -> None:
    """Read and list only (sudo on sys/audit alone, which OpenBao asks for to list audit devices); no path
    reaching KV, transit operations, role-id/secret-id, tokens or identities. The live refusals are
    tests/integration/test_vault_auditor.py."""
    text = render_auditor_policy()
    stanzas = re.findall(r'path "([^"]+)" \{\n  capabilities = \[([^\]]*)\]\n\}', text)
    assert len(stanzas) == sum(line.startswith("path ") for line in text.splitlines()) > 40
    for path, capabilities in stanzas:
        granted = {c.strip().strip('"') for c in capabilities.split(",")}
        assert granted <= ({"read", "sudo"} if path == "sys/audit" else {"read", "list"}), path
        reachable = path.replace("sys/mounts/*", "").replace("sys/auth/*", "")
        assert not re.search(r"(^|/)(kv|secret|cubbyhole|identity)/|/(encrypt|decrypt|export|backup|datakey|"
                             r"rewrap|sign|issue|role-id|secret-id)(/|$)|auth/token|\*$", reachable), path
    assert {p for p, _ in stanzas if p.endswith("*")} == {
        "sys/mounts/*", "sys/auth/*", "tenants/+/sys/mounts/*", "tenants/+/sys/auth/*"}


def test_offboarded_policy_is_decrypt_and_read_only() -> None:
    tenant = load_desired(DEFAULT_DESIRED).tenant("finance").model_copy(update={"offboarded": True})
    text = render_tenant_policy(tenant)
    assert "OFFBOARDED" in text
    assert 'path "transit/decrypt/finance"' in text
    for gone in ("transit/encrypt", "transit/rewrap", "pki/issue", '"create"', '"update", "patch"'):
        assert gone not in text


def test_write_rendered_adds_updates_and_drops(tmp_path: Path) -> None:
    state = load_desired(DEFAULT_DESIRED)
    out = tmp_path / "rendered"
    assert sorted(write_rendered(state, out)) == sorted(render_all(state))
    assert write_rendered(state, out) == []
    (out / "tenants" / "gone").mkdir()
    (out / "tenants" / "gone" / "pipeline.hcl").write_text("old")
    (out / "root" / "operators.hcl").write_text("edited by hand")
    assert write_rendered(state, out) == ["root/operators.hcl", "tenants/gone/pipeline.hcl"]
    assert not (out / "tenants" / "gone").exists()
    assert stale_files(state, out) == []


def test_templates_exist_one_per_role() -> None:
    assert sorted(p.name for p in TEMPLATES_DIR.iterdir()) == [
        "auditor.hcl.tmpl", "default.hcl.tmpl", "operators.hcl.tmpl", "pulumi.hcl.tmpl", "tenant-offboarded.hcl.tmpl",
        "tenant-pipeline.hcl.tmpl"]


# ---------------------------------------------------------------------------- offboarding edit

YAML = """\
version: 1
# the tenants
tenants:
  - id: finance   # keep this comment
    department: Finance Bureau
    domains: [finance.egov.example]
    pipeline_cidrs: [10.20.8.0/24]
  - department: Health Commission
    id: health
    domains: [health.egov.example]
    pipeline_cidrs: [10.20.9.0/24]
    offboarded: false  # was active
"""


def test_mark_offboarded_inserts_after_id_and_keeps_comments() -> None:
    text = mark_offboarded(YAML, "finance", "t.yaml")
    assert text.splitlines()[3:5] == ["  - id: finance   # keep this comment", "    offboarded: true"]
    assert "# the tenants" in text
    state = parse_desired(text, "t.yaml")
    assert state.tenant("finance").offboarded and not state.tenant("health").offboarded


def test_mark_offboarded_replaces_an_existing_value() -> None:
    text = mark_offboarded(YAML, "health", "t.yaml")
    assert "    offboarded: true  # was active\n" in text
    assert parse_desired(text, "t.yaml").tenant("health").offboarded
    assert mark_offboarded(text, "health", "t.yaml") == text


def test_mark_offboarded_unknown_or_flow_style() -> None:
    with pytest.raises(VaultOpsError, match="no tenant with id 'hr'"):
        mark_offboarded(YAML, "hr", "t.yaml")
    flow = "version: 1\ntenants:\n  - {id: a1, department: A, domains: [a.example], pipeline_cidrs: [10.0.0.0/8]}\n"
    with pytest.raises(VaultOpsError, match="flow style"):
        mark_offboarded(flow, "a1", "t.yaml")


def test_offboard_desired_validates_without_writing(tmp_path: Path) -> None:
    path = tmp_path / "tenants.yaml"
    shutil.copy(DEFAULT_DESIRED, path)
    before = path.read_text()
    text, state = offboard_desired(path, "health")
    assert state.tenant("health").offboarded and not state.tenant("finance").offboarded
    assert path.read_text() == before
    assert text != before
    with pytest.raises(VaultOpsError, match=r"no tenant 'nobody'.*tenants: finance, health"):
        offboard_desired(path, "nobody")
