"""Issue 7, tried again as an attacker with an `operators` token (which also carries `default`, like every
normal token) against a real OpenBao configured by `egov vault apply`: every escalation path is refused
(403) in the root namespace and in the tenant namespaces, through the namespace header and through the
path; the routine work of an operator still succeeds; changes made by root behind the tool's back are
reported by `egov vault plan` by name; no root token is exported and no secret reaches the audit log.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import hvac
import hvac.exceptions
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from typer.testing import CliRunner

from infra.cli.main import app
from infra.local.openbao import OpenBao
from infra.vault.apply import apply_plan, make_plan, seal_tenant_namespace, unseal_tenant_namespace
from infra.vault.breakglass import BREAK_GLASS_VARIABLE
from infra.vault.live import connect
from infra.vault.model import parse_desired
from infra.vault.policies import render_tenant_policy
from infra.vault.seal import KEYS_DIR_VARIABLE
from tests.integration.openbao_server import b64, ns_client, pipeline_login, vault_cli

pytestmark = pytest.mark.integration

TENANTS = """\
version: 1
tenants:
  - id: alpha
    department: Alpha Bureau
    domains: [alpha.egov.example]
    pipeline_cidrs: [127.0.0.1/32]
  - id: bravo
    department: Bravo Bureau
    domains: [bravo.egov.example]
    pipeline_cidrs: [127.0.0.1/32]
    sealable: true
