"""Transit gateway resources as Pulumi programs see them.

Same pattern as ``ec2.py``: typed snake_case constructors, the provider's camelCase names in the props
sent to the engine, every output declared (as ``None``) so the SDK makes an ``Output`` for it, and
snake_case properties reading those outputs back. No cloud access here.

A transit gateway routes nothing by default: ``default_route_table_association`` and
``default_route_table_propagation`` default to ``"disable"`` in the provider, so zones reach each other
only through the associations, propagations and routes a program declares.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pulumi

from infra.resources.base import EgovResource, TaggedResource, Tags
from infra.resources.base import output as _output

TRANSIT_GATEWAY_TYPE = "egov:ec2:TransitGateway"
ROUTE_TABLE_TYPE = "egov:ec2:TransitGatewayRouteTable"
VPC_ATTACHMENT_TYPE = "egov:ec2:TransitGatewayVpcAttachment"
ASSOCIATION_TYPE = "egov:ec2:TransitGatewayRouteTableAssociation"
PROPAGATION_TYPE = "egov:ec2:TransitGatewayRouteTablePropagation"
ROUTE_TYPE = "egov:ec2:TransitGatewayRoute"


class TransitGateway(TaggedResource):
    """A transit gateway. ``description`` and ``amazon_side_asn`` replace it; the options and tags update in place."""

    TYPE = TRANSIT_GATEWAY_TYPE
    INPUTS = (
        "description",
        "amazonSideAsn",
        "defaultRouteTableAssociation",
        "defaultRouteTablePropagation",
        "dnsSupport",
        "vpnEcmpSupport",
        "tags",
    )
    OUTPUTS = (
        "transitGatewayId",
        "arn",
        "ownerId",
        "associationDefaultRouteTableId",
        "propagationDefaultRouteTableId",
    )

    def __init__(
        self,
        resource_name: str,
        *,
        description: pulumi.Input[str] | None = None,
        amazon_side_asn: pulumi.Input[int] | None = None,
        default_route_table_association: pulumi.Input[str] | None = None,
        default_route_table_propagation: pulumi.Input[str] | None = None,
        dns_support: pulumi.Input[str] | None = None,
        vpn_ecmp_support: pulumi.Input[str] | None = None,
        tags: Tags | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        props: dict[str, Any] = {
            "description": description,
            "amazonSideAsn": amazon_side_asn,
            "defaultRouteTableAssociation": default_route_table_association,
            "defaultRouteTablePropagation": default_route_table_propagation,
            "dnsSupport": dns_support,
            "vpnEcmpSupport": vpn_ecmp_support,
            "tags": tags,
        }
        self._register(resource_name, props, opts)

    @property
    def transit_gateway_id(self) -> pulumi.Output[str]:
        return _output(self, "transitGatewayId")

    @property
    def arn(self) -> pulumi.Output[str]:
        return _output(self, "arn")

    @property
    def owner_id(self) -> pulumi.Output[str]:
        return _output(self, "ownerId")

    @property
    def association_default_route_table_id(self) -> pulumi.Output[str | None]:
        """None when default association is disabled (on AWS; moto makes a default table regardless)."""
        return _output(self, "associationDefaultRouteTableId")

    @property
    def propagation_default_route_table_id(self) -> pulumi.Output[str | None]:
        return _output(self, "propagationDefaultRouteTableId")

    @property
    def description(self) -> pulumi.Output[str]:
        return _output(self, "description")

    @property
    def amazon_side_asn(self) -> pulumi.Output[int]:
        return _output(self, "amazonSideAsn")

    @property
    def default_route_table_association(self) -> pulumi.Output[str]:
        return _output(self, "defaultRouteTableAssociation")

    @property
    def default_route_table_propagation(self) -> pulumi.Output[str]:
        return _output(self, "defaultRouteTablePropagation")

    @property
    def dns_support(self) -> pulumi.Output[str]:
        return _output(self, "dnsSupport")

    @property
    def vpn_ecmp_support(self) -> pulumi.Output[str]:
        return _output(self, "vpnEcmpSupport")


class TransitGatewayRouteTable(TaggedResource):
    """A transit gateway route table. ``transit_gateway_id`` replaces it; tags update in place."""

    TYPE = ROUTE_TABLE_TYPE
    INPUTS = ("transitGatewayId", "tags")
    OUTPUTS = ("transitGatewayRouteTableId", "defaultAssociationRouteTable", "defaultPropagationRouteTable")

    def __init__(
        self,
        resource_name: str,
        *,
        transit_gateway_id: pulumi.Input[str],
        tags: Tags | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        self._register(resource_name, {"transitGatewayId": transit_gateway_id, "tags": tags}, opts)

    @property
    def transit_gateway_route_table_id(self) -> pulumi.Output[str]:
        return _output(self, "transitGatewayRouteTableId")

    @property
    def transit_gateway_id(self) -> pulumi.Output[str]:
        return _output(self, "transitGatewayId")

    @property
    def default_association_route_table(self) -> pulumi.Output[bool]:
        return _output(self, "defaultAssociationRouteTable")

    @property
    def default_propagation_route_table(self) -> pulumi.Output[bool]:
        return _output(self, "defaultPropagationRouteTable")


class TransitGatewayVpcAttachment(TaggedResource):
    """A VPC attached to a transit gateway. The gateway or VPC replace it; subnets and tags update in place."""

    TYPE = VPC_ATTACHMENT_TYPE
    INPUTS = ("transitGatewayId", "vpcId", "subnetIds", "tags")
    OUTPUTS = ("transitGatewayAttachmentId", "vpcOwnerId")

    def __init__(
        self,
        resource_name: str,
        *,
        transit_gateway_id: pulumi.Input[str],
        vpc_id: pulumi.Input[str],
        subnet_ids: pulumi.Input[Sequence[pulumi.Input[str]]],
        tags: Tags | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        props: dict[str, Any] = {
            "transitGatewayId": transit_gateway_id,
            "vpcId": vpc_id,
            "subnetIds": subnet_ids,
            "tags": tags,
        }
        self._register(resource_name, props, opts)

    @property
    def transit_gateway_attachment_id(self) -> pulumi.Output[str]:
        return _output(self, "transitGatewayAttachmentId")

    @property
    def vpc_owner_id(self) -> pulumi.Output[str]:
        return _output(self, "vpcOwnerId")

    @property
    def transit_gateway_id(self) -> pulumi.Output[str]:
        return _output(self, "transitGatewayId")

    @property
    def vpc_id(self) -> pulumi.Output[str]:
        return _output(self, "vpcId")

    @property
    def subnet_ids(self) -> pulumi.Output[list[str]]:
        """Sorted: the cloud keeps no order."""
        return _output(self, "subnetIds")


class _RouteTableLink(EgovResource):
    INPUTS = ("transitGatewayAttachmentId", "transitGatewayRouteTableId")
    OUTPUTS = ("resourceId", "resourceType")

    def __init__(
        self,
        resource_name: str,
        *,
        transit_gateway_attachment_id: pulumi.Input[str],
        transit_gateway_route_table_id: pulumi.Input[str],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        props: dict[str, Any] = {
            "transitGatewayAttachmentId": transit_gateway_attachment_id,
            "transitGatewayRouteTableId": transit_gateway_route_table_id,
        }
        self._register(resource_name, props, opts)

    @property
    def transit_gateway_attachment_id(self) -> pulumi.Output[str]:
        return _output(self, "transitGatewayAttachmentId")

    @property
    def transit_gateway_route_table_id(self) -> pulumi.Output[str]:
        return _output(self, "transitGatewayRouteTableId")

    @property
    def resource_id(self) -> pulumi.Output[str]:
        """What is attached, e.g. the VPC id."""
        return _output(self, "resourceId")

    @property
    def resource_type(self) -> pulumi.Output[str]:
        return _output(self, "resourceType")


class TransitGatewayRouteTableAssociation(_RouteTableLink):
    """The route table that routes an attachment's traffic. Any change replaces it (old one removed first).

    Id: ``<route table id>_<attachment id>``.
    """

    TYPE = ASSOCIATION_TYPE


class TransitGatewayRouteTablePropagation(_RouteTableLink):
    """An attachment's routes propagated into a route table. Any change replaces it.

    Id: ``<route table id>_<attachment id>``.
    """

    TYPE = PROPAGATION_TYPE


class TransitGatewayRoute(EgovResource):
    """A static route. The CIDR or route table replace it; the target (attachment or blackhole) changes in place.

    Give exactly one of ``transit_gateway_attachment_id`` or ``blackhole=True``. Id: ``<route table id>_<CIDR>``.
    """

    TYPE = ROUTE_TYPE
    INPUTS = ("destinationCidrBlock", "transitGatewayRouteTableId", "transitGatewayAttachmentId", "blackhole")
    OUTPUTS = ("state",)

    def __init__(
        self,
        resource_name: str,
        *,
        destination_cidr_block: pulumi.Input[str],
        transit_gateway_route_table_id: pulumi.Input[str],
        transit_gateway_attachment_id: pulumi.Input[str] | None = None,
        blackhole: pulumi.Input[bool] | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        props: dict[str, Any] = {
            "destinationCidrBlock": destination_cidr_block,
            "transitGatewayRouteTableId": transit_gateway_route_table_id,
            "transitGatewayAttachmentId": transit_gateway_attachment_id,
            "blackhole": blackhole,
        }
        self._register(resource_name, props, opts)

    @property
    def destination_cidr_block(self) -> pulumi.Output[str]:
        return _output(self, "destinationCidrBlock")

    @property
    def transit_gateway_route_table_id(self) -> pulumi.Output[str]:
        return _output(self, "transitGatewayRouteTableId")

    @property
    def transit_gateway_attachment_id(self) -> pulumi.Output[str | None]:
        return _output(self, "transitGatewayAttachmentId")

    @property
    def blackhole(self) -> pulumi.Output[bool]:
        return _output(self, "blackhole")

    @property
    def state(self) -> pulumi.Output[str]:
        """active, or blackhole (also when the attachment it pointed to is gone)."""
        return _output(self, "state")
