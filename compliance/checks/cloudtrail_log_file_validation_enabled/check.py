"""Every trail writes signed digest files, so tampering with audit records is detectable."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from compliance.checks.base import Evidence, Result, regional, tags_of


def rule(trail: Mapping[str, Any]) -> str | None:
    return None if trail.get("LogFileValidationEnabled") is True else "does not validate its log files"


def check(evidence: Evidence) -> Iterator[Result]:
    seen: set[str] = set()
    for region, trail in regional(evidence, "trails"):
        arn = trail.get("TrailARN") or trail["Name"]
        if arn in seen:  # a multi-region trail shows in every region
            continue
        seen.add(arn)
        problem = rule(trail)
        yield Result(arn, problem is None, f"trail {trail['Name']} {problem or 'validates its log files'}",
                     trail.get("HomeRegion", region), tags=tags_of(trail))
