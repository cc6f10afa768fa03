"""A local bootstrap CA and the loopback server certificates it signs.

Local services (OpenBao now, the Vault PKI work later) speak real TLS even on 127.0.0.1 so
that clients exercise the same verification path as in production. The CA is created once
per ``.egov`` tree; clients trust it through its PEM file (``VAULT_CACERT`` and friends).
Private keys are written 0600 from the first byte: they are never world readable, not
even for the instant between create and chmod.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from infra.files import write_private_file
from infra.local.process import LocalEnvError

__all__ = ["LocalCA", "ServerTLS", "ensure_server_tls", "write_private_file"]

CA_VALIDITY = dt.timedelta(days=3650)
# Browsers and Go cap leaf lifetimes around 398 days; stay under it so the cert is valid everywhere. The
# lifetime is counted from notBefore, backdating included (infra/vault/certs.py judges notAfter - notBefore).
LEAF_VALIDITY = dt.timedelta(days=397)
RENEW_BEFORE = dt.timedelta(days=30)
# The only names the bootstrap CA may certify (X.509 name constraints, critical): the loopback servers.
PERMITTED_NAMES: list[x509.GeneralName] = [
    x509.DNSName("localhost"),
    x509.IPAddress(ipaddress.ip_network("127.0.0.1/32")),
]
RENEW_TLS_HINT = "run `egov local up --renew-tls` (a new CA and server certificate; clients re-read the CA file)"
# Backdate a little so a clock that is slightly behind does not reject a fresh cert.
CLOCK_SKEW = dt.timedelta(minutes=5)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _new_key() -> ec.EllipticCurvePrivateKey:
    # P-256: fast to generate, accepted by Go, OpenSSL and every client we use.
    return ec.generate_private_key(ec.SECP256R1())


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def _write_cert(path: Path, cert: x509.Certificate) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    tmp.chmod(0o644)
    tmp.replace(path)


@dataclass(frozen=True)
class LocalCA:
    """A self-signed CA kept as two PEM files; the key is only needed to issue."""

    cert_path: Path
    key_path: Path

    @classmethod
    def in_directory(cls, directory: Path) -> LocalCA:
        return cls(directory / "ca.pem", directory / "ca-key.pem")

    def ensure(self, common_name: str) -> bool:
        """Create the CA if neither file exists; True if it was created now.

        A CA cert without its key is accepted (the key is only needed to issue, and may
        have been moved away on purpose). A key without its cert is an error rather than
        silently replaced: clients that trust the old cert would stop trusting our servers.
        """
        if self.cert_path.exists():
            return False
        if self.key_path.exists():
            raise LocalEnvError(
                f"local CA is incomplete: {self.key_path} exists but {self.cert_path} is missing. To start "
                f"over with a new CA, delete {self.cert_path.parent} (clients must then re-read the CA file)."
            )
        self.cert_path.parent.mkdir(parents=True, exist_ok=True)
        self.cert_path.parent.chmod(0o700)
        key = _new_key()
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
        now = _now()
        cert = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - CLOCK_SKEW)
            .not_valid_after(now + CA_VALIDITY)
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=True, content_commitment=False, key_encipherment=False,
                    data_encipherment=False, key_agreement=False, key_cert_sign=True, crl_sign=True,
                    encipher_only=False, decipher_only=False,
                ),
                critical=True,
            )
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            # Whoever gets hold of this CA can only vouch for the loopback names, never for a real host.
            .add_extension(x509.NameConstraints(permitted_subtrees=PERMITTED_NAMES, excluded_subtrees=None),
                           critical=True)
            .sign(key, hashes.SHA256())
        )
        write_private_file(self.key_path, _key_pem(key))
        _write_cert(self.cert_path, cert)
        return True

    def constrained(self) -> bool:
        """True if the CA certificate limits itself to :data:`PERMITTED_NAMES` (CAs made before did not)."""
        try:
            constraints = self.certificate().extensions.get_extension_for_class(x509.NameConstraints).value
        except x509.ExtensionNotFound:
            return False
        return set(constraints.permitted_subtrees or []) == set(PERMITTED_NAMES)

    def forget_key(self) -> None:
        """Drop the CA key once the server certificate is issued: a new certificate means a new CA."""
        self.key_path.unlink(missing_ok=True)

    def certificate(self) -> x509.Certificate:
        try:
            return x509.load_pem_x509_certificate(self.cert_path.read_bytes())
        except (OSError, ValueError) as exc:
            raise LocalEnvError(f"cannot read the local CA certificate {self.cert_path}: {exc}") from exc

    def _private_key(self) -> ec.EllipticCurvePrivateKey:
        try:
            key = serialization.load_pem_private_key(self.key_path.read_bytes(), password=None)
        except (OSError, ValueError) as exc:
            raise LocalEnvError(
                f"cannot read the local CA key {self.key_path} ({exc}); it is needed to issue certificates. "
                f"Delete {self.cert_path.parent} to create a new CA."
            ) from exc
        if not isinstance(key, ec.EllipticCurvePrivateKey):
            raise LocalEnvError(
                f"{self.key_path} is not an EC key; delete {self.cert_path.parent} to create a new CA"
            )
        return key

    def issued(self, cert: x509.Certificate) -> bool:
        """True if ``cert`` carries this CA's signature."""
        try:
            cert.verify_directly_issued_by(self.certificate())
        except (ValueError, TypeError, InvalidSignature):
            return False
        return True

    def issue_server_cert(
        self, cert_path: Path, key_path: Path, *, common_name: str,
        ip_addresses: Sequence[str], dns_names: Sequence[str],
    ) -> None:
        """Sign a fresh TLS server certificate (new key) for the given names."""
        ca_cert, ca_key = self.certificate(), self._private_key()
        key = _new_key()
        now = _now()
        sans: list[x509.GeneralName] = [x509.DNSName(name) for name in dns_names]
        sans += [x509.IPAddress(ipaddress.ip_address(ip)) for ip in ip_addresses]
        cert = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)]))
            .issuer_name(ca_cert.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - CLOCK_SKEW)
            .not_valid_after(min(now - CLOCK_SKEW + LEAF_VALIDITY, ca_cert.not_valid_after_utc))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=True, content_commitment=False, key_encipherment=False,
                    data_encipherment=False, key_agreement=False, key_cert_sign=False, crl_sign=False,
                    encipher_only=False, decipher_only=False,
                ),
                critical=True,
            )
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(x509.SubjectAlternativeName(sans), critical=False)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
            )
            .sign(ca_key, hashes.SHA256())
        )
        write_private_file(key_path, _key_pem(key))
        _write_cert(cert_path, cert)


