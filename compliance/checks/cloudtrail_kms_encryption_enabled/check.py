"""Every trail encrypts its log files with a KMS key (audit records protected at rest)."""

from __future__ import annotations

from collections.abc import Iterator

from compliance.checks.base import Evidence, Result, regional, tags_of
from compliance.text import text


def check(evidence: Evidence) -> Iterator[Result]:
    seen: set[str] = set()
    for region, trail in regional(evidence, "trails"):
        arn = trail.get("TrailARN") or trail["Name"]
        if arn in seen:
            continue
        seen.add(arn)
        key = trail.get("KmsKeyId")
        detail = (text("trail {name} encrypts with {key}", "跟踪 {name} 使用 {key} 加密", name=trail["Name"], key=key)
                  if key else text("trail {name} does not encrypt with a KMS key", "跟踪 {name} 未使用 KMS 密钥加密",
                                   name=trail["Name"]))
        yield Result(arn, bool(key), detail, trail.get("HomeRegion", region), tags=tags_of(trail))
