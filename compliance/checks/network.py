"""Reading the network graph out of cloud evidence: zones, tenants, routes and attachments of each VPC.

Shared by the e-government isolation checks; pure functions over the evidence bundle.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from compliance.checks.base import TENANT_TAG, ZONE_TAG, Evidence, regional, tags_of

INTERNET_TARGETS = ("GatewayId", "NatGatewayId", "EgressOnlyInternetGatewayId")


@dataclass
class RegionNetwork:
    """One region's VPCs with their tags, route tables, subnets, groups, peerings and transit routes."""

    vpcs: dict[str, Mapping[str, Any]] = field(default_factory=dict)
    tags: dict[str, dict[str, str]] = field(default_factory=dict)
    route_tables: dict[str, list[Mapping[str, Any]]] = field(default_factory=dict)
    subnets: dict[str, list[Mapping[str, Any]]] = field(default_factory=dict)
    groups: dict[str, list[Mapping[str, Any]]] = field(default_factory=dict)
    group_vpc: dict[str, str] = field(default_factory=dict)
    peerings: list[Mapping[str, Any]] = field(default_factory=list)
    attachments: dict[str, Mapping[str, Any]] = field(default_factory=dict)
    tgw_routes: dict[str, list[Mapping[str, Any]]] = field(default_factory=dict)

    def zone(self, vpc_id: str) -> str:
        return self.tags.get(vpc_id, {}).get(ZONE_TAG, "")

    def tenant(self, vpc_id: str) -> str:
        return self.tags.get(vpc_id, {}).get(TENANT_TAG, "")

    def active_peers(self, vpc_id: str) -> list[tuple[str, str]]:
        """(peering id, the other VPC) for each active or pending peering of ``vpc_id``."""
        peers = []
        for peering in self.peerings:
            if (peering.get("Status") or {}).get("Code") not in ("active", "pending-acceptance", "provisioning"):
                continue
            ends = ((peering.get("RequesterVpcInfo") or {}).get("VpcId"),
                    (peering.get("AccepterVpcInfo") or {}).get("VpcId"))
            if vpc_id in ends:
                other = ends[1] if ends[0] == vpc_id else ends[0]
                peers.append((str(peering.get("VpcPeeringConnectionId")), str(other)))
        return peers

    def transit_destinations(self, vpc_id: str) -> list[tuple[str, str, str]]:
        """(destination CIDR, attachment id, VPC behind it) reachable from ``vpc_id``'s attachments through
        the transit-gateway route table each attachment is associated with."""
        found = []
        for attachment in self.attachments.values():
            if attachment.get("ResourceId") != vpc_id:
                continue
            table = (attachment.get("Association") or {}).get("TransitGatewayRouteTableId")
            for route in self.tgw_routes.get(str(table), []):
                if route.get("State") == "blackhole":
                    continue
                for target in route.get("TransitGatewayAttachments") or ():
                    target_id = str(target.get("TransitGatewayAttachmentId"))
                    behind = target.get("ResourceId") or (self.attachments.get(target_id) or {}).get("ResourceId")
                    found.append((str(route.get("DestinationCidrBlock")), target_id, str(behind or "")))
        return found


def networks(evidence: Evidence) -> dict[str, RegionNetwork]:
    """Every scanned region's network graph."""
    result: dict[str, RegionNetwork] = {}

    def net(region: str) -> RegionNetwork:
        return result.setdefault(region, RegionNetwork())

    for region, vpc in regional(evidence, "vpcs"):
        net(region).vpcs[vpc["VpcId"]] = vpc
        net(region).tags[vpc["VpcId"]] = tags_of(vpc)
    for region, table in regional(evidence, "route_tables"):
        net(region).route_tables.setdefault(str(table.get("VpcId")), []).append(table)
    for region, subnet in regional(evidence, "subnets"):
        net(region).subnets.setdefault(str(subnet.get("VpcId")), []).append(subnet)
    for region, group in regional(evidence, "security_groups"):
        net(region).groups.setdefault(str(group.get("VpcId")), []).append(group)
        net(region).group_vpc[str(group["GroupId"])] = str(group.get("VpcId"))
    for region, peering in regional(evidence, "vpc_peering_connections"):
        net(region).peerings.append(peering)
    for region, attachment in regional(evidence, "transit_gateway_attachments"):
        net(region).attachments[str(attachment["TransitGatewayAttachmentId"])] = attachment
    for region, table in regional(evidence, "transit_gateway_route_tables"):
        net(region).tgw_routes[str(table["TransitGatewayRouteTableId"])] = list(table.get("Routes") or ())
    return result


def internet_routes(table: Mapping[str, Any]) -> list[str]:
    """Routes of a VPC route table that lead straight to the Internet (gateway, NAT, egress-only)."""
    found = []
    for route in table.get("Routes") or ():
        for key in INTERNET_TARGETS:
            target = str(route.get(key) or "")
            if target.startswith(("igw-", "nat-", "eigw-")):
                destination = route.get("DestinationCidrBlock") or route.get("DestinationIpv6CidrBlock")
                found.append(f"{table.get('RouteTableId')}: {destination} -> {target}")
    return found
