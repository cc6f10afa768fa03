"""The certificate verifier on certificates built here with `cryptography`: one good chain, and one
bad certificate per finding. No server: CRLs are given as bytes (the fetch path is integration-tested)."""

from __future__ import annotations

import datetime as dt
import ipaddress
import socket
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from infra.vault.certs import (
    Code,
    IssuedCertificate,
    _dns_matches,
    crl_distribution_points,
    load_certificates,
    load_crl,
    verify_certificate,
    write_bundle,
)

NOW = dt.datetime(2026, 6, 1, 12, 0, tzinfo=dt.UTC)
DAY = dt.timedelta(days=1)
PrivateKey = Any


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def _ku(*, digital_signature: bool = True, key_encipherment: bool = False, ca: bool = False) -> x509.KeyUsage:
    return x509.KeyUsage(digital_signature=digital_signature, content_commitment=False,
                         key_encipherment=key_encipherment, data_encipherment=False, key_agreement=False,
                         key_cert_sign=ca, crl_sign=ca, encipher_only=False, decipher_only=False)


@dataclass
class CA:
    cert: x509.Certificate
    key: PrivateKey


def make_ca(cn: str, issuer: CA | None = None, *, key: PrivateKey | None = None,
            not_before: dt.datetime = NOW - 365 * DAY, not_after: dt.datetime = NOW + 3650 * DAY) -> CA:
    key = key or ec.generate_private_key(ec.SECP256R1())
    signer = issuer.key if issuer else key
    builder = (
        x509.CertificateBuilder().subject_name(_name(cn))
        .issuer_name(issuer.cert.subject if issuer else _name(cn))
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(not_before).not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None if issuer is None else 0), critical=True)
        .add_extension(_ku(ca=True), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(signer.public_key()), critical=False)
    )
    return CA(builder.sign(signer, hashes.SHA256()), key)


def make_leaf(issuer: CA, *, names: tuple[str, ...] = ("app.egov.test",), key: PrivateKey | None = None,
              not_before: dt.datetime = NOW - DAY, not_after: dt.datetime = NOW + 90 * DAY,
              eku: tuple[x509.ObjectIdentifier, ...] | None = (ExtendedKeyUsageOID.SERVER_AUTH,),
              key_usage: x509.KeyUsage | None = None, ca: bool = False, crl_url: str | None = None,
              serial: int | None = None) -> x509.Certificate:
    key = key or ec.generate_private_key(ec.SECP256R1())
    if key_usage is None:
        key_usage = _ku(key_encipherment=isinstance(key, rsa.RSAPrivateKey))
    sans: list[x509.GeneralName] = []
    for name in names:
        try:
            sans.append(x509.IPAddress(ipaddress.ip_address(name)))
        except ValueError:
            sans.append(x509.DNSName(name))
    builder = (
        x509.CertificateBuilder().subject_name(_name(names[0] if names else "no-sans"))
        .issuer_name(issuer.cert.subject).public_key(key.public_key())
        .serial_number(serial or x509.random_serial_number())
        .not_valid_before(not_before).not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .add_extension(key_usage, critical=True)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer.key.public_key()), critical=False)
    )
    if sans:
        builder = builder.add_extension(x509.SubjectAlternativeName(sans), critical=False)
    if eku:
        builder = builder.add_extension(x509.ExtendedKeyUsage(list(eku)), critical=False)
    if crl_url:
        point = x509.DistributionPoint([x509.UniformResourceIdentifier(crl_url)], None, None, None)
        builder = builder.add_extension(x509.CRLDistributionPoints([point]), critical=False)
    return builder.sign(issuer.key, hashes.SHA256())


def make_crl(issuer: CA, revoked: tuple[int, ...] = (), *, last: dt.datetime = NOW - DAY,
             next_: dt.datetime = NOW + 2 * DAY) -> bytes:
    builder = (x509.CertificateRevocationListBuilder().issuer_name(issuer.cert.subject)
               .last_update(last).next_update(next_))
    for serial in revoked:
        builder = builder.add_revoked_certificate(
            x509.RevokedCertificateBuilder().serial_number(serial).revocation_date(NOW - DAY / 2).build())
    return builder.sign(issuer.key, hashes.SHA256()).public_bytes(serialization.Encoding.DER)


def pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


@pytest.fixture(scope="module")
def pki() -> tuple[CA, CA]:
    root = make_ca("egov unit root")
    return root, make_ca("egov unit intermediate", root)


