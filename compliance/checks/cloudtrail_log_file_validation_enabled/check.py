"""Every trail writes signed digest files, so tampering with audit records is detectable."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from compliance.checks.base import Evidence, Result, regional, tags_of
from compliance.text import text


def rule(trail: Mapping[str, Any]) -> str | None:
    return None if trail.get("LogFileValidationEnabled") is True else text("does not validate its log files",
                                                                           "未开启日志文件完整性校验")


def check(evidence: Evidence) -> Iterator[Result]:
    seen: set[str] = set()
    for region, trail in regional(evidence, "trails"):
        arn = trail.get("TrailARN") or trail["Name"]
        if arn in seen:  # a multi-region trail shows in every region
            continue
        seen.add(arn)
        problem = rule(trail)
        state = problem or text("validates its log files", "已开启日志文件完整性校验")
        yield Result(arn, problem is None, text("trail {name} {state}", "跟踪 {name} {state}", name=trail["Name"],
                                                state=state),
                     trail.get("HomeRegion", region), tags=tags_of(trail))
