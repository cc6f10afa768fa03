"""The scan's `auditor` token against a real OpenBao configured by `egov vault apply`: it reads everything
the scan judges (the evidence equals what the root token reads), and every write and every secret read is
refused with 403, in the root namespace and in the tenant namespaces, through the namespace header, the
path, and both mixed. The token itself is short-lived, carries only `auditor`, and cannot renew itself or
mint children."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from functools import partial
from typing import Any

import hvac
import hvac.exceptions
import pytest

from compliance.evidence.vault import VaultCollector
from infra.local.openbao import OpenBao
from infra.vault.apply import apply_plan, make_plan
from infra.vault.auditor import AuditorPolicyMissing, mint_auditor_token
from infra.vault.live import connect
from infra.vault.model import parse_desired
from infra.vault.seal import KEYS_DIR_VARIABLE
from tests.integration.openbao_server import ns_client

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
"""
ALPHA_SECRET = f"alpha-db-password-{uuid.uuid4().hex}"


@pytest.fixture(scope="module")
def bao(openbao_server: OpenBao) -> OpenBao:
    conn = connect({**openbao_server.root_env(), KEYS_DIR_VARIABLE: str(openbao_server.namespace_keys_dir)})
    state = parse_desired(TENANTS, "tenants.yaml")
    apply_plan(conn, state, make_plan(conn, state))
    alpha = ns_client(openbao_server, "tenants/alpha")
    alpha.secrets.kv.v2.create_or_update_secret("db", secret={"password": ALPHA_SECRET}, mount_point="kv")
    alpha.write("pki/issue/alpha", common_name="www.alpha.egov.example", ttl="24h")  # a certificate to list
    return openbao_server


@pytest.fixture(scope="module")
def root_connection(bao: OpenBao) -> Any:
    return connect(bao.root_env())


@pytest.fixture(scope="module")
def auditor(root_connection: Any) -> str:
    return mint_auditor_token(root_connection)


def _as_auditor(bao: OpenBao, token: str, namespace: str = "") -> hvac.Client:
    return ns_client(bao, namespace, token=token)


def _refused(attempt: Callable[[], Any], what: str) -> None:
    """403 and nothing else: an error of another kind (400, 404, 500) would not prove the refusal."""
    try:
        attempt()
    except hvac.exceptions.Forbidden:
        return
    except hvac.exceptions.VaultError as exc:
        pytest.fail(f"{what}: expected 403, got {exc.__class__.__name__}: {exc}")
    pytest.fail(f"{what}: the auditor could do it")


def test_the_token_is_short_lived_and_carries_only_auditor(bao: OpenBao, auditor: str) -> None:
    me = ns_client(bao).auth.token.lookup(auditor)["data"]  # asked by root: without `default` it cannot look itself up
    assert me["policies"] == ["auditor"]
    assert not me["renewable"] and 0 < me["ttl"] <= 15 * 60 and me["explicit_max_ttl"] == 15 * 60
    assert me["meta"] == {"purpose": "egov scan (read-only)"}


def test_the_scan_reads_with_the_auditor_token_what_root_reads(bao: OpenBao, auditor: str) -> None:
    env = bao.root_env()
    as_root = VaultCollector(address=env["VAULT_ADDR"], token=env["VAULT_TOKEN"], ca_cert=env["VAULT_CACERT"]).collect()
    as_auditor = VaultCollector(address=env["VAULT_ADDR"], token=auditor, ca_cert=env["VAULT_CACERT"]).collect()
    assert as_auditor["errors"] == {}, "\n".join(f"{k}: {v}" for k, v in as_auditor["errors"].items())
    assert set(as_auditor["global"]) == set(as_root["global"])
    for key, value in as_root["global"].items():
        assert as_auditor["global"][key] == value, (key, as_auditor["global"][key], value)
    found = as_auditor["global"]
    assert found["namespaces"] == ["", "tenants/", "tenants/alpha/", "tenants/bravo/"]
    assert {(k["namespace"], k["name"]) for k in found["transit_keys"]} == {
        ("", "pulumi-secrets"), ("tenants/alpha/", "alpha"), ("tenants/bravo/", "bravo")}
    assert {(r["namespace"], r["name"]) for r in found["approle_roles"]} == {
        ("", "pulumi"), ("tenants/alpha/", "pipeline"), ("tenants/bravo/", "pipeline")}
    assert [d["path"] for d in found["audit_devices"]] == ["file-secondary/", "file/"]