def check(pki: tuple[CA, CA], leaf: x509.Certificate, *, names: tuple[str, ...] = ("app.egov.test",),
          crl: bytes | None = None, **kwargs: Any) -> Any:
    root, intermediate = pki
    crls = [crl if crl is not None else make_crl(intermediate)]
    return verify_certificate(pem(leaf), root=pem(root.cert), chain=[pem(intermediate.cert)], names=names,
                              crls=crls, now=NOW, **kwargs)


def errors(result: Any) -> set[str]:
    return {str(f.code) for f in result.findings if f.severity == "error"}


# ------------------------------------------------------------------------------------ good


def test_a_good_certificate_verifies_with_no_findings(pki: tuple[CA, CA]) -> None:
    leaf = make_leaf(pki[1], names=("app.egov.test", "*.api.egov.test", "10.0.0.5"))
    result = check(pki, leaf, names=("app.egov.test", "v1.api.egov.test", "10.0.0.5"))
    assert result.ok, result.findings
    assert result.findings == []
    assert result.crl_source == "given"
    assert result.key == "EC secp256r1"
    assert result.names == ["app.egov.test", "*.api.egov.test", "10.0.0.5"]
    assert result.subject == "CN=app.egov.test"


def test_rsa_2048_with_key_encipherment_and_a_pem_bundle_chain(pki: tuple[CA, CA]) -> None:
    root, intermediate = pki
    leaf = make_leaf(intermediate, key=rsa.generate_private_key(65537, 2048))
    bundle = pem(intermediate.cert) + pem(root.cert)  # a chain file that repeats the root is fine
    result = verify_certificate(pem(leaf) .decode(), root=root.cert, chain=[bundle],
                                crls=[make_crl(intermediate)], now=NOW)
    assert result.ok, result.findings
    assert result.key == "RSA 2048"


# ------------------------------------------------------------------------------------ bad, one each


def test_tampered_certificate_fails_the_signature_check(pki: tuple[CA, CA]) -> None:
    der = make_leaf(pki[1]).public_bytes(serialization.Encoding.DER)
    assert der.count(b"app.egov.test") >= 1
    forged = x509.load_der_x509_certificate(der.replace(b"app.egov.test", b"app.evil.test"))
    result = check(pki, forged, names=("app.evil.test",))
    assert Code.SIGNATURE_INVALID in errors(result)
    assert not result.ok


def test_expired_certificate_is_reported_as_expired_only(pki: tuple[CA, CA]) -> None:
    leaf = make_leaf(pki[1], not_before=NOW - 100 * DAY, not_after=NOW - 10 * DAY)
    result = check(pki, leaf)
    assert errors(result) == {Code.EXPIRED}  # the chain itself still verifies: no chain/signature noise


def test_not_yet_valid_certificate(pki: tuple[CA, CA]) -> None:
    assert errors(check(pki, make_leaf(pki[1], not_before=NOW + DAY, not_after=NOW + 30 * DAY))) == {
        Code.NOT_YET_VALID}


def test_expiring_soon_is_a_warning_only(pki: tuple[CA, CA]) -> None:
    result = check(pki, make_leaf(pki[1], not_after=NOW + 3 * DAY))
    assert result.ok
    assert [f.code for f in result.findings] == [Code.EXPIRES_SOON]


def test_lifetime_over_397_days(pki: tuple[CA, CA]) -> None:
    result = check(pki, make_leaf(pki[1], not_before=NOW - DAY, not_after=NOW + 399 * DAY))
    assert errors(result) == {Code.LIFETIME_TOO_LONG}
    assert "400 days" in result.findings[0].message


def test_wrong_name(pki: tuple[CA, CA]) -> None:
    result = check(pki, make_leaf(pki[1]), names=("portal.egov.test", "app.egov.test"))
    assert errors(result) == {Code.NAME_MISMATCH}
    assert "'portal.egov.test'" in result.findings[0].message


def test_no_sans_at_all(pki: tuple[CA, CA]) -> None:
    assert Code.SAN_MISSING in errors(check(pki, make_leaf(pki[1], names=()), names=()))


@pytest.mark.parametrize(("key", "code"), [
    (rsa.generate_private_key(65537, 1024), Code.KEY_WEAK),
    (ec.generate_private_key(ec.SECP256K1()), Code.KEY_WEAK),
    (ed25519.Ed25519PrivateKey.generate(), Code.KEY_UNSUPPORTED),
])
def test_weak_or_unsupported_key(pki: tuple[CA, CA], key: PrivateKey, code: Code) -> None:
    result = check(pki, make_leaf(pki[1], key=key, key_usage=_ku(key_encipherment=True)))
    assert code in errors(result), result.findings


