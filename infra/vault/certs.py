"""Certificates: issue them from OpenBao's PKI, and verify any TLS server certificate against our root.

The verifier is the one function both ``egov cert verify`` and the compliance engine call, so it
never raises on a bad certificate: it returns every problem it finds as a :class:`Finding` with a
stable ``code`` (what checks and reports key on) and a message a person can act on. Chain building,
signatures and revocation are OpenSSL's (pyOpenSSL ``X509Store``/``X509StoreContext``, with
``CRL_CHECK`` for the leaf); the policy checks (key strength, names, lifetime, key usage) are ours,
read with ``cryptography``, because OpenSSL would stop at the first error and hide the others.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any, Literal

import hvac
import hvac.exceptions
import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID
from OpenSSL import crypto

from infra.vault.errors import VaultOpsError

CertInput = bytes | str | x509.Certificate
CrlInput = bytes | str | x509.CertificateRevocationList
Severity = Literal["error", "warning"]

DEFAULT_ISSUING_MOUNT = "pki_int"
DEFAULT_ROOT_MOUNT = "pki"


class Code(StrEnum):
    """Finding codes; stable, because compliance checks and reports key on them."""

    PARSE_ERROR = "parse_error"
    CHAIN_UNTRUSTED = "chain_untrusted"
    CHAIN_EXPIRED = "chain_expired"
    SIGNATURE_INVALID = "signature_invalid"
    SIGNATURE_WEAK = "signature_weak"
    KEY_WEAK = "key_weak"
    KEY_UNSUPPORTED = "key_unsupported"
    SAN_MISSING = "san_missing"
    NAME_MISMATCH = "name_mismatch"
    NOT_YET_VALID = "not_yet_valid"
    EXPIRED = "expired"
    EXPIRES_SOON = "expires_soon"
    LIFETIME_TOO_LONG = "lifetime_too_long"
    LEAF_IS_CA = "leaf_is_ca"
    KEY_USAGE_MISSING = "key_usage_missing"
    KU_DIGITAL_SIGNATURE_MISSING = "ku_digital_signature_missing"
    KU_KEY_ENCIPHERMENT_MISSING = "ku_key_encipherment_missing"
    EKU_SERVER_AUTH_MISSING = "eku_server_auth_missing"
    REVOKED = "revoked"
    CRL_UNAVAILABLE = "crl_unavailable"
    CRL_INVALID = "crl_invalid"
    CRL_NOT_CHECKED = "crl_not_checked"


@dataclass(frozen=True)
class Finding:
    """One problem with a certificate; only ``error`` findings make the verification fail."""

    code: Code
    message: str
    severity: Severity = "error"


@dataclass(frozen=True)
class CertPolicy:
    """What a TLS server certificate must meet: CA/Browser Forum baseline and GB/T 22239 level 3 crypto."""

    min_rsa_bits: int = 2048
    # P-256 is what our PKI roles issue; P-384 is accepted because it is strictly stronger.
    ec_curves: frozenset[str] = frozenset({"secp256r1", "secp384r1"})
    # 398 days is the CA/B Forum cap since 2020; one day less leaves room for clock skew.
    max_lifetime: dt.timedelta = dt.timedelta(days=397)
    expiry_warning: dt.timedelta = dt.timedelta(days=14)
    server_auth: bool = True


@dataclass
class VerifyResult:
    """The verdict on one certificate: what it is, and everything found wrong with it."""

    subject: str = ""
    issuer: str = ""
    serial: str = ""
    not_before: dt.datetime | None = None
    not_after: dt.datetime | None = None
    names: list[str] = field(default_factory=list)
    key: str = ""
    crl_source: str = ""  # "given", the distribution point URL, or "" when revocation was not checked
    findings: list[Finding] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not any(f.severity == "error" for f in self.findings)

    @property
    def codes(self) -> list[str]:
        return [str(f.code) for f in self.findings]

    def add(self, code: Code, message: str, severity: Severity = "error") -> None:
        self.findings.append(Finding(code, message, severity))


class CertificateRefused(VaultOpsError):
    """OpenBao refused to issue (name outside the role, TTL too long, unknown role...)."""


class CrlUnavailable(VaultOpsError):
    """A CRL could not be fetched or parsed."""


# ------------------------------------------------------------------------------------ loading


def load_certificates(data: bytes | str) -> list[x509.Certificate]:
    """Every certificate in PEM text (a bundle is fine), or the one certificate in DER bytes."""
    raw = data.encode() if isinstance(data, str) else data
    if b"-----BEGIN" in raw:
        return x509.load_pem_x509_certificates(raw)
    return [x509.load_der_x509_certificate(raw)]


def load_crl(data: CrlInput) -> x509.CertificateRevocationList:
    """A CRL from PEM or DER (OpenBao serves DER at ``/v1/<mount>/crl`` and PEM at ``/crl/pem``)."""
    if isinstance(data, x509.CertificateRevocationList):
        return data
    raw = data.encode() if isinstance(data, str) else data
    if b"-----BEGIN" in raw:
        return x509.load_pem_x509_crl(raw)
    return x509.load_der_x509_crl(raw)


def _certificate(value: CertInput) -> x509.Certificate:
    return value if isinstance(value, x509.Certificate) else load_certificates(value)[0]


def crl_distribution_points(cert: x509.Certificate) -> list[str]:
    """The CRL URLs a certificate names (the PKI mount's ``config/urls`` puts them there)."""
    try:
        points = cert.extensions.get_extension_for_class(x509.CRLDistributionPoints).value
    except x509.ExtensionNotFound:
        return []
    return [name.value for point in points for name in (point.full_name or [])
            if isinstance(name, x509.UniformResourceIdentifier)]


def fetch_crl(url: str, *, verify: bool | str = True, timeout: float = 10.0) -> x509.CertificateRevocationList:
    """GET a CRL; HTTPS is verified against ``verify`` (our CA bundle, or the system store)."""
    try:
        response = requests.get(url, verify=verify, timeout=timeout)
        response.raise_for_status()
    except requests.exceptions.RequestException as exc:
        raise CrlUnavailable(f"cannot fetch the CRL from {url}: {exc}") from exc
    try:
        return load_crl(response.content)
    except ValueError as exc:
        raise CrlUnavailable(f"{url} did not return a CRL (PEM or DER): {exc}") from exc


# ------------------------------------------------------------------------------------ verifying


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _describe_key(key: Any) -> str:
    if isinstance(key, rsa.RSAPublicKey):
        return f"RSA {key.key_size}"
    if isinstance(key, ec.EllipticCurvePublicKey):
        return f"EC {key.curve.name}"
    return type(key).__name__.removeprefix("_")


def _key_findings(cert: x509.Certificate, policy: CertPolicy, whose: str) -> list[Finding]:
    key = cert.public_key()
    if isinstance(key, rsa.RSAPublicKey):
        if key.key_size < policy.min_rsa_bits:
            return [Finding(Code.KEY_WEAK, f"{whose} has an RSA key of {key.key_size} bits; at least "
                                           f"{policy.min_rsa_bits} are required")]
        return []
    if isinstance(key, ec.EllipticCurvePublicKey):
        if key.curve.name not in policy.ec_curves:
            allowed = ", ".join(sorted(policy.ec_curves))
            return [Finding(Code.KEY_WEAK, f"{whose} has an EC key on curve {key.curve.name}; allowed: {allowed}")]
        return []
    return [Finding(Code.KEY_UNSUPPORTED, f"{whose} has a {_describe_key(key)} key; TLS server certificates "
                                          "here must use RSA or EC keys")]


def _signature_findings(cert: x509.Certificate, whose: str) -> list[Finding]:
    algorithm = cert.signature_hash_algorithm
    if isinstance(algorithm, hashes.SHA1 | hashes.MD5):
        return [Finding(Code.SIGNATURE_WEAK, f"{whose} is signed with {algorithm.name.upper()}, which is broken; "
                                             "reissue it with SHA-256 or stronger")]
    return []


def _names(cert: x509.Certificate) -> tuple[list[str], list[Any]]:
    """DNS names and IP addresses from the SAN extension."""
    try:
        sans = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return [], []
    return sans.get_values_for_type(x509.DNSName), list(sans.get_values_for_type(x509.IPAddress))


def _dns_matches(pattern: str, name: str) -> bool:
    """RFC 6125: case-insensitive; a wildcard stands for exactly one whole left-most label."""
    pattern, name = pattern.lower().rstrip("."), name.lower().rstrip(".")
    if pattern == name:
        return True
    if pattern.startswith("*.") and "." in name:
        label, rest = name.split(".", 1)
        return bool(label) and rest == pattern[2:]
    return False


def _name_findings(cert: x509.Certificate, expected: Sequence[str], policy: CertPolicy) -> list[Finding]:
    dns, ips = _names(cert)
    if not dns and not ips:
        if policy.server_auth or expected:
            return [Finding(Code.SAN_MISSING, "the certificate has no subject alternative names; clients match "
                                              "server names against SANs only (the CN is ignored)")]
        return []
    findings = []
    for wanted in expected:
        try:
            ip = ipaddress.ip_address(wanted)
        except ValueError:
            covered = any(_dns_matches(pattern, wanted) for pattern in dns)
        else:
            covered = ip in ips
        if not covered:
            present = ", ".join([*dns, *map(str, ips)])
            findings.append(Finding(Code.NAME_MISMATCH, f"{wanted!r} is not covered by the certificate's names "
                                                        f"({present})"))
    return findings


def _validity_findings(cert: x509.Certificate, now: dt.datetime, policy: CertPolicy) -> list[Finding]:
    findings = []
    start, end = cert.not_valid_before_utc, cert.not_valid_after_utc
    if now < start:
        findings.append(Finding(Code.NOT_YET_VALID, f"not valid before {start:%Y-%m-%d %H:%M} UTC"))
    if now > end:
        findings.append(Finding(Code.EXPIRED, f"expired on {end:%Y-%m-%d %H:%M} UTC"))
    elif end - now < policy.expiry_warning:
        findings.append(Finding(Code.EXPIRES_SOON, f"expires on {end:%Y-%m-%d %H:%M} UTC, in less than "
                                                   f"{policy.expiry_warning.days} days; renew it", "warning"))
    lifetime = end - start
    if lifetime > policy.max_lifetime:
        findings.append(Finding(Code.LIFETIME_TOO_LONG, f"valid for {_span(lifetime)} ({start:%Y-%m-%d %H:%M} to "
                                                        f"{end:%Y-%m-%d %H:%M} UTC); at most "
                                                        f"{policy.max_lifetime.days} days are allowed"))
    return findings


def _span(delta: dt.timedelta) -> str:
    """Whole days and, when the excess is under a day (397 days and 5 minutes), the rest: never "397 days"
    for a lifetime that is over a 397-day cap."""
    hours, rest = divmod(delta.seconds, 3600)
    extra = f" {hours}h {rest // 60}min" if delta.seconds else ""
    return f"{delta.days} days{extra}"


def _usage_findings(cert: x509.Certificate, policy: CertPolicy) -> list[Finding]:
    findings = []
    try:
        if cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca:
            findings.append(Finding(Code.LEAF_IS_CA, "the certificate is a CA (basicConstraints CA:TRUE); a "
                                                     "server certificate must not be able to sign others"))
    except x509.ExtensionNotFound:
        pass
    try:
        usage = cert.extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        findings.append(Finding(Code.KEY_USAGE_MISSING, "no keyUsage extension; it must allow digitalSignature"))
    else:
        if not usage.digital_signature:
            findings.append(Finding(Code.KU_DIGITAL_SIGNATURE_MISSING, "keyUsage lacks digitalSignature, which "
                                                                       "(EC)DHE key exchange needs"))
        if isinstance(cert.public_key(), rsa.RSAPublicKey) and not usage.key_encipherment:
            findings.append(Finding(Code.KU_KEY_ENCIPHERMENT_MISSING, "keyUsage of an RSA server certificate "
                                                                      "lacks keyEncipherment"))
    if policy.server_auth:
        try:
            eku = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
        except x509.ExtensionNotFound:
            findings.append(Finding(Code.EKU_SERVER_AUTH_MISSING, "no extendedKeyUsage extension; a TLS server "
                                                                  "certificate must carry serverAuth"))
        else:
            if ExtendedKeyUsageOID.SERVER_AUTH not in eku:
                findings.append(Finding(Code.EKU_SERVER_AUTH_MISSING, "extendedKeyUsage lacks serverAuth, so "
                                                                      "TLS clients reject it for a server"))
    return findings


# OpenSSL X509_V_ERR_* codes, grouped by what they mean for us.
_SIGNATURE_ERRORS = {4, 6, 7}
_TIME_ERRORS = {9, 10, 13, 14}
_WEAK_ERRORS = {66, 67, 68}  # EE_KEY_TOO_SMALL, CA_KEY_TOO_SMALL, CA_MD_TOO_WEAK
_REVOKED = 23
_CRL_MISSING = {3, 33}  # UNABLE_TO_GET_CRL, UNABLE_TO_GET_CRL_ISSUER
_CRL_BAD = {5, 8, 11, 12, 15, 16, 35, 36, 44, 54}


def _openssl_verify(leaf: x509.Certificate, chain: Sequence[x509.Certificate], root: x509.Certificate,
                    at: dt.datetime, crls: Sequence[x509.CertificateRevocationList] = ()) -> tuple[int, int, str, str]:
    """(error, depth, message, subject) from OpenSSL; error 0 when the chain verifies."""
    store = crypto.X509Store()
    store.add_cert(crypto.X509.from_cryptography(root))
    for crl in crls:
        store.add_crl(crl)
    if crls:
        store.set_flags(crypto.X509StoreFlags.CRL_CHECK)
    store.set_time(at)
    context = crypto.X509StoreContext(store, crypto.X509.from_cryptography(leaf),
                                      [crypto.X509.from_cryptography(c) for c in chain])
    try:
        context.verify_certificate()
    except crypto.X509StoreContextError as exc:
        error, depth, message = exc.errors
        subject = exc.certificate.to_cryptography().subject.rfc4514_string()
        return int(error), int(depth), str(message), subject
    return 0, 0, "", ""


def _chain_findings(leaf: x509.Certificate, chain: Sequence[x509.Certificate], root: x509.Certificate,
                    now: dt.datetime) -> list[Finding]:
    """Path to our root and every signature on it. Leaf validity is checked separately, so OpenSSL is
    asked at a moment inside the leaf's window: an expired leaf must not hide a forged signature."""
    start, end = leaf.not_valid_before_utc, leaf.not_valid_after_utc
    at = now if start <= now <= end else start + (end - start) / 2
    error, depth, message, subject = _openssl_verify(leaf, chain, root, at)
    if error == 0:
        return []
    where = "the certificate" if depth == 0 else f"{subject} (chain depth {depth})"
    if error in _SIGNATURE_ERRORS:
        return [Finding(Code.SIGNATURE_INVALID, f"signature check failed on {where}: {message}; it was altered "
                                                "or not signed by the issuer it names")]
    if error in _TIME_ERRORS:
        return [Finding(Code.CHAIN_EXPIRED, f"{where} is outside its validity period: {message}")]
    if error in _WEAK_ERRORS:
        return [Finding(Code.KEY_WEAK, f"{where}: {message}")]
    return [Finding(Code.CHAIN_UNTRUSTED, f"no trusted path to the given root: {message} at {where}")]


def _chain_validity_findings(chain: Sequence[x509.Certificate], now: dt.datetime) -> list[Finding]:
    findings = []
    for cert in chain:
        if not cert.not_valid_before_utc <= now <= cert.not_valid_after_utc:
            findings.append(Finding(Code.CHAIN_EXPIRED, f"issuing CA {cert.subject.rfc4514_string()} is valid "
                                                        f"{cert.not_valid_before_utc:%Y-%m-%d} to "
                                                        f"{cert.not_valid_after_utc:%Y-%m-%d}, not now"))
    return findings


def _revocation_findings(result: VerifyResult, leaf: x509.Certificate, chain: Sequence[x509.Certificate],
                         root: x509.Certificate, now: dt.datetime, crls: Sequence[CrlInput] | None,
                         fetch: bool, crl_verify: bool | str) -> list[Finding]:
    """Leaf revocation through OpenSSL's CRL_CHECK, with given CRLs or ones fetched from the cert's URLs."""
    loaded: list[x509.CertificateRevocationList] = []
    if crls:
        try:
            loaded = [load_crl(crl) for crl in crls]
        except ValueError as exc:
            return [Finding(Code.CRL_INVALID, f"the given CRL cannot be read: {exc}")]
        result.crl_source = "given"
    elif fetch:
        urls = crl_distribution_points(leaf)
        if not urls:
            return [Finding(Code.CRL_NOT_CHECKED, "the certificate names no CRL distribution point and no CRL "
                                                  "was given, so revocation was not checked", "warning")]
        problems = []
        for url in urls:
            try:
                loaded = [fetch_crl(url, verify=crl_verify)]
            except CrlUnavailable as exc:
                problems.append(str(exc))
                continue
            result.crl_source = url
            break
        if not loaded:
            return [Finding(Code.CRL_UNAVAILABLE, "; ".join(problems) + "; revocation status is unknown")]
    else:
        return [Finding(Code.CRL_NOT_CHECKED, "revocation was not checked (no CRL given, fetching disabled)",
                        "warning")]
    # Revocation comes before the validity check in OpenSSL's order, so `now` is the honest time here:
    # a CRL past its nextUpdate is stale now. Errors other than CRL ones were reported by the chain check.
    error, _depth, message, _subject = _openssl_verify(leaf, chain, root, now, loaded)
    if error == _REVOKED:
        revoked = next((entry for crl in loaded
                        if (entry := crl.get_revoked_certificate_by_serial_number(leaf.serial_number))), None)
        when = f" on {revoked.revocation_date_utc:%Y-%m-%d %H:%M} UTC" if revoked is not None else ""
        return [Finding(Code.REVOKED, f"serial {leaf.serial_number:x} was revoked{when} "
                                      f"(CRL from {result.crl_source})")]
    if error in _CRL_MISSING:
        return [Finding(Code.CRL_UNAVAILABLE, f"no CRL from the certificate's issuer ({message}); the CRL from "
                                              f"{result.crl_source} was issued by someone else")]
    if error in _CRL_BAD:
        return [Finding(Code.CRL_INVALID, f"the CRL from {result.crl_source} cannot be trusted: {message}")]
    return []


def verify_certificate(
    leaf: CertInput, *, root: CertInput, chain: Iterable[CertInput] = (), names: Sequence[str] = (),
    crls: Sequence[CrlInput] | None = None, fetch_crls: bool = True, crl_verify: bool | str = True,
    now: dt.datetime | None = None, policy: CertPolicy | None = None,
) -> VerifyResult:
    """Check ``leaf`` against our ``root`` (with intermediates in ``chain``) and the server-cert policy.

    ``names``: DNS names or IPs the certificate must cover. ``crls``: CRLs to use (PEM/DER); when
    absent and ``fetch_crls``, the CRL is fetched from the certificate's distribution point,
    verifying HTTPS against ``crl_verify`` (a CA bundle path, or True for the system store).
    Never raises for a bad certificate: everything wrong is in ``findings``.
    """
    policy = policy or CertPolicy()
    now = now or _utcnow()
    result = VerifyResult()
    try:
        leaf_cert = _certificate(leaf)
        root_cert = _certificate(root)
        chain_certs = [c for item in chain for c in
                       ([item] if isinstance(item, x509.Certificate) else load_certificates(item))]
    except ValueError as exc:
        result.add(Code.PARSE_ERROR, f"cannot read a certificate: {exc}")
        return result
    # A bundle may repeat the root; OpenSSL must find it in the trust store, not among the untrusted.
    chain_certs = [c for c in chain_certs if c != root_cert and c != leaf_cert]
    dns, ips = _names(leaf_cert)
    result.subject = leaf_cert.subject.rfc4514_string()
    result.issuer = leaf_cert.issuer.rfc4514_string()
    result.serial = format(leaf_cert.serial_number, "x")
    result.not_before, result.not_after = leaf_cert.not_valid_before_utc, leaf_cert.not_valid_after_utc
    result.names = [*dns, *map(str, ips)]
    result.key = _describe_key(leaf_cert.public_key())

    chain_problems = _chain_findings(leaf_cert, chain_certs, root_cert, now)
    result.findings += chain_problems
    result.findings += _chain_validity_findings(chain_certs, now)
    result.findings += _signature_findings(leaf_cert, "the certificate")
    result.findings += _key_findings(leaf_cert, policy, "the certificate")
    for ca in chain_certs:
        result.findings += _key_findings(ca, policy, f"issuing CA {ca.subject.rfc4514_string()}")
    result.findings += _name_findings(leaf_cert, names, policy)
    result.findings += _validity_findings(leaf_cert, now, policy)
    result.findings += _usage_findings(leaf_cert, policy)
    if chain_problems:
        result.add(Code.CRL_NOT_CHECKED, "revocation was not checked: the chain itself does not verify", "warning")
    else:
        result.findings += _revocation_findings(result, leaf_cert, chain_certs, root_cert, now, crls,
                                                fetch_crls, crl_verify)
    # The same key weakness may come from our check and OpenSSL's; report it once.
    unique: dict[tuple[Code, str], Finding] = {}
    for finding in result.findings:
        unique.setdefault((finding.code, finding.message), finding)
    result.findings = list(unique.values())
    return result


# ------------------------------------------------------------------------------------ issuing


@dataclass(frozen=True)
class IssuedCertificate:
    """What OpenBao's ``<mount>/issue/<role>`` returns, as PEM text."""

    certificate: str
    private_key: str
    private_key_type: str
    issuing_ca: str
    ca_chain: list[str]
    serial_number: str
    expiration: int

    @property
    def chain(self) -> list[str]:
        """Intermediates only (what a server sends after its own certificate)."""
        return [pem for pem in self.ca_chain if not _self_signed(pem)] or [self.issuing_ca]

    @property
    def root(self) -> str | None:
        """The self-signed root when OpenBao knows it (the intermediate was imported with its chain)."""
        return next((pem for pem in self.ca_chain if _self_signed(pem)), None)


def _self_signed(pem: str) -> bool:
    cert = x509.load_pem_x509_certificate(pem.encode())
    return cert.issuer == cert.subject


def _vault_reason(exc: hvac.exceptions.VaultError) -> str:
    errors = getattr(exc, "errors", None)
    return "; ".join(str(e) for e in errors) if errors else str(exc)


def issue(client: hvac.Client, role: str, common_name: str, alt_names: Sequence[str] = (),
          ttl: str | int | None = None, *, mount_point: str = DEFAULT_ISSUING_MOUNT) -> IssuedCertificate:
    """Issue a certificate (new key) from ``<mount_point>/issue/<role>``; OpenBao enforces the role's names."""
    params: dict[str, Any] = {}
    dns = [name for name in alt_names if not _is_ip(name)]
    ips = [name for name in alt_names if _is_ip(name)]
    if dns:
        params["alt_names"] = ",".join(dns)
    if ips:
        params["ip_sans"] = ",".join(ips)
    if ttl:
        params["ttl"] = str(ttl)
    names = ", ".join([common_name, *alt_names])
    try:
        response = client.secrets.pki.generate_certificate(name=role, common_name=common_name,
                                                           extra_params=params, mount_point=mount_point)
    except hvac.exceptions.InvalidRequest as exc:
        raise CertificateRefused(
            f"OpenBao refused to issue a certificate for {names} from role {role!r} at {mount_point}/: "
            f"{_vault_reason(exc)}. The role only issues for the domains, TTLs and key types it allows; "
            f"see `bao read {mount_point}/roles/{role}`."
        ) from exc
    except hvac.exceptions.InvalidPath as exc:
        raise CertificateRefused(f"no PKI role {role!r} at {mount_point}/ (or no PKI mount there): "
                                 f"{_vault_reason(exc)}") from exc
    except hvac.exceptions.Forbidden as exc:
        raise CertificateRefused(f"the token may not issue from {mount_point}/issue/{role}: "
                                 f"{_vault_reason(exc)}") from exc
    except hvac.exceptions.VaultError as exc:
        raise CertificateRefused(f"issuing from {mount_point}/issue/{role} failed: {_vault_reason(exc)}") from exc
    data = response["data"]
    return IssuedCertificate(
        certificate=data["certificate"], private_key=data["private_key"],
        private_key_type=data.get("private_key_type", ""), issuing_ca=data["issuing_ca"],
        ca_chain=list(data.get("ca_chain") or [data["issuing_ca"]]), serial_number=data["serial_number"],
        expiration=int(data.get("expiration", 0)),
    )


def _is_ip(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


def read_ca(client: hvac.Client, mount_point: str = DEFAULT_ROOT_MOUNT) -> str:
    """The CA certificate (PEM) of a PKI mount; unauthenticated in OpenBao."""
    try:
        pem = client.secrets.pki.read_ca_certificate(mount_point=mount_point)
    except hvac.exceptions.VaultError as exc:
        raise VaultOpsError(f"cannot read the CA certificate of {mount_point}/: {_vault_reason(exc)}") from exc
    if not pem or "BEGIN CERTIFICATE" not in str(pem):
        raise VaultOpsError(f"{mount_point}/ has no CA certificate yet (is the PKI mount configured?)")
    return str(pem)


def write_bundle(issued: IssuedCertificate, directory: Path) -> dict[str, Path]:
    """cert.pem, key.pem (0600), chain.pem (intermediates) and, when known, ca.pem (the root)."""
    directory.mkdir(parents=True, exist_ok=True)
    files = {"cert": directory / "cert.pem", "key": directory / "key.pem", "chain": directory / "chain.pem"}
    key_path = files["key"]
    fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(issued.private_key.rstrip() + "\n")
    key_path.chmod(0o600)
    files["cert"].write_text(issued.certificate.rstrip() + "\n")
    files["chain"].write_text("".join(pem.rstrip() + "\n" for pem in issued.chain))
    if issued.root is not None:
        files["ca"] = directory / "ca.pem"
        files["ca"].write_text(issued.root.rstrip() + "\n")
    return files

