"""Block storage is encrypted by default in every region, so no volume can be created in clear."""

from __future__ import annotations

from collections.abc import Iterator

from compliance.checks.base import Evidence, Result, regional_value
from compliance.text import text


def check(evidence: Evidence) -> Iterator[Result]:
    for region, enabled in regional_value(evidence, "ebs_encryption_by_default"):
        detail = (text("{region}: EBS encryption by default is on", "{region}: 已开启 EBS 默认加密", region=region)
                  if enabled is True else
                  text("{region}: EBS encryption by default is off", "{region}: 未开启 EBS 默认加密", region=region))
        yield Result(f"ebs-default-encryption:{region}", enabled is True, detail, region,
                     "AwsAccount")
