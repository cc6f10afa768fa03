"""No instance outside the Internet zone has a public IPv4 address (the zone is its VPC's egov:zone tag)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from compliance.checks.base import ZONE_TAG, Evidence, Result, name_of, regional, tags_of
from compliance.rules import public_ip_outside_internet


def rule(instance: Mapping[str, Any], zone: str | None) -> str | None:
    return public_ip_outside_internet(instance, zone)


def check(evidence: Evidence) -> Iterator[Result]:
    zones = {(region, str(vpc.get("VpcId"))): tags_of(vpc).get(ZONE_TAG) for region, vpc in regional(evidence, "vpcs")}
    for region, instance in regional(evidence, "instances"):
        problem = rule(instance, zones.get((region, str(instance.get("VpcId")))))
        who = name_of(instance, f"instance {instance['InstanceId']}")
        yield Result(instance["InstanceId"], problem is None,
                     f"{who} {problem or 'has no public address outside the Internet zone'}", region,
                     tags=tags_of(instance))
