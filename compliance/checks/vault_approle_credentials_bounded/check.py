"""AppRole credentials expire: secret IDs have a lifetime and a use limit, tokens a maximum lifetime
(GB/T 22239 8.1.4.2 c): no standing, never-expiring machine credentials)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from compliance.checks.base import Evidence, Result
from compliance.text import Text, join, text


def rule(role: Mapping[str, Any]) -> list[Text]:
    problems: list[Text] = []
    if int(role.get("secret_id_ttl") or 0) <= 0:
        problems.append(text("secret IDs never expire (secret_id_ttl 0)", "secret ID 永不过期 (secret_id_ttl 0)"))
    if int(role.get("secret_id_num_uses") or 0) <= 0:
        problems.append(text("secret IDs have unlimited uses (secret_id_num_uses 0)",
                             "secret ID 可无限次使用 (secret_id_num_uses 0)"))
    if int(role.get("token_max_ttl") or 0) <= 0:
        problems.append(text("tokens have no maximum lifetime (token_max_ttl 0)",
                             "令牌没有最长有效期 (token_max_ttl 0)"))
    return problems


def check(evidence: Evidence) -> Iterator[Result]:
    for role in ((evidence.get("vault") or {}).get("global") or {}).get("approle_roles") or ():
        where = f"{role['namespace']}auth/{role['mount']}role/{role['name']}"
        problems = rule(role)
        state = join(problems) if problems else text("secret IDs and tokens expire", "secret ID 和令牌都会过期")
        detail = text("AppRole {where}: {state}", "AppRole {where}: {state}", where=where, state=state)
        yield Result(where, not problems, detail, resource_type="OpenBaoAppRole",
                     tags={"egov:tenant": role["namespace"].split("/")[1]} if role["namespace"].startswith("tenants/")
                     else None)
