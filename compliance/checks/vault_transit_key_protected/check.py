"""Transit keys never leave OpenBao and cannot be deleted: not exportable, no plaintext backup, deletion
not allowed (GB/T 39786 key management: storage, export and destruction under control)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from compliance.checks.base import Evidence, Result
from compliance.text import Text, join, text


def rule(key: Mapping[str, Any]) -> list[Text]:
    problems: list[Text] = []
    if key.get("exportable") is not False:
        problems.append(text("exportable", "可导出"))
    if key.get("allow_plaintext_backup") is not False:
        problems.append(text("plaintext backup allowed", "允许明文备份"))
    if key.get("deletion_allowed") is not False:
        problems.append(text("deletion allowed", "允许删除"))
    return problems


def check(evidence: Evidence) -> Iterator[Result]:
    for key in ((evidence.get("vault") or {}).get("global") or {}).get("transit_keys") or ():
        problems = rule(key)
        where = f"{key['namespace']}{key['mount']}keys/{key['name']}"
        state = (join(problems, ", ", "、") if problems else
                 text("not exportable, no plaintext backup, not deletable", "不可导出、不允许明文备份、不可删除"))
        detail = text("transit key {where}: {state}", "transit 密钥 {where}: {state}", where=where, state=state)
        yield Result(where, not problems, detail, resource_type="OpenBaoTransitKey",
                     tags={"egov:tenant": key["namespace"].split("/")[1]} if key["namespace"].startswith("tenants/")
                     else None)
