"""Block storage is encrypted by default in every region, so no volume can be created in clear."""

from __future__ import annotations

from collections.abc import Iterator

from compliance.checks.base import Evidence, Result, regional_value


def check(evidence: Evidence) -> Iterator[Result]:
    for region, enabled in regional_value(evidence, "ebs_encryption_by_default"):
        detail = "EBS encryption by default is on" if enabled is True else "EBS encryption by default is off"
        yield Result(f"ebs-default-encryption:{region}", enabled is True, f"{region}: {detail}", region,
                     "AwsAccount")
