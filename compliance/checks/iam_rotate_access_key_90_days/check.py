"""Every active access key was rotated within 90 days (GB/T 22239 8.1.4.1 a), credentials are changed
regularly)."""

from __future__ import annotations

from collections.abc import Iterator

from compliance.checks.base import Evidence, Result
from compliance.checks.credentials import (
    ROTATION_DAYS,
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
        old = []
        for number in active_keys(row):
            rotated = parse_time(row.get(f"access_key_{number}_last_rotated"))
            if rotated is None:
                old.append(text("key {number} (no rotation date in the report)", "密钥 {number} (凭证报告中无轮换日期)",
                                number=number))
            elif age_days(now, rotated) > ROTATION_DAYS:
                old.append(text("key {number} (rotated {days} days ago)", "密钥 {number} ({days} 天前轮换)",
                                number=number, days=age_days(now, rotated)))
        detail = (text("user {user} has active access keys older than {limit} days: {old}",
                       "用户 {user} 有超过 {limit} 天未轮换的活动访问密钥: {old}",
                       user=user, limit=ROTATION_DAYS, old=join(old, ", ", ", ")) if old
                  else text("user {user} has no active access key older than {limit} days",
                            "用户 {user} 没有超过 {limit} 天未轮换的活动访问密钥", user=user, limit=ROTATION_DAYS))
        yield Result(resource(row), not old, detail, resource_type="AwsIamUser",
                     tags=tags.get(resource(row), {}))