def test_weak_intermediate_key_is_reported_too() -> None:
    root = make_ca("weak root")
    weak = make_ca("weak intermediate", root, key=rsa.generate_private_key(65537, 1024))
    result = check((root, weak), make_leaf(weak))
    assert Code.KEY_WEAK in errors(result)
    assert "weak intermediate" in " ".join(f.message for f in result.findings)


def test_missing_server_auth_and_key_usages(pki: tuple[CA, CA]) -> None:
    no_eku = check(pki, make_leaf(pki[1], eku=(ExtendedKeyUsageOID.CLIENT_AUTH,)))
    assert errors(no_eku) == {Code.EKU_SERVER_AUTH_MISSING}
    rsa_leaf = make_leaf(pki[1], key=rsa.generate_private_key(65537, 2048), key_usage=_ku())
    assert errors(check(pki, rsa_leaf)) == {Code.KU_KEY_ENCIPHERMENT_MISSING}
    no_ds = make_leaf(pki[1], key_usage=_ku(digital_signature=False, key_encipherment=True))
    assert errors(check(pki, no_ds)) == {Code.KU_DIGITAL_SIGNATURE_MISSING}


def test_leaf_that_is_a_ca(pki: tuple[CA, CA]) -> None:
    assert Code.LEAF_IS_CA in errors(check(pki, make_leaf(pki[1], ca=True)))


