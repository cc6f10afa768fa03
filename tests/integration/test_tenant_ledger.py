"""The CIDR ledger against a real OpenBao: concurrent runners in separate processes never share a block,
a department id is claimed once, re-planning is idempotent, and the ledger's token can do nothing else.

Expected blocks are worked out by hand from the pool in policies/platform.yaml (10.100.0.0/16).
"""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from ipaddress import IPv4Network
from pathlib import Path
from typing import Any

import hvac
import hvac.exceptions
import pytest
import yaml

from infra.config import PLATFORM_FILE, load_platform
from infra.config.tenant_request import TenantRequest, validate_request
from infra.local.openbao import OpenBao
from infra.repository import REPO_ROOT
from infra.tenants.ledger import LEDGER_MOUNT, Ledger, LedgerError, ensure_ledger, ledger_token
from tests.integration.openbao_server import ns_client

POOL = IPv4Network("10.100.0.0/16")
PLATFORM = load_platform(PLATFORM_FILE)


def request(tenant: str, prefix: int = 24, name_en: str | None = None, cidr: str | None = None) -> TenantRequest:
    data: dict[str, Any] = copy.deepcopy(yaml.safe_load((REPO_ROOT / "tenants" / "tax-bureau.yaml").read_text()))
    data.update(id=tenant, names={"zh": "测试部门", "en": name_en or f"Department {tenant}"})
    data["network"] = {"prefix": prefix, **({"cidr": cidr} if cidr else {})}
    return validate_request(data, PLATFORM, f"tenants/{tenant}.yaml")


@pytest.fixture(scope="module")
def admin(openbao_server: OpenBao) -> hvac.Client:
    client = ns_client(openbao_server)
    ensure_ledger(client)
    ensure_ledger(client)  # safe to run again
    return client


@pytest.fixture()
def fresh_ledger(admin: hvac.Client) -> Iterator[hvac.Client]:
    """An empty ledger document for the test, and a client holding only the ledger token."""
    admin.secrets.kv.v2.delete_metadata_and_all_versions("cidrs", mount_point=LEDGER_MOUNT)
    env_client = hvac.Client(url=admin.url, token=ledger_token(admin), verify=admin.session.verify)
    yield env_client


def test_pool_is_the_platform_s() -> None:
    assert PLATFORM.tenant_pool == POOL


def test_first_fit_allocation_and_idempotent_replan(fresh_ledger: hvac.Client) -> None:
    ledger = Ledger(fresh_ledger, POOL)
    first = ledger.allocate(request("dept-a", 24))
    second = ledger.allocate(request("dept-b", 23))
    third = ledger.allocate(request("dept-c", 24))
    assert (first.cidr, second.cidr, third.cidr) == (
        IPv4Network("10.100.0.0/24"), IPv4Network("10.100.2.0/23"), IPv4Network("10.100.1.0/24"))
    again = ledger.allocate(request("dept-b", 23))
    assert (again.cidr, again.new, first.new) == (IPv4Network("10.100.2.0/23"), False, True)
    assert sorted(ledger.allocations()) == ["dept-a", "dept-b", "dept-c"]


def test_second_request_for_the_same_id_refused(fresh_ledger: hvac.Client) -> None:
    ledger = Ledger(fresh_ledger, POOL)
    held = ledger.allocate(request("dept-a", 24, name_en="Tax Bureau"))
    with pytest.raises(LedgerError) as caught:
        ledger.allocate(request("dept-a", 24, name_en="Impostor Bureau"))
    assert str(caught.value) == (
        "department id 'dept-a' is already held by Tax Bureau (测试部门, owner li.wei@tax.egov.example) with "
        f"10.100.0.0/24 since {held.allocated_at}; a second request for the same id is refused: choose another id, "
        "or have the holder change its own request")
    assert list(ledger.allocations()) == ["dept-a"]


