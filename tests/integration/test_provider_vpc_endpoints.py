"""``egov:ec2:VpcEndpoint`` (Gateway and Interface) against a real moto server.

The handlers are driven directly, as the engine would (check, create, read, diff, update,
delete); everything they claim is verified with plain boto3 (``moto_ec2``), and drift is made
with boto3. Shared fixtures (the module's moto server, a VPC, two subnets) are in conftest.py.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from infra.provider.ec2_endpoints import DEFAULT_POLICY, VpcEndpointHandler
from infra.provider.errors import ProviderError
from infra.provider.handler import HandlerContext, ResourceHandler
from tests.integration.provider_checks import REGION, checked_inputs, lifecycle_tail

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("moto_credentials")]


# -- VPC endpoints ------------------------------------------------------------------------------------------


def test_gateway_vpc_endpoint(context: Callable[[ResourceHandler], HandlerContext], moto_ec2: Any, vpc: str) -> None:
    handler = VpcEndpointHandler()
    ctx = context(handler)
    first = moto_ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    second = moto_ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    service = f"com.amazonaws.{REGION}.s3"
    inputs = checked_inputs(handler, ctx, vpcId=vpc, serviceName=service, routeTableIds=[first], tags={"svc": "s3"})
    created = handler.create(ctx, inputs)
    endpoint_id = created.resource_id

    def endpoint() -> dict[str, Any]:
        return dict(moto_ec2.describe_vpc_endpoints(VpcEndpointIds=[endpoint_id])["VpcEndpoints"][0])

    assert (endpoint()["VpcEndpointType"], endpoint()["RouteTableIds"]) == ("Gateway", [first])
    assert created.outputs["policy"] is None  # AWS's default policy reads back as "none"
    assert {k: created.outputs[k] for k in inputs} == inputs

    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws-cn:s3:::gov-*/*"}
        ],
    }
    news = checked_inputs(
        handler,
        ctx,
        vpcId=vpc,
        serviceName=service,
        routeTableIds=[second],
        policy=json.dumps(policy, indent=2),
        tags={"svc": "s3"},
    )
    diff = handler.diff(ctx, endpoint_id, created.outputs, news)
    assert diff.replaces == [] and set(diff.diffs) == {"routeTableIds", "policy"}
    updated = handler.update(ctx, endpoint_id, created.outputs, news)
    assert endpoint()["RouteTableIds"] == [second] and json.loads(endpoint()["PolicyDocument"]) == policy
    assert updated["policy"] == news["policy"]  # the program's own formatting is kept
    reformatted = {**news, "policy": json.dumps(policy)}
    assert handler.diff(ctx, endpoint_id, updated, reformatted).changes is False

    # Drift: the policy opened up behind our back; removing the policy restores the default.
    moto_ec2.modify_vpc_endpoint(VpcEndpointId=endpoint_id, PolicyDocument=json.dumps(DEFAULT_POLICY))
    refreshed = handler.read(ctx, endpoint_id, updated, news)
    assert refreshed.outputs["policy"] is None
    assert handler.diff(ctx, endpoint_id, refreshed.outputs, news).diffs == ["policy"]
    updated = handler.update(ctx, endpoint_id, refreshed.outputs, news)
    assert json.loads(endpoint()["PolicyDocument"]) == policy
    no_policy = {**news, "policy": None}
    updated = handler.update(ctx, endpoint_id, updated, no_policy)
    assert json.loads(endpoint()["PolicyDocument"])["Statement"] == DEFAULT_POLICY["Statement"]
    assert updated["policy"] is None

    assert handler.diff(ctx, endpoint_id, updated, {**no_policy, "vpcEndpointType": "Interface"}).replaces == [
        "vpcEndpointType"
    ]
    lifecycle_tail(handler, ctx, endpoint_id, updated)


def test_interface_vpc_endpoint(
    context: Callable[[ResourceHandler], HandlerContext], moto_ec2: Any, vpc: str, subnets: list[str]
) -> None:
    handler = VpcEndpointHandler()
    ctx = context(handler)
    group = moto_ec2.create_security_group(VpcId=vpc, GroupName="endpoint-sg", Description="endpoints")["GroupId"]
    inputs = checked_inputs(
        handler,
        ctx,
        vpcId=vpc,
        serviceName=f"com.amazonaws.{REGION}.logs",
        vpcEndpointType="Interface",
        subnetIds=[subnets[0]],
        securityGroupIds=[group],
    )
    created = handler.create(ctx, inputs)
    endpoint_id = created.resource_id
    live = moto_ec2.describe_vpc_endpoints(VpcEndpointIds=[endpoint_id])["VpcEndpoints"][0]
    assert live["SubnetIds"] == [subnets[0]] and [g["GroupId"] for g in live["Groups"]] == [group]
    assert created.outputs["networkInterfaceIds"] and created.outputs["dnsNames"]

    news = {**inputs, "subnetIds": [subnets[1], subnets[0]], "securityGroupIds": []}
    updated = handler.update(ctx, endpoint_id, created.outputs, news)
    live = moto_ec2.describe_vpc_endpoints(VpcEndpointIds=[endpoint_id])["VpcEndpoints"][0]
    assert sorted(live["SubnetIds"]) == sorted(subnets) and live["Groups"] == []
    assert updated["subnetIds"] == [subnets[1], subnets[0]]

    with pytest.raises(ProviderError) as raised:  # moto ignores PrivateDnsEnabled on ModifyVpcEndpoint
        handler.update(ctx, endpoint_id, updated, {**news, "privateDnsEnabled": True})
    assert "still reports privateDnsEnabled=False" in str(raised.value)
    lifecycle_tail(handler, ctx, endpoint_id, updated)
