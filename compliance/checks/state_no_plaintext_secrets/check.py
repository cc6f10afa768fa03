"""No secret sits in clear in any stack's state (HR case 6.4.5.2: authentication data stored in plaintext)."""

from __future__ import annotations

from collections.abc import Iterator

from compliance.checks.base import Evidence, Result


def check(evidence: Evidence) -> Iterator[Result]:
    for stack in ((evidence.get("state") or {}).get("global") or {}).get("stacks") or ():
        paths = list(stack.get("plaintext_secret_paths") or ())
        shown = ", ".join(paths[:5]) + (f" and {len(paths) - 5} more" if len(paths) > 5 else "")
        detail = (f"stack {stack['name']} holds secrets in plaintext at {shown}" if paths else
                  f"stack {stack['name']}: no plaintext secret in {stack.get('resources', 0)} resources")
        yield Result(f"stack:{stack['name']}", not paths, detail, resource_type="PulumiStack",
                     tags={"egov:tenant": stack["tenant"]} if stack.get("tenant") else None)
