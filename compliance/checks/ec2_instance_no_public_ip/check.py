"""No instance outside the Internet zone has a public IPv4 address (the zone is its VPC's egov:zone tag)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from compliance.checks.base import ZONE_TAG, Evidence, Result, name_of, regional, tags_of
from compliance.rules import public_ip_outside_internet
from compliance.text import Text, text


def rule(instance: Mapping[str, Any], zone: str | None) -> Text | None:
    return public_ip_outside_internet(instance, zone)


def check(evidence: Evidence) -> Iterator[Result]:
    zones = {(region, str(vpc.get("VpcId"))): tags_of(vpc).get(ZONE_TAG) for region, vpc in regional(evidence, "vpcs")}
    for region, instance in regional(evidence, "instances"):
        problem = rule(instance, zones.get((region, str(instance.get("VpcId")))))
        who = name_of(instance, f"instance {instance['InstanceId']}")
        detail = (text("{who} {problem}", "{who} {problem}", who=who, problem=problem) if problem
                  else text("{who} has no public address outside the Internet zone", "{who} 在互联网区以外没有公网地址",
                            who=who))
        yield Result(instance["InstanceId"], problem is None, detail, region, tags=tags_of(instance))
