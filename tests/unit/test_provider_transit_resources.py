"""The program-side transit wrappers under Pulumi's mocks: camelCase inputs out, outputs back."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pulumi
import pytest

registered: list[pulumi.runtime.MockResourceArgs] = []

OUTPUTS: dict[str, dict[str, Any]] = {
    "egov:ec2:TransitGateway": {
        "transitGatewayId": "tgw-1",
        "arn": "arn:aws-cn:ec2:cn-north-1:123456789012:transit-gateway/tgw-1",
        "ownerId": "123456789012",
        "defaultRouteTableAssociation": "disable",
    },
    "egov:ec2:TransitGatewayRouteTable": {"transitGatewayRouteTableId": "tgw-rtb-1"},
    "egov:ec2:TransitGatewayVpcAttachment": {"transitGatewayAttachmentId": "tgw-attach-1", "vpcOwnerId": "1"},
    "egov:ec2:TransitGatewayRouteTableAssociation": {"resourceId": "vpc-1", "resourceType": "vpc"},
    "egov:ec2:TransitGatewayRouteTablePropagation": {"resourceId": "vpc-1", "resourceType": "vpc"},
    "egov:ec2:TransitGatewayRoute": {"state": "active", "blackhole": False},
}
IDS = {
    "egov:ec2:TransitGateway": "tgw-1",
    "egov:ec2:TransitGatewayRouteTable": "tgw-rtb-1",
    "egov:ec2:TransitGatewayVpcAttachment": "tgw-attach-1",
    "egov:ec2:TransitGatewayRouteTableAssociation": "tgw-rtb-1_tgw-attach-1",
    "egov:ec2:TransitGatewayRouteTablePropagation": "tgw-rtb-1_tgw-attach-1",
    "egov:ec2:TransitGatewayRoute": "tgw-rtb-1_10.2.0.0/16",
}


@pytest.fixture(autouse=True)
def _mocks(pulumi_mocks: Callable[..., Any]) -> None:
    pulumi_mocks(registered, outputs=lambda args: OUTPUTS[args.typ], resource_id=lambda args: IDS[args.typ])


@pulumi.runtime.test
def test_transit_wrappers_send_camel_case_and_expose_outputs() -> Any:
    from infra.resources.transit import (
        TransitGateway,
        TransitGatewayRoute,
        TransitGatewayRouteTable,
        TransitGatewayRouteTableAssociation,
        TransitGatewayRouteTablePropagation,
        TransitGatewayVpcAttachment,
    )

    tgw = TransitGateway("hub", description="zones", amazon_side_asn=64600, dns_support="enable", tags={"a": "1"})
    table = TransitGatewayRouteTable("zone-a", transit_gateway_id=tgw.transit_gateway_id)
    attachment = TransitGatewayVpcAttachment(
        "zone-a", transit_gateway_id=tgw.transit_gateway_id, vpc_id="vpc-1", subnet_ids=["subnet-1"]
    )
    association = TransitGatewayRouteTableAssociation(
        "zone-a",
        transit_gateway_attachment_id=attachment.transit_gateway_attachment_id,
        transit_gateway_route_table_id=table.transit_gateway_route_table_id,
    )
    propagation = TransitGatewayRouteTablePropagation(
        "zone-a",
        transit_gateway_attachment_id=attachment.transit_gateway_attachment_id,
        transit_gateway_route_table_id=table.transit_gateway_route_table_id,
    )
    route = TransitGatewayRoute(
        "to-b",
        destination_cidr_block="10.2.0.0/16",
        transit_gateway_route_table_id=table.transit_gateway_route_table_id,
        transit_gateway_attachment_id=attachment.transit_gateway_attachment_id,
    )

    def verify(values: list[Any]) -> None:
        tgw_id, arn, rtb_id, attach_id, resource_id, resource_type, state, association_id, route_id = values
        assert (tgw_id, rtb_id, attach_id) == ("tgw-1", "tgw-rtb-1", "tgw-attach-1")
        assert arn.endswith(":transit-gateway/tgw-1")
        assert (resource_id, resource_type, state) == ("vpc-1", "vpc", "active")
        assert association_id == "tgw-rtb-1_tgw-attach-1"
        assert route_id == "tgw-rtb-1_10.2.0.0/16"
        by_type = {args.typ: args for args in registered}
        assert by_type["egov:ec2:TransitGateway"].inputs == {
            "description": "zones",
            "amazonSideAsn": 64600,
            "dnsSupport": "enable",
            "tags": {"a": "1"},
        }
        assert by_type["egov:ec2:TransitGatewayRouteTable"].inputs == {"transitGatewayId": "tgw-1"}
        assert by_type["egov:ec2:TransitGatewayVpcAttachment"].inputs == {
            "transitGatewayId": "tgw-1",
            "vpcId": "vpc-1",
            "subnetIds": ["subnet-1"],
        }
        link = {"transitGatewayAttachmentId": "tgw-attach-1", "transitGatewayRouteTableId": "tgw-rtb-1"}
        assert by_type["egov:ec2:TransitGatewayRouteTableAssociation"].inputs == link
        assert by_type["egov:ec2:TransitGatewayRouteTablePropagation"].inputs == link
        assert by_type["egov:ec2:TransitGatewayRoute"].inputs == {
            "destinationCidrBlock": "10.2.0.0/16",
            **link,
        }

    return pulumi.Output.all(
        tgw.transit_gateway_id,
        tgw.arn,
        table.transit_gateway_route_table_id,
        attachment.transit_gateway_attachment_id,
        association.resource_id,
        propagation.resource_type,
        route.state,
        association.id,
        route.id,
    ).apply(verify)


@pulumi.runtime.test
def test_get_reads_an_existing_route_by_its_composite_id() -> Any:
    from infra.resources.transit import TransitGatewayRoute

    route = TransitGatewayRoute.get("legacy", "tgw-rtb-1_10.2.0.0/16")
    assert isinstance(route, TransitGatewayRoute)

    def verify(values: list[Any]) -> None:
        route_id, state = values
        assert route_id == "tgw-rtb-1_10.2.0.0/16" and state == "active"
        (args,) = registered
        assert args.typ == "egov:ec2:TransitGatewayRoute" and args.resource_id == "tgw-rtb-1_10.2.0.0/16"

    return pulumi.Output.all(route.id, route.state).apply(verify)


def test_transit_wrappers_do_not_use_boto3() -> None:
    import infra.resources.transit as module

    assert module.__file__ is not None
    assert "boto3" not in Path(module.__file__).read_text()
