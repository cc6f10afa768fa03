"""Every TLS endpoint negotiates TLS 1.2 or newer with an AEAD cipher and refuses TLS 1.1 and older
(confidentiality and integrity in transit, GB/T 22239 8.1.2.2; HR case 6.2.2.1)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from compliance.checks.base import Evidence, Result
from compliance.text import Text, join, text

MODERN = ("TLSv1.2", "TLSv1.3")
AEAD = ("GCM", "CHACHA20", "CCM")
WEAK = ("RC4", "DES", "NULL", "EXPORT", "MD5", "anon")


def rule(endpoint: Mapping[str, Any]) -> list[Text]:
    problems: list[Text] = []
    if endpoint.get("protocol") not in MODERN:
        problems.append(text("negotiates {protocol}", "协商使用 {protocol}", protocol=endpoint.get("protocol")))
    cipher = str(endpoint.get("cipher") or "")
    if any(weak in cipher for weak in WEAK) or not any(aead in cipher for aead in AEAD):
        problems.append(text("cipher {cipher} is not an AEAD cipher", "密码套件 {cipher} 不是 AEAD 套件",
                             cipher=cipher or "(none)"))
    legacy = endpoint.get("legacy_protocols_accepted") or []
    if legacy:
        problems.append(text("still accepts {legacy}", "仍接受 {legacy}", legacy=", ".join(legacy)))
    return problems


def check(evidence: Evidence) -> Iterator[Result]:
    for endpoint in ((evidence.get("certs") or {}).get("global") or {}).get("endpoints") or ():
        where = f"tls:{endpoint['endpoint']}"
        if endpoint.get("error"):
            yield Result(where, None, text("{error}", "无法连接: {error}", error=endpoint["error"]),
                         resource_type="TlsEndpoint")
            continue
        problems = rule(endpoint)
        detail = (text("{endpoint}: {problems}", "{endpoint}: {problems}", endpoint=endpoint["endpoint"],
                       problems=join(problems)) if problems else
                  text("{endpoint}: {protocol} with {cipher}, nothing older accepted",
                       "{endpoint}: {protocol}, 密码套件 {cipher}, 不接受更旧的协议", endpoint=endpoint["endpoint"],
                       protocol=endpoint["protocol"], cipher=endpoint["cipher"]))
        yield Result(where, not problems, detail, resource_type="TlsEndpoint")
