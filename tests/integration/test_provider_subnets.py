"""``egov:ec2:Subnet`` against a real moto server.

The handlers are driven directly, as the engine would (check, create, read, diff, update,
delete); everything they claim is verified with plain boto3 (``moto_ec2``), and drift is made
with boto3. Shared fixtures (the module's moto server, a VPC, two subnets) are in conftest.py.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from infra.provider.ec2_subnets import SubnetHandler
from infra.provider.errors import ProviderError
from infra.provider.handler import HandlerContext, ResourceHandler
from tests.integration.provider_checks import AZ_A, AZ_B, REGION, checked_inputs, lifecycle_tail, user_tags

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("moto_credentials")]


# -- subnet --------------------------------------------------------------------------------------------


def test_subnet_lifecycle(context: Callable[[ResourceHandler], HandlerContext], moto_ec2: Any, vpc: str) -> None:
    handler = SubnetHandler(dependency_grace_seconds=0)
    ctx = context(handler)
    inputs = checked_inputs(
        handler, ctx, vpcId=vpc, cidrBlock="10.60.1.0/24", availabilityZone=AZ_A, tags={"tier": "app"}
    )
    created = handler.create(ctx, inputs)
    subnet_id = created.resource_id
    subnet = moto_ec2.describe_subnets(SubnetIds=[subnet_id])["Subnets"][0]
    assert (subnet["VpcId"], subnet["CidrBlock"], subnet["AvailabilityZone"]) == (vpc, "10.60.1.0/24", AZ_A)
    assert user_tags(subnet) == {"tier": "app"}
    assert {t["Key"]: t["Value"] for t in subnet["Tags"]}["egov:urn"] == ctx.resource.urn
    assert created.outputs["arn"] == f"arn:aws-cn:ec2:{REGION}:{subnet['OwnerId']}:subnet/{subnet_id}"
    assert {k: created.outputs[k] for k in inputs} == inputs

    news = checked_inputs(
        handler,
        ctx,
        vpcId=vpc,
        cidrBlock="10.60.1.0/24",
        availabilityZone=AZ_A,
        mapPublicIpOnLaunch=True,
        tags={"tier": "web"},
    )
    diff = handler.diff(ctx, subnet_id, created.outputs, news)
    assert diff.replaces == [] and set(diff.diffs) == {"mapPublicIpOnLaunch", "tags"}
    updated = handler.update(ctx, subnet_id, created.outputs, news)
    subnet = moto_ec2.describe_subnets(SubnetIds=[subnet_id])["Subnets"][0]
    assert subnet["MapPublicIpOnLaunch"] is True and user_tags(subnet) == {"tier": "web"}

    moved = handler.diff(ctx, subnet_id, updated, {**news, "availabilityZone": AZ_B})
    assert moved.replaces == ["availabilityZone"] and moved.delete_before_replace is True
    elsewhere = handler.diff(ctx, subnet_id, updated, {**news, "cidrBlock": "10.60.9.0/24"})
    assert elsewhere.replaces == ["cidrBlock"] and elsewhere.delete_before_replace is False

    moto_ec2.create_tags(Resources=[subnet_id], Tags=[{"Key": "tier", "Value": "rogue"}])
    refreshed = handler.read(ctx, subnet_id, updated, news)
    assert refreshed.outputs["tags"] == {"tier": "rogue"}
    assert set(handler.diff(ctx, subnet_id, refreshed.outputs, news).detailed) == {"tags.tier"}
    lifecycle_tail(handler, ctx, subnet_id, updated)
    assert moto_ec2.describe_subnets(Filters=[{"Name": "subnet-id", "Values": [subnet_id]}])["Subnets"] == []


def test_subnet_create_error_names_the_resource(context: Callable[[ResourceHandler], HandlerContext], vpc: str) -> None:
    handler = SubnetHandler()
    ctx = context(handler)
    inputs = checked_inputs(handler, ctx, vpcId=vpc, cidrBlock="10.99.0.0/24", availabilityZone=AZ_A)
    with pytest.raises(ProviderError) as raised:
        handler.create(ctx, inputs)
    assert str(raised.value).startswith(f"{ctx.resource}: ec2:CreateSubnet failed with InvalidSubnet.Range")
