"""Sealable tenant namespaces without a server: model, resources, plan messages, key-share file."""

from __future__ import annotations

import json
import stat
from pathlib import Path
from typing import Any

import pytest

from infra.vault.errors import DesiredStateError, VaultOpsError
from infra.vault.model import NamespaceSeal, load_desired, parse_desired
from infra.vault.plan import SealState, compute_plan
from infra.vault.policies import DEFAULT_DESIRED
from infra.vault.resources import Resource, build_resources
from infra.vault.seal import KeyShareStore, seal_config, split_namespace

FILE = "tenants.yaml"
URL = "https://bao.test:8200"
YAML = """\
version: 1
tenants:
  - id: finance
    department: Finance Bureau
    domains: [finance.egov.example]
    pipeline_cidrs: [10.20.8.0/24]
    sealable: true
  - id: health
    department: Health Commission
    domains: [health.egov.example]
    pipeline_cidrs: [10.20.9.0/24]
"""


def _with_seal(shares: int, threshold: int) -> str:
    """YAML with a per-tenant seal on the sealable tenant."""
    return YAML.replace("    sealable: true\n",
                        f"    sealable: true\n    namespace_seal: {{shares: {shares}, threshold: {threshold}}}\n")


def _one(text: str) -> str:
    with pytest.raises(DesiredStateError) as caught:
        parse_desired(text, FILE)
    problems = [str(p) for p in caught.value.problems]
    assert len(problems) == 1, problems
    return problems[0]


def _resources(text: str = YAML) -> dict[str, Resource]:
    return {r.key: r for r in build_resources(parse_desired(text, FILE), URL)}


def _converged(resources: dict[str, Resource]) -> dict[str, dict[str, Any] | None]:
    return {key: {**r.immutable, **r.settings} for key, r in resources.items()}


# ----------------------------------------------------------------------------- model


def test_sealable_is_off_by_default_and_takes_the_platform_seal() -> None:
    state = parse_desired(YAML, FILE)
    assert state.tenant("health").sealable is False
    assert state.namespace_seal(state.tenant("health")) is None
    assert state.namespace_seal(state.tenant("finance")) == NamespaceSeal(shares=5, threshold=3)
    state = parse_desired(_with_seal(3, 2).replace("version: 1\n", "version: 1\nplatform:\n  namespace_seal: "
                                                   "{shares: 7, threshold: 4}\n"), FILE)
    assert state.namespace_seal(state.tenant("finance")) == NamespaceSeal(shares=3, threshold=2)
    assert state.platform.namespace_seal == NamespaceSeal(shares=7, threshold=4)


def test_the_committed_file_has_a_sealable_sample_tenant() -> None:
    state = load_desired(DEFAULT_DESIRED)
    assert [t.id for t in state.tenants if t.sealable] == ["health"]
    assert state.namespace_seal(state.tenant("health")) == NamespaceSeal(shares=5, threshold=3)


def test_seal_split_is_validated() -> None:
    assert _one(_with_seal(3, 4)) == (
        "tenants.yaml: tenants[0].namespace_seal.threshold (tenant 'finance'): 4 exceeds shares 3, so the namespace "
        "could never be unsealed; make threshold at most shares (the default is 3 of 5)")
    assert _one(_with_seal(3, 1)) == (
        "tenants.yaml: tenants[0].namespace_seal.threshold (tenant 'finance'): 1 of 3 shares would let any single "
        "custodian unseal the namespace (OpenBao refuses it); use a threshold of at least 2, or shares: 1 and "
        "threshold: 1")
    assert _one(YAML.replace("version: 1\n", "version: 1\nplatform:\n  namespace_seal: {shares: 11}\n")).startswith(
        "tenants.yaml: platform.namespace_seal.shares: Input should be less than or equal to 10")


def test_a_seal_without_sealable_is_refused() -> None:
    text = YAML.replace("    pipeline_cidrs: [10.20.9.0/24]\n",
                        "    pipeline_cidrs: [10.20.9.0/24]\n    namespace_seal: {shares: 3, threshold: 2}\n")
    assert _one(text) == (
        "tenants.yaml: tenants[1].namespace_seal (tenant 'health'): is set but the tenant is not `sealable`, so its "
        "namespace gets no seal of its own; add `sealable: true` (only possible for a namespace not created yet) or "
        "remove namespace_seal")


# ----------------------------------------------------------------------------- resources


def test_the_namespace_resource_carries_the_seal_mode() -> None:
    r = _resources()
    finance, health = r["tenants/sys/namespaces/finance"], r["tenants/sys/namespaces/health"]
    assert finance.immutable == {"sealable": True}
    assert finance.create_only == {"tenant": "finance", "seal_shares": 5, "seal_threshold": 3}
    assert health.immutable == {"sealable": False}
    assert health.create_only == {}
    assert r["sys/namespaces/tenants"].immutable == {}  # the parent keeps the platform seal, unchecked
    assert seal_config(NamespaceSeal(shares=5, threshold=3)) == 'seal "shamir" {\n  shares = 5\n  threshold = 3\n}'
    assert split_namespace("tenants/finance") == ("tenants", "finance")


# ----------------------------------------------------------------------------- plan