# Metadata the issue lets an auditor read, in each namespace form.
ALLOWED_READS = [
    ("", "sys/policies/acl/operators"),
    ("", "sys/mounts"),
    ("", "sys/auth"),
    ("", "sys/audit"),
    ("", "transit/keys/pulumi-secrets"),
    ("", "pki/certs"),
    ("", "pki_int/certs"),
    ("", "auth/approle/role/pulumi"),
    ("tenants/alpha", "transit/keys/alpha"),
    ("", "tenants/alpha/transit/keys/alpha"),
    ("tenants", "alpha/pki/roles/alpha"),
    ("tenants/alpha", "pki/certs"),
    ("tenants/alpha", "auth/approle/role/pipeline"),
    ("tenants/bravo", "sys/policies/acl/pipeline"),
]


@pytest.mark.parametrize(("namespace", "path"), ALLOWED_READS)
def test_the_auditor_reads_configuration_and_metadata(bao: OpenBao, auditor: str, namespace: str, path: str) -> None:
    client = _as_auditor(bao, auditor, namespace)
    method = client.list if path.endswith(("/roles", "/certs")) else client.read
    assert method(path) is not None


# Secrets: KV data and metadata, key material and transit operations, AppRole credentials, issuing.
SECRET_READS = [
    ("GET", "tenants/alpha", "kv/data/db"),
    ("GET", "", "tenants/alpha/kv/data/db"),
    ("GET", "tenants", "alpha/kv/data/db"),
    ("LIST", "tenants/alpha", "kv/metadata"),
    ("GET", "tenants/alpha", "kv/metadata/db"),
    ("GET", "tenants/alpha", "auth/approle/role/pipeline/role-id"),
    ("GET", "", "tenants/alpha/auth/approle/role/pipeline/role-id"),
    ("GET", "tenants", "alpha/auth/approle/role/pipeline/role-id"),
    ("GET", "", "auth/approle/role/pulumi/role-id"),
    ("POST", "tenants/alpha", "auth/approle/role/pipeline/secret-id"),
    ("LIST", "tenants/alpha", "auth/approle/role/pipeline/secret-id"),
    ("POST", "", "auth/approle/role/pulumi/secret-id"),
    ("GET", "tenants/alpha", "transit/export/encryption-key/alpha"),
    ("GET", "", "tenants/alpha/transit/export/encryption-key/alpha"),
    ("GET", "", "transit/export/encryption-key/pulumi-secrets"),
    ("GET", "tenants/alpha", "transit/backup/alpha"),
    ("POST", "tenants/alpha", "transit/decrypt/alpha"),
    ("POST", "", "tenants/alpha/transit/decrypt/alpha"),
    ("POST", "tenants", "alpha/transit/decrypt/alpha"),
    ("POST", "", "transit/decrypt/pulumi-secrets"),
    ("POST", "tenants/alpha", "transit/encrypt/alpha"),
    ("POST", "tenants/alpha", "transit/datakey/plaintext/alpha"),
    ("POST", "tenants/alpha", "transit/rewrap/alpha"),
    ("POST", "tenants/alpha", "pki/issue/alpha"),
    ("GET", "", "cubbyhole/anything"),
]


@pytest.mark.parametrize(("method", "namespace", "path"), SECRET_READS)
def test_every_secret_read_is_refused(bao: OpenBao, auditor: str, method: str, namespace: str, path: str) -> None:
    client = _as_auditor(bao, auditor, namespace)
    body = {"ciphertext": "vault:v1:AAAA", "plaintext": "aGk=", "common_name": "x.alpha.egov.example"}
    _refused(lambda: client.adapter.request(method, f"/v1/{path}", json=body if method == "POST" else None),
             f"{method} {namespace or '(root)'}:{path}")


