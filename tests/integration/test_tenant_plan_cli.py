"""`egov tenant plan` against a real OpenBao: plans a sample, is idempotent, refuses bad requests with
nothing allocated, and works with a ledger-only token as pipelines use it."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path

import hvac
import pytest
from typer.testing import CliRunner

from infra.cli.main import app
from infra.local.openbao import OpenBao
from infra.repository import REPO_ROOT
from infra.tenants.ledger import LEDGER_MOUNT, ensure_ledger, ledger_token
from tests.integration.openbao_server import ns_client


@pytest.fixture(scope="module")
def admin(openbao_server: OpenBao) -> hvac.Client:
    return ns_client(openbao_server)


@pytest.fixture()
def root_env(openbao_server: OpenBao, admin: hvac.Client, tmp_path: Path) -> dict[str, str]:
    """VAULT_ADDR/VAULT_TOKEN of this module's OpenBao (root: it may create the ledger), an empty ledger."""
    ensure_ledger(admin)
    admin.secrets.kv.v2.delete_metadata_and_all_versions("cidrs", mount_point=LEDGER_MOUNT)
    return {**openbao_server.root_env(), "EGOV_HOME": str(tmp_path / "egov"), "EGOV_LEDGER_TOKEN": "",
            "COLUMNS": "250"}


def run(env: Mapping[str, str], *args: str) -> tuple[int, str, str]:
    """`egov tenant <args>`; a plan without its preview, since no platform is deployed here (the preview is
    tested in test_tenant_onboarding.py, on a deployed platform)."""
    extra = ["--no-preview"] if args and args[0] == "plan" else []
    result = CliRunner().invoke(app, ["tenant", *args, *extra], env=dict(env))
    return result.exit_code, result.stdout, " ".join(result.stderr.split())


def ledger(admin: hvac.Client) -> dict[str, str]:
    document = admin.secrets.kv.v2.read_secret_version("cidrs", mount_point=LEDGER_MOUNT,
                                                       raise_on_deleted_version=True)
    return {tenant: record["cidr"] for tenant, record in document["data"]["data"]["tenants"].items()}


def test_plan_prints_and_writes_the_plan_and_is_idempotent(root_env: dict[str, str], admin: hvac.Client,
                                                           tmp_path: Path) -> None:
    code, stdout, stderr = run(root_env, "plan", str(REPO_ROOT / "tenants" / "tax-bureau.yaml"))
    assert code == 0, stderr
    assert "network: 10.100.0.0/24 (newly allocated" in stdout
    written = json.loads((tmp_path / "egov" / "tenant-plans" / "tax-bureau.json").read_text())
    assert (written["tenant"], written["cidr"], written["allocation_new"]) == ("tax-bureau", "10.100.0.0/24", True)
    code, stdout, stderr = run(root_env, "plan", str(REPO_ROOT / "tenants" / "health-comm.yaml"), "--out",
                               str(tmp_path / "health.json"))
    assert code == 0, stderr
    # /23 after the /24 at 10.100.0.0: the first free /23 is 10.100.2.0/23
    assert json.loads((tmp_path / "health.json").read_text())["cidr"] == "10.100.2.0/23"
    code, stdout, _ = run(root_env, "plan", str(REPO_ROOT / "tenants" / "tax-bureau.yaml"))
    assert code == 0
    assert "network: 10.100.0.0/24 (allocated" in stdout
    assert ledger(admin) == {"tax-bureau": "10.100.0.0/24", "health-comm": "10.100.2.0/23"}


def test_bad_request_refused_with_nothing_allocated(root_env: dict[str, str], admin: hvac.Client,
                                                    tmp_path: Path) -> None:
    bad = tmp_path / "tax-bureau.yaml"
    text = (REPO_ROOT / "tenants" / "tax-bureau.yaml").read_text()
    bad.write_text(text.replace("destination: shared\n    protocol: tcp", "destination: intranet\n    protocol: tcp"))
    code, stdout, stderr = run(root_env, "plan", str(bad))
    assert code == 1
    assert stderr == (
        f"error: 1 configuration problem: - {bad}:27: flows[1].destination: unknown zone 'intranet'; the platform's "
        "zones are extranet, internet, management, shared hint: use 'tenant' for the department's own network, "
        "or extranet or shared nothing was allocated or provisioned")
    assert stdout == ""
    with pytest.raises(hvac.exceptions.InvalidPath):
        ledger(admin)
    assert not (tmp_path / "egov" / "tenant-plans").exists()


