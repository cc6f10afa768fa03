"""Planned inputs of our provider's types (``egov:...``) in the live evidence shape the rules read.

The provider fills its defaults in ``check``, so the pack sees the inputs the create will send; a value
still unknown at preview (an id of a resource not created yet) is passed through as None.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

BUCKET = "egov:s3:Bucket"
SECURITY_GROUP_RULE = "egov:ec2:SecurityGroupRule"
KEY = "egov:kms:Key"
LOG_GROUP = "egov:logs:LogGroup"
VPC = "egov:ec2:Vpc"
FLOW_LOG = "egov:ec2:FlowLog"
ROUTE_TABLE = "egov:ec2:RouteTable"
INTERNET_GATEWAY = "egov:ec2:InternetGateway"
INSTANCE = "egov:ec2:Instance"
ZONE_TAG = "egov:zone"

_BUCKET_DEFAULTS = {"blockPublicAcls": True, "ignorePublicAcls": True, "blockPublicPolicy": True,
                    "restrictPublicBuckets": True, "sseAlgorithm": "aws:kms"}


def bucket(props: Mapping[str, Any]) -> dict[str, Any]:
    """``egov:s3:Bucket`` inputs -> ``PublicAccessBlock``, ``Encryption.Rules`` and ``Tags`` as boto3 reads them."""
    given = {**_BUCKET_DEFAULTS, **{k: v for k, v in props.items() if v is not None}}
    default = {"SSEAlgorithm": given["sseAlgorithm"]}
    if given.get("kmsKeyId"):
        default["KMSMasterKeyID"] = given["kmsKeyId"]
    return {
        "Name": given.get("bucket"),
        "PublicAccessBlock": {
            "BlockPublicAcls": given["blockPublicAcls"], "IgnorePublicAcls": given["ignorePublicAcls"],
            "BlockPublicPolicy": given["blockPublicPolicy"], "RestrictPublicBuckets": given["restrictPublicBuckets"],
        },
        "Encryption": {"Rules": [{"ApplyServerSideEncryptionByDefault": default}]},
        "Tags": dict(given.get("tags") or {}),
    }


def security_group_rule(props: Mapping[str, Any]) -> dict[str, Any]:
    """One ``egov:ec2:SecurityGroupRule`` as a group with that one permission (egress rules admit nothing)."""
    if props.get("type") != "ingress":
        return {"IpPermissions": []}
    permission: dict[str, Any] = {"IpProtocol": str(props.get("protocol")),
                                  "FromPort": props.get("fromPort"), "ToPort": props.get("toPort")}
    cidr = props.get("cidrIpv4")
    permission["IpRanges"] = [{"CidrIp": cidr}] if cidr else []
    return {"IpPermissions": [permission]}


def key(props: Mapping[str, Any]) -> dict[str, Any]:
    """``egov:kms:Key``: rotation is on unless ``enableKeyRotation`` is false (the provider's default)."""
    return {"RotationEnabled": props.get("enableKeyRotation", True) is not False}


def log_group(props: Mapping[str, Any]) -> dict[str, Any]:
    return {"retentionInDays": props.get("retentionInDays")}


def flow_log(props: Mapping[str, Any]) -> dict[str, Any]:
    return {"ResourceId": props.get("resourceId"), "TrafficType": props.get("trafficType", "ALL"),
            "FlowLogStatus": "ACTIVE"}


def route_table(props: Mapping[str, Any], internet_gateway_ids: set[str] | None = None) -> dict[str, Any]:
    """``egov:ec2:RouteTable`` routes in the API's shape. A route to a gateway of this plan whose id is not
    known yet (preview) is named by the gateway's placeholder ``igw-(planned)``."""
    routes = []
    for route in props.get("routes") or ():
        converted = {"DestinationCidrBlock": route.get("destinationCidrBlock")}
        gateway = route.get("gatewayId")
        if gateway is not None:
            converted["GatewayId"] = gateway
        if route.get("natGatewayId") is not None:
            converted["NatGatewayId"] = route["natGatewayId"]
        routes.append(converted)
    if internet_gateway_ids:
        routes += [{"DestinationCidrBlock": "?", "GatewayId": gateway} for gateway in sorted(internet_gateway_ids)]
    return {"RouteTableId": props.get("routeTableId") or "(planned)", "Routes": routes}


def instance(props: Mapping[str, Any]) -> dict[str, Any]:
    """``egov:ec2:Instance`` inputs as DescribeInstances shows the instance: a public address when one is asked
    for (its value is only known once launched), the user data as text, the tags (``egov:zone`` among them)."""
    return {"PublicIpAddress": "(planned)" if props.get("associatePublicIpAddress") else None,
            "UserData": props.get("userData") or "", "Tags": dict(props.get("tags") or {})}
