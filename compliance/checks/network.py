"""Reading the network graph out of cloud evidence: zones, tenants, routes and attachments of each VPC.

Shared by the e-government isolation checks; pure functions over the evidence bundle.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from compliance.checks.base import TENANT_TAG, ZONE_TAG, Evidence, regional, tags_of
from compliance.rules.network import internet_routes  # one definition, shared with the policy pack
from compliance.text import Text, text

__all__ = ["RegionNetwork", "internet_routes", "networks", "unjudgeable"]



@dataclass
class RegionNetwork:
    """One region's VPCs with their tags, route tables, subnets, groups, peerings and transit routes."""

    vpcs: dict[str, Mapping[str, Any]] = field(default_factory=dict)
    tags: dict[str, dict[str, str]] = field(default_factory=dict)
    route_tables: dict[str, list[Mapping[str, Any]]] = field(default_factory=dict)
    subnets: dict[str, list[Mapping[str, Any]]] = field(default_factory=dict)
    groups: dict[str, list[Mapping[str, Any]]] = field(default_factory=dict)
    acls: dict[str, list[Mapping[str, Any]]] = field(default_factory=dict)
    group_vpc: dict[str, str] = field(default_factory=dict)
    peerings: list[Mapping[str, Any]] = field(default_factory=list)
    attachments: dict[str, Mapping[str, Any]] = field(default_factory=dict)
    tgw_routes: dict[str, list[Mapping[str, Any]]] = field(default_factory=dict)
    associated_table: dict[str, str] = field(default_factory=dict)
    """attachment -> the transit route table it uses, as the tables report their associations."""
    declared_targets: dict[tuple[str, str], str] = field(default_factory=dict)
    """(route table, destination) -> attachment, from Pulumi state, for clouds that do not name targets."""

    def zone(self, vpc_id: str) -> str:
        return self.tags.get(vpc_id, {}).get(ZONE_TAG, "")

    def blocks(self, vpc_id: str) -> list[str]:
        """The VPC's CIDR blocks, primary and associated."""
        vpc = self.vpcs.get(vpc_id) or {}
        found = [str(a.get("CidrBlock")) for a in vpc.get("CidrBlockAssociationSet") or ()
                 if (a.get("CidrBlockState") or {}).get("State", "associated") == "associated"]
        return [b for b in dict.fromkeys([str(vpc.get("CidrBlock")), *found]) if b != "None"]

    def zone_blocks(self, zone: str) -> list[str]:
        """Every CIDR block of the VPCs tagged with ``zone``."""
        return [block for vpc_id in self.vpcs if self.zone(vpc_id) == zone for block in self.blocks(vpc_id)]

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
        the transit-gateway route table each attachment is associated with. A route whose target neither the
        cloud nor Pulumi state names comes back with attachment "" and VPC "?" (see ``unknown_routes``)."""
        found = []
        for attachment in self.attachments.values():
            if attachment.get("ResourceId") != vpc_id:
                continue
            attachment_id = str(attachment.get("TransitGatewayAttachmentId"))
            table = self.associated_table.get(attachment_id) or str(
                (attachment.get("Association") or {}).get("TransitGatewayRouteTableId"))
            for route in self.tgw_routes.get(table, []):
                if route.get("State") == "blackhole":
                    continue
                destination = str(route.get("DestinationCidrBlock"))
                targets = [(str(t.get("TransitGatewayAttachmentId")), t.get("ResourceId"))
                           for t in route.get("TransitGatewayAttachments") or ()]
                if not targets and (table, destination) in self.declared_targets:
                    targets = [(self.declared_targets[(table, destination)], None)]
                if not targets:
                    found.append((destination, "", "?"))
                for target_id, resource in targets:
                    behind = resource or (self.attachments.get(target_id) or {}).get("ResourceId")
                    found.append((destination, target_id, str(behind or "")))
        return found

    def unknown_routes(self, vpc_id: str) -> list[str]:
        return [destination for destination, target, _ in self.transit_destinations(vpc_id) if not target]


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
    for region, acl in regional(evidence, "network_acls"):
        net(region).acls.setdefault(str(acl.get("VpcId")), []).append(acl)
    for region, peering in regional(evidence, "vpc_peering_connections"):
        net(region).peerings.append(peering)
    for region, attachment in regional(evidence, "transit_gateway_attachments"):
        net(region).attachments[str(attachment["TransitGatewayAttachmentId"])] = attachment
    for region, table in regional(evidence, "transit_gateway_route_tables"):
        net(region).tgw_routes[str(table["TransitGatewayRouteTableId"])] = list(table.get("Routes") or ())
        for association in table.get("Associations") or ():
            if association.get("State", "associated") == "associated":
                net(region).associated_table[str(association.get("TransitGatewayAttachmentId"))] = str(
                    table["TransitGatewayRouteTableId"])
    state = evidence.get("state")
    declared = ((state.get("global") or {}).get("transit_routes") or ()) if isinstance(state, Mapping) else ()
    for route in declared:
        for network in result.values():
            network.declared_targets[(str(route["table"]), str(route["destination"]))] = str(route["attachment"])
    return result


def unjudgeable(unknown: list[str]) -> Text:
    return text("transit routes to {routes} name no attachment (the cloud's answer leaves the target out and no Pulumi "
                "state declares it), so isolation cannot be judged",
                "通往 {routes} 的中转路由没有指明挂载 (云的应答缺少目标, Pulumi 状态中也没有声明), 无法判定隔离",
                routes=", ".join(unknown))