"""
# Every value a test writes into OpenBao; none may appear in the audit logs.
BRAVO_PASSWORD = f"bravo-db-password-{uuid.uuid4().hex}"
PULUMI_PLAINTEXT = f"pulumi-state-secret-{uuid.uuid4().hex}"
ROUTINE = TENANTS.replace("    pipeline_cidrs: [127.0.0.1/32]\n  - id: bravo",
                          "    pipeline_cidrs: [127.0.0.1/32]\n    kv_max_versions: 7\n    token_ttl: 10m\n"
                          "  - id: bravo")
OFFBOARDED = ROUTINE.replace("    sealable: true\n", "    sealable: true\n    offboarded: true\n")
OPEN_EVERYTHING = 'path "*" {\n  capabilities = ["create", "read", "update", "delete", "list", "sudo"]\n}\n'


@pytest.fixture(scope="module")
def bao(openbao_server: OpenBao) -> OpenBao:
    conn = connect({**openbao_server.root_env(), KEYS_DIR_VARIABLE: str(openbao_server.namespace_keys_dir)})
    state = parse_desired(TENANTS, "tenants.yaml")
    apply_plan(conn, state, make_plan(conn, state))
    bravo = pipeline_login(openbao_server, "bravo")
    bravo.write_data("kv/data/db", data={"data": {"db_password": BRAVO_PASSWORD}})
    return openbao_server


@pytest.fixture(scope="module")
def operator_token(bao: OpenBao) -> str:
    """Created exactly as in the issue: `-policy=operators`, so it carries `default` as well."""
    created = ns_client(bao).auth.token.create(policies=["operators"], ttl="1h")["auth"]
    assert sorted(created["policies"]) == ["default", "operators"]
    return str(created["client_token"])


def _operator(bao: OpenBao, token: str, namespace: str = "") -> hvac.Client:
    return ns_client(bao, namespace, token=token)


def _refused(attempt: Callable[[], Any], what: str) -> None:
    """403 and nothing else: an error of another kind (400, 404, 500) would not prove the refusal."""
    try:
        attempt()
    except hvac.exceptions.Forbidden:
        return
    except hvac.exceptions.VaultError as exc:
        pytest.fail(f"{what}: expected 403, got {exc.__class__.__name__}: {exc}")
    pytest.fail(f"{what}: an operator could do it")


def _put(client: hvac.Client, path: str, body: dict[str, Any]) -> Callable[[], Any]:
    return lambda: client.adapter.post(f"/v1/{path}", json=body)


def _get(client: hvac.Client, path: str) -> Callable[[], Any]:
    return lambda: client.adapter.get(f"/v1/{path}")


def _csr(common_name: str = "Operator's Own CA") -> str:
    key = ec.generate_private_key(ec.SECP256R1())
    csr = (x509.CertificateSigningRequestBuilder()
           .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)]))
           .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
           .sign(key, hashes.SHA256()))
    return csr.public_bytes(serialization.Encoding.PEM).decode()


def _self_issued_ca() -> str:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "www.gov.cn")])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now)
            .not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    return cert.public_bytes(serialization.Encoding.PEM).decode()


# ------------------------------------------------------------------------ 1. operator -> root


@pytest.mark.parametrize(("namespace", "path"), [
    ("", "sys/policies/acl/default"),
    ("", "sys/policy/default"),  # the legacy endpoint writes the same policies
    ("", "sys/policies/acl/escalate"),  # a policy the tool does not manage
    ("", "sys/policies/acl/operators"),
    ("", "sys/policies/acl/pulumi"),
    ("tenants/alpha", "sys/policies/acl/default"),  # through the namespace header
    ("", "tenants/alpha/sys/policies/acl/default"),  # through the path
    ("tenants", "alpha/sys/policies/acl/default"),  # half and half
    ("tenants/alpha", "sys/policies/acl/escalate"),
    ("tenants/alpha", "sys/policy/default"),
    ("tenants/bravo", "sys/policies/acl/default"),
    ("tenants", "sys/policies/acl/default"),
])
def test_operator_cannot_write_default_or_unmanaged_policies(bao: OpenBao, operator_token: str, namespace: str,
                                                             path: str) -> None:
    client = _operator(bao, operator_token, namespace)
    _refused(_put(client, path, {"policy": OPEN_EVERYTHING}), f"write {namespace}/{path}")


def test_default_stayed_as_shipped_so_a_fresh_token_is_still_powerless(bao: OpenBao, operator_token: str) -> None:
    fresh = ns_client(bao).auth.token.create(policies=["default"], ttl="5m")["auth"]["client_token"]
    assert ns_client(bao).read("sys/policies/acl/default")["data"]["policy"] == (
        Path(__file__).parents[2] / "policies/vault/templates/default.hcl.tmpl").read_text()
    user = ns_client(bao, "tenants/bravo", token=fresh)
    _refused(_get(user, "kv/data/db"), "a fresh token reads the tenant's KV")
    _refused(lambda: ns_client(bao, token=fresh).sys.seal(), "a fresh token seals OpenBao")


# ------------------------------------------------------------------------ 2. operator -> a tenant's pipeline


@pytest.mark.parametrize(("namespace", "what", "path", "body"), [
    ("tenants/alpha", "read the role-id", "auth/approle/role/pipeline/role-id", None),
    ("", "read the role-id through the path", "tenants/alpha/auth/approle/role/pipeline/role-id", None),
    ("tenants/alpha", "set a custom role-id", "auth/approle/role/pipeline/role-id", {"role_id": "known"}),
    ("tenants/alpha", "log in without a secret_id", "auth/approle/role/pipeline",
     {"bind_secret_id": False, "secret_id_bound_cidrs": ["0.0.0.0/0"], "token_bound_cidrs": ["0.0.0.0/0"]}),
    ("tenants/alpha", "bind_secret_id=false", "auth/approle/role/pipeline", {"bind_secret_id": False}),
    ("tenants/alpha", "bind_secret_id as a string", "auth/approle/role/pipeline", {"bind_secret_id": "false"}),
    ("tenants/alpha", "its own secret_id CIDRs", "auth/approle/role/pipeline",
     {"secret_id_bound_cidrs": ["10.66.0.0/16"]}),
    ("tenants/alpha", "its own token CIDRs", "auth/approle/role/pipeline", {"token_bound_cidrs": ["10.66.0.0/16"]}),
    ("tenants/alpha", "other policies", "auth/approle/role/pipeline", {"token_policies": ["default", "pipeline"]}),
    ("tenants/alpha", "the legacy policies field", "auth/approle/role/pipeline", {"policies": ["pipeline"]}),
    ("tenants/alpha", "a batch token type", "auth/approle/role/pipeline", {"token_type": "batch"}),
    ("tenants/alpha", "the bind-secret-id sub-path", "auth/approle/role/pipeline/bind-secret-id",
     {"bind_secret_id": False}),
    ("tenants/alpha", "the CIDR sub-path", "auth/approle/role/pipeline/secret-id-bound-cidrs",
     {"secret_id_bound_cidrs": ["0.0.0.0/0"]}),
    ("tenants/alpha", "a role of its own", "auth/approle/role/backdoor",
     {"bind_secret_id": False, "token_policies": ["pipeline"], "secret_id_bound_cidrs": ["127.0.0.1/32"]}),
    ("tenants/alpha", "issue a secret_id", "auth/approle/role/pipeline/secret-id", {}),
    ("", "read Pulumi's role-id", "auth/approle/role/pulumi/role-id", None),
    ("", "unbind Pulumi's role", "auth/approle/role/pulumi", {"bind_secret_id": False}),
])
def test_operator_cannot_read_role_ids_or_change_approle_bindings(
        bao: OpenBao, operator_token: str, namespace: str, what: str, path: str, body: dict[str, Any] | None) -> None:
    client = _operator(bao, operator_token, namespace)
    _refused(_get(client, path) if body is None else _put(client, path, body), what)


def test_the_role_kept_its_bindings(bao: OpenBao) -> None:
    role = ns_client(bao, "tenants/alpha").read("auth/approle/role/pipeline")["data"]
    assert (role["bind_secret_id"], role["secret_id_bound_cidrs"], role["token_bound_cidrs"]) == (
        True, ["127.0.0.1/32"], ["127.0.0.1"])
    assert role["token_policies"] == ["pipeline"]
    assert "backdoor" not in (ns_client(bao, "tenants/alpha").list("auth/approle/role") or {}).get(
        "data", {}).get("keys", [])


# ------------------------------------------------------------------------ 3. operator -> a trusted CA


@pytest.mark.parametrize(("namespace", "path", "body"), [
    ("", "pki_int/root/sign-intermediate", {"csr": "CSR", "common_name": "www.gov.cn", "ttl": "8760h"}),
    ("", "pki/root/sign-intermediate", {"csr": "CSR", "common_name": "www.gov.cn", "ttl": "8760h"}),
    ("", "pki/issuer/default/sign-intermediate", {"csr": "CSR", "common_name": "www.gov.cn"}),
    ("", "pki_int/issuer/default/sign-intermediate", {"csr": "CSR", "common_name": "www.gov.cn"}),
    ("", "pki/root/sign-self-issued", {"certificate": "SELF"}),
    ("", "pki_int/root/sign-self-issued", {"certificate": "SELF"}),
    ("", "pki_int/issuer/default/sign-self-issued", {"certificate": "SELF"}),
    ("", "pki_int/sign-verbatim", {"csr": "CSR"}),
    ("", "pki_int/issuer/default/sign-verbatim", {"csr": "CSR"}),
    ("", "pki/root/generate/internal", {"common_name": "Operator Root", "ttl": "87600h"}),
    ("", "pki_int/intermediate/set-signed", {"certificate": "SELF"}),
    ("", "pki_int/issuers/import/bundle", {"pem_bundle": "SELF"}),
    ("", "pki_int/config/issuers", {"default": "default"}),
    ("", "pki_int/config/acme", {"enabled": True, "default_directory_policy": "sign-verbatim"}),
    ("", "pki_int/issuer/default", {"leaf_not_after_behavior": "permit"}),
    ("", "pki_int/roles/anything", {"allow_any_name": True}),
    ("tenants/alpha", "pki/root/sign-intermediate", {"csr": "CSR", "common_name": "www.gov.cn"}),
    ("tenants/alpha", "pki/issuer/default/sign-intermediate", {"csr": "CSR", "common_name": "www.gov.cn"}),
    ("tenants/alpha", "pki/sign-verbatim", {"csr": "CSR"}),
    ("tenants/alpha", "pki/intermediate/set-signed", {"certificate": "SELF"}),
    ("tenants/alpha", "pki/config/acme", {"enabled": True, "default_directory_policy": "sign-verbatim"}),
    ("", "tenants/alpha/pki/root/sign-intermediate", {"csr": "CSR", "common_name": "www.gov.cn"}),
])
def test_operator_cannot_sign_import_or_generate_cas(bao: OpenBao, operator_token: str, namespace: str, path: str,
                                                     body: dict[str, Any]) -> None:
    filled = {k: (_csr() if v == "CSR" else _self_issued_ca() if v == "SELF" else v) for k, v in body.items()}
    _refused(_put(_operator(bao, operator_token, namespace), path, filled), f"{namespace}/{path}")


# ------------------------------------------------------------------------ 4. operator -> tenant secrets in audit.log


@pytest.mark.parametrize(("namespace", "path", "body"), [
    ("tenants/bravo", "sys/mounts/kv/tune", {"audit_non_hmac_response_keys": ["db_password"]}),
    ("tenants/bravo", "sys/mounts/kv/tune", {"audit_non_hmac_request_keys": ["db_password"]}),
    ("tenants/bravo", "sys/mounts/kv/tune", {"audit_non_hmac_response_keys": "db_password"}),
    ("tenants/bravo", "sys/mounts/kv/tune", {"max_versions": 3, "audit_non_hmac_response_keys": ["data"]}),
    ("", "tenants/bravo/sys/mounts/kv/tune", {"audit_non_hmac_response_keys": ["db_password"]}),
    ("tenants", "bravo/sys/mounts/kv/tune", {"audit_non_hmac_response_keys": ["db_password"]}),
    ("tenants/bravo", "sys/mounts/transit/tune", {"audit_non_hmac_response_keys": ["plaintext"]}),
    ("tenants/bravo", "sys/auth/approle/tune", {"audit_non_hmac_response_keys": ["secret_id"]}),
    ("", "sys/mounts/transit/tune", {"audit_non_hmac_request_keys": ["plaintext"]}),
    ("", "sys/mounts/transit/tune", {"audit_non_hmac_response_keys": ["plaintext"]}),
    ("", "sys/auth/token/tune", {"audit_non_hmac_response_keys": ["client_token"]}),
    # a new mount (also a nested path) created with the keys already set
    ("tenants/bravo", "sys/mounts/kv2", {"type": "kv", "config": {"audit_non_hmac_response_keys": ["db_password"]}}),
    ("", "sys/mounts/deep/transit", {"type": "transit", "config": {"audit_non_hmac_request_keys": ["plaintext"]}}),
    ("", "sys/mounts/deep/transit/tune", {"audit_non_hmac_request_keys": ["plaintext"]}),
])
def test_operator_cannot_tune_audit_hmac_settings(bao: OpenBao, operator_token: str, namespace: str, path: str,
                                                  body: dict[str, Any]) -> None:
    _refused(_put(_operator(bao, operator_token, namespace), path, body), f"{namespace}/{path} {body}")


@pytest.mark.parametrize(("namespace", "path", "body"), [
    ("tenants/alpha", "transit/keys/alpha/config", {"exportable": True}),
    ("tenants/alpha", "transit/keys/alpha/config", {"allow_plaintext_backup": True}),
    ("tenants/alpha", "transit/keys/alpha/config", {"exportable": "true"}),
    ("", "tenants/alpha/transit/keys/alpha/config", {"exportable": True}),
    ("tenants/alpha", "transit/keys/alpha/trim", {"min_available_version": 1}),
    ("", "transit/keys/pulumi-secrets/config", {"exportable": True, "allow_plaintext_backup": True}),
    ("tenants/alpha", "transit/export/encryption-key/alpha", None),
    ("tenants/alpha", "transit/backup/alpha", None),
])
def test_operator_cannot_make_a_key_leave_openbao(bao: OpenBao, operator_token: str, namespace: str, path: str,
                                                  body: dict[str, Any] | None) -> None:
    client = _operator(bao, operator_token, namespace)
    _refused(_get(client, path) if body is None else _put(client, path, body), f"{namespace}/{path} {body}")
    assert ns_client(bao, "tenants/alpha").read("transit/keys/alpha")["data"]["exportable"] is False


# ------------------------------------------------------------------------ what an operator still does


def test_operator_runs_the_routine_tasks_with_its_own_token(bao: OpenBao, operator_token: str) -> None:
    """Plan, apply a routine change, rotate a key, seal and unseal a tenant, offboard: no break-glass token."""
    operator = connect({**bao.root_env(), "VAULT_TOKEN": operator_token,
                        KEYS_DIR_VARIABLE: str(bao.namespace_keys_dir)})
    assert make_plan(operator, parse_desired(TENANTS, "tenants.yaml")).empty
    assert operator.break_glass() is None  # everything below runs with the operator's own token

    routine = parse_desired(ROUTINE, "tenants.yaml")
    plan = make_plan(operator, routine)
    assert plan.blocking == ()
    assert plan.describe() == [
        "update KV v2 settings tenants/alpha/kv/config: max_versions: 20 -> 7",
        "update AppRole role tenants/alpha/auth/approle/role/pipeline: token_ttl: 15m -> 10m",
    ]
    apply_plan(operator, routine, plan)
    assert make_plan(operator, routine).empty

    tenant = _operator(bao, operator_token, "tenants/alpha")
    before = tenant.read("transit/keys/alpha")["data"]["latest_version"]
    tenant.write_data("transit/keys/alpha/rotate")
    assert tenant.read("transit/keys/alpha")["data"]["latest_version"] == before + 1

    assert "sealed" in seal_tenant_namespace(operator, routine, "bravo")
    assert ns_client(bao, "tenants").read("sys/namespaces/bravo/seal-status")["data"]["sealed"] is True
    assert "unsealed" in unseal_tenant_namespace(operator, routine, "bravo")

    offboarded = parse_desired(OFFBOARDED, "tenants.yaml")
    plan = make_plan(operator, offboarded)
    assert plan.blocking == ()
    assert sorted(a.resource.key for a in plan.actions) == [
        "tenants/bravo/sys/policies/acl/pipeline", "tenants/bravo/transit/keys/bravo", "tenants/sys/namespaces/bravo"]
    apply_plan(operator, offboarded, plan)
    assert "OFFBOARDED" in ns_client(bao, "tenants/bravo").read("sys/policies/acl/pipeline")["data"]["policy"]
    assert make_plan(operator, offboarded).empty


# ------------------------------------------------------------------------ drift made by root behind the tool's back


def test_plan_reports_each_change_made_behind_the_tools_back_by_name(bao: OpenBao, operator_token: str,
                                                                     tmp_path: Path) -> None:
    state = parse_desired(OFFBOARDED, "tenants.yaml")
    root = ns_client(bao)
    alpha = ns_client(bao, "tenants/alpha")
    root.sys.create_or_update_acl_policy("default", OPEN_EVERYTHING)
    alpha.sys.create_or_update_acl_policy("default", OPEN_EVERYTHING)
    alpha.sys.create_or_update_acl_policy("pipeline", OPEN_EVERYTHING)
    alpha.write_data("auth/approle/role/pipeline", data={"bind_secret_id": False,
                                                          "secret_id_bound_cidrs": ["10.66.0.0/16"]})
    alpha.write_data("sys/mounts/kv/tune", data={"audit_non_hmac_response_keys": ["db_password"]})
    alpha.write_data("sys/auth/approle/tune", data={"audit_non_hmac_request_keys": ["secret_id"]})
    root.write_data("sys/mounts/transit/tune", data={"audit_non_hmac_request_keys": ["plaintext"]})
    # and two things apply does not manage at all
    alpha.write_data("auth/approle/role/backdoor", data={"bind_secret_id": False, "token_policies": ["pipeline"],
                                                         "secret_id_bound_cidrs": ["127.0.0.1/32"]})
    alpha.sys.enable_secrets_engine("kv", path="kv-extra", config={"audit_non_hmac_response_keys": ["token"]})

    operator = connect({**bao.root_env(), "VAULT_TOKEN": operator_token})
    plan = make_plan(operator, state)
    policy = f"<{len(OPEN_EVERYTHING.splitlines())} lines>"
    default_lines = len((Path(__file__).parents[2] / "policies/vault/templates/default.hcl.tmpl").read_text()
                        .splitlines())
    assert sorted(plan.describe()) == sorted([
        f"update ACL policy sys/policies/acl/default: policy: {policy} -> <{default_lines} lines>",
        f"update ACL policy tenants/alpha/sys/policies/acl/default: policy: {policy} -> <{default_lines} lines>",
        f"update ACL policy tenants/alpha/sys/policies/acl/pipeline: policy: {policy} -> "
        f"<{len(render_tenant_policy(state.tenant('alpha')).splitlines())} lines>",
        "update AppRole role tenants/alpha/auth/approle/role/pipeline: secret_id_bound_cidrs: [10.66.0.0/16] -> "
        "[127.0.0.1/32]; bind_secret_id: False -> True",
        "update secrets engine tenants/alpha/sys/mounts/kv: audit_non_hmac_response_keys: [db_password] -> []",
        "update auth method tenants/alpha/sys/auth/approle: audit_non_hmac_request_keys: [secret_id] -> []",
        "update secrets engine sys/mounts/transit: audit_non_hmac_request_keys: [plaintext] -> []",
    ])
    # The operator alone cannot undo them (each is a break-glass action), and is told so by name.
    assert sorted(f.subject for f in plan.blocking) == sorted([
        "ACL policy sys/policies/acl/default", "ACL policy tenants/alpha/sys/policies/acl/default",
        "AppRole role tenants/alpha/auth/approle/role/pipeline", "secrets engine tenants/alpha/sys/mounts/kv",
        "auth method tenants/alpha/sys/auth/approle", "secrets engine sys/mounts/transit"])

    desired = tmp_path / "tenants.yaml"
    desired.write_text(OFFBOARDED)
    unmanaged = {f.subject: f.message for f in plan.findings if f.severity == "warning"}
    assert unmanaged["AppRole role tenants/alpha/auth/approle/role/backdoor"].startswith("exists but is not declared")
    assert unmanaged["secrets engine tenants/alpha/sys/mounts/kv-extra"] == (
        "is not managed by apply and has its audit log write audit_non_hmac_response_keys token in clear")

    code, output = vault_cli({**bao.root_env(), "VAULT_TOKEN": operator_token}, "plan", "--file", str(desired))
    assert code == 0, output
    for name in ("sys/policies/acl/default", "tenants/alpha/sys/policies/acl/default",
                 "tenants/alpha/auth/approle/role/pipeline", "tenants/alpha/sys/mounts/kv",
                 "tenants/alpha/sys/auth/approle", "sys/mounts/transit"):
        assert name in output

    with_break_glass = connect({**bao.root_env(), "VAULT_TOKEN": operator_token,
                                BREAK_GLASS_VARIABLE: bao.root_env()["VAULT_TOKEN"]})
    apply_plan(with_break_glass, state, make_plan(with_break_glass, state))
    assert make_plan(operator, state).empty
    assert alpha.read("auth/approle/role/pipeline")["data"]["bind_secret_id"] is True
    assert "audit_non_hmac_response_keys" not in alpha.read("sys/mounts/kv/tune")["data"] or not alpha.read(
        "sys/mounts/kv/tune")["data"]["audit_non_hmac_response_keys"]




# ------------------------------------------------------------------------ 5. the root token for everything


def test_local_env_exports_pulumis_token_not_the_root_token(bao: OpenBao, tmp_path: Path) -> None:
    root_token = bao.root_env()["VAULT_TOKEN"]
    result = CliRunner().invoke(app, ["local", "env"], env={"EGOV_HOME": str(bao.paths.root), "COLUMNS": "250"})
    assert result.exit_code == 0, result.output
    assert root_token not in result.output
    exported = dict(line.removeprefix("export ").split("=", 1) for line in result.output.splitlines())
    assert exported["VAULT_TOKEN"] == bao.pulumi.token()
    assert exported["EGOV_NAMESPACE_KEYS_DIR"] == str(bao.namespace_keys_dir)
    assert exported["VAULT_ADDR"].startswith("https://")

    # `eval "$(egov local env)"; egov vault apply --yes` works as typed: on the embedded server the CLI takes
    # the root token from the local init file for apply's break-glass actions (and only there).
    desired = tmp_path / "tenants.yaml"
    desired.write_text(OFFBOARDED)
    code, output = vault_cli(exported, "apply", "--yes", "--file", str(desired))
    assert code == 0, output
    assert "no changes: OpenBao at" in output


def test_pulumis_token_encrypts_and_decrypts_with_its_key_and_nothing_else(bao: OpenBao) -> None:
    pulumi = ns_client(bao, token=bao.env()["VAULT_TOKEN"])
    info = ns_client(bao).auth.token.lookup(bao.env()["VAULT_TOKEN"])["data"]
    assert info["policies"] == ["pulumi"] and info["renewable"] is True and 0 < info["ttl"] <= 3600
    ciphertext = pulumi.write_data("transit/encrypt/pulumi-secrets", data={"plaintext": b64(PULUMI_PLAINTEXT)})[
        "data"]["ciphertext"]
    assert pulumi.write_data("transit/decrypt/pulumi-secrets", data={"ciphertext": ciphertext})["data"][
        "plaintext"] == b64(PULUMI_PLAINTEXT)
    for what, attempt in [
        ("read the key", _get(pulumi, "transit/keys/pulumi-secrets")),
        ("rotate the key", _put(pulumi, "transit/keys/pulumi-secrets/rotate", {})),
        ("export the key", _get(pulumi, "transit/export/encryption-key/pulumi-secrets")),
        ("encrypt with another key", _put(pulumi, "transit/encrypt/other", {"plaintext": b64("x")})),
        ("read a tenant's KV", _get(ns_client(bao, "tenants/bravo", token=pulumi.token), "kv/data/db")),
        ("write a policy", _put(pulumi, "sys/policies/acl/pulumi", {"policy": OPEN_EVERYTHING})),
        ("mint a token", _put(pulumi, "auth/token/create", {})),
        ("list mounts", _get(pulumi, "sys/mounts")),
    ]:
        _refused(attempt, f"Pulumi's token could {what}")


def test_pipelines_log_in_with_the_pulumi_approle_for_the_same_narrow_token(bao: OpenBao) -> None:
    root = ns_client(bao)
    role_id = root.read("auth/approle/role/pulumi/role-id")["data"]["role_id"]
    secret_id = root.write_data("auth/approle/role/pulumi/secret-id")["data"]["secret_id"]
    pipeline = ns_client(bao, token="none")
    login = pipeline.auth.approle.login(role_id=role_id, secret_id=secret_id)["auth"]
    assert login["policies"] == ["pulumi"] and login["lease_duration"] == 15 * 60
    assert pipeline.write_data("transit/encrypt/pulumi-secrets", data={"plaintext": b64("x")})["data"]["ciphertext"]
    _refused(_get(pipeline, "sys/mounts"), "the pulumi AppRole's token could list mounts")
    with pytest.raises(hvac.exceptions.InvalidRequest):  # secret_ids are single-use
        ns_client(bao, token="none").auth.approle.login(role_id=role_id, secret_id=secret_id)


def test_pulumis_token_is_reissued_once_expired(bao: OpenBao) -> None:
    old = bao.env()["VAULT_TOKEN"]
    ns_client(bao).auth.token.revoke(old)
    record = json.loads(bao.pulumi.path.read_text())
    record["expires_at"] = 0  # as if the hour had passed
    bao.pulumi.path.write_text(json.dumps(record))
    assert bao.up().healthy
    new = bao.env()["VAULT_TOKEN"]
    assert new != old
    assert ns_client(bao, token=new).write_data("transit/encrypt/pulumi-secrets", data={"plaintext": b64("x")})


# ------------------------------------------------------------------------ nothing written by the tests in clear


def test_audit_logs_and_state_hold_no_secret_the_tests_wrote(bao: OpenBao) -> None:
    files = [bao.audit_log, bao.audit_secondary_log]
    assert all(f.stat().st_size > 0 for f in files)
    for secret in (BRAVO_PASSWORD, b64(BRAVO_PASSWORD), PULUMI_PLAINTEXT, b64(PULUMI_PLAINTEXT)):
        for file in files:
            assert secret not in file.read_text(errors="replace"), f"{secret} in clear in {file}"
        for path in bao.dir.rglob("*"):
            if path.is_file() and path.stat().st_size < 50_000_000:
                assert secret.encode() not in path.read_bytes(), f"{secret} in clear in {path}"
