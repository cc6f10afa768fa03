"""Transit keys never leave OpenBao and cannot be deleted: not exportable, no plaintext backup, deletion
not allowed (GB/T 39786 key management: storage, export and destruction under control)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from compliance.checks.base import Evidence, Result


def rule(key: Mapping[str, Any]) -> list[str]:
    problems = []
    if key.get("exportable") is not False:
        problems.append("exportable")
    if key.get("allow_plaintext_backup") is not False:
        problems.append("plaintext backup allowed")
    if key.get("deletion_allowed") is not False:
        problems.append("deletion allowed")
    return problems


def check(evidence: Evidence) -> Iterator[Result]:
    for key in ((evidence.get("vault") or {}).get("global") or {}).get("transit_keys") or ():
        problems = rule(key)
        where = f"{key['namespace']}{key['mount']}keys/{key['name']}"
        detail = f"transit key {where}: " + (", ".join(problems) if problems else
                                             "not exportable, no plaintext backup, not deletable")
        yield Result(where, not problems, detail, resource_type="OpenBaoTransitKey",
                     tags={"egov:tenant": key["namespace"].split("/")[1]} if key["namespace"].startswith("tenants/")
                     else None)
