"""Every trail encrypts its log files with a KMS key (audit records protected at rest)."""

from __future__ import annotations

from collections.abc import Iterator

from compliance.checks.base import Evidence, Result, regional, tags_of


def check(evidence: Evidence) -> Iterator[Result]:
    seen: set[str] = set()
    for region, trail in regional(evidence, "trails"):
        arn = trail.get("TrailARN") or trail["Name"]
        if arn in seen:
            continue
        seen.add(arn)
        key = trail.get("KmsKeyId")
        detail = f"trail {trail['Name']} " + (f"encrypts with {key}" if key else "does not encrypt with a KMS key")
        yield Result(arn, bool(key), detail, trail.get("HomeRegion", region), tags=tags_of(trail))
