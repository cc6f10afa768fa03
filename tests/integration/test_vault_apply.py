"""`egov vault plan|apply|offboard` against a real OpenBao (raft, TLS, Shamir): no mocks.

One server for the module; the tests run in order and each leaves it unsealed. What the
server holds is checked with plain hvac clients, never through the code under test.
"""

from __future__ import annotations

import base64
import datetime as dt
import re
import shutil
from pathlib import Path
from typing import Any

import hvac
import hvac.exceptions
import pytest
from cryptography import x509

from infra.cli.vault_connection import vault_connection
from infra.local.openbao import OpenBao
from infra.vault.apply import ApplyError, apply_plan, make_plan
from infra.vault.errors import PlanRefused, VaultUnavailable
from infra.vault.live import Connection, Observer, connect
from infra.vault.model import load_desired
from infra.vault.plan import Action
from infra.vault.resources import build_resources
from tests.integration.openbao_server import ns_client, pipeline_login, vault_cli

pytestmark = pytest.mark.integration

TENANTS = """\
version: 1
# test tenants: 127.0.0.1/32 so that the test process may log in as their pipelines
tenants:
  - id: alpha
    department: Alpha Bureau
    domains: [alpha.egov.example]
    pipeline_cidrs: [127.0.0.1/32, 10.30.1.0/24]
  - id: bravo
    department: Bravo Bureau
    domains: [bravo.egov.example]
    pipeline_cidrs: [127.0.0.1/32]
    kv_max_versions: 5
"""
EXTRA_TENANT = """\
  - id: {id}
    department: {id} office
    domains: [{id}.egov.example]
    pipeline_cidrs: [127.0.0.1/32]
"""


