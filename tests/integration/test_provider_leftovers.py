"""Leftovers of every taggable network family, found by their owner tag and removed
(``infra.provider.recovery``), against a real moto server.

The handlers are driven directly, as the engine would (check, create, read, diff, update,
delete); everything they claim is verified with plain boto3 (``moto_ec2``), and drift is made
with boto3. Shared fixtures (the module's moto server, a VPC, two subnets) are in conftest.py.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest

from infra.provider.clients import ClientFactory
from infra.provider.ec2_acl import NetworkAclHandler
from infra.provider.ec2_endpoints import VpcEndpointHandler
from infra.provider.ec2_flowlogs import FlowLogHandler
from infra.provider.ec2_gateways import InternetGatewayHandler
from infra.provider.ec2_routes import RouteTableHandler
from infra.provider.ec2_security import (
    SecurityGroupHandler,
    SecurityGroupRuleHandler,
)
from infra.provider.ec2_subnets import SubnetHandler
from infra.provider.handler import HandlerContext, ResourceHandler
from infra.provider.kms import ALIAS_TYPE
from infra.provider.provider import default_registry
from infra.provider.recovery import Leftover, delete_leftovers, find_leftovers
from infra.provider.tags import OWNER_TAG
from infra.recovery import lost_aliases
from tests.integration.provider_checks import AZ_A, REGION, STACK, checked_inputs

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("moto_credentials")]


# -- leftovers, and the provider's engine-facing methods -------------------------------------------------------------


def test_leftovers_of_every_taggable_family_are_found(
    context: Callable[[ResourceHandler], HandlerContext],
    clients: ClientFactory,
    moto_ec2: Any,
    vpc: str,
    moto_aws: Callable[[str], Any],
) -> None:
    """A resource created but never recorded is found by its owner tag and removed (infra.provider.recovery)."""
    bucket = f"left-{uuid.uuid4().hex[:8]}"
    s3 = moto_aws("s3")
    s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
    subnet = SubnetHandler()
    group = SecurityGroupHandler()
    made: dict[str, str] = {}

    def make(handler: ResourceHandler, **news: Any) -> str:
        ctx = context(handler)
        resource_id = handler.create(ctx, checked_inputs(handler, ctx, **news)).resource_id
        made[resource_id] = handler.type_token
        return resource_id

    subnet_id = make(subnet, vpcId=vpc, cidrBlock="10.60.50.0/24", availabilityZone=AZ_A)
    group_id = make(group, vpcId=vpc, groupName="leftover")
    make(
        SecurityGroupRuleHandler(),
        securityGroupId=group_id,
        type="ingress",
        protocol="tcp",
        fromPort=22,
        toPort=22,
        cidrIpv4="10.0.0.0/8",
    )
    make(InternetGatewayHandler())
    table_id = make(RouteTableHandler(), vpcId=vpc)
    make(NetworkAclHandler(), vpcId=vpc, subnetIds=[subnet_id])
    make(FlowLogHandler(), resourceId=vpc, logDestinationType="s3", logDestination=f"arn:aws-cn:s3:::{bucket}")
    make(VpcEndpointHandler(), vpcId=vpc, serviceName=f"com.amazonaws.{REGION}.s3", routeTableIds=[table_id])

    registry = default_registry()
    prefix = f"urn:pulumi:{STACK}::egov::"
    leftovers = [x for x in find_leftovers(prefix, [], clients, registry) if x.resource_id in made]
    assert {x.resource_id: x.type_token for x in leftovers} == made
    assert all(x.urn.startswith(prefix) for x in leftovers)
    known = find_leftovers(prefix, list(made), clients, registry)
    assert not [x for x in known if x.resource_id in made]  # ids the state knows are not leftovers

    # Dependents first, as an engine would delete them.
    order = ["egov:ec2:SecurityGroupRule", "egov:ec2:VpcEndpoint", "egov:ec2:FlowLog", "egov:ec2:NetworkAcl"]
    leftovers.sort(key=lambda x: order.index(x.type_token) if x.type_token in order else len(order))
    delete_leftovers(leftovers, clients, registry=registry)
    assert not [x for x in find_leftovers(prefix, [], clients, registry) if x.resource_id in made]
    assert moto_ec2.describe_subnets(Filters=[{"Name": "subnet-id", "Values": [subnet_id]}])["Subnets"] == []


def test_an_alias_from_a_lost_create_is_found_only_through_a_key_of_the_stack(
    clients: ClientFactory, moto_aws: Callable[[str], Any]
) -> None:
    """An alias carries no tags: a killed run's alias is one a pending create names AND that points at a key
    the stack's provider made (infra.recovery.lost_aliases); any other alias stays."""
    kms = moto_aws("kms")
    prefix = f"urn:pulumi:{STACK}::egov-cloud::"

    def key(owner: str) -> str:
        return str(kms.create_key(Tags=[{"TagKey": OWNER_TAG, "TagValue": owner}])["KeyMetadata"]["KeyId"])

    ours, theirs = key(f"{prefix}egov:kms:Key::k"), key("urn:pulumi:other::egov-cloud::egov:kms:Key::k")
    suffix = uuid.uuid4().hex[:8]
    lost, foreign, unnamed = (f"alias/{name}-{suffix}" for name in ("lost", "foreign", "unnamed"))
    for name, target in ((lost, ours), (foreign, theirs), (unnamed, ours)):
        kms.create_alias(AliasName=name, TargetKeyId=target)
    urn = f"{prefix}egov:kms:Alias::a"
    found = lost_aliases(clients, {lost: urn, foreign: f"{urn}2"}, prefix)
    assert found == [Leftover(ALIAS_TYPE, lost, urn)]
    delete_leftovers(found, clients)
    names = {alias["AliasName"] for alias in kms.list_aliases()["Aliases"]}
    assert lost not in names and {foreign, unnamed} <= names
