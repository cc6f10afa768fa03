"""Program-side resource classes for the ``egov`` provider.

Thin ``pulumi.CustomResource`` wrappers with typed constructors and output
properties; all cloud work happens in the provider plugin (``infra/provider``), so
nothing here imports boto3.
"""

from infra.resources.ec2 import Vpc
from infra.resources.network import (
    DefaultSecurityGroupLockdown,
    FlowLog,
    InternetGateway,
    NetworkAcl,
    NetworkAclEntry,
    RouteTable,
    RouteTableAssociation,
    SecurityGroup,
    SecurityGroupRule,
    SecurityGroupRuleGuard,
    Subnet,
    VpcEndpoint,
)
from infra.resources.security import Alias, Bucket, Key, LogGroup, Role, RolePolicy, RolePolicyAttachment, Trail
from infra.resources.transit import (
    TransitGateway,
    TransitGatewayRoute,
    TransitGatewayRouteTable,
    TransitGatewayRouteTableAssociation,
    TransitGatewayRouteTablePropagation,
    TransitGatewayVpcAttachment,
)

__all__ = [
    "Alias",
    "Bucket",
    "DefaultSecurityGroupLockdown",
    "FlowLog",
    "InternetGateway",
    "Key",
    "LogGroup",
    "NetworkAcl",
    "NetworkAclEntry",
    "Role",
    "RolePolicy",
    "RolePolicyAttachment",
    "RouteTable",
    "RouteTableAssociation",
    "SecurityGroup",
    "SecurityGroupRule",
    "SecurityGroupRuleGuard",
    "Subnet",
    "Trail",
    "TransitGateway",
    "TransitGatewayRoute",
    "TransitGatewayRouteTable",
    "TransitGatewayRouteTableAssociation",
    "TransitGatewayRouteTablePropagation",
    "TransitGatewayVpcAttachment",
    "Vpc",
    "VpcEndpoint",
]
