"""`egov scan --source vault` against a real OpenBao of this module's own: its two config-declared audit
devices pass, seeded misconfigurations (an exportable key, a deletable key, an AppRole whose secret IDs
never expire) fail exactly, the scan only reads (OpenBao's own audit log says so), and a sealed OpenBao
is exit 2 with its address."""

from __future__ import annotations

import datetime as dt
import json
import os
import ssl
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import hvac
import pytest
from cryptography import x509

from compliance.evidence.cloud import MutatingCallRefused
from compliance.evidence.vault import VaultCollector
from compliance.scan import ScanOptions, run_scan
from infra.local.openbao import OpenBao
from infra.local.paths import REPO_ROOT
from infra.local.process import free_port

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def bao(openbao_server: OpenBao) -> Iterator[OpenBao]:
    """The module's OpenBao with a second transit mount and an AppRole, misconfigured on purpose."""
    client = openbao_server.client()
    client.sys.enable_secrets_engine("transit", path="dept-transit")
    client.secrets.transit.create_key("exportable", exportable=True, mount_point="dept-transit")
    client.secrets.transit.create_key("good", mount_point="dept-transit", auto_rotate_period="720h")
    client.secrets.transit.create_key("deletable", mount_point="dept-transit", auto_rotate_period="720h")
    client.secrets.transit.update_key_configuration("deletable", deletion_allowed=True, mount_point="dept-transit")
    client.sys.enable_auth_method("approle")
    client.write("auth/approle/role/forever", token_policies=["default"], secret_id_ttl=0, secret_id_num_uses=0,
                 token_max_ttl=3600)
    client.write("auth/approle/role/bounded", token_policies=["default"], secret_id_ttl=3600,
                 secret_id_num_uses=1, token_max_ttl=3600)
    with pytest.MonkeyPatch.context() as patch:
        # the root token: the scan reads sys/audit (sudo); `egov local env`'s token is Pulumi's (transit only)
        for key, value in openbao_server.root_env().items():
            patch.setenv(key, value)
        yield openbao_server


def failing(result: object) -> set[tuple[str, str]]:
    return {(f.check_id, f.resource) for f in result.findings if f.status == "fail"}  # type: ignore[attr-defined]


def test_exactly_the_seeded_misconfigurations_fail(bao: OpenBao, tmp_path: Path) -> None:
    result = run_scan(ScanOptions(sources=["vault"], out_dir=tmp_path))
    rotation = {key["name"]: key for key in result.evidence["vault"]["global"]["transit_keys"]}
    # the bootstrap key pulumi-secrets (`egov local up`) rotates every 2160h (policies/vault/tenants.yaml)
    expected = {
        ("vault_transit_key_protected", "dept-transit/keys/exportable"),
        ("vault_transit_key_rotation", "dept-transit/keys/exportable"),
        ("vault_transit_key_protected", "dept-transit/keys/deletable"),
        ("vault_approle_credentials_bounded", "auth/approle/role/forever"),
    }
    assert rotation["pulumi-secrets"]["auto_rotate_period"] in (2160 * 3600, "2160h", "7776000s")
    assert failing(result) == expected
    assert {f.status for f in result.findings if f.check_id.startswith(("ec2_", "s3_"))} == {"not collected"}
    assert not [f for f in result.findings if f.status == "error"]
    audit = [f for f in result.findings if f.check_id == "vault_audit_device_enabled"]
    assert [f.status for f in audit] == ["pass"] and "2 audit devices" in audit[0].detail


def test_the_scan_only_reads(bao: OpenBao, tmp_path: Path) -> None:
    log = bao.dir / "audit.log"
    before = len(log.read_text().splitlines())
    run_scan(ScanOptions(sources=["vault"], out_dir=tmp_path))
    entries = [json.loads(line) for line in log.read_text().splitlines()[before:]]
    operations = {entry["request"]["operation"] for entry in entries if entry.get("type") == "request"}
    assert operations and operations <= {"read", "list"}, operations


def test_the_read_only_adapter_refuses_writes_before_sending(bao: OpenBao) -> None:
    client = VaultCollector().client()
    with pytest.raises(MutatingCallRefused, match="POST"):
        client.secrets.transit.create_key("never", mount_point="dept-transit")
    assert "never" not in bao.client().secrets.transit.list_keys(mount_point="dept-transit")["data"]["keys"]


def test_tls_of_the_openbao_listener_and_an_endpoint_that_does_not_answer(
        bao: OpenBao, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    dead = f"127.0.0.1:{free_port()}"
    monkeypatch.setenv("EGOV_TLS_ENDPOINTS", dead)
    result = run_scan(ScanOptions(sources=["certs"], out_dir=tmp_path))
    address = urlsplit(bao.env()["VAULT_ADDR"])
    listener = f"tls:{address.hostname}:{address.port}"
    verdicts = {(f.check_id, f.resource): f for f in result.findings if f.check_id.startswith("tls_")}
    assert verdicts[("tls_endpoint_modern_protocol", listener)].status == "pass"
    assert verdicts[("tls_endpoint_modern_protocol", f"tls:{dead}")].status == "error"
    assert verdicts[("tls_certificate_verified", f"tls:{dead}")].status == "error"
    # the listener's certificate, read independently: its lifetime decides the verifier's lifetime rule
    pem = ssl.get_server_certificate((address.hostname or "", address.port or 0))
    leaf = x509.load_pem_x509_certificate(pem.encode())
    # infra/local/tls.py counts the 397 days from the backdated notBefore
    assert leaf.not_valid_after_utc - leaf.not_valid_before_utc <= dt.timedelta(days=397)
    verified = verdicts[("tls_certificate_verified", listener)]
    assert verified.status == "pass", verified.detail


def test_sealed_openbao_is_exit_2_with_the_address(bao: OpenBao, tmp_path: Path) -> None:
    """Last in the module: it seals the module's own server (the fixture stops it afterwards)."""
    address = bao.env()["VAULT_ADDR"]
    hvac.Client(url=address, token=bao.root_env()["VAULT_TOKEN"], verify=bao.env()["VAULT_CACERT"]).sys.seal()
    run = subprocess.run([sys.executable, "-m", "infra.cli.main", "scan", "--source", "vault", "--out", str(tmp_path)],
                         capture_output=True, text=True, cwd=REPO_ROOT, env=dict(os.environ), timeout=300)
    assert run.returncode == 2, run.stdout + run.stderr
    assert address in run.stderr and "sealed" in run.stderr
