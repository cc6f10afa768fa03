"""The account password policy meets the MLPS level-3 defaults: at least 8 characters, at least three of
four character classes, changed within 90 days, the last 5 not reused."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from compliance.checks.base import Evidence, Result, global_value
from compliance.text import Text, join, text

MIN_LENGTH = 8
MIN_CLASSES = 3
MAX_AGE_DAYS = 90
MIN_REUSE_PREVENTION = 5
CLASSES = ("RequireUppercaseCharacters", "RequireLowercaseCharacters", "RequireNumbers", "RequireSymbols")


def rule(policy: Mapping[str, Any] | None) -> list[Text]:
    """Every way the policy falls short; [] when it meets the defaults."""
    if not policy:
        return [text("the account has no password policy", "账户没有口令策略")]
    problems: list[Text] = []
    if int(policy.get("MinimumPasswordLength") or 0) < MIN_LENGTH:
        problems.append(text("minimum length {n} < {min}", "最小长度 {n} < {min}",
                             n=policy.get("MinimumPasswordLength"), min=MIN_LENGTH))
    classes = sum(1 for name in CLASSES if policy.get(name) is True)
    if classes < MIN_CLASSES:
        problems.append(text("requires {n} character classes, fewer than {min}", "要求 {n} 类字符, 少于 {min} 类",
                             n=classes, min=MIN_CLASSES))
    age = policy.get("MaxPasswordAge")
    if age is None or int(age) > MAX_AGE_DAYS:
        problems.append(text("passwords do not expire within {days} days (MaxPasswordAge {age})",
                             "口令未在 {days} 天内过期 (MaxPasswordAge {age})", days=MAX_AGE_DAYS, age=age))
    if int(policy.get("PasswordReusePrevention") or 0) < MIN_REUSE_PREVENTION:
        problems.append(text("reuse prevention {n} < {min}", "禁止重用的历史口令数 {n} < {min}",
                             n=policy.get("PasswordReusePrevention"), min=MIN_REUSE_PREVENTION))
    return problems


def check(evidence: Evidence) -> Iterator[Result]:
    problems = rule(global_value(evidence, "password_policy"))
    detail = join(problems) if problems else text("password policy meets length, complexity, age and reuse rules",
                                                  "口令策略满足长度、复杂度、有效期和重用要求")
    yield Result("iam-password-policy", not problems, detail, resource_type="AwsIamPasswordPolicy")
