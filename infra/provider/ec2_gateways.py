"""``egov:ec2:InternetGateway``: an internet gateway, attached to at most one VPC."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from infra.provider import tags as tagging
from infra.provider.ec2 import Ec2Handler, delete_with_grace, ec2_arn, id_failures, tag_specifications, tagged_identity
from infra.provider.handler import CreateResult, Failure, HandlerContext, Lookup, PropertySpec

INTERNET_GATEWAY_TYPE = "egov:ec2:InternetGateway"
IGW_NOT_FOUND = ("InvalidInternetGatewayID.NotFound",)


class InternetGatewayHandler(Ec2Handler):
    """An internet gateway, attached to at most one VPC; vpcId attaches/detaches in place."""

    type_token = INTERNET_GATEWAY_TYPE
    description = "An internet gateway, optionally attached to a VPC."
    noun = "internet gateway"
    lookup = Lookup(
        "describe_internet_gateways", "InternetGatewayIds", "InternetGateways", "InternetGatewayId", IGW_NOT_FOUND
    )
    properties = (
        PropertySpec(
            "vpcId",
            "string",
            "The VPC to attach to; changing it detaches and re-attaches in place, unset detaches.",
        ),
        *tagged_identity("internet gateway", "internetGatewayId", arn_of="gateway"),
    )

    def validate(self, inputs: dict[str, Any]) -> list[Failure]:
        return id_failures(inputs, "vpcId", "vpc") + tagging.validate_tags(inputs.get("tags"))

    def create(self, ctx: HandlerContext, inputs: dict[str, Any]) -> CreateResult:
        response = ctx.call(
            "ec2",
            "create_internet_gateway",
            TagSpecifications=tag_specifications(ctx, "internet-gateway", inputs.get("tags")),
        )
        gateway_id = str(response["InternetGateway"]["InternetGatewayId"])

        def attach() -> None:
            if inputs.get("vpcId"):
                ctx.call("ec2", "attach_internet_gateway", InternetGatewayId=gateway_id, VpcId=inputs["vpcId"])

        return self.finish_create(ctx, gateway_id, inputs, attach)

    @staticmethod
    def _attached_vpcs(gateway: Mapping[str, Any]) -> list[str]:
        return [
            str(a["VpcId"])
            for a in gateway.get("Attachments", []) or []
            if a.get("VpcId") and a.get("State") in ("available", "attached", "attaching")
        ]

    def _outputs(self, ctx: HandlerContext, item: dict[str, Any], reference: Mapping[str, Any]) -> dict[str, Any]:
        gateway_id = str(item["InternetGatewayId"])
        owner = str(item.get("OwnerId") or "") or None
        vpcs = self._attached_vpcs(item)
        return {
            "vpcId": vpcs[0] if vpcs else None,
            "tags": tagging.from_aws(item.get("Tags")),
            "internetGatewayId": gateway_id,
            "arn": ec2_arn(ctx, "internet-gateway", gateway_id, owner),
            "ownerId": owner,
        }

    def apply_update(self, ctx: HandlerContext, resource_id: str, live: dict[str, Any], news: dict[str, Any]) -> None:
        attached = self._attached_vpcs(self._get(ctx, resource_id) or {})  # outputs show only the first
        wanted = news.get("vpcId") or None
        for vpc_id in attached:
            if vpc_id != wanted:
                self._detach(ctx, resource_id, vpc_id)
        if wanted and wanted not in attached:
            ctx.call("ec2", "attach_internet_gateway", InternetGatewayId=resource_id, VpcId=wanted)

    def _detach(self, ctx: HandlerContext, gateway_id: str, vpc_id: str) -> None:
        """DetachInternetGateway; AWS refuses (DependencyViolation) while the VPC still has
        public addresses mapped, which may be on their way out, so that is retried a while."""
        delete_with_grace(
            ctx,
            lambda: ctx.call("ec2", "detach_internet_gateway", InternetGatewayId=gateway_id, VpcId=vpc_id),
            not_found=(*IGW_NOT_FOUND, "Gateway.NotAttached"),
            grace_seconds=self.dependency_grace_seconds,
            what=f"the attachment of internet gateway {gateway_id} to {vpc_id}",
        )

    def delete(self, ctx: HandlerContext, resource_id: str, state: dict[str, Any]) -> None:
        gateway = self._get(ctx, resource_id)
        if gateway is None:
            return
        for vpc_id in self._attached_vpcs(gateway):
            self._detach(ctx, resource_id, vpc_id)
        delete_with_grace(
            ctx,
            lambda: ctx.call("ec2", "delete_internet_gateway", InternetGatewayId=resource_id),
            not_found=IGW_NOT_FOUND,
            grace_seconds=self.dependency_grace_seconds,
            what=f"internet gateway {resource_id}",
        )
