"""Audit logs are kept at least 180 days (网络安全法 第21条; HR case 6.5.1.2)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from compliance.checks.base import Evidence, Result, regional, tags_of
from compliance.rules import RETENTION_MINIMUM_DAYS, retention_too_short
from compliance.text import text

MINIMUM_DAYS = RETENTION_MINIMUM_DAYS


def rule(group: Mapping[str, Any]) -> str | None:
    return retention_too_short(group, MINIMUM_DAYS)


def check(evidence: Evidence) -> Iterator[Result]:
    for region, group in regional(evidence, "log_groups"):
        problem = rule(group)
        days = group.get("retentionInDays")
        kept = (text("keeps events without expiry", "日志永久保留") if days is None
                else text("keeps events {days} days", "日志保留 {days} 天", days=days))
        yield Result(group.get("arn") or group["logGroupName"], problem is None,
                     text("log group {name} {state}", "日志组 {name} {state}", name=group["logGroupName"],
                          state=problem or kept), region, tags=tags_of(group))
