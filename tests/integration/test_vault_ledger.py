"""The CIDR ledger in Vault as code, against a real OpenBao: `egov vault apply` creates its mount, settings and
policy, `egov vault plan` names drift in them, `egov tenant plan` then works with a token that holds only the
ledger policy (no root), and an operator's token can neither change the ledger's settings nor read its document.

One server for the module; the tests run in order. What the server holds is checked with plain hvac clients.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import hvac
import hvac.exceptions
import pytest
from typer.testing import CliRunner

from infra.cli.main import app
from infra.local.openbao import OpenBao
from infra.repository import REPO_ROOT
from tests.integration.openbao_server import ns_client, vault_cli

pytestmark = pytest.mark.integration

TENANTS = """\
version: 1
tenants:
  - id: alpha
    department: Alpha Bureau
    domains: [alpha.egov.example]
    pipeline_cidrs: [127.0.0.1/32]
"""
LEDGER_TEMPLATE = REPO_ROOT / "policies" / "vault" / "ledger" / "tenant-ledger.hcl.tmpl"


@pytest.fixture(scope="module")
def desired(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("desired") / "tenants.yaml"
    path.write_text(TENANTS)
    return path


@pytest.fixture(scope="module")
def root(bao: OpenBao) -> hvac.Client:
    return ns_client(bao)


@pytest.fixture(scope="module")
def ledger_only_env(bao: OpenBao, root: hvac.Client, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """A planner's environment whose VAULT_TOKEN holds the `tenant-ledger` policy and nothing else (no root, no
    `default`), and no EGOV_LEDGER_TOKEN: what `egov tenant plan` may do is what that policy allows."""
    token = root.auth.token.create(policies=["tenant-ledger"], no_default_policy=True, ttl="1h")["auth"]["client_token"]
    home = tmp_path_factory.mktemp("egov-home")
    return {**bao.root_env(), "VAULT_TOKEN": token, "EGOV_HOME": str(home), "EGOV_LEDGER_TOKEN": "",
            "COLUMNS": "250"}


def tenant_plan(env: Mapping[str, str], request: str = "tax-bureau") -> tuple[int, str, str]:
    # the ledger's side only: no platform is deployed here to preview a tenant stack on
    result = CliRunner().invoke(app, ["tenant", "plan", str(REPO_ROOT / "tenants" / f"{request}.yaml"),
                                      "--no-preview"], env=dict(env))
    return result.exit_code, result.stdout, " ".join(result.stderr.split())


def refused(attempt: Callable[[], Any]) -> None:
    with pytest.raises(hvac.exceptions.Forbidden):
        attempt()


def test_before_apply_a_token_that_may_not_create_the_ledger_is_told_what_to_run(
        bao: OpenBao, root: hvac.Client, ledger_only_env: dict[str, str]) -> None:
    code, stdout, stderr = tenant_plan(ledger_only_env)
    assert code == 1 and stdout == ""
    assert stderr.startswith(f"error: EGOV_LEDGER_TOKEN is not set and the OpenBao token may neither use the CIDR "
                             f"ledger at {bao.address} nor set it up")
    assert "the platform team creates the ledger with `egov vault apply`" in stderr
    assert "tenant-ledger/" not in root.sys.list_mounted_secrets_engines()["data"]


def test_apply_creates_the_ledger_as_declared_then_plan_shows_no_changes(
        bao: OpenBao, root: hvac.Client, desired: Path) -> None:
    code, output = vault_cli(bao.root_env(), "plan", "--file", str(desired))
    assert code == 0
    for row in ("create │ secrets engine sys/mounts/tenant-ledger │", "create │ KV v2 settings tenant-ledger/config │",
                "create │ ACL policy sys/policies/acl/tenant-ledger │"):
        assert row in output, output
    code, output = vault_cli(bao.root_env(), "apply", "--file", str(desired), "--yes")
    assert code == 0, output

    mount = root.sys.list_mounted_secrets_engines()["data"]["tenant-ledger/"]
    assert (mount["type"], mount["options"]["version"]) == ("kv", "2")
    config = root.secrets.kv.v2.read_configuration(mount_point="tenant-ledger")["data"]
    assert (config["cas_required"], config["max_versions"]) == (True, 100)
    expected = LEDGER_TEMPLATE.read_text().replace("${mount}", "tenant-ledger").replace("${document}", "cidrs")
    assert root.sys.read_policy("tenant-ledger")["data"]["rules"] == expected

    code, output = vault_cli(bao.root_env(), "plan", "--file", str(desired))
    assert code == 0 and f"no changes: OpenBao at {bao.address} matches the desired state" in output, output


def test_after_apply_tenant_plan_needs_no_root_token(root: hvac.Client, ledger_only_env: dict[str, str]) -> None:
    code, stdout, stderr = tenant_plan(ledger_only_env)
    assert code == 0, stderr
    assert "network: 10.100.0.0/24 (newly allocated" in stdout
    document = root.secrets.kv.v2.read_secret_version("cidrs", mount_point="tenant-ledger",
                                                      raise_on_deleted_version=True)["data"]["data"]
    assert {t: r["cidr"] for t, r in document["tenants"].items()} == {"tax-bureau": "10.100.0.0/24"}
    # the same token could not have set the ledger up: no mounts, no policies
    planner = hvac.Client(url=root.url, token=ledger_only_env["VAULT_TOKEN"], verify=root.session.verify)
    refused(lambda: planner.sys.enable_secrets_engine("kv", path="elsewhere", options={"version": "2"}))
    refused(lambda: planner.sys.create_or_update_policy("tenant-ledger", 'path "*" { capabilities = ["sudo"] }'))
    refused(lambda: planner.secrets.kv.v2.configure(cas_required=False, mount_point="tenant-ledger"))


def test_plan_names_drift_in_the_ledger_and_apply_puts_it_back(bao: OpenBao, root: hvac.Client,
                                                                desired: Path) -> None:
    root.secrets.kv.v2.configure(cas_required=False, max_versions=100, mount_point="tenant-ledger")
    policy = root.sys.read_policy("tenant-ledger")["data"]["rules"]
    root.sys.create_or_update_policy("tenant-ledger", policy + '\npath "tenant-ledger/*" {\n  capabilities = '
                                                                '["delete"]\n}\n')
    code, output = vault_cli(bao.root_env(), "plan", "--file", str(desired))
    assert code == 0
    assert "update │ KV v2 settings tenant-ledger/config │ cas_required: False -> True │" in output, output
    assert "update │ ACL policy sys/policies/acl/tenant-ledger │ policy: <16 lines> -> <12 lines> │" in output, output
    code, output = vault_cli(bao.root_env(), "apply", "--file", str(desired), "--yes")
    assert code == 0, output
    assert root.secrets.kv.v2.read_configuration(mount_point="tenant-ledger")["data"]["cas_required"] is True
    assert root.sys.read_policy("tenant-ledger")["data"]["rules"] == policy
    code, output = vault_cli(bao.root_env(), "plan", "--file", str(desired))
    assert "no changes" in output, output


def test_an_operator_reads_the_ledger_settings_and_nothing_more(root: hvac.Client) -> None:
    token = root.auth.token.create(policies=["operators"], ttl="1h")["auth"]["client_token"]
    operator = hvac.Client(url=root.url, token=token, verify=root.session.verify)
    assert operator.secrets.kv.v2.read_configuration(mount_point="tenant-ledger")["data"]["cas_required"] is True
    refused(lambda: operator.secrets.kv.v2.configure(cas_required=False, mount_point="tenant-ledger"))
    refused(lambda: operator.secrets.kv.v2.read_secret_version("cidrs", mount_point="tenant-ledger",
                                                                 raise_on_deleted_version=True))
    refused(lambda: operator.secrets.kv.v2.create_or_update_secret("cidrs", {"tenants": {}}, cas=1,
                                                                   mount_point="tenant-ledger"))
    refused(lambda: operator.secrets.kv.v2.delete_metadata_and_all_versions("cidrs", mount_point="tenant-ledger"))
    refused(lambda: operator.sys.create_or_update_policy("tenant-ledger", 'path "*" { capabilities = ["read"] }'))
    refused(lambda: operator.sys.disable_secrets_engine("tenant-ledger"))
    refused(lambda: operator.auth.token.create(policies=["tenant-ledger"], ttl="5m"))
