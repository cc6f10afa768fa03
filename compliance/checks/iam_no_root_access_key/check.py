"""The account root user has no access keys (a default super-user credential usable from anywhere)."""

from __future__ import annotations

from collections.abc import Iterator

from compliance.checks.base import Evidence, Result, global_value


def check(evidence: Evidence) -> Iterator[Result]:
    summary = global_value(evidence, "account_summary") or {}
    keys = int(summary.get("AccountAccessKeysPresent") or 0)
    detail = f"the root user has {keys} access key(s)" if keys else "the root user has no access keys"
    yield Result("iam-root-user", keys == 0, detail, resource_type="AwsIamUser")
