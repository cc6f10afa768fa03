"""``egov:ec2:Subnet``: a subnet of a VPC in one availability zone."""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from typing import Any

from infra.provider import tags as tagging
from infra.provider.ec2 import (
    Ec2Handler,
    cidr_failures,
    delete_with_grace,
    ec2_arn,
    ec2_filter,
    id_failures,
    tag_specifications,
    tagged_identity,
    vpc_property,
)
from infra.provider.errors import ProviderError
from infra.provider.handler import (
    CreateResult,
    Failure,
    HandlerContext,
    Lookup,
    PropertySpec,
    changed,
    is_unknown,
    output,
)

SUBNET_TYPE = "egov:ec2:Subnet"
SUBNET_NOT_FOUND = ("InvalidSubnetID.NotFound",)
SUBNET_MIN_PREFIX = 16
SUBNET_MAX_PREFIX = 28


class SubnetHandler(Ec2Handler):
    """A subnet of a VPC in one availability zone.

    vpcId, cidrBlock and availabilityZone replace the subnet; mapPublicIpOnLaunch and
    tags change in place. A replacement whose new CIDR overlaps the old one in the same
    VPC (an AZ move, a resize) deletes the old subnet first, since AWS refuses
    overlapping subnets.
    """

    type_token = SUBNET_TYPE
    description = "A subnet of a VPC, in one availability zone."
    noun = "subnet"
    outputs_after_tag_sync = True
    lookup = Lookup("describe_subnets", "SubnetIds", "Subnets", "SubnetId", SUBNET_NOT_FOUND)
    properties = (
        vpc_property("subnet"),
        PropertySpec(
            "cidrBlock",
            "string",
            f"IPv4 CIDR block inside the VPC's, /{SUBNET_MIN_PREFIX} to /{SUBNET_MAX_PREFIX}. "
            "Changing it replaces the subnet.",
            required=True,
            replace_on_change=True,
        ),
        PropertySpec(
            "availabilityZone",
            "string",
            "Availability zone, e.g. cn-north-1a. Changing it replaces the subnet.",
            required=True,
            replace_on_change=True,
        ),
        PropertySpec(
            "mapPublicIpOnLaunch",
            "boolean",
            "Whether instances launched here get a public IPv4 address.",
            default=False,
        ),
        *tagged_identity("subnet", "subnetId"),
        output("availabilityZoneId", "The zone's id (e.g. cnn1-az1)."),
    )

    def validate(self, inputs: dict[str, Any]) -> list[Failure]:
        failures = id_failures(inputs, "vpcId", "vpc")
        failures += cidr_failures(inputs, "cidrBlock", min_prefix=SUBNET_MIN_PREFIX, max_prefix=SUBNET_MAX_PREFIX)
        failures += tagging.validate_tags(inputs.get("tags"))
        return failures

    def replacement_collides(self, old_state: Mapping[str, Any], news: Mapping[str, Any]) -> bool:
        """Whether the new subnet would overlap the old one in the same VPC (AWS refuses that)."""
        if changed(old_state, news, "vpcId"):
            return is_unknown(news.get("vpcId"))  # maybe the same VPC after all
        old, new = old_state.get("cidrBlock"), news.get("cidrBlock")
        if not isinstance(old, str) or not isinstance(new, str):
            return True
        try:
            return ipaddress.IPv4Network(old).overlaps(ipaddress.IPv4Network(new))
        except ValueError:
            return True

    def create(self, ctx: HandlerContext, inputs: dict[str, Any]) -> CreateResult:
        response = ctx.call(
            "ec2",
            "create_subnet",
            VpcId=inputs["vpcId"],
            CidrBlock=inputs["cidrBlock"],
            AvailabilityZone=inputs["availabilityZone"],
            TagSpecifications=tag_specifications(ctx, "subnet", inputs.get("tags")),
        )
        created = dict(response["Subnet"])
        subnet_id = str(created["SubnetId"])
        # The response describes the subnet; when it is available already and nothing is changed after,
        # neither the wait nor a describe could learn more.
        ready = created.get("State") == "available"
        map_public_ip = bool(inputs.get("mapPublicIpOnLaunch"))

        def configure() -> None:
            if not ready:
                ctx.wait_until(f"subnet {subnet_id} to become available", lambda: self._available(ctx, subnet_id))
            # Set either way: a cloud may make the first subnet of an availability zone "default for the AZ",
            # with public addresses on launch (moto does, e.g. once a default VPC's subnets are deleted).
            current = created if ready else (self._get(ctx, subnet_id) or {})
            if map_public_ip or bool(current.get("MapPublicIpOnLaunch")):
                self._set_map_public_ip(ctx, subnet_id, map_public_ip)

        changed_after = map_public_ip or bool(created.get("MapPublicIpOnLaunch"))
        item = created if ready and not changed_after else None
        return self.finish_create(ctx, subnet_id, inputs, configure, item=item)

    def _available(self, ctx: HandlerContext, subnet_id: str) -> bool:
        subnet = self._get(ctx, subnet_id)
        return subnet is not None and subnet.get("State", "available") == "available"

    @staticmethod
    def _set_map_public_ip(ctx: HandlerContext, subnet_id: str, value: bool) -> None:
        ctx.call("ec2", "modify_subnet_attribute", SubnetId=subnet_id, MapPublicIpOnLaunch={"Value": value})

    def _outputs(self, ctx: HandlerContext, item: dict[str, Any], reference: Mapping[str, Any]) -> dict[str, Any]:
        subnet_id = str(item["SubnetId"])
        owner = str(item.get("OwnerId") or "") or None
        return {
            "vpcId": item.get("VpcId"),
            "cidrBlock": item.get("CidrBlock"),
            "availabilityZone": item.get("AvailabilityZone"),
            "mapPublicIpOnLaunch": bool(item.get("MapPublicIpOnLaunch", False)),
            "tags": tagging.from_aws(item.get("Tags")),
            "subnetId": subnet_id,
            "arn": ec2_arn(ctx, "subnet", subnet_id, owner),
            "ownerId": owner,
            "availabilityZoneId": item.get("AvailabilityZoneId"),
        }

    def apply_update(self, ctx: HandlerContext, resource_id: str, live: dict[str, Any], news: dict[str, Any]) -> None:
        wanted = bool(news.get("mapPublicIpOnLaunch", False))
        if wanted != live["mapPublicIpOnLaunch"]:
            self._set_map_public_ip(ctx, resource_id, wanted)

    def delete(self, ctx: HandlerContext, resource_id: str, state: dict[str, Any]) -> None:
        def blockers() -> list[str]:
            try:
                interfaces = ctx.collect(
                    "ec2",
                    "describe_network_interfaces",
                    "NetworkInterfaces",
                    Filters=[ec2_filter("subnet-id", resource_id)],
                )
            except ProviderError:
                return []
            return [
                f"network interface {n['NetworkInterfaceId']} ({n.get('Description') or n.get('Status')})"
                for n in interfaces
            ]

        delete_with_grace(
            ctx,
            lambda: ctx.call("ec2", "delete_subnet", SubnetId=resource_id),
            not_found=SUBNET_NOT_FOUND,
            grace_seconds=self.dependency_grace_seconds,
            blockers=blockers,
            what=f"subnet {resource_id}",
        )
