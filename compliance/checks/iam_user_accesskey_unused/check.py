"""No IAM user keeps an active access key unused for more than 90 days: a credential nobody uses is a
redundant one (GB/T 22239 8.1.4.2 c), delete or disable redundant and expired accounts promptly)."""

from __future__ import annotations

from collections.abc import Iterator

from compliance.checks.base import Evidence, Result
from compliance.checks.credentials import (
    UNUSED_DAYS,
    active_keys,
    age_days,
    parse_time,
    report_time,
    resource,
    user_rows,
    user_tags,
)
from compliance.text import join, text


def check(evidence: Evidence) -> Iterator[Result]:
    now = report_time(evidence)
    tags = user_tags(evidence)
    for row in user_rows(evidence):
        user = row.get("user", "?")
        stale = []
        for number in active_keys(row):
            used = parse_time(row.get(f"access_key_{number}_last_used_date"))
            since = used or parse_time(row.get(f"access_key_{number}_last_rotated"))
            if since is None:
                stale.append(text("key {number} (no usage or creation date in the report)",
                                  "密钥 {number} (凭证报告中无使用或创建日期)", number=number))
            elif age_days(now, since) > UNUSED_DAYS:
                stale.append(text("key {number} (last used {days} days ago)", "密钥 {number} (最后使用于 {days} 天前)",
                                  number=number, days=age_days(now, since)) if used else
                             text("key {number} (never used, created {days} days ago)",
                                  "密钥 {number} (从未使用, 创建于 {days} 天前)",
                                  number=number, days=age_days(now, since)))
        detail = (text("user {user} has active access keys unused for more than {limit} days: {stale}",
                       "用户 {user} 有超过 {limit} 天未使用的活动访问密钥: {stale}",
                       user=user, limit=UNUSED_DAYS, stale=join(stale, ", ", ", "))
                  if stale else text("user {user} has no active access key unused for more than {limit} days",
                                     "用户 {user} 没有超过 {limit} 天未使用的活动访问密钥",
                                     user=user, limit=UNUSED_DAYS))
        yield Result(resource(row), not stale, detail, resource_type="AwsIamUser",
                     tags=tags.get(resource(row), {}))
