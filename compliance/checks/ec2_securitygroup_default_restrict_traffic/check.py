"""A VPC's default security group allows no traffic (CIS AWS 5.4): anything launched without an explicit
group would otherwise inherit its rules."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from compliance.checks.base import Evidence, Result, owner_tags, regional, vpc_owners
from compliance.text import text


def rule(group: Mapping[str, Any]) -> str | None:
    """Why this default group is too open, or None."""
    inbound = len(group.get("IpPermissions") or ())
    outbound = len(group.get("IpPermissionsEgress") or ())
    if inbound or outbound:
        return text("default security group has {inbound} inbound and {outbound} outbound rules; it should have none",
                    "默认安全组有 {inbound} 条入站和 {outbound} 条出站规则; 应当没有规则", inbound=inbound,
                    outbound=outbound)
    return None


def check(evidence: Evidence) -> Iterator[Result]:
    owners = vpc_owners(evidence)
    for region, group in regional(evidence, "security_groups"):
        if group.get("GroupName") != "default":
            continue
        problem = rule(group)
        yield Result(group["GroupId"], problem is None,
                     problem or text("default security group of {vpc} has no rules", "{vpc} 的默认安全组没有规则",
                                     vpc=group.get("VpcId")),
                     region, tags=owner_tags(owners, region, group))