# Writes, including to every path the auditor may read: read access must not carry update with it.
WRITES = [
    ("", "sys/policies/acl/auditor", {"policy": 'path "*" { capabilities = ["sudo", "update"] }'}),
    ("", "sys/policies/acl/escalate", {"policy": 'path "*" { capabilities = ["sudo", "update"] }'}),
    ("", "sys/policy/default", {"policy": 'path "*" { capabilities = ["read"] }'}),
    ("tenants/alpha", "sys/policies/acl/pipeline", {"policy": 'path "*" { capabilities = ["read"] }'}),
    ("", "tenants/alpha/sys/policies/acl/default", {"policy": 'path "*" { capabilities = ["read"] }'}),
    ("tenants", "alpha/sys/policies/acl/default", {"policy": 'path "*" { capabilities = ["read"] }'}),
    ("", "sys/audit/quiet", {"type": "file", "options": {"file_path": "/tmp/x"}}),
    ("", "sys/audit-hash/file", {"input": "x"}),
    ("", "sys/mounts/leak", {"type": "kv"}),
    ("", "sys/mounts/transit/tune", {"audit_non_hmac_request_keys": ["plaintext"]}),
    ("tenants/alpha", "sys/mounts/kv/tune", {"audit_non_hmac_response_keys": ["data"]}),
    ("", "sys/auth/userpass", {"type": "userpass"}),
    ("tenants/alpha", "sys/auth/approle/tune", {"audit_non_hmac_request_keys": ["secret_id"]}),
    ("", "sys/namespaces/evil", {}),
    ("tenants", "sys/namespaces/evil", {}),
    ("", "transit/keys/new", {}),
    ("", "transit/keys/pulumi-secrets/config", {"exportable": True}),
    ("tenants/alpha", "transit/keys/alpha/config", {"deletion_allowed": True}),
    ("tenants/alpha", "transit/keys/alpha/rotate", {}),
    ("", "tenants/alpha/transit/keys/alpha/trim", {"min_available_version": 1}),
    ("", "pki/roles/any", {"allow_any_name": True}),
    ("tenants/alpha", "pki/roles/alpha", {"allow_any_name": True}),
    ("", "pki_int/root/sign-intermediate", {"csr": "x"}),
    ("", "auth/approle/role/pulumi", {"secret_id_num_uses": 0, "bind_secret_id": False}),
    ("tenants/alpha", "auth/approle/role/pipeline", {"token_policies": ["root"]}),
    ("tenants", "alpha/auth/approle/role/pipeline/role-id", {"role_id": "known"}),
    ("tenants/alpha", "kv/data/db", {"data": {"password": "overwritten"}}),
    ("", "auth/token/create", {"policies": ["auditor"]}),
    ("", "auth/token/renew-self", {}),
    ("", "auth/token/lookup-self", {}),
    ("", "sys/seal", {}),
    ("", "sys/leases/revoke-prefix/auth", {}),
]


@pytest.mark.parametrize(("namespace", "path", "body"), WRITES)
def test_every_write_is_refused(bao: OpenBao, auditor: str, namespace: str, path: str, body: dict[str, Any]) -> None:
    client = _as_auditor(bao, auditor, namespace)
    _refused(lambda: client.adapter.post(f"/v1/{path}", json=body), f"POST {namespace or '(root)'}:{path}")


def test_deletes_are_refused(bao: OpenBao, auditor: str) -> None:
    for namespace, path in [("", "sys/policies/acl/operators"), ("", "sys/mounts/pki"),
                            ("tenants/alpha", "transit/keys/alpha"), ("", "auth/approle/role/pulumi"),
                            ("tenants/alpha", "kv/metadata/db"), ("", "sys/namespaces/tenants")]:
        client = _as_auditor(bao, auditor, namespace)
        _refused(partial(client.adapter.delete, f"/v1/{path}"), f"DELETE {namespace or '(root)'}:{path}")


def test_nothing_changed_and_the_secret_is_intact(bao: OpenBao) -> None:
    alpha = ns_client(bao, "tenants/alpha")
    secret = alpha.secrets.kv.v2.read_secret_version("db", mount_point="kv", raise_on_deleted_version=True)
    assert secret["data"]["data"] == {"password": ALPHA_SECRET}
    assert "new" not in ns_client(bao).secrets.transit.list_keys()["data"]["keys"]
    assert "auditor" in ns_client(bao).sys.list_acl_policies()["data"]["keys"]
    assert "escalate" not in ns_client(bao).sys.list_acl_policies()["data"]["keys"]


def test_no_auditor_policy_no_token(tmp_path: Any, root_connection: Any, bao: OpenBao) -> None:
    """Minting before `egov vault apply` installed the policy is refused with what to do (a token naming
    a policy that does not exist would be refused every read, and the scan would only show errors)."""
    client = ns_client(bao)
    text = client.sys.read_policy("auditor")["data"]["rules"]
    client.sys.delete_policy("auditor")
    try:
        with pytest.raises(AuditorPolicyMissing, match=r"egov vault apply"):
            mint_auditor_token(root_connection)
    finally:
        client.sys.create_or_update_policy("auditor", text)
