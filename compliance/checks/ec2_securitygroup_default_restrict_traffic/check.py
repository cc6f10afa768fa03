"""A VPC's default security group allows no traffic (CIS AWS 5.4): anything launched without an explicit
group would otherwise inherit its rules."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from compliance.checks.base import Evidence, Result, owner_tags, regional, vpc_owners


def rule(group: Mapping[str, Any]) -> str | None:
    """Why this default group is too open, or None."""
    inbound = len(group.get("IpPermissions") or ())
    outbound = len(group.get("IpPermissionsEgress") or ())
    if inbound or outbound:
        return f"default security group has {inbound} inbound and {outbound} outbound rules; it should have none"
    return None


def check(evidence: Evidence) -> Iterator[Result]:
    owners = vpc_owners(evidence)
    for region, group in regional(evidence, "security_groups"):
        if group.get("GroupName") != "default":
            continue
        problem = rule(group)
        yield Result(group["GroupId"], problem is None,
                     problem or f"default security group of {group.get('VpcId')} has no rules",
                     region, tags=owner_tags(owners, region, group))