def test_a_sealed_namespace_is_skipped_and_reported_once() -> None:
    resources = _resources()
    observed = _converged(resources)
    observed["tenants/health/kv/config"] = {**observed["tenants/health/kv/config"], "max_versions": 5}  # type: ignore
    plan = compute_plan(list(resources.values()), observed, URL, sealed=["tenants/finance"])
    assert plan.describe() == ["update KV v2 settings tenants/health/kv/config: max_versions: 5 -> 20"]
    assert plan.skipped == ("tenants/finance",)
    assert plan.blocking == ()
    assert [str(f) for f in plan.findings] == [
        "warning: namespace tenants/finance (tenant 'finance'): is sealed, so its 12 resources were neither read nor "
        "changed; unseal it (`egov vault unseal-tenant finance` with the stored key shares, or its key custodians "
        "with `bao namespace unseal -namespace=tenants finance`) and apply again, or `egov vault apply "
        "--unseal-tenants`; the other tenants are planned as usual"]


def test_an_existing_namespace_cannot_change_its_seal_mode() -> None:
    resources = _resources()
    observed = _converged(resources)
    observed["tenants/sys/namespaces/finance"] = {**observed["tenants/sys/namespaces/finance"],  # type: ignore
                                                  "sealable": False}
    observed["tenants/sys/namespaces/health"] = {**observed["tenants/sys/namespaces/health"],  # type: ignore
                                                 "sealable": True, "sealed": False}
    plan = compute_plan(list(resources.values()), observed, URL)
    assert plan.empty and plan.blocking == ()
    assert [str(f) for f in plan.findings] == [
        "warning: namespace tenants/finance (tenant 'finance'): is declared `sealable: true` but was created without "
        "its own seal, and OpenBao chooses a namespace's seal at creation only, so it cannot become sealable; apply "
        "leaves it as it is (under the platform seal) and applies the rest of the tenant; to seal this department on "
        "its own, declare a new tenant id with `sealable: true`, move its secrets to it (re-encrypt with the new "
        "transit key) and offboard 'finance'; otherwise remove `sealable: true` from tenant 'finance'",
        "warning: namespace tenants/health (tenant 'health'): has its own seal but is declared without `sealable: "
        "true`, and a namespace's seal cannot be removed; apply leaves the seal as it is and applies the rest of the "
        "tenant; add `sealable: true` to tenant 'health' so the file says what OpenBao holds"]


def test_creating_a_sealable_namespace_is_one_create_action() -> None:
    resources = _resources()
    observed: dict[str, dict[str, Any] | None] = {"tenants/sys/namespaces/finance": None}
    plan = compute_plan(list(resources.values()), observed, URL)
    create = next(a for a in plan.actions if a.resource.key == "tenants/sys/namespaces/finance")
    assert [str(c) for c in create.changes] == [
        "sealable: (absent) -> True",
        "custom_metadata: (absent) -> {'department': 'Finance Bureau', 'managed_by': 'egov vault apply', "
        "'offboarded': 'false'}"]


def test_seal_states_describe_themselves() -> None:
    assert SealState("a", "tenants/a", True, exists=False, threshold=3, shares=5).describe() == (
        "not created yet; will get its own seal (3 of 5 key shares), created sealed and unsealed by apply")
    assert SealState("a", "tenants/a", False, exists=False).describe() == "not created yet; under the platform seal"
    assert SealState("a", "tenants/a", False, exists=True).describe() == "platform seal, cannot be sealed on its own"
    assert SealState("a", "tenants/a", True, exists=True).describe() == (
        "platform seal, cannot be sealed on its own (declared sealable: see the finding)")
    assert SealState("a", "tenants/a", True, True, sealable=True, sealed=True, threshold=3, shares=5).describe() == (
        "own seal: SEALED (3 of 5 key shares unseal it)")
    assert SealState("a", "tenants/a", True, True, sealable=True, threshold=3, shares=5).describe() == (
        "own seal: unsealed (3 of 5 key shares)")


# ----------------------------------------------------------------------------- key shares on disk


def test_key_shares_are_written_0600_and_never_overwritten(tmp_path: Path) -> None:
    store = KeyShareStore(tmp_path / "namespaces")
    path = store.save("finance", "tenants/finance", URL, ["s1", "s2", "s3"], 2)
    assert path == tmp_path / "namespaces" / "finance.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    material = json.loads(path.read_text())
    assert (material["namespace"], material["key_shares"], material["key_threshold"]) == (
        "tenants/finance", ["s1", "s2", "s3"], 2)
    assert "key custodians" in material["_warning"]
    store.save("finance", "tenants/finance", URL, ["t1", "t2", "t3"], 2)
    assert store.load("finance") == ["t1", "t2", "t3"]
    kept = [p for p in path.parent.iterdir() if p.name.startswith("finance.json.replaced-")]
    assert len(kept) == 1 and json.loads(kept[0].read_text())["key_shares"] == ["s1", "s2", "s3"]
    path.chmod(0o644)
    store.load("finance")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600  # repaired on read
    assert store.load("health") is None
    path.write_text("{}")
    with pytest.raises(VaultOpsError, match=r"finance.json is unreadable .*bao namespace unseal"):
        store.load("finance")
