"""EC2 networking resources as Pulumi programs see them.

The props dict sent to the engine uses the provider's camelCase names. Every output
is also declared (as ``None``, which the SDK does not send) so the SDK creates an
``Output`` for it; the snake_case properties below read those outputs back.
"""

from __future__ import annotations

from typing import Any

import pulumi

from infra.resources.base import TaggedResource, Tags
from infra.resources.base import output as _output

VPC_TYPE = "egov:ec2:Vpc"

_VPC_OUTPUTS = (
    "vpcId",
    "arn",
    "ownerId",
    "defaultSecurityGroupId",
    "defaultNetworkAclId",
    "mainRouteTableId",
)


class Vpc(TaggedResource):
    """A VPC. Changing ``cidr_block`` or ``instance_tenancy`` replaces it; tags and DNS update in place."""

    TYPE = VPC_TYPE
    INPUTS = ("cidrBlock", "tags", "enableDnsSupport", "enableDnsHostnames", "instanceTenancy")
    OUTPUTS = _VPC_OUTPUTS

    def __init__(
        self,
        resource_name: str,
        *,
        cidr_block: pulumi.Input[str],
        tags: Tags | None = None,
        enable_dns_support: pulumi.Input[bool] | None = None,
        enable_dns_hostnames: pulumi.Input[bool] | None = None,
        instance_tenancy: pulumi.Input[str] | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        props: dict[str, Any] = {
            "cidrBlock": cidr_block,
            "tags": tags,
            "enableDnsSupport": enable_dns_support,
            "enableDnsHostnames": enable_dns_hostnames,
            "instanceTenancy": instance_tenancy,
        }
        self._register(resource_name, props, opts)

    @staticmethod
    def get(resource_name: str, vpc_id: pulumi.Input[str], opts: pulumi.ResourceOptions | None = None) -> Vpc:
        """Look up an existing VPC by id without managing it."""
        return Vpc._lookup(resource_name, vpc_id, opts)

    @property
    def vpc_id(self) -> pulumi.Output[str]:
        return _output(self, "vpcId")

    @property
    def arn(self) -> pulumi.Output[str | None]:
        """None when the region's ARN partition is unknown (a non-AWS region name)."""
        return _output(self, "arn")

    @property
    def owner_id(self) -> pulumi.Output[str]:
        return _output(self, "ownerId")

    @property
    def cidr_block(self) -> pulumi.Output[str]:
        return _output(self, "cidrBlock")

    @property
    def instance_tenancy(self) -> pulumi.Output[str]:
        return _output(self, "instanceTenancy")

    @property
    def enable_dns_support(self) -> pulumi.Output[bool]:
        return _output(self, "enableDnsSupport")

    @property
    def enable_dns_hostnames(self) -> pulumi.Output[bool]:
        return _output(self, "enableDnsHostnames")

    @property
    def default_security_group_id(self) -> pulumi.Output[str]:
        return _output(self, "defaultSecurityGroupId")

    @property
    def default_network_acl_id(self) -> pulumi.Output[str]:
        return _output(self, "defaultNetworkAclId")

    @property
    def main_route_table_id(self) -> pulumi.Output[str]:
        return _output(self, "mainRouteTableId")
