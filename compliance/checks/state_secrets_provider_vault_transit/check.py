"""Every stack encrypts its secrets with OpenBao transit (``hashivault://``), so the key never sits next to
the state (no passphrase, no default service key)."""

from __future__ import annotations

from collections.abc import Iterator

from compliance.checks.base import Evidence, Result


def check(evidence: Evidence) -> Iterator[Result]:
    for stack in ((evidence.get("state") or {}).get("global") or {}).get("stacks") or ():
        provider = stack.get("secrets_provider") or {}
        url = str(provider.get("url") or "")
        ok = url.startswith("hashivault://")
        detail = (f"stack {stack['name']} encrypts secrets with OpenBao transit ({url})" if ok else
                  f"stack {stack['name']} encrypts secrets with {url or provider.get('type') or 'nothing'}, "
                  "not OpenBao transit")
        yield Result(f"stack:{stack['name']}", ok, detail, resource_type="PulumiStack",
                     tags={"egov:tenant": stack["tenant"]} if stack.get("tenant") else None)
