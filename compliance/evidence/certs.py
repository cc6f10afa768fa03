"""TLS evidence with pyOpenSSL: for each endpoint, the negotiated protocol and cipher, whether it still
accepts TLS 1.1 or older, and the verdict of the project's certificate verifier (``infra/vault/certs.py``)
on the chain it presents, checked against the trust root given.

Endpoints: the OpenBao listener (VAULT_ADDR, when https) and every ``host:port`` in EGOV_TLS_ENDPOINTS
(comma list); trust root: EGOV_TLS_CA, else VAULT_CACERT. A handshake is a read: nothing is sent but the
TLS negotiation. An endpoint that does not answer is recorded under ``errors`` (its checks error).
"""

from __future__ import annotations

import ipaddress
import os
import select
import socket
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from OpenSSL import SSL

from compliance.evidence.cloud import SourceUnreachable
from infra.vault.certs import verify_certificate

LEGACY = {SSL.TLS1_1_VERSION: "TLSv1.1", SSL.TLS1_VERSION: "TLSv1"}


def endpoints_from_env(environ: Mapping[str, str]) -> list[tuple[str, int]]:
    found: list[tuple[str, int]] = []
    vault = environ.get("VAULT_ADDR", "")
    if vault.startswith("https://"):
        parts = urlsplit(vault)
        found.append((parts.hostname or "", parts.port or 443))
    for item in (environ.get("EGOV_TLS_ENDPOINTS") or "").split(","):
        if item.strip():
            host, _, port = item.strip().rpartition(":")
            found.append((host, int(port)))
    return list(dict.fromkeys(found))


def _handshake(host: str, port: int, *, max_version: int | None = None,
               timeout: float = 5) -> tuple[str, str, list[x509.Certificate]]:
    context = SSL.Context(SSL.TLS_CLIENT_METHOD)
    context.set_verify(SSL.VERIFY_NONE, lambda *_: True)  # trust is judged afterwards, by the verifier
    if max_version is not None:
        context.set_min_proto_version(0)
        context.set_max_proto_version(max_version)
        context.set_cipher_list(b"ALL:@SECLEVEL=0")
    with socket.create_connection((host, port), timeout=timeout) as raw:
        raw.setblocking(False)
        connection = SSL.Connection(context, raw)
        if not _is_ip(host):
            connection.set_tlsext_host_name(host.encode())
        connection.set_connect_state()
        deadline = time.monotonic() + timeout
        while True:
            try:
                connection.do_handshake()
                break
            except (SSL.WantReadError, SSL.WantWriteError):
                if time.monotonic() > deadline or not select.select([raw], [raw], [], timeout)[0:2]:
                    raise OSError(f"TLS handshake with {host}:{port} timed out") from None
        chain = [cert.to_cryptography() for cert in connection.get_peer_cert_chain() or []]
        protocol, cipher = connection.get_protocol_version_name(), connection.get_cipher_name() or ""
    return protocol, cipher, chain


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


class CertsCollector:
    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        env = os.environ if environ is None else environ
        self.endpoints = endpoints_from_env(env)
        self.ca_file = env.get("EGOV_TLS_CA") or env.get("VAULT_CACERT") or ""
        self.calls: dict[str, int] = {}

    def collect(self, progress: Callable[[str], None] = lambda _: None) -> dict[str, Any]:
        if not self.endpoints:
            raise SourceUnreachable("certs", "(no endpoint)", "no TLS endpoint configured: set VAULT_ADDR (https) "
                                    "or EGOV_TLS_ENDPOINTS=host:port,...")
        if not self.ca_file or not Path(self.ca_file).exists():
            raise SourceUnreachable("certs", self.ca_file or "(no CA)", "no trust root: set EGOV_TLS_CA or "
                                    "VAULT_CACERT to the CA bundle that should anchor every endpoint")
        root = Path(self.ca_file).read_bytes()
        found: list[dict[str, Any]] = []
        errors: dict[str, str] = {}
        for host, port in self.endpoints:
            where = f"{host}:{port}"
            progress(f"certs: handshake with {where}")
            self.calls["tls.handshake"] = self.calls.get("tls.handshake", 0) + 1
            try:
                protocol, cipher, chain = _handshake(host, port)
            except (OSError, SSL.Error) as exc:
                errors[where] = f"handshake failed: {exc or type(exc).__name__}"
                found.append({"endpoint": where, "error": errors[where]})  # its checks report error
                continue
            legacy = []
            for version, name in LEGACY.items():
                self.calls["tls.handshake"] += 1
                try:
                    _handshake(host, port, max_version=version)
                    legacy.append(name)
                except (OSError, SSL.Error):
                    pass
            verdict = verify_certificate(chain[0], root=root, chain=chain[1:], names=[host], fetch_crls=False) \
                if chain else None
            found.append({
                "endpoint": where, "protocol": protocol, "cipher": cipher, "legacy_protocols_accepted": legacy,
                "chain": [c.subject.rfc4514_string() for c in chain],
                "leaf_pem": chain[0].public_bytes(Encoding.PEM).decode() if chain else "",
                "verification": {"ok": verdict.ok if verdict else False,
                                 "key": verdict.key if verdict else "",
                                 "not_after": verdict.not_after.isoformat() if verdict and verdict.not_after else "",
                                 "findings": [{"code": str(f.code), "message": f.message, "severity": f.severity}
                                              for f in (verdict.findings if verdict else [])]},
            })
        if len(errors) == len(self.endpoints):
            raise SourceUnreachable("certs", ", ".join(f"{h}:{p}" for h, p in self.endpoints),
                                    next(iter(errors.values())))
        return {"global": {"endpoints": found}, "errors": {}}