def _der(tag: int, content: bytes) -> bytes:
    size = len(content)
    if size < 0x80:
        return bytes([tag, size]) + content
    length = size.to_bytes((size.bit_length() + 7) // 8, "big")
    return bytes([tag, 0x80 | len(length)]) + length + content


def _tlv(data: bytes, offset: int) -> tuple[bytes, int]:
    """(content, end) of the DER element at ``offset``."""
    size, pos = data[offset + 1], offset + 2
    if size & 0x80:
        count = size & 0x7F
        size, pos = int.from_bytes(data[pos:pos + count], "big"), pos + count
    return data[pos:pos + size], pos + size


def sha1_signed(leaf: x509.Certificate, issuer: CA) -> x509.Certificate:
    """cryptography refuses to sign certificates with SHA-1, so re-sign the TBS by hand."""
    sha256 = bytes.fromhex("300a06082a8648ce3d040302")  # AlgorithmIdentifier ecdsa-with-SHA256
    sha1 = bytes.fromhex("300906072a8648ce3d0401")  # AlgorithmIdentifier ecdsa-with-SHA1
    tbs_content, _ = _tlv(leaf.tbs_certificate_bytes, 0)
    tbs = _der(0x30, tbs_content.replace(sha256, sha1, 1))
    signature = issuer.key.sign(tbs, ec.ECDSA(hashes.SHA1()))  # SHA-1 on purpose: the case under test
    return x509.load_der_x509_certificate(_der(0x30, tbs + sha1 + _der(0x03, b"\x00" + signature)))


def test_sha1_signature_is_weak(pki: tuple[CA, CA]) -> None:
    leaf = sha1_signed(make_leaf(pki[1]), pki[1])
    assert leaf.signature_hash_algorithm is not None and leaf.signature_hash_algorithm.name == "sha1"
    result = check(pki, leaf)
    assert Code.SIGNATURE_WEAK in errors(result), result.findings


def test_chain_to_another_root_or_without_the_intermediate_is_untrusted(pki: tuple[CA, CA]) -> None:
    root, intermediate = pki
    leaf = make_leaf(intermediate)
    stranger = make_ca("someone else's root")
    other = verify_certificate(pem(leaf), root=pem(stranger.cert), chain=[pem(intermediate.cert)], now=NOW,
                               fetch_crls=False)
    assert Code.CHAIN_UNTRUSTED in errors(other)
    assert Code.CRL_NOT_CHECKED in {f.code for f in other.findings}  # revocation is moot without a chain
    missing = verify_certificate(pem(leaf), root=pem(root.cert), now=NOW, fetch_crls=False)
    assert Code.CHAIN_UNTRUSTED in errors(missing)


def test_expired_intermediate(pki: tuple[CA, CA]) -> None:
    root = pki[0]
    old = make_ca("expired intermediate", root, not_before=NOW - 400 * DAY, not_after=NOW - DAY)
    leaf = make_leaf(old, not_before=NOW - 30 * DAY, not_after=NOW + 30 * DAY)
    assert Code.CHAIN_EXPIRED in errors(check((root, old), leaf))


# ------------------------------------------------------------------------------------ revocation


def test_revoked_by_the_given_crl(pki: tuple[CA, CA]) -> None:
    leaf = make_leaf(pki[1], serial=0xC0FFEE)
    result = check(pki, leaf, crl=make_crl(pki[1], revoked=(0xC0FFEE,)))
    assert errors(result) == {Code.REVOKED}
    assert "c0ffee" in result.findings[0].message


def test_crl_as_pem_works_too(pki: tuple[CA, CA]) -> None:
    crl = load_crl(make_crl(pki[1], revoked=(0xBEEF,)))
    as_pem = crl.public_bytes(serialization.Encoding.PEM)
    assert errors(check(pki, make_leaf(pki[1], serial=0xBEEF), crl=as_pem)) == {Code.REVOKED}


def test_crl_of_another_issuer_or_stale_is_not_trusted(pki: tuple[CA, CA]) -> None:
    leaf = make_leaf(pki[1])
    foreign = make_crl(make_ca("another intermediate", pki[0]))
    assert errors(check(pki, leaf, crl=foreign)) == {Code.CRL_UNAVAILABLE}
    stale = make_crl(pki[1], last=NOW - 10 * DAY, next_=NOW - DAY)
    assert errors(check(pki, leaf, crl=stale)) == {Code.CRL_INVALID}


def test_no_distribution_point_and_no_crl_is_a_warning(pki: tuple[CA, CA]) -> None:
    root, intermediate = pki
    result = verify_certificate(pem(make_leaf(intermediate)), root=pem(root.cert), chain=[pem(intermediate.cert)],
                                now=NOW)
    assert result.ok
    assert [f.code for f in result.findings] == [Code.CRL_NOT_CHECKED]
    assert result.crl_source == ""


def test_unreachable_distribution_point_is_an_error(pki: tuple[CA, CA]) -> None:
    root, intermediate = pki
    with socket.socket() as sock:  # a port nobody listens on: connection refused, at once
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"https://127.0.0.1:{port}/v1/pki_int/crl"
    leaf = make_leaf(intermediate, crl_url=url)
    assert crl_distribution_points(leaf) == [url]
    result = verify_certificate(pem(leaf), root=pem(root.cert), chain=[pem(intermediate.cert)], now=NOW)
    assert errors(result) == {Code.CRL_UNAVAILABLE}
    assert url in result.findings[0].message


# ------------------------------------------------------------------------------------ helpers


def test_unreadable_input_is_a_finding_not_an_exception(pki: tuple[CA, CA]) -> None:
    result = verify_certificate(b"-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n",
                                root=pem(pki[0].cert), now=NOW)
    assert errors(result) == {Code.PARSE_ERROR}


@pytest.mark.parametrize(("pattern", "name", "match"), [
    ("app.egov.test", "APP.egov.test.", True),
    ("*.egov.test", "app.egov.test", True),
    ("*.egov.test", "egov.test", False),
    ("*.egov.test", "a.b.egov.test", False),
    ("app.egov.test", "app.egov.test.evil", False),
])
def test_dns_name_matching(pattern: str, name: str, match: bool) -> None:
    assert _dns_matches(pattern, name) is match


def test_issued_bundle_splits_chain_and_root_and_keeps_the_key_private(pki: tuple[CA, CA], tmp_path: Path) -> None:
    root, intermediate = pki
    leaf = make_leaf(intermediate)
    issued = IssuedCertificate(
        certificate=pem(leaf).decode(), private_key="-----BEGIN PRIVATE KEY-----\nx\n-----END PRIVATE KEY-----",
        private_key_type="ec", issuing_ca=pem(intermediate.cert).decode(),
        ca_chain=[pem(intermediate.cert).decode(), pem(root.cert).decode()], serial_number="01", expiration=0,
    )
    assert issued.chain == [pem(intermediate.cert).decode()]
    assert issued.root == pem(root.cert).decode()
    files = write_bundle(issued, tmp_path / "out")
    assert stat.S_IMODE(files["key"].stat().st_mode) == 0o600
    assert load_certificates(files["chain"].read_bytes()) == [intermediate.cert]
    assert load_certificates(files["ca"].read_bytes()) == [root.cert]
    result = verify_certificate(files["cert"].read_bytes(), root=files["ca"].read_bytes(),
                                chain=[files["chain"].read_bytes()], crls=[make_crl(intermediate)], now=NOW)
    assert result.ok, result.findings


def test_lifetime_a_few_minutes_over_the_cap_says_so(pki: tuple[CA, CA]) -> None:
    """397 days and 5 minutes is over a 397-day cap: the message must not read as 'valid for 397 days'."""
    result = check(pki, make_leaf(pki[1], not_before=NOW - dt.timedelta(minutes=5), not_after=NOW + 397 * DAY))
    assert errors(result) == {Code.LIFETIME_TOO_LONG}
    assert "valid for 397 days 0h 5min" in result.findings[0].message
