"""No secret sits in clear in any stack's state (HR case 6.4.5.2: authentication data stored in plaintext)."""

from __future__ import annotations

from collections.abc import Iterator

from compliance.checks.base import Evidence, Result
from compliance.text import text


def check(evidence: Evidence) -> Iterator[Result]:
    for stack in ((evidence.get("state") or {}).get("global") or {}).get("stacks") or ():
        paths = list(stack.get("plaintext_secret_paths") or ())
        shown = ", ".join(paths[:5]) + (f" and {len(paths) - 5} more" if len(paths) > 5 else "")
        detail = (text("stack {name} holds secrets in plaintext at {shown}", "栈 {name} 在 {shown} 以明文保存机密",
                       name=stack["name"], shown=shown) if paths else
                  text("stack {name}: no plaintext secret in {n} resources", "栈 {name}: {n} 个资源中没有明文机密",
                       name=stack["name"], n=stack.get("resources", 0)))
        yield Result(f"stack:{stack['name']}", not paths, detail, resource_type="PulumiStack",
                     tags={"egov:tenant": stack["tenant"]} if stack.get("tenant") else None)
