"""Every TLS endpoint presents a certificate that the project's verifier accepts against the trust root:
chain, signature and key strength, names, validity and lifetime (peer authentication with certificates,
GB/T 39786 8.2 a))."""

from __future__ import annotations

from collections.abc import Iterator

from compliance.checks.base import Evidence, Result
from compliance.text import text


def check(evidence: Evidence) -> Iterator[Result]:
    for endpoint in ((evidence.get("certs") or {}).get("global") or {}).get("endpoints") or ():
        where = f"tls:{endpoint['endpoint']}"
        if endpoint.get("error"):
            yield Result(where, None, text("{error}", "无法连接: {error}", error=endpoint["error"]),
                         resource_type="TlsEndpoint")
            continue
        verdict = endpoint.get("verification") or {}
        errors = [f"{f['code']}: {f['message']}" for f in verdict.get("findings") or () if f["severity"] == "error"]
        ok = bool(verdict.get("ok")) and not errors
        good = text("certificate verifies ({key}, until {until})", "证书验证通过 ({key}, 有效期至 {until})",
                    key=verdict.get("key"), until=verdict.get("not_after"))
        bad = text("{errors}", "证书验证未通过: {errors}", errors="; ".join(errors or ["no verdict"]))
        detail = text("{endpoint}: {state}", "{endpoint}: {state}", endpoint=endpoint["endpoint"],
                      state=bad if not ok else good)
        yield Result(where, ok, detail, resource_type="TlsEndpoint")
