"""The account password policy meets the MLPS level-3 defaults: at least 8 characters, at least three of
four character classes, changed within 90 days, the last 5 not reused."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from compliance.checks.base import Evidence, Result, global_value

MIN_LENGTH = 8
MIN_CLASSES = 3
MAX_AGE_DAYS = 90
MIN_REUSE_PREVENTION = 5
CLASSES = ("RequireUppercaseCharacters", "RequireLowercaseCharacters", "RequireNumbers", "RequireSymbols")


def rule(policy: Mapping[str, Any] | None) -> list[str]:
    """Every way the policy falls short; [] when it meets the defaults."""
    if not policy:
        return ["the account has no password policy"]
    problems = []
    if int(policy.get("MinimumPasswordLength") or 0) < MIN_LENGTH:
        problems.append(f"minimum length {policy.get('MinimumPasswordLength')} < {MIN_LENGTH}")
    classes = sum(1 for name in CLASSES if policy.get(name) is True)
    if classes < MIN_CLASSES:
        problems.append(f"requires {classes} character classes, fewer than {MIN_CLASSES}")
    age = policy.get("MaxPasswordAge")
    if age is None or int(age) > MAX_AGE_DAYS:
        problems.append(f"passwords do not expire within {MAX_AGE_DAYS} days (MaxPasswordAge {age})")
    if int(policy.get("PasswordReusePrevention") or 0) < MIN_REUSE_PREVENTION:
        problems.append(f"reuse prevention {policy.get('PasswordReusePrevention')} < {MIN_REUSE_PREVENTION}")
    return problems


def check(evidence: Evidence) -> Iterator[Result]:
    problems = rule(global_value(evidence, "password_policy"))
    detail = "; ".join(problems) if problems else "password policy meets length, complexity, age and reuse rules"
    yield Result("iam-password-policy", not problems, detail, resource_type="AwsIamPasswordPolicy")
