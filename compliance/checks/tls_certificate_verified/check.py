"""Every TLS endpoint presents a certificate that the project's verifier accepts against the trust root:
chain, signature and key strength, names, validity and lifetime (peer authentication with certificates,
GB/T 39786 8.2 a))."""

from __future__ import annotations

from collections.abc import Iterator

from compliance.checks.base import Evidence, Result


def check(evidence: Evidence) -> Iterator[Result]:
    for endpoint in ((evidence.get("certs") or {}).get("global") or {}).get("endpoints") or ():
        where = f"tls:{endpoint['endpoint']}"
        if endpoint.get("error"):
            yield Result(where, None, endpoint["error"], resource_type="TlsEndpoint")
            continue
        verdict = endpoint.get("verification") or {}
        errors = [f"{f['code']}: {f['message']}" for f in verdict.get("findings") or () if f["severity"] == "error"]
        ok = bool(verdict.get("ok")) and not errors
        good = f"certificate verifies ({verdict.get('key')}, until {verdict.get('not_after')})"
        detail = f"{endpoint['endpoint']}: " + ("; ".join(errors or ["no verdict"]) if not ok else good)
        yield Result(where, ok, detail, resource_type="TlsEndpoint")