@dataclass(frozen=True)
class ServerTLS:
    """The three files a TLS server and its clients need."""

    ca_cert: Path
    cert: Path
    key: Path


def _needs_new_cert(
    ca: LocalCA, cert_path: Path, key_path: Path, ip_addresses: Sequence[str], dns_names: Sequence[str]
) -> str:
    """Why the server cert must be (re)issued, or "" if the one on disk is fine."""
    if not cert_path.exists() or not key_path.exists():
        return "missing"
    try:
        cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
        sans = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except (OSError, ValueError, x509.ExtensionNotFound):
        return "unreadable"
    if cert.not_valid_after_utc - RENEW_BEFORE < _now():
        return "expiring"
    if cert.not_valid_after_utc - cert.not_valid_before_utc > LEAF_VALIDITY:
        return f"valid for longer than {LEAF_VALIDITY.days} days"
    want_ips = {ipaddress.ip_address(ip) for ip in ip_addresses}
    if set(sans.get_values_for_type(x509.IPAddress)) != want_ips or set(
        sans.get_values_for_type(x509.DNSName)
    ) != set(dns_names):
        return "names changed"
    if not ca.issued(cert):
        return "not issued by the current CA"
    return ""


def ensure_server_tls(
    directory: Path, *, name: str, ca_common_name: str = "egov local bootstrap CA",
    ip_addresses: Sequence[str] = ("127.0.0.1",), dns_names: Sequence[str] = ("localhost",),
    renew: bool = False,
) -> ServerTLS:
    """CA plus a valid server cert ``<name>.pem``/``<name>-key.pem`` in ``directory``; the CA key is then deleted.

    Creates what is missing and otherwise leaves the files alone (so a running server's cert stays the one
    on disk). The CA key lives only while the server certificate is signed: a certificate that must be
    issued again (close to expiry, names changed) needs a new CA, made only when asked (``renew``, i.e.
    ``egov local up --renew-tls``), because every client has to re-read the CA file.
    """
    ca = LocalCA.in_directory(directory)
    cert_path, key_path = directory / f"{name}.pem", directory / f"{name}-key.pem"
    if renew:
        for old in (ca.cert_path, ca.key_path, cert_path, key_path):
            old.unlink(missing_ok=True)
    created_ca = ca.ensure(ca_common_name)
    reason = "missing" if created_ca else _needs_new_cert(ca, cert_path, key_path, ip_addresses, dns_names)
    if not ca.constrained():
        raise LocalEnvError(f"the bootstrap CA {ca.cert_path} has no name constraints (it was made before they "
                            f"were added) and could vouch for any host; {RENEW_TLS_HINT}")
    if reason:
        if not ca.key_path.exists():
            raise LocalEnvError(
                f"server certificate {cert_path} must be issued again ({reason}) but the bootstrap CA's key is "
                f"not kept once a certificate is issued; {RENEW_TLS_HINT}"
            )
        ca.issue_server_cert(
            cert_path, key_path, common_name=dns_names[0] if dns_names else ip_addresses[0],
            ip_addresses=ip_addresses, dns_names=dns_names,
        )
    ca.forget_key()
    return ServerTLS(ca_cert=ca.cert_path, cert=cert_path, key=key_path)
