"""``ZoneNetwork``: one security zone's VPC (or the bridge's), as the platform file declares it.

* the VPC, tagged ``egov:zone``, ``egov:stack`` and ``Name`` (the checkers find it by these tags);
* one subnet per (tier, availability zone), in file order;
* one route table for the zone's subnets, holding a route to the transit gateway for each peer CIDR
  the compiled flows allow (nothing else leaves the VPC); for a zone with ``internet_gateway`` an
  internet gateway and a second, public route table (0.0.0.0/0 to the gateway, plus the same peer
  routes) for the public tiers only;
* the VPC's attachment to the transit gateway, in the attachment tier's subnets (one per AZ);
* a flow log of ALL traffic into the audit archive bucket;
* the default security group emptied and kept empty.

Resource names start with the zone name, so several zones live side by side in one stack.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pulumi
from pulumi_egov.ec2 import (
    DefaultSecurityGroupLockdown,
    FlowLog,
    InternetGateway,
    RouteTable,
    RouteTableAssociation,
    Subnet,
    TransitGatewayVpcAttachment,
    Vpc,
)

from infra.components.inputs import Reference, id_list, route
from infra.config import Network

DEFAULT_PUBLIC_TIERS = ("web",)


class ZoneNetwork(pulumi.ComponentResource):
    """A zone's network; see the module doc. ``subnet_ids[tier]`` lists the tier's subnets in AZ order."""

    vpc: Vpc
    subnets: dict[str, dict[str, Subnet]]
    route_table: RouteTable
    public_route_table: RouteTable | None
    attachment: TransitGatewayVpcAttachment
    flow_log: FlowLog

    def __init__(
        self,
        zone: str,
        *,
        stack: str,
        network: Network,
        transit_gateway_id: Reference,
        attachment_tier: str,
        peer_cidrs: Sequence[str],
        flow_log_bucket_arn: Reference,
        internet_gateway: bool = False,
        public_tiers: Sequence[str] = DEFAULT_PUBLIC_TIERS,
        tags: Mapping[str, str] | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        if attachment_tier not in network.subnets:
            raise ValueError(
                f"ZoneNetwork {zone}: attachment tier {attachment_tier!r} is not one of its tiers "
                f"({', '.join(network.subnets)})"
            )
        super().__init__("egov:components:ZoneNetwork", zone, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        base = {**(tags or {}), "egov:stack": stack, "egov:zone": zone, "egov:managed-by": "pulumi"}

        def named(suffix: str, **extra: str) -> dict[str, str]:
            return {**base, **extra, "Name": f"egov-{stack}-{zone}{'-' + suffix if suffix else ''}"}

        self.vpc = Vpc(
            f"{zone}-vpc",
            cidr_block=str(network.cidr),
            enable_dns_support=True,
            enable_dns_hostnames=True,
            tags=named(""),
            opts=child,
        )
        self.subnets = {}
        for tier, by_az in network.subnets.items():
            self.subnets[tier] = {
                az: Subnet(
                    f"{zone}-{tier}-{az}",
                    vpc_id=self.vpc.vpc_id,
                    cidr_block=str(cidr),
                    availability_zone=az,
                    map_public_ip_on_launch=False,
                    tags=named(f"{tier}-{az}", **{"egov:tier": tier}),
                    opts=child,
                )
                for az, cidr in by_az.items()
            }

        self.attachment = TransitGatewayVpcAttachment(
            f"{zone}-tgw-attachment",
            transit_gateway_id=transit_gateway_id,
            vpc_id=self.vpc.vpc_id,
            subnet_ids=id_list(self.subnet_ids[attachment_tier]),
            tags=named("tgw-attachment"),
            opts=child,
        )
        # A VPC route to a transit gateway needs the VPC attached to it first.
        after_attachment = pulumi.ResourceOptions(parent=self, depends_on=[self.attachment])
        peer_routes: list[dict[str, Any]] = [
            route(cidr, transit_gateway_id=transit_gateway_id) for cidr in sorted(peer_cidrs)
        ]
        self.route_table = RouteTable(
            f"{zone}-rt", vpc_id=self.vpc.vpc_id, routes=peer_routes, tags=named("rt"), opts=after_attachment
        )
        public = [tier for tier in public_tiers if tier in network.subnets] if internet_gateway else []
        self.public_route_table = None
        if internet_gateway:
            igw = InternetGateway(f"{zone}-igw", vpc_id=self.vpc.vpc_id, tags=named("igw"), opts=child)
            self.public_route_table = RouteTable(
                f"{zone}-public-rt",
                vpc_id=self.vpc.vpc_id,
                routes=[route("0.0.0.0/0", gateway_id=igw.internet_gateway_id), *peer_routes],
                tags=named("public-rt"),
                opts=after_attachment,
            )
        for tier, tier_subnets in self.subnets.items():
            table = self.public_route_table if tier in public and self.public_route_table else self.route_table
            for az, subnet in tier_subnets.items():
                RouteTableAssociation(
                    f"{zone}-{tier}-{az}-rt-assoc",
                    subnet_id=subnet.subnet_id,
                    route_table_id=table.route_table_id,
                    opts=child,
                )

        self.flow_log = FlowLog(
            f"{zone}-flow-log",
            resource_id=self.vpc.vpc_id,
            resource_type="VPC",
            traffic_type="ALL",
            log_destination_type="s3",
            log_destination=flow_log_bucket_arn,
            tags=named("flow-log"),
            opts=child,
        )
        DefaultSecurityGroupLockdown(
            f"{zone}-default-sg-lockdown", security_group_id=self.vpc.default_security_group_id, opts=child
        )
        self.register_outputs(
            {
                "vpcId": self.vpc.vpc_id,
                "subnetIds": self.subnet_ids,
                "routeTableIds": self.route_table_ids,
                "attachmentId": self.attachment_id,
            }
        )

    @property
    def vpc_id(self) -> pulumi.Output[str | None]:
        return self.vpc.vpc_id

    @property
    def subnet_ids(self) -> dict[str, list[pulumi.Output[str | None]]]:
        return {tier: [subnet.subnet_id for subnet in subnets.values()] for tier, subnets in self.subnets.items()}

    @property
    def route_table_ids(self) -> dict[str, pulumi.Output[str | None]]:
        ids = {"private": self.route_table.route_table_id}
        if self.public_route_table is not None:
            ids["public"] = self.public_route_table.route_table_id
        return ids

    @property
    def attachment_id(self) -> pulumi.Output[str | None]:
        return self.attachment.transit_gateway_attachment_id
