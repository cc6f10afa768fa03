"""Every bucket refuses requests that do not use TLS (a policy denying aws:SecureTransport false)."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any

from compliance.checks.base import Evidence, Result, global_value, tags_of
from compliance.text import text


def _listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def denies_plain_http(statement: Mapping[str, Any]) -> bool:
    if statement.get("Effect") != "Deny":
        return False
    principal = statement.get("Principal")
    if not (principal == "*" or (isinstance(principal, Mapping) and "*" in _listed(principal.get("AWS")))):
        return False
    if not any(action in ("s3:*", "*") for action in _listed(statement.get("Action"))):
        return False
    condition = statement.get("Condition") or {}
    flag = (condition.get("Bool") or {}).get("aws:SecureTransport")
    return str(flag).lower() == "false"


def rule(bucket: Mapping[str, Any]) -> str | None:
    policy = bucket.get("Policy")
    if not policy:
        return text("has no bucket policy, so plain HTTP is not refused", "没有桶策略, 未拒绝明文 HTTP")
    document = json.loads(policy) if isinstance(policy, str) else policy
    if any(denies_plain_http(statement) for statement in _listed(document.get("Statement") or [])):
        return None
    return text("has a policy that does not deny requests without TLS", "桶策略未拒绝不使用 TLS 的请求")


def check(evidence: Evidence) -> Iterator[Result]:
    for bucket in global_value(evidence, "buckets") or ():
        problem = rule(bucket)
        detail = text("bucket {name} {state}", "存储桶 {name} {state}", name=bucket["Name"],
                      state=problem or text("refuses requests without TLS", "拒绝不使用 TLS 的请求"))
        yield Result(bucket["Name"], problem is None, detail, bucket.get("Region", ""), tags=tags_of(bucket))
