"""EC2 networking around a VPC as Pulumi programs see them: subnets, gateways, route tables,
security groups, network ACLs, flow logs and VPC endpoints.

Same pattern as ``infra.resources.ec2``: typed snake_case keyword arguments become the
provider's camelCase properties; every output is declared (as ``None``, which the SDK does
not send) so the SDK creates an ``Output`` for it, and snake_case properties read them back.
The behaviour (what replaces, what changes in place) is documented on the provider's
handlers in ``infra/provider/ec2_*.py``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, TypedDict

import pulumi

from infra.resources.base import EgovResource, R, TaggedResource, Tags
from infra.resources.base import output as _output

SUBNET_TYPE = "egov:ec2:Subnet"
INTERNET_GATEWAY_TYPE = "egov:ec2:InternetGateway"
ROUTE_TABLE_TYPE = "egov:ec2:RouteTable"
ROUTE_TABLE_ASSOCIATION_TYPE = "egov:ec2:RouteTableAssociation"
SECURITY_GROUP_TYPE = "egov:ec2:SecurityGroup"
SECURITY_GROUP_RULE_TYPE = "egov:ec2:SecurityGroupRule"
DEFAULT_SECURITY_GROUP_LOCKDOWN_TYPE = "egov:ec2:DefaultSecurityGroupLockdown"
SECURITY_GROUP_RULE_GUARD_TYPE = "egov:ec2:SecurityGroupRuleGuard"
NETWORK_ACL_TYPE = "egov:ec2:NetworkAcl"
NETWORK_ACL_ENTRY_TYPE = "egov:ec2:NetworkAclEntry"
FLOW_LOG_TYPE = "egov:ec2:FlowLog"
VPC_ENDPOINT_TYPE = "egov:ec2:VpcEndpoint"

Ids = pulumi.Input[Sequence[pulumi.Input[str]]]


class RouteArgs(TypedDict, total=False):
    """One route of a RouteTable: a destination and exactly one target.

    camelCase keys (``destinationCidrBlock``...) are accepted as well.
    """

    destination_cidr_block: pulumi.Input[str]
    gateway_id: pulumi.Input[str]
    nat_gateway_id: pulumi.Input[str]
    transit_gateway_id: pulumi.Input[str]
    vpc_endpoint_id: pulumi.Input[str]
    network_interface_id: pulumi.Input[str]
    vpc_peering_connection_id: pulumi.Input[str]


_ROUTE_KEYS = {
    "destination_cidr_block": "destinationCidrBlock",
    "gateway_id": "gatewayId",
    "nat_gateway_id": "natGatewayId",
    "transit_gateway_id": "transitGatewayId",
    "vpc_endpoint_id": "vpcEndpointId",
    "network_interface_id": "networkInterfaceId",
    "vpc_peering_connection_id": "vpcPeeringConnectionId",
}


def _camel_route(route: Mapping[str, Any]) -> dict[str, Any]:
    """snake_case route keys to the provider's camelCase (unknown keys pass through for check to name)."""
    return {_ROUTE_KEYS.get(key, key): value for key, value in route.items()}


def _camel_routes(routes: Any) -> Any:
    if routes is None:
        return None
    if isinstance(routes, pulumi.Output):
        return routes.apply(lambda items: [_camel_route(r) for r in items or []])
    converted: list[Any] = []
    for route in routes:
        if isinstance(route, pulumi.Output):
            converted.append(route.apply(_camel_route))
        else:
            converted.append(_camel_route(route))
    return converted


class _NetworkResource(EgovResource):
    """The network wrappers' ``get`` names the id ``id``."""

    @classmethod
    def get(cls: type[R], resource_name: str, id: pulumi.Input[str], opts: pulumi.ResourceOptions | None = None) -> R:
        """Look up an existing resource by its id without managing it."""
        return cls._lookup(resource_name, id, opts)


class _Tagged(_NetworkResource, TaggedResource):
    """A network resource with user tags."""


