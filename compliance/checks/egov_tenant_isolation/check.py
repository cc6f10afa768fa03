"""Tenants' networks are isolated from each other (GB/T 22239 8.2.2.1 b), HR case 7.2.1.2): no peering,
no transit route and no security-group reference from one tenant's VPC to another's."""

from __future__ import annotations

from collections.abc import Iterator

from compliance.checks.base import Evidence, Result, name_of
from compliance.checks.network import RegionNetwork, networks, unjudgeable


def problems(net: RegionNetwork, vpc_id: str) -> list[str]:
    tenant = net.tenant(vpc_id)
    found = []

    def foreign(other: str) -> bool:
        return bool(net.tenant(other)) and net.tenant(other) != tenant

    for peering, other in net.active_peers(vpc_id):
        if foreign(other):
            found.append(f"peering {peering} to tenant {net.tenant(other)}'s VPC {other}")
    for destination, attachment, behind in net.transit_destinations(vpc_id):
        if attachment and foreign(behind):
            found.append(f"transit route {destination} -> {attachment} reaches tenant "
                         f"{net.tenant(behind)}'s VPC {behind}")
    for group in net.groups.get(vpc_id, []):
        for permission in group.get("IpPermissions") or ():
            for pair in permission.get("UserIdGroupPairs") or ():
                other = net.group_vpc.get(str(pair.get("GroupId")), str(pair.get("VpcId") or ""))
                if foreign(other):
                    found.append(f"security group {group.get('GroupId')} admits tenant {net.tenant(other)}'s "
                                 f"group {pair.get('GroupId')}")
    return found


def check(evidence: Evidence) -> Iterator[Result]:
    for region, net in networks(evidence).items():
        for vpc_id, vpc in net.vpcs.items():
            tenant = net.tenant(vpc_id)
            if not tenant:
                continue
            found = problems(net, vpc_id)
            who = f"tenant {tenant}'s VPC {name_of(vpc, vpc_id)}"
            detail = f"{who}: " + "; ".join(found) if found else f"{who} has no path to another tenant"
            unknown = net.unknown_routes(vpc_id)
            if unknown and not found:
                yield Result(vpc_id, None, f"{who}: {unjudgeable(unknown)}", region, "AwsEc2Vpc", net.tags[vpc_id])
                continue
            yield Result(vpc_id, not found, detail, region, "AwsEc2Vpc", net.tags[vpc_id])