def test_plan_with_a_ledger_only_token(root_env: dict[str, str], admin: hvac.Client, tmp_path: Path) -> None:
    env = {**root_env, "VAULT_TOKEN": "", "EGOV_LEDGER_TOKEN": ledger_token(admin)}
    code, stdout, stderr = run(env, "plan", str(REPO_ROOT / "tenants" / "health-comm.yaml"))
    assert code == 0, stderr
    assert "network: 10.100.0.0/23 (newly allocated" in stdout
    assert ledger(admin) == {"health-comm": "10.100.0.0/23"}


def test_plan_with_a_token_that_may_not_use_the_ledger(root_env: dict[str, str], admin: hvac.Client) -> None:
    other = admin.auth.token.create(policies=["default"], ttl="5m")["auth"]["client_token"]
    code, stdout, stderr = run({**root_env, "EGOV_LEDGER_TOKEN": other}, "plan",
                               str(REPO_ROOT / "tenants" / "health-comm.yaml"))
    assert (code, stdout) == (1, "")
    assert stderr == ("error: the token may not read the CIDR ledger (tenant-ledger/cidrs): it needs the "
                      "'tenant-ledger' policy")


def test_plan_without_a_ledger_token_and_without_rights_to_set_one_up(root_env: dict[str, str],
                                                                      admin: hvac.Client) -> None:
    weak = admin.auth.token.create(policies=["default"], ttl="5m")["auth"]["client_token"]
    code, stdout, stderr = run({**root_env, "VAULT_TOKEN": weak}, "plan",
                               str(REPO_ROOT / "tenants" / "health-comm.yaml"))
    assert (code, stdout) == (1, "")
    assert stderr == (
        f"error: EGOV_LEDGER_TOKEN is not set and the OpenBao token may neither use the CIDR ledger at {admin.url} nor "
        "set it up (enable its mount, write its policy, create its token): the platform team creates the ledger "
        "with `egov vault apply` (Vault as code declares its mount tenant-ledger/ and the 'tenant-ledger' policy); "
        "then export EGOV_LEDGER_TOKEN with a token holding that policy (pipelines: from their OpenBao login), or "
        "use such a token as VAULT_TOKEN")
    with pytest.raises(hvac.exceptions.InvalidPath):
        ledger(admin)


def test_twenty_concurrent_plans_in_separate_processes(root_env: dict[str, str], admin: hvac.Client,
                                                       tmp_path: Path) -> None:
    """The issue's figure: twenty `egov tenant plan` processes at once get twenty non-overlapping blocks."""
    import subprocess
    import sys
    from ipaddress import IPv4Network

    sample = (REPO_ROOT / "tenants" / "tax-bureau.yaml").read_text()
    env = {**os.environ, **root_env, "EGOV_LEDGER_TOKEN": ledger_token(admin)}
    runners = []
    for index in range(20):
        tenant = f"dept-{index:02d}"
        path = tmp_path / f"{tenant}.yaml"
        path.write_text(sample.replace("id: tax-bureau", f"id: {tenant}")
                        .replace("en: Municipal Tax Bureau", f"en: Department {index}"))
        runners.append(subprocess.Popen(
            [sys.executable, "-c", "from infra.cli.main import app; app()", "tenant", "plan", str(path),
             "--no-preview", "--out", str(tmp_path / f"{tenant}.json")], env=env, cwd=REPO_ROOT, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, text=True))
    for runner in runners:
        _, stderr = runner.communicate(timeout=300)
        assert runner.returncode == 0, stderr
    blocks = [IPv4Network(json.loads((tmp_path / f"dept-{index:02d}.json").read_text())["cidr"])
              for index in range(20)]
    assert len(set(blocks)) == 20
    assert all(block.prefixlen == 24 and block.subnet_of(IPv4Network("10.100.0.0/16")) for block in blocks)
    for index, block in enumerate(blocks):
        assert not any(block.overlaps(other) for other in blocks[:index])
    # Twenty /24s first-fit from an empty pool: exactly 10.100.0.0/24 .. 10.100.19.0/24, in some order.
    assert sorted(blocks) == [IPv4Network(f"10.100.{n}.0/24") for n in range(20)]
    assert ledger(admin) == {f"dept-{index:02d}": str(block) for index, block in enumerate(blocks)}