class Subnet(_Tagged):
    """A subnet. vpc_id, cidr_block and availability_zone replace it; the rest updates in place."""

    TYPE = SUBNET_TYPE
    INPUTS = ("vpcId", "cidrBlock", "availabilityZone", "mapPublicIpOnLaunch", "tags")
    OUTPUTS = ("subnetId", "arn", "ownerId", "availabilityZoneId")

    def __init__(
        self,
        resource_name: str,
        *,
        vpc_id: pulumi.Input[str],
        cidr_block: pulumi.Input[str],
        availability_zone: pulumi.Input[str],
        map_public_ip_on_launch: pulumi.Input[bool] | None = None,
        tags: Tags | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        props: dict[str, Any] = {
            "vpcId": vpc_id,
            "cidrBlock": cidr_block,
            "availabilityZone": availability_zone,
            "mapPublicIpOnLaunch": map_public_ip_on_launch,
            "tags": tags,
        }
        self._register(resource_name, props, opts)

    @property
    def subnet_id(self) -> pulumi.Output[str]:
        return _output(self, "subnetId")

    @property
    def arn(self) -> pulumi.Output[str | None]:
        return _output(self, "arn")

    @property
    def owner_id(self) -> pulumi.Output[str]:
        return _output(self, "ownerId")

    @property
    def availability_zone_id(self) -> pulumi.Output[str]:
        return _output(self, "availabilityZoneId")

    @property
    def vpc_id(self) -> pulumi.Output[str]:
        return _output(self, "vpcId")

    @property
    def cidr_block(self) -> pulumi.Output[str]:
        return _output(self, "cidrBlock")

    @property
    def availability_zone(self) -> pulumi.Output[str]:
        return _output(self, "availabilityZone")

    @property
    def map_public_ip_on_launch(self) -> pulumi.Output[bool]:
        return _output(self, "mapPublicIpOnLaunch")


class InternetGateway(_Tagged):
    """An internet gateway; vpc_id attaches, moves or (unset) detaches it in place."""

    TYPE = INTERNET_GATEWAY_TYPE
    INPUTS = ("vpcId", "tags")
    OUTPUTS = ("internetGatewayId", "arn", "ownerId")

    def __init__(
        self,
        resource_name: str,
        *,
        vpc_id: pulumi.Input[str] | None = None,
        tags: Tags | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        self._register(resource_name, {"vpcId": vpc_id, "tags": tags}, opts)

    @property
    def internet_gateway_id(self) -> pulumi.Output[str]:
        return _output(self, "internetGatewayId")

    @property
    def arn(self) -> pulumi.Output[str | None]:
        return _output(self, "arn")

    @property
    def owner_id(self) -> pulumi.Output[str]:
        return _output(self, "ownerId")

    @property
    def vpc_id(self) -> pulumi.Output[str | None]:
        return _output(self, "vpcId")


class RouteTable(_Tagged):
    """A route table holding exactly ``routes`` (changed in place); vpc_id replaces it."""

    TYPE = ROUTE_TABLE_TYPE
    INPUTS = ("vpcId", "routes", "tags")
    OUTPUTS = ("routeTableId", "arn", "ownerId")

    def __init__(
        self,
        resource_name: str,
        *,
        vpc_id: pulumi.Input[str],
        routes: pulumi.Input[Sequence[RouteArgs | Mapping[str, pulumi.Input[str]]]] | None = None,
        tags: Tags | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        self._register(resource_name, {"vpcId": vpc_id, "routes": _camel_routes(routes), "tags": tags}, opts)

    @property
    def route_table_id(self) -> pulumi.Output[str]:
        return _output(self, "routeTableId")

    @property
    def arn(self) -> pulumi.Output[str | None]:
        return _output(self, "arn")

    @property
    def owner_id(self) -> pulumi.Output[str]:
        return _output(self, "ownerId")

    @property
    def vpc_id(self) -> pulumi.Output[str]:
        return _output(self, "vpcId")

    @property
    def routes(self) -> pulumi.Output[list[dict[str, str]]]:
        """The routes, camelCase keys (``destinationCidrBlock``, ``gatewayId``...)."""
        return _output(self, "routes")


class RouteTableAssociation(_NetworkResource):
    """Associates a subnet with a route table; a new route_table_id moves it in place."""

    TYPE = ROUTE_TABLE_ASSOCIATION_TYPE
    INPUTS = ("subnetId", "routeTableId")
    OUTPUTS = ("associationId",)

    def __init__(
        self,
        resource_name: str,
        *,
        subnet_id: pulumi.Input[str],
        route_table_id: pulumi.Input[str],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        self._register(resource_name, {"subnetId": subnet_id, "routeTableId": route_table_id}, opts)

    @property
    def association_id(self) -> pulumi.Output[str]:
        """The current association id (it changes when the route table changes)."""
        return _output(self, "associationId")

    @property
    def subnet_id(self) -> pulumi.Output[str]:
        return _output(self, "subnetId")

    @property
    def route_table_id(self) -> pulumi.Output[str]:
        return _output(self, "routeTableId")


class SecurityGroup(_Tagged):
    """A security group that starts with no rules; add SecurityGroupRule resources."""

    TYPE = SECURITY_GROUP_TYPE
    INPUTS = ("vpcId", "groupName", "description", "tags")
    OUTPUTS = ("groupId", "arn", "ownerId")

    def __init__(
        self,
        resource_name: str,
        *,
        vpc_id: pulumi.Input[str],
        group_name: pulumi.Input[str],
        description: pulumi.Input[str] | None = None,
        tags: Tags | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        props: dict[str, Any] = {"vpcId": vpc_id, "groupName": group_name, "description": description, "tags": tags}
        self._register(resource_name, props, opts)

    @property
    def group_id(self) -> pulumi.Output[str]:
        return _output(self, "groupId")

    @property
    def arn(self) -> pulumi.Output[str | None]:
        return _output(self, "arn")

    @property
    def owner_id(self) -> pulumi.Output[str]:
        return _output(self, "ownerId")

    @property
    def vpc_id(self) -> pulumi.Output[str]:
        return _output(self, "vpcId")

    @property
    def group_name(self) -> pulumi.Output[str]:
        return _output(self, "groupName")

    @property
    def description(self) -> pulumi.Output[str]:
        return _output(self, "description")


class SecurityGroupRule(_Tagged):
    """One ingress/egress rule; any change but tags replaces it.

    tcp/udp: from_port..to_port; icmp: from_port = ICMP type, to_port = code (-1 all);
    protocol "-1": no ports. Peer: exactly one of cidr_ipv4 and referenced_security_group_id.
    """

    TYPE = SECURITY_GROUP_RULE_TYPE
    INPUTS = (
        "securityGroupId",
        "type",
        "protocol",
        "fromPort",
        "toPort",
        "cidrIpv4",
        "referencedSecurityGroupId",
        "description",
        "tags",
    )
    OUTPUTS = ("securityGroupRuleId",)

    def __init__(
        self,
        resource_name: str,
        *,
        security_group_id: pulumi.Input[str],
        type: pulumi.Input[str],
        protocol: pulumi.Input[str],
        from_port: pulumi.Input[int] | None = None,
        to_port: pulumi.Input[int] | None = None,
        cidr_ipv4: pulumi.Input[str] | None = None,
        referenced_security_group_id: pulumi.Input[str] | None = None,
        description: pulumi.Input[str] | None = None,
        tags: Tags | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        props: dict[str, Any] = {
            "securityGroupId": security_group_id,
            "type": type,
            "protocol": protocol,
            "fromPort": from_port,
            "toPort": to_port,
            "cidrIpv4": cidr_ipv4,
            "referencedSecurityGroupId": referenced_security_group_id,
            "description": description,
            "tags": tags,
        }
        self._register(resource_name, props, opts)

    @property
    def security_group_rule_id(self) -> pulumi.Output[str]:
        return _output(self, "securityGroupRuleId")

    @property
    def security_group_id(self) -> pulumi.Output[str]:
        return _output(self, "securityGroupId")

    @property
    def type(self) -> pulumi.Output[str]:
        return _output(self, "type")

    @property
    def protocol(self) -> pulumi.Output[str]:
        return _output(self, "protocol")

    @property
    def from_port(self) -> pulumi.Output[int | None]:
        return _output(self, "fromPort")

    @property
    def to_port(self) -> pulumi.Output[int | None]:
        return _output(self, "toPort")

    @property
    def cidr_ipv4(self) -> pulumi.Output[str | None]:
        return _output(self, "cidrIpv4")

    @property
    def referenced_security_group_id(self) -> pulumi.Output[str | None]:
        return _output(self, "referencedSecurityGroupId")

    @property
    def description(self) -> pulumi.Output[str | None]:
        return _output(self, "description")


class DefaultSecurityGroupLockdown(_NetworkResource):
    """Empties a VPC's default security group and keeps it empty (refresh shows rules re-added)."""

    TYPE = DEFAULT_SECURITY_GROUP_LOCKDOWN_TYPE
    INPUTS = ("securityGroupId",)
    OUTPUTS = ("vpcId", "ingressRules", "egressRules")

    def __init__(
        self,
        resource_name: str,
        *,
        security_group_id: pulumi.Input[str],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        self._register(resource_name, {"securityGroupId": security_group_id}, opts)

    @property
    def security_group_id(self) -> pulumi.Output[str]:
        return _output(self, "securityGroupId")

    @property
    def vpc_id(self) -> pulumi.Output[str]:
        return _output(self, "vpcId")

    @property
    def ingress_rules(self) -> pulumi.Output[list[dict[str, Any]]]:
        return _output(self, "ingressRules")

    @property
    def egress_rules(self) -> pulumi.Output[list[dict[str, Any]]]:
        return _output(self, "egressRules")


class SecurityGroupRuleGuard(_NetworkResource):
    """Reports (refresh) and revokes (update) every rule of a group that is not in managed_rule_ids.

    Pass the ``security_group_rule_id`` of each SecurityGroupRule of the group; a rule opened
    behind Pulumi's back shows in ``unmanaged_rules`` after refresh and the next update revokes
    it. security_group_id replaces the guard; managed_rule_ids (any order) updates it in place.
    """

    TYPE = SECURITY_GROUP_RULE_GUARD_TYPE
    INPUTS = ("securityGroupId", "managedRuleIds")
    OUTPUTS = ("unmanagedRules",)

    def __init__(
        self,
        resource_name: str,
        *,
        security_group_id: pulumi.Input[str],
        managed_rule_ids: Ids | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        props: dict[str, Any] = {"securityGroupId": security_group_id, "managedRuleIds": managed_rule_ids}
        self._register(resource_name, props, opts)

    @property
    def security_group_id(self) -> pulumi.Output[str]:
        return _output(self, "securityGroupId")

    @property
    def managed_rule_ids(self) -> pulumi.Output[list[str]]:
        return _output(self, "managedRuleIds")

    @property
    def unmanaged_rules(self) -> pulumi.Output[list[dict[str, Any]]]:
        return _output(self, "unmanagedRules")


class NetworkAcl(_Tagged):
    """A network ACL and the subnets that use it (in place); vpc_id replaces it."""

    TYPE = NETWORK_ACL_TYPE
    INPUTS = ("vpcId", "subnetIds", "tags")
    OUTPUTS = ("networkAclId", "arn", "ownerId")

    def __init__(
        self,
        resource_name: str,
        *,
        vpc_id: pulumi.Input[str],
        subnet_ids: Ids | None = None,
        tags: Tags | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        self._register(resource_name, {"vpcId": vpc_id, "subnetIds": subnet_ids, "tags": tags}, opts)

    @property
    def network_acl_id(self) -> pulumi.Output[str]:
        return _output(self, "networkAclId")

    @property
    def arn(self) -> pulumi.Output[str | None]:
        return _output(self, "arn")

    @property
    def owner_id(self) -> pulumi.Output[str]:
        return _output(self, "ownerId")

    @property
    def vpc_id(self) -> pulumi.Output[str]:
        return _output(self, "vpcId")

    @property
    def subnet_ids(self) -> pulumi.Output[list[str]]:
        return _output(self, "subnetIds")


class NetworkAclEntry(_NetworkResource):
    """One numbered ACL rule; ACL, rule number and direction replace it, the rest is in place."""

    TYPE = NETWORK_ACL_ENTRY_TYPE
    INPUTS = (
        "networkAclId",
        "ruleNumber",
        "egress",
        "protocol",
        "ruleAction",
        "cidrBlock",
        "fromPort",
        "toPort",
        "icmpType",
        "icmpCode",
    )
    OUTPUTS = ()

    def __init__(
        self,
        resource_name: str,
        *,
        network_acl_id: pulumi.Input[str],
        rule_number: pulumi.Input[int],
        protocol: pulumi.Input[str],
        rule_action: pulumi.Input[str],
        cidr_block: pulumi.Input[str],
        egress: pulumi.Input[bool] | None = None,
        from_port: pulumi.Input[int] | None = None,
        to_port: pulumi.Input[int] | None = None,
        icmp_type: pulumi.Input[int] | None = None,
        icmp_code: pulumi.Input[int] | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        props: dict[str, Any] = {
            "networkAclId": network_acl_id,
            "ruleNumber": rule_number,
            "egress": egress,
            "protocol": protocol,
            "ruleAction": rule_action,
            "cidrBlock": cidr_block,
            "fromPort": from_port,
            "toPort": to_port,
            "icmpType": icmp_type,
            "icmpCode": icmp_code,
        }
        self._register(resource_name, props, opts)

    @property
    def network_acl_id(self) -> pulumi.Output[str]:
        return _output(self, "networkAclId")

    @property
    def rule_number(self) -> pulumi.Output[int]:
        return _output(self, "ruleNumber")

    @property
    def egress(self) -> pulumi.Output[bool]:
        return _output(self, "egress")

    @property
    def protocol(self) -> pulumi.Output[str]:
        return _output(self, "protocol")

    @property
    def rule_action(self) -> pulumi.Output[str]:
        return _output(self, "ruleAction")

    @property
    def cidr_block(self) -> pulumi.Output[str]:
        return _output(self, "cidrBlock")

    @property
    def from_port(self) -> pulumi.Output[int | None]:
        return _output(self, "fromPort")

    @property
    def to_port(self) -> pulumi.Output[int | None]:
        return _output(self, "toPort")

    @property
    def icmp_type(self) -> pulumi.Output[int | None]:
        return _output(self, "icmpType")

    @property
    def icmp_code(self) -> pulumi.Output[int | None]:
        return _output(self, "icmpCode")


class FlowLog(_Tagged):
    """A flow log of a VPC (subnet, interface) to S3 or CloudWatch Logs; any change but tags replaces it."""

    TYPE = FLOW_LOG_TYPE
    INPUTS = (
        "resourceId",
        "resourceType",
        "trafficType",
        "logDestinationType",
        "logDestination",
        "logGroupName",
        "deliverLogsPermissionArn",
        "maxAggregationInterval",
        "tags",
    )
    OUTPUTS = ("flowLogId", "deliverLogsStatus")

    def __init__(
        self,
        resource_name: str,
        *,
        resource_id: pulumi.Input[str],
        log_destination_type: pulumi.Input[str] | None = None,
        log_destination: pulumi.Input[str] | None = None,
        log_group_name: pulumi.Input[str] | None = None,
        deliver_logs_permission_arn: pulumi.Input[str] | None = None,
        resource_type: pulumi.Input[str] | None = None,
        traffic_type: pulumi.Input[str] | None = None,
        max_aggregation_interval: pulumi.Input[int] | None = None,
        tags: Tags | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        props: dict[str, Any] = {
            "resourceId": resource_id,
            "resourceType": resource_type,
            "trafficType": traffic_type,
            "logDestinationType": log_destination_type,
            "logDestination": log_destination,
            "logGroupName": log_group_name,
            "deliverLogsPermissionArn": deliver_logs_permission_arn,
            "maxAggregationInterval": max_aggregation_interval,
            "tags": tags,
        }
        self._register(resource_name, props, opts)

    @property
    def flow_log_id(self) -> pulumi.Output[str]:
        return _output(self, "flowLogId")

    @property
    def deliver_logs_status(self) -> pulumi.Output[str | None]:
        return _output(self, "deliverLogsStatus")

    @property
    def resource_id(self) -> pulumi.Output[str]:
        return _output(self, "resourceId")

    @property
    def resource_type(self) -> pulumi.Output[str]:
        return _output(self, "resourceType")

    @property
    def traffic_type(self) -> pulumi.Output[str]:
        return _output(self, "trafficType")

    @property
    def log_destination_type(self) -> pulumi.Output[str]:
        return _output(self, "logDestinationType")

    @property
    def log_destination(self) -> pulumi.Output[str | None]:
        return _output(self, "logDestination")

    @property
    def log_group_name(self) -> pulumi.Output[str | None]:
        return _output(self, "logGroupName")

    @property
    def deliver_logs_permission_arn(self) -> pulumi.Output[str | None]:
        return _output(self, "deliverLogsPermissionArn")

    @property
    def max_aggregation_interval(self) -> pulumi.Output[int]:
        return _output(self, "maxAggregationInterval")


class VpcEndpoint(_Tagged):
    """A Gateway or Interface VPC endpoint; attachments, private DNS and policy change in place."""

    TYPE = VPC_ENDPOINT_TYPE
    INPUTS = (
        "vpcId",
        "serviceName",
        "vpcEndpointType",
        "routeTableIds",
        "subnetIds",
        "securityGroupIds",
        "privateDnsEnabled",
        "policy",
        "tags",
    )
    OUTPUTS = ("vpcEndpointId", "state", "networkInterfaceIds", "dnsNames", "ownerId")

    def __init__(
        self,
        resource_name: str,
        *,
        vpc_id: pulumi.Input[str],
        service_name: pulumi.Input[str],
        vpc_endpoint_type: pulumi.Input[str] | None = None,
        route_table_ids: Ids | None = None,
        subnet_ids: Ids | None = None,
        security_group_ids: Ids | None = None,
        private_dns_enabled: pulumi.Input[bool] | None = None,
        policy: pulumi.Input[str] | None = None,
        tags: Tags | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        props: dict[str, Any] = {
            "vpcId": vpc_id,
            "serviceName": service_name,
            "vpcEndpointType": vpc_endpoint_type,
            "routeTableIds": route_table_ids,
            "subnetIds": subnet_ids,
            "securityGroupIds": security_group_ids,
            "privateDnsEnabled": private_dns_enabled,
            "policy": policy,
            "tags": tags,
        }
        self._register(resource_name, props, opts)

    @property
    def vpc_endpoint_id(self) -> pulumi.Output[str]:
        return _output(self, "vpcEndpointId")

    @property
    def state(self) -> pulumi.Output[str]:
        return _output(self, "state")

    @property
    def network_interface_ids(self) -> pulumi.Output[list[str]]:
        return _output(self, "networkInterfaceIds")

    @property
    def dns_names(self) -> pulumi.Output[list[str]]:
        return _output(self, "dnsNames")

    @property
    def owner_id(self) -> pulumi.Output[str]:
        return _output(self, "ownerId")

    @property
    def vpc_id(self) -> pulumi.Output[str]:
        return _output(self, "vpcId")

    @property
    def service_name(self) -> pulumi.Output[str]:
        return _output(self, "serviceName")

    @property
    def vpc_endpoint_type(self) -> pulumi.Output[str]:
        return _output(self, "vpcEndpointType")

    @property
    def route_table_ids(self) -> pulumi.Output[list[str]]:
        return _output(self, "routeTableIds")

    @property
    def subnet_ids(self) -> pulumi.Output[list[str]]:
        return _output(self, "subnetIds")

    @property
    def security_group_ids(self) -> pulumi.Output[list[str]]:
        return _output(self, "securityGroupIds")

    @property
    def private_dns_enabled(self) -> pulumi.Output[bool]:
        return _output(self, "privateDnsEnabled")

    @property
    def policy(self) -> pulumi.Output[str | None]:
        return _output(self, "policy")


__all__ = [
    "DefaultSecurityGroupLockdown",
    "FlowLog",
    "InternetGateway",
    "NetworkAcl",
    "NetworkAclEntry",
    "RouteArgs",
    "RouteTable",
    "RouteTableAssociation",
    "SecurityGroup",
    "SecurityGroupRule",
    "SecurityGroupRuleGuard",
    "Subnet",
    "VpcEndpoint",
]
