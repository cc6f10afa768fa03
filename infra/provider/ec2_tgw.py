"""``egov:ec2:TransitGateway``: the hub the zones' VPCs attach to (see ``ec2_transit`` for what the
transit families share and the moto gaps they work around).

Isolation is the default: a transit gateway is created with default route table association and
propagation disabled, so an attachment reaches nothing until a declared association, propagation or
route says so.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from infra.provider import tags as tagging
from infra.provider.ec2 import ec2_filter, enum_failures, tag_specifications
from infra.provider.ec2_transit import (
    BLOCKED_CODES,
    DEFAULT_ASN,
    ENABLE_DISABLE,
    PRIVATE_ASN_RANGES,
    TGW_NOT_FOUND,
    TRANSIT_GATEWAY,
    TransitObjectHandler,
    tags_spec,
)
from infra.provider.errors import ApiError, ProviderError
from infra.provider.handler import CreateResult, Failure, HandlerContext, Lookup, PropertySpec, output

_TGW_OPTIONS = (
    ("defaultRouteTableAssociation", "DefaultRouteTableAssociation"),
    ("defaultRouteTablePropagation", "DefaultRouteTablePropagation"),
    ("dnsSupport", "DnsSupport"),
    ("vpnEcmpSupport", "VpnEcmpSupport"),
)


class TransitGatewayHandler(TransitObjectHandler):
    """A transit gateway; isolation by default (no default route table association or propagation)."""

    type_token = TRANSIT_GATEWAY
    description = "A transit gateway: the hub the zones' VPCs attach to. Nothing is routed unless declared."
    noun = "transit gateway"
    lookup = Lookup(
        "describe_transit_gateways", "TransitGatewayIds", "TransitGateways", "TransitGatewayId", TGW_NOT_FOUND
    )
    delete_method, delete_param = "delete_transit_gateway", "TransitGatewayId"
    properties = (
        PropertySpec(
            "description",
            "string",
            "What the transit gateway is for. Changing it replaces the transit gateway.",
            default="",
            replace_on_change=True,
        ),
        PropertySpec(
            "amazonSideAsn",
            "integer",
            "Private BGP ASN of the AWS side (64512-65534 or 4200000000-4294967294). Changing it replaces "
            "the transit gateway.",
            default=DEFAULT_ASN,
            replace_on_change=True,
        ),
        PropertySpec(
            "defaultRouteTableAssociation",
            "string",
            "enable or disable: whether new attachments are associated with the default route table. "
            "Disabled by default so no zone reaches another unless a declared association says so.",
            default="disable",
        ),
        PropertySpec(
            "defaultRouteTablePropagation",
            "string",
            "enable or disable: whether new attachments propagate routes to the default route table. "
            "Disabled by default so no zone learns another's routes unless a declared propagation says so.",
            default="disable",
        ),
        PropertySpec(
            "dnsSupport", "string", "enable or disable DNS resolution across attached VPCs.", default="enable"
        ),
        PropertySpec("vpnEcmpSupport", "string", "enable or disable equal-cost multi-path for VPN.", default="enable"),
        tags_spec(),
        output("transitGatewayId", "The transit gateway's id."),
        output("arn", "The transit gateway's ARN."),
        output("ownerId", "The account that owns the transit gateway."),
        output("associationDefaultRouteTableId", "The default association route table, if the cloud made one."),
        output("propagationDefaultRouteTableId", "The default propagation route table, if the cloud made one."),
    )

    def validate(self, inputs: dict[str, Any]) -> list[Failure]:
        failures: list[Failure] = []
        asn = inputs.get("amazonSideAsn")
        if isinstance(asn, int) and not any(low <= asn <= high for low, high in PRIVATE_ASN_RANGES):
            failures.append(
                Failure(
                    "amazonSideAsn",
                    f"amazonSideAsn {asn} is not a private ASN; use 64512-65534 or 4200000000-4294967294",
                )
            )
        for name, _ in _TGW_OPTIONS:
            failures += enum_failures(inputs, name, ENABLE_DISABLE)
        failures.extend(tagging.validate_tags(inputs.get("tags")))
        return failures

    # -- cloud ---------------------------------------------------------------------------------

    def _outputs(self, ctx: HandlerContext, item: dict[str, Any], reference: Mapping[str, Any]) -> dict[str, Any]:
        options = item.get("Options", {})
        outputs: dict[str, Any] = {
            "description": item.get("Description") or "",
            "amazonSideAsn": int(options.get("AmazonSideAsn", DEFAULT_ASN)),
        }
        for name, key in _TGW_OPTIONS:
            outputs[name] = options.get(key)
        outputs.update(
            tags=tagging.from_aws(item.get("Tags")),
            transitGatewayId=item["TransitGatewayId"],
            arn=item.get("TransitGatewayArn"),
            ownerId=item.get("OwnerId"),
            associationDefaultRouteTableId=options.get("AssociationDefaultRouteTableId"),
            propagationDefaultRouteTableId=options.get("PropagationDefaultRouteTableId"),
        )
        return outputs

    def create(self, ctx: HandlerContext, inputs: dict[str, Any]) -> CreateResult:
        options: dict[str, Any] = {
            "AmazonSideAsn": int(inputs.get("amazonSideAsn") or DEFAULT_ASN),
            # Another account's attachment joins only after review, never automatically.
            "AutoAcceptSharedAttachments": "disable",
        }
        defaults = {"defaultRouteTableAssociation": "disable", "defaultRouteTablePropagation": "disable"}
        for name, key in _TGW_OPTIONS:
            options[key] = inputs.get(name) or defaults.get(name, "enable")
        params: dict[str, Any] = {
            "Options": options,
            "TagSpecifications": tag_specifications(ctx, "transit-gateway", inputs.get("tags")),
        }
        if inputs.get("description"):
            params["Description"] = inputs["description"]
        tgw_id = str(ctx.call("ec2", "create_transit_gateway", **params)["TransitGateway"]["TransitGatewayId"])
        return self.finish_create(ctx, tgw_id, inputs, lambda: self._wait_available(ctx, tgw_id))

    def apply_update(self, ctx: HandlerContext, resource_id: str, live: dict[str, Any], news: dict[str, Any]) -> None:
        changed = {key: news[name] for name, key in _TGW_OPTIONS if news.get(name) and news[name] != live[name]}
        if changed:
            self._wait_available(ctx, resource_id)  # a gateway still modifying refuses another change
            ctx.call("ec2", "modify_transit_gateway", TransitGatewayId=resource_id, Options=changed)
            self._wait_available(ctx, resource_id)

    def _delete_refused(self, ctx: HandlerContext, tgw_id: str, cause: ApiError) -> ProviderError | None:
        """Name the attachments that keep a transit gateway from being deleted."""
        if cause.code not in BLOCKED_CODES:
            return None
        try:
            attachments = ctx.collect(
                "ec2",
                "describe_transit_gateway_attachments",
                "TransitGatewayAttachments",
                Filters=[ec2_filter("transit-gateway-id", tgw_id)],
            )
        except ProviderError:
            attachments = []
        blockers = [
            f"{a.get('ResourceType', 'attachment')} attachment {a['TransitGatewayAttachmentId']} "
            f"to {a.get('ResourceId')} ({a.get('State')})"
            for a in attachments
            if a.get("State") not in ("deleted", "failed", "rejected")
        ]
        what = "it still has: " + "; ".join(blockers) if blockers else "the cloud reports it is still in use"
        return ProviderError(
            f"{ctx.resource}: cannot delete transit gateway {tgw_id}: {what}. Delete those attachments first "
            f"(if Pulumi manages them, make them depend on this transit gateway). Cloud error: {cause}"
        )
