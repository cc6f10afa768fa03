"""``egov:ec2:InternetGateway`` against a real moto server.

The handlers are driven directly, as the engine would (check, create, read, diff, update,
delete); everything they claim is verified with plain boto3 (``moto_ec2``), and drift is made
with boto3. Shared fixtures (the module's moto server, a VPC, two subnets) are in conftest.py.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from infra.provider.ec2_gateways import InternetGatewayHandler
from infra.provider.handler import HandlerContext, ResourceHandler
from tests.integration.provider_checks import checked_inputs, lifecycle_tail

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("moto_credentials")]


# -- internet gateway -------------------------------------------------------------------------------------


def test_internet_gateway_attach_move_detach(
    context: Callable[[ResourceHandler], HandlerContext], moto_ec2: Any, vpc: str
) -> None:
    handler = InternetGatewayHandler(dependency_grace_seconds=0)
    ctx = context(handler)
    other = moto_ec2.create_vpc(CidrBlock="10.61.0.0/16")["Vpc"]["VpcId"]

    def attached(gateway_id: str) -> list[str]:
        gateway = moto_ec2.describe_internet_gateways(InternetGatewayIds=[gateway_id])["InternetGateways"][0]
        return [a["VpcId"] for a in gateway.get("Attachments", [])]

    created = handler.create(ctx, checked_inputs(handler, ctx, vpcId=vpc, tags={"Name": "edge"}))
    gateway_id = created.resource_id
    assert attached(gateway_id) == [vpc]
    moved = handler.update(ctx, gateway_id, created.outputs, checked_inputs(handler, ctx, vpcId=other, tags={}))
    assert attached(gateway_id) == [other] and moved["vpcId"] == other and moved["tags"] == {}
    detached = handler.update(ctx, gateway_id, moved, checked_inputs(handler, ctx))
    assert attached(gateway_id) == [] and detached["vpcId"] is None

    moto_ec2.attach_internet_gateway(InternetGatewayId=gateway_id, VpcId=vpc)  # drift
    refreshed = handler.read(ctx, gateway_id, detached, {})
    assert refreshed.inputs["vpcId"] == vpc
    assert handler.diff(ctx, gateway_id, refreshed.outputs, checked_inputs(handler, ctx)).diffs == ["vpcId"]
    lifecycle_tail(handler, ctx, gateway_id, refreshed.outputs)  # deleting detaches first
    moto_ec2.delete_vpc(VpcId=other)
