"""The account root user signs in with a second factor (two-factor authentication with a cryptographic
technique, GB/T 22239 8.1.4.1 d), HR case 6.4.1.3)."""

from __future__ import annotations

from collections.abc import Iterator

from compliance.checks.base import Evidence, Result, cloud, global_value
from compliance.text import text


def check(evidence: Evidence) -> Iterator[Result]:
    summary = global_value(evidence, "account_summary") or {}
    ok = int(summary.get("AccountMFAEnabled") or 0) == 1
    detail = (text("the root user has MFA", "root 用户已启用 MFA") if ok
              else text("the root user signs in without MFA", "root 用户登录未使用 MFA"))
    account = str(cloud(evidence).get("account") or "")  # named, so a waiver can be scoped to one account
    yield Result(f"iam-root-user-mfa:{account}" if account else "iam-root-user-mfa", ok, detail,
                 resource_type="AwsIamUser")