def test_resizing_an_allocated_tenant_refused(fresh_ledger: hvac.Client) -> None:
    ledger = Ledger(fresh_ledger, POOL)
    ledger.allocate(request("dept-a", 24))
    with pytest.raises(LedgerError) as caught:
        ledger.allocate(request("dept-a", 22))
    assert str(caught.value) == (
        "department 'dept-a' already holds 10.100.0.0/24; the request now asks for a /22, and a tenant's block "
        "cannot change once allocated: keep network.prefix: 24")


def test_pinned_cidr_overlapping_another_tenant_refused(fresh_ledger: hvac.Client) -> None:
    ledger = Ledger(fresh_ledger, POOL)
    ledger.allocate(request("dept-a", 22))
    with pytest.raises(LedgerError) as caught:
        ledger.allocate(request("dept-b", 24, cidr="10.100.3.0/24"))
    assert str(caught.value) == ("network.cidr 10.100.3.0/24 overlaps 10.100.0.0/22, held by department 'dept-a'; "
                                 "drop network.cidr to have a free block allocated")
    pinned = ledger.allocate(request("dept-b", 24, cidr="10.100.200.0/24"))
    assert pinned.cidr == IPv4Network("10.100.200.0/24")


def test_full_pool_refused(fresh_ledger: hvac.Client) -> None:
    ledger = Ledger(fresh_ledger, IPv4Network("10.100.0.0/23"))  # room for two /24s
    ledger.allocate(request("dept-a", 24))
    ledger.allocate(request("dept-b", 24))
    with pytest.raises(LedgerError) as caught:
        ledger.allocate(request("dept-c", 24))
    assert str(caught.value) == (
        "the tenant pool 10.100.0.0/23 has no free /24 left (2 tenants hold blocks); ask for a smaller "
        "network.prefix, or have the platform team extend tenant_pool in policies/platform.yaml")


