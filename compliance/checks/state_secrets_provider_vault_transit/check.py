"""Every stack encrypts its secrets with OpenBao transit (``hashivault://``), so the key never sits next to
the state (no passphrase, no default service key)."""

from __future__ import annotations

from collections.abc import Iterator

from compliance.checks.base import Evidence, Result
from compliance.text import text


def check(evidence: Evidence) -> Iterator[Result]:
    for stack in ((evidence.get("state") or {}).get("global") or {}).get("stacks") or ():
        provider = stack.get("secrets_provider") or {}
        url = str(provider.get("url") or "")
        ok = url.startswith("hashivault://")
        detail = (text("stack {name} encrypts secrets with OpenBao transit ({url})",
                       "栈 {name} 使用 OpenBao transit 加密机密 ({url})", name=stack["name"], url=url) if ok else
                  text("stack {name} encrypts secrets with {how}, not OpenBao transit",
                       "栈 {name} 使用 {how} 加密机密, 而非 OpenBao transit", name=stack["name"],
                       how=url or provider.get("type") or "nothing"))
        yield Result(f"stack:{stack['name']}", ok, detail, resource_type="PulumiStack",
                     tags={"egov:tenant": stack["tenant"]} if stack.get("tenant") else None)
