"""No customer-managed policy grants every action on every resource ("*:*"): least privilege and
separation of the system, audit and security administrators (三权分立)."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import unquote

from compliance.checks.base import Evidence, Result, global_value, tags_of
from compliance.text import text


def _listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def rule(document: Mapping[str, Any] | str) -> str | None:
    parsed: Mapping[str, Any] = json.loads(unquote(document)) if isinstance(document, str) else document
    for statement in _listed(parsed.get("Statement") or []):
        if statement.get("Effect") != "Allow" or "NotAction" in statement:
            continue
        if "*" in _listed(statement.get("Action")) and "*" in _listed(statement.get("Resource")):
            return text("allows every action on every resource", "允许对所有资源执行所有操作")
    return None


def check(evidence: Evidence) -> Iterator[Result]:
    for policy in global_value(evidence, "policies") or ():
        problem = rule(policy.get("Document") or {})
        yield Result(policy.get("Arn") or policy["PolicyName"], problem is None,
                     text("policy {name} {state}", "策略 {name} {state}", name=policy["PolicyName"],
                          state=problem or text("grants no full administrative access", "未授予完全管理权限")),
                     tags=tags_of(policy))
