"""Every resource lives in an allowed (mainland China) region: infrastructure location (8.2.1.1), tenant data
and personal information stored domestically (8.2.4.5 a), PIPL 第36条)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from compliance.checks.base import Evidence, Result, allowed_regions, cloud, global_value, tags_of
from compliance.rules import region_outside
from compliance.text import text

KIND_ZH = {"vpcs": "VPC", "volumes": "卷", "kms_keys": "密钥", "log_groups": "日志组"}
REGIONAL_KINDS = {"vpcs": "VpcId", "volumes": "VolumeId", "kms_keys": "KeyId", "log_groups": "logGroupName"}


def rule(region: str, allowed: list[str]) -> str | None:
    return region_outside(region, allowed)


def _resources(region_data: Mapping[str, Any]) -> Iterator[tuple[str, str, Mapping[str, Any]]]:
    for kind, id_key in REGIONAL_KINDS.items():
        for item in region_data.get(kind) or ():
            if kind == "vpcs" and item.get("IsDefault"):
                continue
            if kind == "kms_keys" and item.get("KeyManager") == "AWS":
                continue
            yield kind, str(item.get(id_key)), item


def check(evidence: Evidence) -> Iterator[Result]:
    allowed = allowed_regions(evidence)
    for bucket in global_value(evidence, "buckets") or ():
        region = str(bucket.get("Region") or "")
        problem = rule(region, allowed)
        state = problem or text("is in {region}", "位于 {region}", region=region)
        yield Result(bucket["Name"], problem is None, text("bucket {name} {state}", "存储桶 {name} {state}",
                                                           name=bucket["Name"], state=state),
                     region, "AwsS3Bucket", tags_of(bucket))
    regions: Mapping[str, Any] = cloud(evidence).get("regions") or {}
    others: Mapping[str, Any] = global_value(evidence, "other_regions") or {}
    for region, data in [*sorted(regions.items()), *sorted(others.items())]:
        outside = [(kind, rid, item) for kind, rid, item in _resources(data)]
        if region in allowed:
            yield Result(f"region:{region}", True, text("{region} is an allowed region ({n} resources)",
                                                        "{region} 是允许的区域 ({n} 个资源)", region=region,
                                                        n=len(outside)), region, "AwsRegion")
            continue
        for kind, resource_id, item in outside:
            yield Result(resource_id, False, text("{kind} {id} {problem}", "{kind_zh} {id} {problem}", kind=kind[:-1],
                                                  kind_zh=KIND_ZH.get(kind, kind), id=resource_id,
                                                  problem=rule(region, allowed)), region, tags=tags_of(item))
        if not outside:
            yield Result(f"region:{region}", True, text("{region} holds no resources", "{region} 内没有资源",
                                                        region=region), region, "AwsRegion")
