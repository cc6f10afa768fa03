"""The e-government extranet (政务外网) is logically isolated from the Internet: from an extranet-zone VPC
there is no route to an Internet or NAT gateway, no peering around the bridge, no public address on launch,
no inbound rule from the Internet, and its transit routes lead only to the bridge (中办发 2002 第17号)."""

from __future__ import annotations

from collections.abc import Iterator

from compliance.checks.base import Evidence, Result, name_of
from compliance.checks.ec2_securitygroup_allow_ingress_from_internet_to_all_ports.check import open_to_internet
from compliance.checks.network import RegionNetwork, internet_routes, networks, unjudgeable

EXTRANET = "extranet"
BRIDGE = "bridge"


def problems(net: RegionNetwork, vpc_id: str) -> list[str]:
    """Every path from the extranet VPC ``vpc_id`` that does not go through the bridge."""
    found = []
    for table in net.route_tables.get(vpc_id, []):
        found += [f"route to the Internet {route}" for route in internet_routes(table)]
    for peering, other in net.active_peers(vpc_id):
        found.append(f"peering {peering} to {other} (zone {net.zone(other) or 'untagged'}) bypasses the bridge")
    for subnet in net.subnets.get(vpc_id, []):
        if subnet.get("MapPublicIpOnLaunch") is True:
            found.append(f"subnet {subnet.get('SubnetId')} gives public addresses on launch")
    for group in net.groups.get(vpc_id, []):
        if any(open_to_internet(permission) for permission in group.get("IpPermissions") or ()):
            found.append(f"security group {group.get('GroupId')} admits the Internet")
    for destination, attachment, behind in net.transit_destinations(vpc_id):
        if attachment and behind != vpc_id and net.zone(behind) != BRIDGE:
            found.append(f"transit route {destination} -> {attachment} (VPC {behind or '?'}, zone "
                         f"{net.zone(behind) or 'untagged'}) does not go through the bridge")
    return found


def check(evidence: Evidence) -> Iterator[Result]:
    for region, net in networks(evidence).items():
        for vpc_id, vpc in net.vpcs.items():
            if net.zone(vpc_id) != EXTRANET:
                continue
            found = problems(net, vpc_id)
            who = f"extranet VPC {name_of(vpc, vpc_id)}"
            detail = f"{who}: " + "; ".join(found) if found else f"{who} reaches other zones only through the bridge"
            unknown = net.unknown_routes(vpc_id)
            if unknown and not found:
                yield Result(vpc_id, None, f"{who}: {unjudgeable(unknown)}", region, "AwsEc2Vpc", net.tags[vpc_id])
                continue
            yield Result(vpc_id, not found, detail, region, "AwsEc2Vpc", net.tags[vpc_id])
