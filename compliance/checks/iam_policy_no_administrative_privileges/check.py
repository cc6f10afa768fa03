"""No customer-managed policy grants every action on every resource ("*:*"): least privilege and
separation of the system, audit and security administrators (三权分立)."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import unquote

from compliance.checks.base import Evidence, Result, global_value, tags_of


def _listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def rule(document: Mapping[str, Any] | str) -> str | None:
    parsed: Mapping[str, Any] = json.loads(unquote(document)) if isinstance(document, str) else document
    for statement in _listed(parsed.get("Statement") or []):
        if statement.get("Effect") != "Allow" or "NotAction" in statement:
            continue
        if "*" in _listed(statement.get("Action")) and "*" in _listed(statement.get("Resource")):
            return "allows every action on every resource"
    return None


def check(evidence: Evidence) -> Iterator[Result]:
    for policy in global_value(evidence, "policies") or ():
        problem = rule(policy.get("Document") or {})
        yield Result(policy.get("Arn") or policy["PolicyName"], problem is None,
                     f"policy {policy['PolicyName']} {problem or 'grants no full administrative access'}",
                     tags=tags_of(policy))