@pytest.fixture(scope="module")
def desired(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("desired") / "tenants.yaml"
    path.write_text(TENANTS)
    return path


@pytest.fixture
def conn(bao: OpenBao) -> Connection:
    return connect(bao.root_env())


def _with_tenant(path: Path, tenant_id: str) -> Path:
    """A copy of the desired file with one more tenant (the module's file stays as it is)."""
    copy = path.with_name(f"tenants-{tenant_id}.yaml")
    copy.write_text(path.read_text() + EXTRA_TENANT.format(id=tenant_id))
    return copy


def _cli(bao: OpenBao, *args: str, input: str | None = None) -> tuple[int, str]:
    return vault_cli(bao.root_env(), *args, input=input)


def _issuers(client: hvac.Client, mount: str) -> list[str]:
    return sorted(client.list(f"{mount}/issuers")["data"]["keys"])


# ----------------------------------------------------------------------------- from scratch


def test_apply_from_scratch_then_no_changes(bao: OpenBao, conn: Connection, desired: Path) -> None:
    state = load_desired(desired)
    plan = make_plan(conn, state)
    # Nothing pre-existing is touched: `egov local up` already gave the Pulumi key its rotation period.
    assert {a.op for a in plan.actions} == {"create"}
    assert ns_client(bao).read("transit/keys/pulumi-secrets")["data"]["auto_rotate_period"] == 90 * 24 * 3600
    assert plan.findings == ()  # both audit devices are declared in the server config by `egov local up`

    result = apply_plan(conn, state, plan)
    assert len(result.applied) == len(plan.actions)

    again = make_plan(conn, state)
    assert again.empty, again.describe()
    assert apply_plan(conn, state, again).applied == ()

    # What OpenBao now holds, read with plain hvac clients.
    root = ns_client(bao)
    assert sorted(root.sys.list_namespaces()["data"]["keys"]) == ["tenants/"]
    assert sorted(ns_client(bao, "tenants").sys.list_namespaces()["data"]["keys"]) == ["alpha/", "bravo/"]
    alpha = ns_client(bao, "tenants/alpha")
    mounts = alpha.sys.list_mounted_secrets_engines()["data"]
    assert (mounts["kv/"]["type"], mounts["kv/"]["options"]["version"]) == ("kv", "2")
    assert mounts["transit/"]["type"] == "transit" and mounts["pki/"]["type"] == "pki"
    key = alpha.read("transit/keys/alpha")["data"]
    assert (key["type"], key["exportable"], key["allow_plaintext_backup"], key["deletion_allowed"]) == (
        "aes256-gcm96", False, False, False)
    assert key["auto_rotate_period"] == 90 * 24 * 3600
    assert ns_client(bao, "tenants/bravo").read("kv/config")["data"]["max_versions"] == 5
    role = alpha.read("auth/approle/role/pipeline")["data"]
    assert (role["token_ttl"], role["token_max_ttl"], role["secret_id_num_uses"]) == (900, 3600, 1)
    assert sorted(role["token_bound_cidrs"]) == ["10.30.1.0/24", "127.0.0.1"]
    assert sorted(role["secret_id_bound_cidrs"]) == ["10.30.1.0/24", "127.0.0.1/32"]
    assert role["token_policies"] == ["pipeline"]
    assert "transit/encrypt/alpha" in alpha.sys.read_acl_policy("pipeline")["data"]["policy"]
    assert "operators" in root.sys.list_acl_policies()["data"]["keys"]

    # PKI: one root, an intermediate signed by it, a tenant CA signed by the intermediate, URLs in place.
    assert len(_issuers(root, "pki")) == 1
    urls = root.read("pki/config/urls")["data"]
    assert urls["crl_distribution_points"] == [f"{conn.address}/v1/pki/crl"]
    assert urls["issuing_certificates"] == [f"{conn.address}/v1/pki/ca"]
    tenant_ca = x509.load_pem_x509_certificate(alpha.read("pki/issuer/default")["data"]["certificate"].encode())
    int_ca = x509.load_pem_x509_certificate(root.read("pki_int/issuer/default")["data"]["certificate"].encode())
    assert tenant_ca.issuer == int_ca.subject
    constraints = tenant_ca.extensions.get_extension_for_class(x509.NameConstraints).value
    assert [n.value for n in constraints.permitted_subtrees or []] == ["alpha.egov.example"]
    assert tenant_ca.extensions.get_extension_for_class(x509.BasicConstraints).value.path_length == 0
    crl_dp = tenant_ca.extensions.get_extension_for_class(x509.CRLDistributionPoints).value
    assert crl_dp[0].full_name is not None
    assert crl_dp[0].full_name[0].value == f"{conn.address}/v1/pki_int/crl"


def test_reapply_never_regenerates_the_root_ca(bao: OpenBao, conn: Connection, desired: Path) -> None:
    root = ns_client(bao)
    before = _issuers(root, "pki")
    pem = root.read("pki/cert/ca")["data"]["certificate"]
    renamed = desired.with_name("renamed-root.yaml")
    renamed.write_text(TENANTS.replace("version: 1\n", "version: 1\nplatform:\n  pki:\n"
                                       "    root_common_name: another root\n"))
    plan = make_plan(conn, load_desired(renamed))
    assert plan.empty
    assert [f.subject for f in plan.findings if "root CA" in f.subject] == ["root CA pki/root"]
    assert "never regenerated" in next(f.fix for f in plan.findings if f.subject == "root CA pki/root")
    apply_plan(conn, load_desired(renamed), plan)
    assert _issuers(root, "pki") == before
    assert root.read("pki/cert/ca")["data"]["certificate"] == pem


def test_drift_is_corrected_field_by_field(bao: OpenBao, conn: Connection, desired: Path) -> None:
    bravo = ns_client(bao, "tenants/bravo")
    bravo.write_data("kv/config", data={"max_versions": 100})
    bravo.write_data("auth/approle/role/pipeline", data={"token_ttl": "45m", "token_bound_cidrs": ["0.0.0.0/0"]})
    bravo.write_data("transit/keys/bravo/config", data={"auto_rotate_period": "0"})
    bravo.write_data("pki/roles/bravo", data={"allowed_domains": ["bravo.egov.example", "alpha.egov.example"],
                                             "allow_subdomains": True, "allow_any_name": True})
    ns_client(bao, "tenants").adapter.request("PATCH", "/v1/sys/namespaces/bravo",
                                        json={"custom_metadata": {"department": "hijacked", "extra": "x"}},
                                        headers={"Content-Type": "application/merge-patch+json"})
    state = load_desired(desired)
    plan = make_plan(conn, state)
    described = plan.describe()
    assert described[0] == ("update namespace tenants/sys/namespaces/bravo: custom_metadata: {'department': "
                            "'hijacked', 'extra': 'x', 'managed_by': 'egov vault apply', 'offboarded': 'false'} -> "
                            "{'department': 'Bravo Bureau', 'managed_by': 'egov vault apply', 'offboarded': 'false'}")
    assert described[1:3] == [
        "update KV v2 settings tenants/bravo/kv/config: max_versions: 100 -> 5",
        "update transit key tenants/bravo/transit/keys/bravo: auto_rotate_period: 0s -> 90d",
    ]
    # Writing a PKI role replaces it whole: the hand-written one also reset every field it did not name,
    # e.g. OpenBao's defaults allow wildcards, localhost and IP SANs. All of them are put back.
    assert described[3] == (
        "update certificate role tenants/bravo/pki/roles/bravo: allowed_domains: [bravo.egov.example, "
        "alpha.egov.example] -> [bravo.egov.example]; allow_wildcard_certificates: True -> False; allow_any_name: "
        "True -> False; allow_localhost: True -> False; allow_ip_sans: True -> False; key_type: 'rsa' -> 'ec'; "
        "key_bits: 2048 -> 256; max_ttl: 0s -> 90d")
    assert described[4] == ("update AppRole role tenants/bravo/auth/approle/role/pipeline: token_ttl: 45m -> 15m; "
                            "token_bound_cidrs: [0.0.0.0/0] -> [127.0.0.1/32]")
    assert len(described) == 5
    apply_plan(conn, state, plan)
    assert make_plan(conn, state).empty
    assert bravo.read("auth/approle/role/pipeline")["data"]["token_bound_cidrs"] == ["127.0.0.1"]
    assert ns_client(bao, "tenants").read("sys/namespaces/bravo")["data"]["custom_metadata"] == {
        "department": "Bravo Bureau", "managed_by": "egov vault apply", "offboarded": "false"}


def test_new_domain_reissues_the_tenant_ca_and_keeps_the_old_issuer(
        bao: OpenBao, conn: Connection, desired: Path) -> None:
    bravo = ns_client(bao, "tenants/bravo")
    before = _issuers(bravo, "pki")
    old_default = bravo.read("pki/config/issuers")["data"]["default"]
    wider = desired.with_name("wider.yaml")
    wider.write_text(TENANTS.replace("[bravo.egov.example]", "[bravo.egov.example, bravo-archive.egov.example]"))
    state = load_desired(wider)
    plan = make_plan(conn, state)
    assert plan.describe() == [
        "update tenant issuing CA tenants/bravo/pki/intermediate: permitted_dns_domains: [bravo.egov.example] -> "
        "[bravo-archive.egov.example, bravo.egov.example]",
        "update certificate role tenants/bravo/pki/roles/bravo: allowed_domains: [bravo.egov.example] -> "
        "[bravo-archive.egov.example, bravo.egov.example]",
    ]
    apply_plan(conn, state, plan)
    assert make_plan(conn, state).empty
    after = _issuers(bravo, "pki")
    assert set(before) < set(after)  # the old issuer stays, for the certificates it signed
    new_default = bravo.read("pki/config/issuers")["data"]["default"]
    assert new_default != old_default
    ca = x509.load_pem_x509_certificate(bravo.read("pki/issuer/default")["data"]["certificate"].encode())
    constraints = ca.extensions.get_extension_for_class(x509.NameConstraints).value
    assert sorted(n.value for n in constraints.permitted_subtrees or []) == [
        "bravo-archive.egov.example", "bravo.egov.example"]
    cert = bravo.write_data("pki/issue/bravo", data={"common_name": "x.bravo-archive.egov.example"})["data"]
    assert cert["issuing_ca"].strip() == bravo.read("pki/issuer/default")["data"]["certificate"].strip()
    # Back to the module's file: the constraint narrows again with yet another issuer.
    state = load_desired(desired)
    apply_plan(conn, state, make_plan(conn, state))
    assert make_plan(conn, state).empty


def test_expiring_cas_are_reported(conn: Connection, desired: Path) -> None:
    resources = build_resources(load_desired(desired), conn.address)
    observer = Observer(conn, now=dt.datetime.now(dt.UTC) + dt.timedelta(days=729))
    observer.observe(resources)
    subjects = sorted(f.subject for f in observer.findings)
    assert subjects == ["tenant issuing CA tenants/alpha/pki/intermediate",
                        "tenant issuing CA tenants/bravo/pki/intermediate"]
    assert all("plan a CA rollover" in f.fix for f in observer.findings)


def test_embedded_openbao_is_the_default(bao: OpenBao, desired: Path, monkeypatch: pytest.MonkeyPatch,
                                         tmp_path: Path) -> None:
    monkeypatch.setenv("EGOV_HOME", str(bao.paths.root))
    conn = vault_connection({})
    assert (conn.source, conn.address) == ("embedded", bao.address)
    assert make_plan(conn, load_desired(desired)).empty
    monkeypatch.setenv("EGOV_HOME", str(tmp_path / "never-started"))
    with pytest.raises(VaultUnavailable, match=r"no VAULT_ADDR set and the embedded OpenBao is not usable: .*"
                                               "egov local up"):
        vault_connection({})


def test_cli_plan_and_apply(bao: OpenBao, desired: Path) -> None:
    code, output = _cli(bao, "plan", "--file", str(desired))
    assert code == 0, output
    assert f"no changes: OpenBao at {bao.address} matches the desired state" in output

    extra = _with_tenant(desired, "charlie")
    code, output = _cli(bao, "apply", "--file", str(extra), input="n\n")
    assert code == 1 and "cancelled; nothing was changed" in output
    assert "charlie/" not in ns_client(bao, "tenants").sys.list_namespaces()["data"]["keys"]

    code, output = _cli(bao, "apply", "--file", str(extra), "--yes")
    assert code == 0, output
    assert "│ create │ namespace tenants/sys/namespaces/charlie" in output
    assert "applied 13 changes" in output
    code, output = _cli(bao, "apply", "--file", str(extra), "--yes")
    assert code == 0 and "no changes" in output

    bad = desired.with_name("bad.yaml")
    bad.write_text(TENANTS.replace("[bravo.egov.example]", "['*.bravo.egov.example']"))
    code, output = _cli(bao, "apply", "--file", str(bad), "--yes")
    assert code == 1
    assert (f"{bad}: tenants[1].domains[0] (tenant 'bravo'): '*.bravo.egov.example' is a wildcard" in output)
    assert "nothing was changed" in output


def test_audit_devices_are_verified_not_created(bao: OpenBao, conn: Connection, desired: Path) -> None:
    siem = desired.with_name("siem.yaml")
    siem.write_text(TENANTS.replace("version: 1\n", "version: 1\nplatform:\n  audit_devices:\n"
                                    "    - {path: file, type: file}\n    - {path: file-secondary, type: file}\n"
                                    "    - {path: siem, type: socket}\n"))
    plan = make_plan(conn, load_desired(siem))
    assert plan.empty
    assert [str(f) for f in plan.findings if f.subject.startswith("audit")] == [
        'warning: audit device sys/audit/siem: is not enabled; declare it in the OpenBao server config (`audit '
        '"socket" "siem" { options { ... } }`) and restart or SIGHUP the server; OpenBao refuses to enable audit '
        "devices through the API"]
    devices = ns_client(bao).sys.list_enabled_audit_devices()["data"]
    assert sorted(devices) == ["file-secondary/", "file/"]


def test_declared_tenant_removed_from_the_file_is_reported_not_deleted(
        bao: OpenBao, conn: Connection, desired: Path) -> None:
    plan = make_plan(conn, load_desired(desired))  # charlie (applied above) is not in this file
    assert plan.empty
    finding = next(f for f in plan.findings if f.subject == "namespace tenants/charlie")
    assert "apply never deletes a tenant" in finding.fix
    assert "charlie/" in ns_client(bao, "tenants").sys.list_namespaces()["data"]["keys"]


# ----------------------------------------------------------------------------- failures


def test_sealed_openbao_is_a_clear_error_and_nothing_is_applied(bao: OpenBao, desired: Path) -> None:
    extra = _with_tenant(desired, "delta")
    bao.client().sys.seal()
    try:
        with pytest.raises(VaultUnavailable) as caught:
            make_plan(connect(bao.root_env()), load_desired(extra))
        message = str(caught.value)
        assert f"OpenBao at {bao.address} is sealed" in message
        assert "egov local up" in message and "bao operator unseal" in message and "nothing was" in message
        code, output = _cli(bao, "apply", "--file", str(extra), "--yes")
        assert code == 1
        assert f"error: OpenBao at {bao.address} is sealed" in output
    finally:
        assert bao.up().healthy
    assert "delta/" not in ns_client(bao, "tenants").sys.list_namespaces()["data"]["keys"]
    plan = make_plan(connect(bao.root_env()), load_desired(extra))
    assert len(plan.actions) == 13 and all(a.op == "create" for a in plan.actions)


def test_unreachable_and_rejected_token_are_clear_errors(bao: OpenBao, desired: Path) -> None:
    env = bao.root_env()
    closed = {**env, "VAULT_ADDR": "https://127.0.0.1:9"}
    with pytest.raises(VaultUnavailable, match=r"OpenBao at https://127\.0\.0\.1:9 is unreachable .*check "
                                               r"VAULT_ADDR=https://127\.0\.0\.1:9"):
        make_plan(connect(closed), load_desired(desired))
    with pytest.raises(VaultUnavailable, match=rf"OpenBao at {re.escape(bao.address)} rejected the token"):
        make_plan(connect({**env, "VAULT_TOKEN": "s.not-a-token"}), load_desired(desired))
    with pytest.raises(VaultUnavailable, match=r"VAULT_ADDR is set .* but VAULT_TOKEN is not"):
        connect({"VAULT_ADDR": env["VAULT_ADDR"]})


def test_failure_midway_reports_what_was_applied_and_a_rerun_converges(bao: OpenBao, desired: Path) -> None:
    extra = _with_tenant(desired, "echo")
    state = load_desired(extra)
    conn = connect(bao.root_env())
    plan = make_plan(conn, state)
    assert len(plan.actions) == 13

    def seal_after_third(action: Action) -> None:
        if action is plan.actions[2] or action.describe() == plan.actions[2].describe():
            bao.client().sys.seal()  # the next write meets a sealed server

    try:
        with pytest.raises(ApplyError) as caught:
            apply_plan(conn, state, plan, on_applied=seal_after_third)
    finally:
        assert bao.up().healthy
    error = caught.value
    assert [a.describe() for a in error.applied] == plan.describe()[:3]
    assert error.failed.describe() == plan.describe()[3]
    assert [a.describe() for a in error.remaining] == plan.describe()[4:]
    message = str(error)
    assert f"apply to {bao.address} stopped at step 4 of 13" in message
    assert "sealed" in message
    assert "applied (3):" in message and "not applied (10):" in message
    assert "run `egov vault apply` again" in message

    resumed = make_plan(connect(bao.root_env()), state)
    # Exactly what was not applied (kv/config of an existing mount reads as defaults: update, not create).
    assert [a.resource.key for a in resumed.actions] == [a.resource.key for a in plan.actions[3:]]
    apply_plan(connect(bao.root_env()), state, resumed)
    assert make_plan(connect(bao.root_env()), state).empty


def test_plan_changed_since_shown_is_refused(bao: OpenBao, desired: Path) -> None:
    state = load_desired(desired)
    conn = connect(bao.root_env())
    plan = make_plan(conn, state)
    assert plan.empty
    # Someone else changes OpenBao after the plan was shown.
    ns_client(bao, "tenants/alpha").write_data("kv/config", data={"max_versions": 7})
    with pytest.raises(Exception, match="changed since the plan was shown"):
        apply_plan(conn, state, plan)
    assert ns_client(bao, "tenants/alpha").read("kv/config")["data"]["max_versions"] == 7
    apply_plan(conn, state, make_plan(conn, state))


# ----------------------------------------------------------------------------- operators' policy


def test_operators_policy_can_run_apply_but_never_reads_tenant_data(bao: OpenBao, desired: Path) -> None:
    root = ns_client(bao)
    token = root.auth.token.create(policies=["operators"], no_default_policy=True, ttl="10m")["auth"]["client_token"]
    alone = connect({**bao.root_env(), "VAULT_TOKEN": token})
    extra = _with_tenant(desired, "foxtrot")
    refused = make_plan(alone, load_desired(extra))
    # A new tenant's default policy, AppRole bindings and signed CA are break-glass actions: without the
    # root token the plan names them and apply refuses before changing anything.
    assert sorted(f.subject for f in refused.blocking) == [
        "ACL policy tenants/foxtrot/sys/policies/acl/default",
        "AppRole role tenants/foxtrot/auth/approle/role/pipeline",
        "tenant issuing CA tenants/foxtrot/pki/intermediate",
    ]
    with pytest.raises(PlanRefused):
        apply_plan(alone, load_desired(extra), refused)
    assert "foxtrot/" not in ns_client(bao, "tenants").sys.list_namespaces()["data"]["keys"]
    operator = connect({**bao.root_env(), "VAULT_TOKEN": token,
                        "EGOV_VAULT_BREAK_GLASS_TOKEN": bao.root_env()["VAULT_TOKEN"]})
    plan = make_plan(operator, load_desired(extra))
    assert len(plan.actions) == 13 and plan.blocking == ()
    apply_plan(operator, load_desired(extra), plan)
    assert make_plan(operator, load_desired(extra)).empty

    ns_client(bao, "tenants/foxtrot").write_data("kv/data/db", data={"data": {"password": "op-must-not-see"}})
    op_tenant = ns_client(bao, "tenants/foxtrot", token=token)
    forbidden: list[tuple[str, Any]] = [
        ("read KV data", lambda: op_tenant.read("kv/data/db")),
        ("read KV metadata", lambda: op_tenant.read("kv/metadata/db")),
        ("decrypt", lambda: op_tenant.write_data("transit/decrypt/foxtrot", data={"ciphertext": "vault:v1:AAAA"})),
        ("encrypt", lambda: op_tenant.write_data("transit/encrypt/foxtrot", data={"plaintext": "aGk="})),
        ("issue a secret_id", lambda: op_tenant.write_data("auth/approle/role/pipeline/secret-id")),
        ("issue a certificate", lambda: op_tenant.write_data("pki/issue/foxtrot",
                                                              data={"common_name": "a.foxtrot.egov.example"})),
        ("delete a key", lambda: op_tenant.delete("transit/keys/foxtrot")),
        ("trim a key", lambda: op_tenant.write_data("transit/keys/foxtrot/trim", data={"min_available_version": 1})),
        ("delete a namespace", lambda: ns_client(bao, "tenants", token=token).sys.delete_namespace("foxtrot")),
        ("widen its own policy", lambda: ns_client(bao, token=token).sys.create_or_update_acl_policy(
            "operators", 'path "*" { capabilities = ["sudo", "read"] }')),
        ("mint a token", lambda: ns_client(bao, token=token).auth.token.create(policies=["operators"])),
        ("disable a mount", lambda: ns_client(bao, token=token).sys.disable_secrets_engine("pki_int")),
    ]
    for what, attempt in forbidden:
        with pytest.raises(hvac.exceptions.Forbidden):
            attempt()
            pytest.fail(f"an operator could {what}")


# ----------------------------------------------------------------------------- offboarding


def test_offboarding_keeps_decryption_and_stops_everything_else(bao: OpenBao, desired: Path) -> None:
    path = desired.with_name("offboard.yaml")
    shutil.copy(desired, path)
    pipeline = pipeline_login(bao, "bravo")
    secret = base64.b64encode(b"bravo archive record").decode()
    ciphertext = pipeline.write_data("transit/encrypt/bravo", data={"plaintext": secret})["data"]["ciphertext"]
    pipeline.write_data("kv/data/archive", data={"data": {"k": "v"}})

    code, output = _cli(bao, "offboard", "bravo", "--file", str(path), "--yes")
    assert code == 0, output
    assert "tenant bravo is offboarded" in output
    assert "│ update │ ACL policy tenants/bravo/sys/policies/acl/pipeline │" in output
    assert load_desired(path).tenant("bravo").offboarded
    assert "# test tenants" in path.read_text()  # the edit keeps comments

    # The token issued before offboarding lost everything but decrypt and read, at once.
    decrypted = pipeline.write_data("transit/decrypt/bravo", data={"ciphertext": ciphertext})["data"]["plaintext"]
    assert base64.b64decode(decrypted) == b"bravo archive record"
    assert pipeline.read("kv/data/archive")["data"]["data"] == {"k": "v"}
    for attempt in (lambda: pipeline.write_data("transit/encrypt/bravo", data={"plaintext": secret}),
                    lambda: pipeline.write_data("transit/rewrap/bravo", data={"ciphertext": ciphertext}),
                    lambda: pipeline.write_data("kv/data/archive", data={"data": {"k": "w"}}),
                    lambda: pipeline.write_data("pki/issue/bravo", data={"common_name": "x.bravo.egov.example"})):
        with pytest.raises(hvac.exceptions.Forbidden):
            attempt()
    # A new login still works, with the same reduced rights.
    fresh = pipeline_login(bao, "bravo")
    assert fresh.write_data("transit/decrypt/bravo", data={"ciphertext": ciphertext})["data"]["plaintext"] == secret
    with pytest.raises(hvac.exceptions.Forbidden):
        fresh.write_data("transit/encrypt/bravo", data={"plaintext": secret})

    # The key is kept, cannot be deleted, and no longer rotates; the namespace says it is offboarded.
    admin = ns_client(bao, "tenants/bravo")
    key = admin.read("transit/keys/bravo")["data"]
    assert (key["deletion_allowed"], key["auto_rotate_period"]) == (False, 0)
    with pytest.raises(hvac.exceptions.InvalidRequest, match="deletion is not allowed"):
        admin.delete("transit/keys/bravo")
    assert ns_client(bao, "tenants").read("sys/namespaces/bravo")["data"]["custom_metadata"]["offboarded"] == "true"
    # Alpha is untouched, and everything has converged.
    assert "transit/encrypt/alpha" in ns_client(bao, "tenants/alpha").sys.read_acl_policy("pipeline")["data"]["policy"]
    assert make_plan(connect(bao.root_env()), load_desired(path)).empty
    code, output = _cli(bao, "offboard", "bravo", "--file", str(path), "--yes")
    assert code == 0 and "no changes" in output
