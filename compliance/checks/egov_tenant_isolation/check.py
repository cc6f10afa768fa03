"""Tenants' networks are isolated from each other (GB/T 22239 8.2.2.1 b), HR case 7.2.1.2): no peering,
no transit route and no security-group reference from one tenant's VPC to another's."""

from __future__ import annotations

from collections.abc import Iterator

from compliance.checks.base import Evidence, Result, name_of
from compliance.checks.network import RegionNetwork, networks, unjudgeable
from compliance.text import Text, join, text


def problems(net: RegionNetwork, vpc_id: str) -> list[Text]:
    tenant = net.tenant(vpc_id)
    found: list[Text] = []

    def foreign(other: str) -> bool:
        return bool(net.tenant(other)) and net.tenant(other) != tenant

    for peering, other in net.active_peers(vpc_id):
        if foreign(other):
            found.append(text("peering {peering} to tenant {tenant}'s VPC {other}",
                              "对等连接 {peering} 通往租户 {tenant} 的 VPC {other}", peering=peering,
                              tenant=net.tenant(other), other=other))
    for destination, attachment, behind in net.transit_destinations(vpc_id):
        if attachment and foreign(behind):
            found.append(text("transit route {dest} -> {att} reaches tenant {tenant}'s VPC {vpc}",
                              "中转路由 {dest} -> {att} 可达租户 {tenant} 的 VPC {vpc}", dest=destination,
                              att=attachment, tenant=net.tenant(behind), vpc=behind))
    for group in net.groups.get(vpc_id, []):
        for permission in group.get("IpPermissions") or ():
            for pair in permission.get("UserIdGroupPairs") or ():
                other = net.group_vpc.get(str(pair.get("GroupId")), str(pair.get("VpcId") or ""))
                if foreign(other):
                    found.append(text("security group {id} admits tenant {tenant}'s group {other}",
                                      "安全组 {id} 允许租户 {tenant} 的安全组 {other} 访问", id=group.get("GroupId"),
                                      tenant=net.tenant(other), other=pair.get("GroupId")))
    return found


def check(evidence: Evidence) -> Iterator[Result]:
    for region, net in networks(evidence).items():
        for vpc_id, vpc in net.vpcs.items():
            tenant = net.tenant(vpc_id)
            if not tenant:
                continue
            found = problems(net, vpc_id)
            who = text("tenant {tenant}'s VPC {name}", "租户 {tenant} 的 VPC {name}", tenant=tenant,
                       name=name_of(vpc, vpc_id))
            detail = (text("{who}: {found}", "{who}: {found}", who=who, found=join(found)) if found
                      else text("{who} has no path to another tenant", "{who} 没有通往其他租户的路径", who=who))
            unknown = net.unknown_routes(vpc_id)
            if unknown and not found:
                yield Result(vpc_id, None, text("{who}: {why}", "{who}: {why}", who=who, why=unjudgeable(unknown)),
                             region, "AwsEc2Vpc", net.tags[vpc_id])
                continue
            yield Result(vpc_id, not found, detail, region, "AwsEc2Vpc", net.tags[vpc_id])
