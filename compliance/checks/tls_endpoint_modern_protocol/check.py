"""Every TLS endpoint negotiates TLS 1.2 or newer with an AEAD cipher and refuses TLS 1.1 and older
(confidentiality and integrity in transit, GB/T 22239 8.1.2.2; HR case 6.2.2.1)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from compliance.checks.base import Evidence, Result

MODERN = ("TLSv1.2", "TLSv1.3")
AEAD = ("GCM", "CHACHA20", "CCM")
WEAK = ("RC4", "DES", "NULL", "EXPORT", "MD5", "anon")


def rule(endpoint: Mapping[str, Any]) -> list[str]:
    problems = []
    if endpoint.get("protocol") not in MODERN:
        problems.append(f"negotiates {endpoint.get('protocol')}")
    cipher = str(endpoint.get("cipher") or "")
    if any(weak in cipher for weak in WEAK) or not any(aead in cipher for aead in AEAD):
        problems.append(f"cipher {cipher or '(none)'} is not an AEAD cipher")
    legacy = endpoint.get("legacy_protocols_accepted") or []
    if legacy:
        problems.append(f"still accepts {', '.join(legacy)}")
    return problems


def check(evidence: Evidence) -> Iterator[Result]:
    for endpoint in ((evidence.get("certs") or {}).get("global") or {}).get("endpoints") or ():
        where = f"tls:{endpoint['endpoint']}"
        if endpoint.get("error"):
            yield Result(where, None, endpoint["error"], resource_type="TlsEndpoint")
            continue
        problems = rule(endpoint)
        detail = (f"{endpoint['endpoint']}: " + "; ".join(problems) if problems else
                  f"{endpoint['endpoint']}: {endpoint['protocol']} with {endpoint['cipher']}, nothing older accepted")
        yield Result(where, not problems, detail, resource_type="TlsEndpoint")
