"""No IAM user keeps a console password unused for more than 90 days (GB/T 22239 8.1.4.2 c), delete or
disable redundant and expired accounts promptly)."""

from __future__ import annotations

from collections.abc import Iterator

from compliance.checks.base import Evidence, Result
from compliance.checks.credentials import (
    UNUSED_DAYS,
    age_days,
    enabled,
    parse_time,
    report_time,
    resource,
    user_rows,
    user_tags,
)
from compliance.text import text


def check(evidence: Evidence) -> Iterator[Result]:
    now = report_time(evidence)
    tags = user_tags(evidence)
    for row in user_rows(evidence):
        user = row.get("user", "?")
        if not enabled(row, "password_enabled"):
            none = text("user {user} has no console password", "用户 {user} 未设置控制台密码", user=user)
            yield Result(resource(row), True, none, resource_type="AwsIamUser",
                     tags=tags.get(resource(row), {}))
            continue
        used = parse_time(row.get("password_last_used"))
        # never used: count from when the password was set (or the user made)
        since = used or parse_time(row.get("password_last_changed")) or parse_time(row.get("user_creation_time"))
        if since is None:
            yield Result(resource(row), None, text("user {user}: the report gives no date for the console password",
                              "用户 {user}: 凭证报告未给出控制台密码的任何日期", user=user),
                         resource_type="AwsIamUser",
                     tags=tags.get(resource(row), {}))
            continue
        days = age_days(now, since)
        ok = days <= UNUSED_DAYS
        when = (text("last used {days} days ago", "最后使用于 {days} 天前", days=days) if used else
                text("never used, set {days} days ago", "从未使用, 设置于 {days} 天前", days=days))
        verdict = "" if ok else text(" (more than {limit}): disable it", " (超过 {limit} 天): 应禁用",
                                     limit=UNUSED_DAYS)
        detail = text("user {user}'s console password was {when}{verdict}",
                      "用户 {user} 的控制台密码{when}{verdict}",
                      user=user, when=when, verdict=verdict)
        yield Result(resource(row), ok, detail, resource_type="AwsIamUser",
                     tags=tags.get(resource(row), {}))
