"""The bootstrap CA of the embedded environment: name-constrained to the loopback names, its key gone once
the server certificate is issued, renewed only when asked (`egov local up --renew-tls`)."""

from __future__ import annotations

import datetime as dt
import ipaddress
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from cryptography.x509.verification import PolicyBuilder, Store, VerificationError

from infra.local.process import LocalEnvError
from infra.local.tls import LocalCA, ensure_server_tls


def _load(path: Path) -> x509.Certificate:
    return x509.load_pem_x509_certificate(path.read_bytes())


def _leaf(ca: LocalCA, name: str) -> x509.Certificate:
    """A server certificate for ``name`` signed with the CA's key, as an attacker holding the key would."""
    key = ec.generate_private_key(ec.SECP256R1())
    ca_cert = ca.certificate()
    now = dt.datetime.now(dt.UTC)
    return (x509.CertificateBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]))
            .issuer_name(ca_cert.subject).public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=1)).not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
            .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca._private_key().public_key()),
                           critical=False)
            .sign(ca._private_key(), hashes.SHA256()))


def test_the_ca_may_only_certify_localhost_and_127_0_0_1(tmp_path: Path) -> None:
    ca = LocalCA.in_directory(tmp_path)
    assert ca.ensure("test CA")
    extension = ca.certificate().extensions.get_extension_for_class(x509.NameConstraints)
    assert extension.critical
    assert set(extension.value.permitted_subtrees or []) == {
        x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_network("127.0.0.1/32"))}

    verifier = PolicyBuilder().store(Store([ca.certificate()])).build_server_verifier(x509.DNSName("www.gov.cn"))
    with pytest.raises(VerificationError, match="name constraint"):
        verifier.verify(_leaf(ca, "www.gov.cn"), [])
    local = PolicyBuilder().store(Store([ca.certificate()])).build_server_verifier(x509.DNSName("localhost"))
    local.verify(_leaf(ca, "localhost"), [])  # the constraint itself does not break the loopback names


def test_the_ca_key_is_gone_once_the_server_certificate_is_issued(tmp_path: Path) -> None:
    tls = ensure_server_tls(tmp_path, name="server")
    assert not (tmp_path / "ca-key.pem").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ca.pem", "server-key.pem", "server.pem"]
    verifier = PolicyBuilder().store(Store([_load(tls.ca_cert)])).build_server_verifier(
        x509.IPAddress(ipaddress.ip_address("127.0.0.1")))
    verifier.verify(_load(tls.cert), [])
    before = tls.cert.read_bytes()
    ensure_server_tls(tmp_path, name="server")  # nothing to issue: fine without the key
    assert tls.cert.read_bytes() == before


def test_a_certificate_to_reissue_needs_renew_tls_which_makes_a_new_ca(tmp_path: Path) -> None:
    tls = ensure_server_tls(tmp_path, name="server")
    old_ca = tls.ca_cert.read_bytes()
    with pytest.raises(LocalEnvError, match=r"names changed.*not kept.*egov local up --renew-tls"):
        ensure_server_tls(tmp_path, name="server", dns_names=("localhost", "bao.local"))
    tls = ensure_server_tls(tmp_path, name="server", renew=True)
    assert tls.ca_cert.read_bytes() != old_ca
    assert not (tmp_path / "ca-key.pem").exists()
    assert LocalCA.in_directory(tmp_path).issued(_load(tls.cert))


def test_a_ca_without_name_constraints_is_refused_with_what_to_do(tmp_path: Path) -> None:
    ca = LocalCA.in_directory(tmp_path)
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "old CA")])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(1).not_valid_before(now).not_valid_after(now + dt.timedelta(days=10))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True).sign(key, hashes.SHA256()))
    from cryptography.hazmat.primitives import serialization
    ca.cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    with pytest.raises(LocalEnvError, match=r"no name constraints.*egov local up --renew-tls"):
        ensure_server_tls(tmp_path, name="server")


def test_the_server_certificate_passes_the_platform_lifetime_rule_backdating_included(tmp_path: Path) -> None:
    """The scanner judges notAfter - notBefore against 397 days (CA/B Forum 398 less a day); the backdating for
    clock skew counts, so a leaf made "now + 397 days" but valid from five minutes ago would fail."""
    from infra.vault.certs import CertPolicy, Code, _validity_findings

    cert = _load(ensure_server_tls(tmp_path, name="server").cert)
    assert cert.not_valid_after_utc - cert.not_valid_before_utc <= dt.timedelta(days=397)
    found = _validity_findings(cert, dt.datetime.now(dt.UTC), CertPolicy())
    assert Code.LIFETIME_TOO_LONG not in [f.code for f in found]


def test_a_server_certificate_valid_too_long_must_be_issued_again(tmp_path: Path) -> None:
    """One issued before the lifetime fix (397 days plus the backdating) is not kept on the next `up`."""
    ca = LocalCA.in_directory(tmp_path)
    ca.ensure("egov local bootstrap CA")
    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
            .issuer_name(ca.certificate().subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + dt.timedelta(days=397))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost"),
                                                        x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca._private_key().public_key()),
                           critical=False)
            .sign(ca._private_key(), hashes.SHA256()))
    (tmp_path / "server.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (tmp_path / "server-key.pem").write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    ca.forget_key()
    with pytest.raises(LocalEnvError, match=r"longer than 397 days.*egov local up --renew-tls"):
        ensure_server_tls(tmp_path, name="server")
