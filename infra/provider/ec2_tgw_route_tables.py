"""``egov:ec2:TransitGatewayRouteTable``: one per zone, holding exactly the routes that zone may use."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from infra.provider import tags as tagging
from infra.provider.ec2 import id_failures, tag_specifications
from infra.provider.ec2_transit import ROUTE_TABLE, ROUTE_TABLE_NOT_FOUND, TransitObjectHandler, tags_spec
from infra.provider.handler import CreateResult, Failure, HandlerContext, Lookup, PropertySpec, output


class TransitGatewayRouteTableHandler(TransitObjectHandler):
    """A transit gateway route table: one per zone, holding exactly the routes that zone may use."""

    type_token = ROUTE_TABLE
    description = "A transit gateway route table."
    noun = "transit gateway route table"
    lookup = Lookup(
        "describe_transit_gateway_route_tables",
        "TransitGatewayRouteTableIds",
        "TransitGatewayRouteTables",
        "TransitGatewayRouteTableId",
        ROUTE_TABLE_NOT_FOUND,
    )
    delete_method, delete_param = "delete_transit_gateway_route_table", "TransitGatewayRouteTableId"
    properties = (
        PropertySpec(
            "transitGatewayId",
            "string",
            "The transit gateway the table belongs to. Changing it replaces the table.",
            required=True,
            replace_on_change=True,
        ),
        tags_spec(),
        output("transitGatewayRouteTableId", "The route table's id."),
        output(
            "defaultAssociationRouteTable", "Whether this is the gateway's default association route table.", "boolean"
        ),
        output(
            "defaultPropagationRouteTable", "Whether this is the gateway's default propagation route table.", "boolean"
        ),
    )

    def validate(self, inputs: dict[str, Any]) -> list[Failure]:
        return id_failures(inputs, "transitGatewayId", "tgw") + tagging.validate_tags(inputs.get("tags"))

    def _outputs(self, ctx: HandlerContext, item: dict[str, Any], reference: Mapping[str, Any]) -> dict[str, Any]:
        return {
            "transitGatewayId": item.get("TransitGatewayId"),
            "tags": tagging.from_aws(item.get("Tags")),
            "transitGatewayRouteTableId": item["TransitGatewayRouteTableId"],
            "defaultAssociationRouteTable": bool(item.get("DefaultAssociationRouteTable", False)),
            "defaultPropagationRouteTable": bool(item.get("DefaultPropagationRouteTable", False)),
        }

    def create(self, ctx: HandlerContext, inputs: dict[str, Any]) -> CreateResult:
        response = ctx.call(
            "ec2",
            "create_transit_gateway_route_table",
            TransitGatewayId=inputs["transitGatewayId"],
            TagSpecifications=tag_specifications(ctx, "transit-gateway-route-table", inputs.get("tags")),
        )
        table_id = str(response["TransitGatewayRouteTable"]["TransitGatewayRouteTableId"])
        return self.finish_create(ctx, table_id, inputs, lambda: self._wait_available(ctx, table_id))