def test_twenty_concurrent_runners_get_twenty_disjoint_blocks(
        fresh_ledger: hvac.Client, openbao_server: OpenBao, tmp_path: Path) -> None:
    env = openbao_server.root_env()
    start = tmp_path / "go"
    # Sizes mixed so that a lost update would show as an overlap, not only as a repeated block.
    prefixes = [24, 23, 26, 22, 25] * 4
    runners = []
    for index, prefix in enumerate(prefixes):
        runner_env = {**os.environ, "VAULT_ADDR": env["VAULT_ADDR"], "VAULT_CACERT": env["VAULT_CACERT"],
                      "LEDGER_TOKEN": fresh_ledger.token, "TENANT": f"dept-{index:02d}", "PREFIX": str(prefix),
                      "START_FILE": str(start)}
        runners.append(subprocess.Popen([sys.executable, "-m", "tests.integration.ledger_worker"], env=runner_env,
                                        cwd=REPO_ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
    # The same department id twice, at the same moment: exactly one of them gets a block.
    for name in ("Twin One", "Twin Two"):
        runner_env = {**os.environ, "VAULT_ADDR": env["VAULT_ADDR"], "VAULT_CACERT": env["VAULT_CACERT"],
                      "LEDGER_TOKEN": fresh_ledger.token, "TENANT": "dept-twin", "PREFIX": "24",
                      "NAME_EN": name, "START_FILE": str(start)}
        runners.append(subprocess.Popen([sys.executable, "-m", "tests.integration.ledger_worker"], env=runner_env,
                                        cwd=REPO_ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
    start.touch()
    results = []
    for runner in runners:
        stdout, stderr = runner.communicate(timeout=180)
        assert runner.returncode == 0, stderr
        results.append(json.loads(stdout))
    twenty = results[:20]
    assert all("cidr" in result for result in twenty), twenty
    blocks = [IPv4Network(result["cidr"]) for result in twenty]
    assert [block.prefixlen for block in blocks] == prefixes
    assert all(block.subnet_of(POOL) for block in blocks)
    for index, block in enumerate(blocks):
        for other in blocks[:index]:
            assert not block.overlaps(other), f"{block} overlaps {other}"
    twins = results[20:]
    assert sorted("cidr" in twin for twin in twins) == [False, True], twins
    refused = next(twin for twin in twins if "error" in twin)
    assert refused["error"].startswith("department id 'dept-twin' is already held by Twin ")
    recorded = Ledger(fresh_ledger, POOL).allocations()
    assert {tenant: str(a.cidr) for tenant, a in recorded.items()} == {
        result["tenant"]: result["cidr"] for result in results if "cidr" in result}


@pytest.mark.parametrize(("action", "path"), [
    ("read", "tenant-ledger/data/other"),
    ("write", "tenant-ledger/data/other"),
    ("read", "secret/data/anything"),
    ("delete", "tenant-ledger/data/cidrs"),
    ("delete", "tenant-ledger/metadata/cidrs"),
    ("write", "tenant-ledger/destroy/cidrs"),
    ("list", "tenant-ledger/metadata"),
    ("write", "tenant-ledger/config"),
    ("write", "sys/policies/acl/tenant-ledger"),
    ("write", "auth/token/create"),
    ("read", "sys/mounts"),
])
def test_the_ledger_token_can_do_nothing_else(fresh_ledger: hvac.Client, action: str, path: str) -> None:
    Ledger(fresh_ledger, POOL).allocate(request("dept-a", 24))  # the document exists
    adapter = fresh_ledger.adapter
    calls = {"read": lambda: adapter.get(f"/v1/{path}"),
             "write": lambda: adapter.post(f"/v1/{path}", json={"data": {"x": "y"}, "policy": "path \"*\" {}"}),
             "delete": lambda: adapter.delete(f"/v1/{path}"),
             "list": lambda: adapter.list(f"/v1/{path}")}
    with pytest.raises(hvac.exceptions.Forbidden):
        calls[action]()


def test_a_write_without_check_and_set_is_refused(fresh_ledger: hvac.Client) -> None:
    Ledger(fresh_ledger, POOL).allocate(request("dept-a", 24))
    with pytest.raises(hvac.exceptions.InvalidRequest, match="check-and-set parameter required"):
        fresh_ledger.secrets.kv.v2.create_or_update_secret(path="cidrs", secret={"tenants": {}},
                                                           mount_point=LEDGER_MOUNT)


def test_a_token_without_the_ledger_policy_is_refused_with_a_clear_error(admin: hvac.Client) -> None:
    other = admin.auth.token.create(policies=["default"], ttl="5m")["auth"]["client_token"]
    client = hvac.Client(url=admin.url, token=other, verify=admin.session.verify)
    with pytest.raises(LedgerError, match="needs the 'tenant-ledger' policy"):
        Ledger(client, POOL).allocate(request("dept-a", 24))


def test_a_deleted_latest_version_is_refused_not_started_over(fresh_ledger: hvac.Client, admin: hvac.Client) -> None:
    ledger = Ledger(fresh_ledger, POOL)
    ledger.allocate(request("dept-a", 24))
    ledger.allocate(request("dept-b", 24))  # version 2
    admin.secrets.kv.v2.delete_latest_version_of_secret("cidrs", mount_point=LEDGER_MOUNT)
    with pytest.raises(LedgerError) as caught:
        ledger.allocate(request("dept-c", 24))
    assert str(caught.value) == (
        "the latest version (2) of the CIDR ledger tenant-ledger/cidrs is deleted, so the blocks departments hold "
        "are unknown: an operator restores it with `bao kv undelete -mount=tenant-ledger -versions=2 cidrs`")
    admin.secrets.kv.v2.undelete_secret_versions("cidrs", [2], mount_point=LEDGER_MOUNT)
    assert ledger.allocate(request("dept-c", 24)).cidr == IPv4Network("10.100.2.0/24")
