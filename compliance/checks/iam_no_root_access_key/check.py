"""The account root user has no access keys (a default super-user credential usable from anywhere)."""

from __future__ import annotations

from collections.abc import Iterator

from compliance.checks.base import Evidence, Result, global_value
from compliance.text import text


def check(evidence: Evidence) -> Iterator[Result]:
    summary = global_value(evidence, "account_summary") or {}
    keys = int(summary.get("AccountAccessKeysPresent") or 0)
    detail = (text("the root user has {n} access key(s)", "root 用户有 {n} 个访问密钥", n=keys) if keys
              else text("the root user has no access keys", "root 用户没有访问密钥"))
    yield Result("iam-root-user", keys == 0, detail, resource_type="AwsIamUser")
