"""The e-government extranet (政务外网) is logically isolated from the Internet: from an extranet-zone VPC
there is no route to an Internet or NAT gateway, no peering around the bridge, no public address on launch,
no inbound rule from the Internet, and its transit routes lead only to the bridge (中办发 2002 第17号)."""

from __future__ import annotations

from collections.abc import Iterator

from compliance.checks.base import Evidence, Result, name_of
from compliance.checks.ec2_securitygroup_allow_ingress_from_internet_to_all_ports.check import open_to_internet
from compliance.checks.network import RegionNetwork, internet_routes, networks, unjudgeable
from compliance.text import Text, join, text

EXTRANET = "extranet"
BRIDGE = "bridge"


def problems(net: RegionNetwork, vpc_id: str) -> list[Text]:
    """Every path from the extranet VPC ``vpc_id`` that does not go through the bridge."""
    found = []
    for table in net.route_tables.get(vpc_id, []):
        found += [text("route to the Internet {route}", "通往互联网的路由 {route}", route=route)
                  for route in internet_routes(table)]
    for peering, other in net.active_peers(vpc_id):
        found.append(text("peering {peering} to {other} (zone {zone}) bypasses the bridge",
                          "对等连接 {peering} 通往 {other} (区域 {zone}), 绕过了桥接", peering=peering, other=other,
                          zone=net.zone(other) or "untagged"))
    for subnet in net.subnets.get(vpc_id, []):
        if subnet.get("MapPublicIpOnLaunch") is True:
            found.append(text("subnet {id} gives public addresses on launch", "子网 {id} 启动时分配公网地址",
                              id=subnet.get("SubnetId")))
    for group in net.groups.get(vpc_id, []):
        if any(open_to_internet(permission) for permission in group.get("IpPermissions") or ()):
            found.append(text("security group {id} admits the Internet", "安全组 {id} 允许互联网访问",
                              id=group.get("GroupId")))
    for destination, attachment, behind in net.transit_destinations(vpc_id):
        if attachment and behind != vpc_id and net.zone(behind) != BRIDGE:
            found.append(text("transit route {dest} -> {att} (VPC {vpc}, zone {zone}) does not go through the bridge",
                              "中转路由 {dest} -> {att} (VPC {vpc}, 区域 {zone}) 未经过桥接", dest=destination,
                              att=attachment, vpc=behind or "?", zone=net.zone(behind) or "untagged"))
    return found


def check(evidence: Evidence) -> Iterator[Result]:
    for region, net in networks(evidence).items():
        for vpc_id, vpc in net.vpcs.items():
            if net.zone(vpc_id) != EXTRANET:
                continue
            found = problems(net, vpc_id)
            who = text("extranet VPC {name}", "外网 VPC {name}", name=name_of(vpc, vpc_id))
            detail = (text("{who}: {found}", "{who}: {found}", who=who, found=join(found)) if found
                      else text("{who} reaches other zones only through the bridge", "{who} 仅经由桥接访问其他区域",
                                who=who))
            unknown = net.unknown_routes(vpc_id)
            if unknown and not found:
                yield Result(vpc_id, None, text("{who}: {why}", "{who}: {why}", who=who, why=unjudgeable(unknown)),
                             region, "AwsEc2Vpc", net.tags[vpc_id])
                continue
            yield Result(vpc_id, not found, detail, region, "AwsEc2Vpc", net.tags[vpc_id])
