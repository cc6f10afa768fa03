"""Certificates from a real OpenBao PKI (root `pki`, intermediate `pki_int`, one role), verified by
infra/vault/certs.py with the CRL fetched over HTTPS from the distribution point OpenBao writes into
each certificate. The PKI is set up here with plain hvac: no dependency on the apply code."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography import x509
from typer.testing import CliRunner

from infra.cli.main import app
from infra.local.openbao import OpenBao
from infra.vault.certs import (
    CertificateRefused,
    Code,
    VerifyResult,
    crl_distribution_points,
    issue,
    verify_certificate,
)

pytestmark = pytest.mark.integration

ROLE = "web"
DOMAIN = "app.egov.test"


@pytest.fixture(scope="module")
def pki(bao: OpenBao) -> str:
    """Root CA at pki/, intermediate at pki_int/ signed by it, role `web` for *.app.egov.test; returns root PEM."""
    client = bao.client()
    client.sys.enable_secrets_engine("pki", path="pki", config={"max_lease_ttl": "87600h"})
    root = client.secrets.pki.generate_root(
        "internal", "egov test root", mount_point="pki",
        extra_params={"key_type": "ec", "key_bits": 256, "ttl": "87600h"})["data"]["certificate"]
    client.sys.enable_secrets_engine("pki", path="pki_int", config={"max_lease_ttl": "43800h"})
    csr = client.secrets.pki.generate_intermediate(
        "internal", "egov test intermediate", mount_point="pki_int",
        extra_params={"key_type": "ec", "key_bits": 256})["data"]["csr"]
    signed = client.secrets.pki.sign_intermediate(
        csr, "egov test intermediate", mount_point="pki",
        extra_params={"ttl": "43800h", "format": "pem_bundle"})["data"]["certificate"]
    client.secrets.pki.set_signed_intermediate(signed, mount_point="pki_int")
    client.secrets.pki.set_urls({
        "issuing_certificates": [f"{bao.address}/v1/pki_int/ca"],
        "crl_distribution_points": [f"{bao.address}/v1/pki_int/crl"],
    }, mount_point="pki_int")
    client.secrets.pki.create_or_update_role(ROLE, {
        "allowed_domains": [DOMAIN], "allow_subdomains": True, "allow_bare_domains": True,
        "key_type": "ec", "key_bits": 256, "max_ttl": "720h", "ttl": "720h",
        "server_flag": True, "client_flag": False,
    }, mount_point="pki_int")
    return str(root)


def _verify(bao: OpenBao, root: str, issued_cert: str, chain: list[str], names: list[str]) -> VerifyResult:
    """Verify with the CRL fetched from the certificate's distribution point (HTTPS, our bootstrap CA)."""
    return verify_certificate(issued_cert, root=root, chain=chain, names=names, crl_verify=str(bao.ca_cert))


def test_issued_certificate_verifies_with_the_crl_fetched_over_https(bao: OpenBao, pki: str) -> None:
    issued = issue(bao.client(), ROLE, f"portal.{DOMAIN}", [f"api.{DOMAIN}"], "720h")
    assert issued.private_key_type == "ec"
    result = _verify(bao, pki, issued.certificate, issued.chain, [f"portal.{DOMAIN}", f"api.{DOMAIN}"])
    assert result.ok, result.findings
    assert result.findings == []
    assert result.crl_source == f"{bao.address}/v1/pki_int/crl"
    assert result.key == "EC secp256r1"
    assert result.serial == issued.serial_number.replace(":", "").lstrip("0")


def test_revoked_certificate_fails_once_the_crl_is_rotated(bao: OpenBao, pki: str) -> None:
    client = bao.client()
    issued = issue(client, ROLE, f"old.{DOMAIN}")
    assert _verify(bao, pki, issued.certificate, issued.chain, [f"old.{DOMAIN}"]).ok

    client.secrets.pki.revoke_certificate(issued.serial_number, mount_point="pki_int")
    client.secrets.pki.rotate_crl(mount_point="pki_int")
    result = _verify(bao, pki, issued.certificate, issued.chain, [f"old.{DOMAIN}"])
    assert not result.ok
    assert [f.code for f in result.findings] == [Code.REVOKED]
    assert issued.serial_number.replace(":", "").lstrip("0") in result.findings[0].message


def test_name_outside_the_role_is_refused_at_issue_time(bao: OpenBao, pki: str) -> None:
    with pytest.raises(CertificateRefused) as caught:
        issue(bao.client(), ROLE, "portal.other-department.test")
    message = str(caught.value)
    assert "portal.other-department.test" in message and f"role {ROLE!r}" in message
    assert "not allowed" in message  # OpenBao's own reason is passed on
    with pytest.raises(CertificateRefused, match=r"evil\.example"):
        issue(bao.client(), ROLE, f"ok.{DOMAIN}", ["evil.example"])


def test_wrong_name_and_foreign_root_are_findings(bao: OpenBao, pki: str) -> None:
    issued = issue(bao.client(), ROLE, f"www.{DOMAIN}")
    wrong = _verify(bao, pki, issued.certificate, issued.chain, [f"mail.{DOMAIN}"])
    assert [f.code for f in wrong.findings] == [Code.NAME_MISMATCH]
    foreign_root = bao.ca_cert.read_text()  # the bootstrap CA of the listener: not our PKI root
    untrusted = verify_certificate(issued.certificate, root=foreign_root, chain=issued.chain, fetch_crls=False)
    assert Code.CHAIN_UNTRUSTED in untrusted.codes


def test_cli_issue_then_verify(bao: OpenBao, pki: str, tmp_path: Path) -> None:
    env = bao.root_env()
    runner = CliRunner()
    out = tmp_path / "bundle"
    issued = runner.invoke(app, ["cert", "issue", "--role", ROLE, "--cn", f"cli.{DOMAIN}",
                                 "--san", f"cli2.{DOMAIN}", "--ttl", "1h", "--out", str(out)], env=env)
    assert issued.exit_code == 0, issued.output
    assert {p.name for p in out.iterdir()} == {"cert.pem", "key.pem", "chain.pem", "ca.pem"}
    assert (out / "ca.pem").read_text().strip() == pki.strip()
    cert = x509.load_pem_x509_certificate((out / "cert.pem").read_bytes())
    assert crl_distribution_points(cert) == [f"{bao.address}/v1/pki_int/crl"]

    ok = runner.invoke(app, ["cert", "verify", str(out / "cert.pem"), "--chain", str(out / "chain.pem"),
                             "--name", f"cli2.{DOMAIN}"], env=env)  # root: read from pki/ of VAULT_ADDR
    assert ok.exit_code == 0, ok.output
    assert "valid" in ok.output and "INVALID" not in ok.output

    bad = runner.invoke(app, ["cert", "verify", str(out / "cert.pem"), "--chain", str(out / "chain.pem"),
                              "--root", str(out / "ca.pem"), "--name", "cli.other.test"], env=env)
    assert bad.exit_code == 1, bad.output
    assert "name_mismatch" in bad.output and "INVALID" in bad.output

    refused = runner.invoke(app, ["cert", "issue", "--role", ROLE, "--cn", "x.not-ours.test"], env=env)
    assert refused.exit_code == 1
    assert "refused" in refused.output and "x.not-ours.test" in refused.output
