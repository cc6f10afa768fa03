"""``egov:ec2:TransitGatewayVpcAttachment``: a VPC attached to a transit gateway through one subnet per zone."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from infra.provider import tags as tagging
from infra.provider.ec2 import id_failures, id_list_failures, vpc_property
from infra.provider.ec2_transit import ATTACHMENT_NOT_FOUND, VPC_ATTACHMENT, TransitObjectHandler, tags_spec
from infra.provider.handler import (
    CheckResult,
    CreateResult,
    Failure,
    HandlerContext,
    Lookup,
    PropertySpec,
    contains_unknown,
    output,
)


class TransitGatewayVpcAttachmentHandler(TransitObjectHandler):
    """A VPC attached to a transit gateway through one subnet per availability zone."""

    type_token = VPC_ATTACHMENT
    description = "A VPC's attachment to a transit gateway."
    noun = "transit gateway attachment"
    lookup = Lookup(
        "describe_transit_gateway_vpc_attachments",
        "TransitGatewayAttachmentIds",
        "TransitGatewayVpcAttachments",
        "TransitGatewayAttachmentId",
        ATTACHMENT_NOT_FOUND,
    )
    delete_method, delete_param = "delete_transit_gateway_vpc_attachment", "TransitGatewayAttachmentId"
    finished_states = ("deleted", "rejected", "failed")
    properties = (
        PropertySpec(
            "transitGatewayId",
            "string",
            "The transit gateway. Changing it replaces the attachment.",
            required=True,
            replace_on_change=True,
        ),
        vpc_property("attachment"),
        PropertySpec(
            "subnetIds",
            "array",
            "Subnets (at most one per availability zone) the gateway's interfaces go into; changes in place.",
            required=True,
            item_type="string",
        ),
        tags_spec(),
        output("transitGatewayAttachmentId", "The attachment's id."),
        output("vpcOwnerId", "The account that owns the VPC."),
    )

    def check(self, ctx: HandlerContext, news: dict[str, Any], olds: dict[str, Any]) -> CheckResult:
        result = super().check(ctx, news, olds)
        subnets = result.inputs.get("subnetIds")
        # The cloud keeps no order, so neither do we: sorted, a reordering is not a change.
        if isinstance(subnets, list) and not contains_unknown(subnets) and all(isinstance(s, str) for s in subnets):
            result.inputs["subnetIds"] = sorted(subnets)
        return result

    def validate(self, inputs: dict[str, Any]) -> list[Failure]:
        failures = id_failures(inputs, "transitGatewayId", "tgw") + id_failures(inputs, "vpcId", "vpc")
        subnets = inputs.get("subnetIds")
        if isinstance(subnets, list) and not subnets:
            failures.append(Failure("subnetIds", "subnetIds is empty; an attachment needs at least one subnet"))
        failures += id_list_failures(inputs, "subnetIds", "subnet")
        failures += tagging.validate_tags(inputs.get("tags"))
        return failures

    def _outputs(self, ctx: HandlerContext, item: dict[str, Any], reference: Mapping[str, Any]) -> dict[str, Any]:
        return {
            "transitGatewayId": item.get("TransitGatewayId"),
            "vpcId": item.get("VpcId"),
            "subnetIds": sorted(str(s) for s in item.get("SubnetIds", [])),
            "tags": tagging.from_aws(item.get("Tags")),
            "transitGatewayAttachmentId": item["TransitGatewayAttachmentId"],
            "vpcOwnerId": item.get("VpcOwnerId"),
        }

    def create(self, ctx: HandlerContext, inputs: dict[str, Any]) -> CreateResult:
        wanted_tags = {**(inputs.get("tags") or {}), tagging.OWNER_TAG: ctx.resource.urn}
        response = ctx.call(
            "ec2",
            "create_transit_gateway_vpc_attachment",
            TransitGatewayId=inputs["transitGatewayId"],
            VpcId=inputs["vpcId"],
            SubnetIds=list(inputs["subnetIds"]),
            TagSpecifications=[{"ResourceType": "transit-gateway-attachment", "Tags": tagging.to_aws(wanted_tags)}],
        )
        attachment_id = str(response["TransitGatewayVpcAttachment"]["TransitGatewayAttachmentId"])

        def configure() -> None:
            # pendingAcceptance (a shared gateway whose owner has not accepted yet) keeps the wait going.
            self._wait_available(ctx, attachment_id)
            attachment = self._get(ctx, attachment_id) or {}
            # moto 5.2.5 drops the TagSpecifications of this call; AWS applies them atomically.
            have = tagging.from_aws(attachment.get("Tags"), include_reserved=True)
            missing = {key: value for key, value in wanted_tags.items() if have.get(key) != value}
            if missing:
                ctx.call("ec2", "create_tags", Resources=[attachment_id], Tags=tagging.to_aws(missing))

        return self.finish_create(ctx, attachment_id, inputs, configure)

    def apply_update(self, ctx: HandlerContext, resource_id: str, live: dict[str, Any], news: dict[str, Any]) -> None:
        wanted = set(news.get("subnetIds") or [])
        have = set(live["subnetIds"])
        add, remove = sorted(wanted - have), sorted(have - wanted)
        if add or remove:
            self._wait_available(ctx, resource_id)  # one modification at a time
            params: dict[str, Any] = {"TransitGatewayAttachmentId": resource_id}
            if add:
                params["AddSubnetIds"] = add
            if remove:
                params["RemoveSubnetIds"] = remove
            ctx.call("ec2", "modify_transit_gateway_vpc_attachment", **params)
            self._wait_available(ctx, resource_id)
