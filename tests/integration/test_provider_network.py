"""The network handlers (subnet, gateway, routes, security groups, ACLs, flow logs, endpoints)
against a real moto server.

The handlers are driven directly, as the engine would (check, create, read, diff, update,
delete); everything they claim is verified with plain boto3, and drift is made with boto3.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Callable, Coroutine, Iterator
from typing import Any, TypeVar

import pytest
from pulumi.provider.experimental.property_value import PropertyValue
from pulumi.provider.experimental.provider import (
    CheckRequest,
    ConfigureRequest,
    CreateRequest,
    DeleteRequest,
    DiffRequest,
    ReadRequest,
    UpdateRequest,
)
from pulumi.runtime import rpc

from infra.provider import convert
from infra.provider.clients import ClientFactory, ProviderConfig
from infra.provider.ec2_acl import NetworkAclEntryHandler, NetworkAclHandler
from infra.provider.ec2_endpoints import DEFAULT_POLICY, VpcEndpointHandler
from infra.provider.ec2_flowlogs import FlowLogHandler
from infra.provider.ec2_gateways import InternetGatewayHandler
from infra.provider.ec2_routes import RouteTableAssociationHandler, RouteTableHandler
from infra.provider.ec2_security import (
    DefaultSecurityGroupLockdownHandler,
    SecurityGroupHandler,
    SecurityGroupRuleGuardHandler,
    SecurityGroupRuleHandler,
)
from infra.provider.ec2_subnets import SubnetHandler
from infra.provider.errors import ProviderError, ResourceRef
from infra.provider.handler import DiffKind, HandlerContext, ResourceHandler
from infra.provider.provider import EgovProvider, default_registry
from infra.provider.recovery import delete_leftovers, find_leftovers
from tests.integration.moto_server import boto3_client

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("moto_credentials")]

REGION = "cn-north-1"
AZ_A, AZ_B = "cn-north-1a", "cn-north-1b"
T = TypeVar("T")


def _run(coro: Coroutine[Any, Any, T]) -> T:
    loop = asyncio.new_event_loop()
    try:
        return loop.run_until_complete(coro)
    finally:
        loop.close()


@pytest.fixture(scope="module")
def ec2(moto_endpoint: str) -> Any:
    """Independent boto3 client: verifies what the handlers did and makes drift."""
    return boto3_client("ec2", moto_endpoint, REGION)


@pytest.fixture(scope="module")
def clients(moto_endpoint: str) -> ClientFactory:
    return ClientFactory(ProviderConfig(region=REGION, endpoint=moto_endpoint, max_attempts=2))


STACK = f"net{uuid.uuid4().hex[:6]}"


def _urn(handler: ResourceHandler, name: str) -> str:
    return f"urn:pulumi:{STACK}::egov::{handler.type_token}::{name}"


@pytest.fixture
def context(clients: ClientFactory) -> Callable[[ResourceHandler], HandlerContext]:
    def make(handler: ResourceHandler) -> HandlerContext:
        name = f"r{uuid.uuid4().hex[:8]}"
        return HandlerContext(resource=ResourceRef.from_urn(_urn(handler, name)), clients=clients, timeout=30)

    return make


@pytest.fixture(scope="module")
def vpc(ec2: Any) -> Iterator[str]:
    vpc_id = ec2.create_vpc(CidrBlock="10.60.0.0/16")["Vpc"]["VpcId"]
    yield vpc_id


@pytest.fixture(scope="module")
def subnets(ec2: Any, vpc: str) -> list[str]:
    """Two plain subnets made with boto3 for families that need some."""
    return [
        ec2.create_subnet(VpcId=vpc, CidrBlock=cidr, AvailabilityZone=az)["Subnet"]["SubnetId"]
        for cidr, az in (("10.60.200.0/24", AZ_A), ("10.60.201.0/24", AZ_B))
    ]


def _checked(handler: ResourceHandler, ctx: HandlerContext, **news: Any) -> dict[str, Any]:
    result = handler.check(ctx, news, {})
    assert result.failures == []
    return result.inputs


def _tags(item: dict[str, Any]) -> dict[str, str]:
    return {t["Key"]: t["Value"] for t in item.get("Tags", []) if t["Key"] != "egov:urn"}


def _lifecycle_tail(handler: ResourceHandler, ctx: HandlerContext, resource_id: str, state: dict[str, Any]) -> None:
    """Import (id only) reconstructs inputs that check accepts and diff finds equal; delete twice is fine."""
    imported = handler.read(ctx, resource_id, {}, {})
    assert imported.resource_id == resource_id
    checked = handler.check(ctx, imported.inputs, {})
    assert checked.failures == []
    assert handler.diff(ctx, resource_id, imported.outputs, checked.inputs).changes is False
    handler.delete(ctx, resource_id, state)
    assert handler.read(ctx, resource_id, state, {}).resource_id is None
    handler.delete(ctx, resource_id, state)


# -- subnet --------------------------------------------------------------------------------------------


def test_subnet_lifecycle(context: Callable[[ResourceHandler], HandlerContext], ec2: Any, vpc: str) -> None:
    handler = SubnetHandler(dependency_grace_seconds=0)
    ctx = context(handler)
    inputs = _checked(handler, ctx, vpcId=vpc, cidrBlock="10.60.1.0/24", availabilityZone=AZ_A, tags={"tier": "app"})
    created = handler.create(ctx, inputs)
    subnet_id = created.resource_id
    subnet = ec2.describe_subnets(SubnetIds=[subnet_id])["Subnets"][0]
    assert (subnet["VpcId"], subnet["CidrBlock"], subnet["AvailabilityZone"]) == (vpc, "10.60.1.0/24", AZ_A)
    assert _tags(subnet) == {"tier": "app"}
    assert {t["Key"]: t["Value"] for t in subnet["Tags"]}["egov:urn"] == ctx.resource.urn
    assert created.outputs["arn"] == f"arn:aws-cn:ec2:{REGION}:{subnet['OwnerId']}:subnet/{subnet_id}"
    assert {k: created.outputs[k] for k in inputs} == inputs

    news = _checked(
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
    subnet = ec2.describe_subnets(SubnetIds=[subnet_id])["Subnets"][0]
    assert subnet["MapPublicIpOnLaunch"] is True and _tags(subnet) == {"tier": "web"}

    moved = handler.diff(ctx, subnet_id, updated, {**news, "availabilityZone": AZ_B})
    assert moved.replaces == ["availabilityZone"] and moved.delete_before_replace is True
    elsewhere = handler.diff(ctx, subnet_id, updated, {**news, "cidrBlock": "10.60.9.0/24"})
    assert elsewhere.replaces == ["cidrBlock"] and elsewhere.delete_before_replace is False

    ec2.create_tags(Resources=[subnet_id], Tags=[{"Key": "tier", "Value": "rogue"}])
    refreshed = handler.read(ctx, subnet_id, updated, news)
    assert refreshed.outputs["tags"] == {"tier": "rogue"}
    assert set(handler.diff(ctx, subnet_id, refreshed.outputs, news).detailed) == {"tags.tier"}
    _lifecycle_tail(handler, ctx, subnet_id, updated)
    assert ec2.describe_subnets(Filters=[{"Name": "subnet-id", "Values": [subnet_id]}])["Subnets"] == []


def test_subnet_create_error_names_the_resource(context: Callable[[ResourceHandler], HandlerContext], vpc: str) -> None:
    handler = SubnetHandler()
    ctx = context(handler)
    inputs = _checked(handler, ctx, vpcId=vpc, cidrBlock="10.99.0.0/24", availabilityZone=AZ_A)
    with pytest.raises(ProviderError) as raised:
        handler.create(ctx, inputs)
    assert str(raised.value).startswith(f"{ctx.resource}: ec2:CreateSubnet failed with InvalidSubnet.Range")


# -- internet gateway -------------------------------------------------------------------------------------


def test_internet_gateway_attach_move_detach(
    context: Callable[[ResourceHandler], HandlerContext], ec2: Any, vpc: str
) -> None:
    handler = InternetGatewayHandler(dependency_grace_seconds=0)
    ctx = context(handler)
    other = ec2.create_vpc(CidrBlock="10.61.0.0/16")["Vpc"]["VpcId"]

    def attached(gateway_id: str) -> list[str]:
        gateway = ec2.describe_internet_gateways(InternetGatewayIds=[gateway_id])["InternetGateways"][0]
        return [a["VpcId"] for a in gateway.get("Attachments", [])]

    created = handler.create(ctx, _checked(handler, ctx, vpcId=vpc, tags={"Name": "edge"}))
    gateway_id = created.resource_id
    assert attached(gateway_id) == [vpc]
    moved = handler.update(ctx, gateway_id, created.outputs, _checked(handler, ctx, vpcId=other, tags={}))
    assert attached(gateway_id) == [other] and moved["vpcId"] == other and moved["tags"] == {}
    detached = handler.update(ctx, gateway_id, moved, _checked(handler, ctx))
    assert attached(gateway_id) == [] and detached["vpcId"] is None

    ec2.attach_internet_gateway(InternetGatewayId=gateway_id, VpcId=vpc)  # drift
    refreshed = handler.read(ctx, gateway_id, detached, {})
    assert refreshed.inputs["vpcId"] == vpc
    assert handler.diff(ctx, gateway_id, refreshed.outputs, _checked(handler, ctx)).diffs == ["vpcId"]
    _lifecycle_tail(handler, ctx, gateway_id, refreshed.outputs)  # deleting detaches first
    ec2.delete_vpc(VpcId=other)


# -- route tables ---------------------------------------------------------------------------------------------


def _routes(ec2: Any, table_id: str) -> dict[str, str]:
    table = ec2.describe_route_tables(RouteTableIds=[table_id])["RouteTables"][0]
    found = {}
    for route in table["Routes"]:
        if route.get("GatewayId") == "local" or "DestinationCidrBlock" not in route:
            continue
        target = next(v for k, v in route.items() if k.endswith("Id") and k != "DestinationPrefixListId")
        found[route["DestinationCidrBlock"]] = target
    return found


def test_route_table_manages_routes_in_place(
    context: Callable[[ResourceHandler], HandlerContext], ec2: Any, vpc: str, subnets: list[str]
) -> None:
    handler = RouteTableHandler(dependency_grace_seconds=0)
    ctx = context(handler)
    igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
    tgw = ec2.create_transit_gateway()["TransitGateway"]["TransitGatewayId"]
    eni = ec2.create_network_interface(SubnetId=subnets[0])["NetworkInterface"]["NetworkInterfaceId"]

    inputs = _checked(
        handler,
        ctx,
        vpcId=vpc,
        routes=[
            {"destinationCidrBlock": "0.0.0.0/0", "gatewayId": igw},
            {"destinationCidrBlock": "172.16.0.0/12", "transitGatewayId": tgw, "natGatewayId": None},
        ],
        tags={"Name": "app"},
    )
    assert inputs["routes"][1] == {"destinationCidrBlock": "172.16.0.0/12", "transitGatewayId": tgw}
    created = handler.create(ctx, inputs)
    table_id = created.resource_id
    assert _routes(ec2, table_id) == {"0.0.0.0/0": igw, "172.16.0.0/12": tgw}
    assert created.outputs["routes"] == inputs["routes"]

    # Reordering is not a change; a new target, a new route and a dropped route are, in place.
    reordered = _checked(handler, ctx, vpcId=vpc, routes=list(reversed(inputs["routes"])), tags={"Name": "app"})
    assert handler.diff(ctx, table_id, created.outputs, reordered).changes is False
    news = _checked(
        handler,
        ctx,
        vpcId=vpc,
        routes=[
            {"destinationCidrBlock": "172.16.0.0/12", "networkInterfaceId": eni},
            {"destinationCidrBlock": "192.168.0.0/16", "transitGatewayId": tgw},
        ],
        tags={"Name": "app"},
    )
    diff = handler.diff(ctx, table_id, created.outputs, news)
    assert diff.replaces == []
    # routes[0] is both the retargeted route (new list) and the dropped one (old list): reported as a whole.
    assert {k: v.value for k, v in diff.detailed.items()} == {"routes": "update"}
    updated = handler.update(ctx, table_id, created.outputs, news)
    assert _routes(ec2, table_id) == {"172.16.0.0/12": eni, "192.168.0.0/16": tgw}
    assert updated["routes"] == news["routes"]

    # Drift: a route deleted and one retargeted behind our back; update restores both.
    ec2.delete_route(RouteTableId=table_id, DestinationCidrBlock="192.168.0.0/16")
    ec2.replace_route(RouteTableId=table_id, DestinationCidrBlock="172.16.0.0/12", GatewayId=igw)
    refreshed = handler.read(ctx, table_id, updated, news)
    assert refreshed.outputs["routes"] == [{"destinationCidrBlock": "172.16.0.0/12", "gatewayId": igw}]
    drift = handler.diff(ctx, table_id, refreshed.outputs, news)
    assert drift.changes and drift.replaces == []
    repaired = handler.update(ctx, table_id, refreshed.outputs, news)
    assert _routes(ec2, table_id) == {"172.16.0.0/12": eni, "192.168.0.0/16": tgw}
    assert repaired["routes"] == news["routes"]
    _lifecycle_tail(handler, ctx, table_id, repaired)


def test_route_table_failed_create_leaves_nothing(
    context: Callable[[ResourceHandler], HandlerContext], ec2: Any, vpc: str
) -> None:
    handler = RouteTableHandler()
    ctx = context(handler)
    before = len(ec2.describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["RouteTables"])
    inputs = _checked(
        handler,
        ctx,
        vpcId=vpc,
        routes=[
            {"destinationCidrBlock": "0.0.0.0/0", "gatewayId": "igw-0000000000000000d"},
        ],
    )
    with pytest.raises(ProviderError) as raised:
        handler.create(ctx, inputs)
    text = str(raised.value)
    assert text.startswith(f"{ctx.resource}: ec2:CreateRoute failed with InvalidInternetGatewayID.NotFound")
    assert "was deleted again, so nothing is left behind" in text
    assert len(ec2.describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["RouteTables"]) == before


def test_route_table_association_moves_in_place(
    context: Callable[[ResourceHandler], HandlerContext], ec2: Any, vpc: str, subnets: list[str]
) -> None:
    handler = RouteTableAssociationHandler()
    ctx = context(handler)
    first = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    second = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    subnet = subnets[1]

    def table_of(subnet_id: str) -> str | None:
        tables = ec2.describe_route_tables(Filters=[{"Name": "association.subnet-id", "Values": [subnet_id]}])
        return tables["RouteTables"][0]["RouteTableId"] if tables["RouteTables"] else None

    inputs = _checked(handler, ctx, subnetId=subnet, routeTableId=first)
    created = handler.create(ctx, inputs)
    association_id = created.resource_id
    assert table_of(subnet) == first and created.outputs["associationId"] == association_id

    with pytest.raises(ProviderError) as raised:  # a second association of the same subnet
        handler.create(context(handler), inputs)
    assert f"subnet {subnet} is already associated with route table {first}" in str(raised.value)

    news = _checked(handler, ctx, subnetId=subnet, routeTableId=second)
    diff = handler.diff(ctx, association_id, created.outputs, news)
    assert diff.replaces == [] and diff.diffs == ["routeTableId"]
    assert handler.diff(ctx, association_id, created.outputs, {**news, "subnetId": subnets[0]}).replaces == ["subnetId"]
    updated = handler.update(ctx, association_id, created.outputs, news)
    assert table_of(subnet) == second and updated["associationId"] != association_id
    refreshed = handler.read(ctx, association_id, updated, news)
    assert refreshed.resource_id == association_id and refreshed.outputs == updated

    imported = handler.read(ctx, updated["associationId"], {}, {})
    assert imported.inputs == {"subnetId": subnet, "routeTableId": second}

    ec2.disassociate_route_table(AssociationId=updated["associationId"])  # drift: gone
    assert handler.read(ctx, association_id, updated, news).resource_id is None
    created = handler.create(ctx, inputs)
    handler.delete(ctx, created.resource_id, created.outputs)
    assert table_of(subnet) is None
    handler.delete(ctx, created.resource_id, created.outputs)


# -- security groups --------------------------------------------------------------------------------------------


def _rules(ec2: Any, group_id: str) -> list[dict[str, Any]]:
    return ec2.describe_security_group_rules(Filters=[{"Name": "group-id", "Values": [group_id]}])["SecurityGroupRules"]


def test_security_group_starts_without_rules(
    context: Callable[[ResourceHandler], HandlerContext], ec2: Any, vpc: str
) -> None:
    handler = SecurityGroupHandler(dependency_grace_seconds=0)
    ctx = context(handler)
    inputs = _checked(handler, ctx, vpcId=vpc, groupName="app-sg", description="App tier", tags={"tier": "app"})
    created = handler.create(ctx, inputs)
    group_id = created.resource_id
    group = ec2.describe_security_groups(GroupIds=[group_id])["SecurityGroups"][0]
    assert (group["GroupName"], group["Description"], _tags(group)) == ("app-sg", "App tier", {"tier": "app"})
    assert _rules(ec2, group_id) == []  # AWS's allow-all egress was revoked
    assert created.outputs["arn"] == f"arn:aws-cn:ec2:{REGION}:{group['OwnerId']}:security-group/{group_id}"

    updated = handler.update(ctx, group_id, created.outputs, {**inputs, "tags": {"tier": "db"}})
    assert _tags(ec2.describe_security_groups(GroupIds=[group_id])["SecurityGroups"][0]) == {"tier": "db"}
    diff = handler.diff(ctx, group_id, updated, {**inputs, "description": "Other"})
    assert diff.replaces == ["description"] and diff.delete_before_replace is True
    diff = handler.diff(ctx, group_id, updated, {**inputs, "groupName": "app-sg-2"})
    assert diff.replaces == ["groupName"] and diff.delete_before_replace is False
    _lifecycle_tail(handler, ctx, group_id, updated)


def test_security_group_rules(context: Callable[[ResourceHandler], HandlerContext], ec2: Any, vpc: str) -> None:
    handler = SecurityGroupRuleHandler()
    group = ec2.create_security_group(VpcId=vpc, GroupName="rules-sg", Description="rules")["GroupId"]
    peer = ec2.create_security_group(VpcId=vpc, GroupName="peer-sg", Description="peer")["GroupId"]
    ec2.revoke_security_group_egress(
        GroupId=group, SecurityGroupRuleIds=[r["SecurityGroupRuleId"] for r in _rules(ec2, group)]
    )
    cases = [
        {
            "type": "ingress",
            "protocol": "tcp",
            "fromPort": 443,
            "toPort": 443,
            "cidrIpv4": "10.0.0.0/8",
            "description": "https from gov net",
        },
        {
            "type": "ingress",
            "protocol": "tcp",
            "fromPort": 5432,
            "toPort": 5432,
            "referencedSecurityGroupId": peer,
            "description": "db from app",
        },
        {"type": "ingress", "protocol": "icmp", "fromPort": 8, "toPort": -1, "cidrIpv4": "10.60.0.0/16"},
        {"type": "egress", "protocol": "-1", "cidrIpv4": "10.60.0.0/16"},
    ]
    made: list[tuple[HandlerContext, str, dict[str, Any]]] = []
    for case in cases:
        ctx = context(handler)
        inputs = _checked(handler, ctx, securityGroupId=group, **case)
        created = handler.create(ctx, inputs)
        assert created.resource_id.startswith("sgr-")
        assert {k: created.outputs.get(k) for k in inputs} == inputs
        made.append((ctx, created.resource_id, created.outputs))
    live = {r["SecurityGroupRuleId"]: r for r in _rules(ec2, group)}
    assert set(live) == {rule_id for _, rule_id, _ in made}
    https = live[made[0][1]]
    assert (https["IpProtocol"], https["FromPort"], https["CidrIpv4"], https["IsEgress"]) == (
        "tcp",
        443,
        "10.0.0.0/8",
        False,
    )
    assert live[made[3][1]]["IsEgress"] is True

    ctx, rule_id, state = made[0]
    diff = handler.diff(ctx, rule_id, state, {**state, "description": "changed"})
    assert diff.replaces == ["description"] and diff.delete_before_replace is True
    diff = handler.diff(ctx, rule_id, state, {**state, "toPort": 444})
    assert diff.replaces == ["toPort"] and diff.delete_before_replace is False

    # Import of the group-referencing rule reconstructs its description too (moto gap worked around).
    ctx, rule_id, state = made[1]
    imported = handler.read(ctx, rule_id, {}, {})
    assert imported.inputs["referencedSecurityGroupId"] == peer
    assert imported.inputs["description"] == "db from app"

    for ctx, rule_id, state in made:
        _lifecycle_tail(handler, ctx, rule_id, state)
    assert _rules(ec2, group) == []

    # Refresh sees a rule revoked behind our back.
    ctx = context(handler)
    created = handler.create(ctx, _checked(handler, ctx, securityGroupId=group, **cases[0]))
    ec2.revoke_security_group_ingress(GroupId=group, SecurityGroupRuleIds=[created.resource_id])
    assert handler.read(ctx, created.resource_id, created.outputs, {}).resource_id is None
    handler.delete(ctx, created.resource_id, created.outputs)


def test_default_security_group_lockdown(context: Callable[[ResourceHandler], HandlerContext], ec2: Any) -> None:
    handler = DefaultSecurityGroupLockdownHandler()
    ctx = context(handler)
    vpc_id = ec2.create_vpc(CidrBlock="10.62.0.0/16")["Vpc"]["VpcId"]
    default = ec2.describe_security_groups(
        Filters=[{"Name": "vpc-id", "Values": [vpc_id]}, {"Name": "group-name", "Values": ["default"]}]
    )["SecurityGroups"][0]["GroupId"]
    # AWS's default group also lets members talk to each other; moto omits that rule, so add it.
    ec2.authorize_security_group_ingress(
        GroupId=default, IpPermissions=[{"IpProtocol": "-1", "UserIdGroupPairs": [{"GroupId": default}]}]
    )
    assert len(_rules(ec2, default)) == 2

    inputs = _checked(handler, ctx, securityGroupId=default)
    created = handler.create(ctx, inputs)
    assert created.resource_id == default and _rules(ec2, default) == []
    assert created.outputs == {"securityGroupId": default, "vpcId": vpc_id, "ingressRules": [], "egressRules": []}
    assert handler.diff(ctx, default, created.outputs, inputs).changes is False

    ec2.authorize_security_group_ingress(
        GroupId=default,
        IpPermissions=[{"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}],
    )
    refreshed = handler.read(ctx, default, created.outputs, inputs)
    (rule,) = refreshed.outputs["ingressRules"]
    assert (rule["protocol"], rule["fromPort"], rule["cidrIpv4"]) == ("tcp", 22, "0.0.0.0/0")
    drift = handler.diff(ctx, default, refreshed.outputs, inputs)
    assert drift.changes and drift.replaces == [] and "ingressRules" in drift.detailed
    assert handler.preview_update(ctx, default, refreshed.outputs, inputs)["ingressRules"] == []
    repaired = handler.update(ctx, default, refreshed.outputs, inputs)
    assert _rules(ec2, default) == [] and repaired["ingressRules"] == []

    handler.delete(ctx, default, repaired)
    handler.delete(ctx, default, repaired)
    assert _rules(ec2, default) == []  # deleting the lockdown does not reopen the group

    other = ec2.create_security_group(VpcId=vpc_id, GroupName="not-default", Description="x")["GroupId"]
    with pytest.raises(ProviderError) as raised:
        handler.create(context(handler), _checked(handler, ctx, securityGroupId=other))
    assert f"security group {other} is not a VPC's default security group" in str(raised.value)


def test_security_group_rule_guard_revokes_only_unmanaged_rules(
    context: Callable[[ResourceHandler], HandlerContext], ec2: Any, vpc: str
) -> None:
    rules = SecurityGroupRuleHandler()
    handler = SecurityGroupRuleGuardHandler()
    ctx = context(handler)
    # Made with boto3, so AWS's allow-all egress rule is still there: a rule no resource manages.
    group = ec2.create_security_group(VpcId=vpc, GroupName="guarded-sg", Description="guarded")["GroupId"]
    [aws_egress] = [r["SecurityGroupRuleId"] for r in _rules(ec2, group)]
    managed = []
    for case in (
        {"type": "ingress", "protocol": "tcp", "fromPort": 443, "toPort": 443, "cidrIpv4": "10.20.0.0/16"},
        {"type": "egress", "protocol": "tcp", "fromPort": 5432, "toPort": 5432, "cidrIpv4": "10.50.0.0/16"},
    ):
        rule_ctx = context(rules)
        managed.append(rules.create(rule_ctx, _checked(rules, rule_ctx, securityGroupId=group, **case)).resource_id)

    # Create revokes what is unmanaged (here AWS's default egress) and nothing else.
    inputs = _checked(handler, ctx, securityGroupId=group, managedRuleIds=managed)
    created = handler.create(ctx, inputs)
    assert created.resource_id == group
    assert created.outputs == {"securityGroupId": group, "managedRuleIds": managed, "unmanagedRules": []}
    assert {r["SecurityGroupRuleId"] for r in _rules(ec2, group)} == set(managed)
    assert aws_egress not in {r["SecurityGroupRuleId"] for r in _rules(ec2, group)}
    assert handler.read(ctx, group, created.outputs, inputs).outputs == created.outputs
    assert handler.diff(ctx, group, created.outputs, {**inputs, "managedRuleIds": managed[::-1]}).changes is False

    # SSH from anywhere opened with boto3: refresh reports exactly that rule, the diff asks for an update.
    opened = ec2.authorize_security_group_ingress(
        GroupId=group,
        IpPermissions=[{"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}],
    )["SecurityGroupRules"][0]["SecurityGroupRuleId"]
    refreshed = handler.read(ctx, group, created.outputs, inputs)
    assert refreshed.resource_id == group
    assert refreshed.inputs == inputs  # which rules are managed comes from the program, not the cloud
    assert refreshed.outputs["unmanagedRules"] == [
        {"type": "ingress", "securityGroupRuleId": opened, "protocol": "tcp", "fromPort": 22, "toPort": 22,
         "cidrIpv4": "0.0.0.0/0"}
    ]
    drift = handler.diff(ctx, group, refreshed.outputs, inputs)
    assert drift.changes and drift.replaces == [] and drift.detailed == {"unmanagedRules": DiffKind.DELETE}
    assert handler.preview_update(ctx, group, refreshed.outputs, inputs)["unmanagedRules"] == []
    assert opened in {r["SecurityGroupRuleId"] for r in _rules(ec2, group)}  # previews touch nothing
    repaired = handler.update(ctx, group, refreshed.outputs, inputs)
    assert repaired == created.outputs
    assert {r["SecurityGroupRuleId"] for r in _rules(ec2, group)} == set(managed)  # the managed rules stay
    assert handler.diff(ctx, group, handler.read(ctx, group, repaired, inputs).outputs, inputs).changes is False

    # An id dropped from managedRuleIds belongs to a rule resource the same deployment deletes next:
    # the update spares it, and a later refresh reports it if it is still there.
    fewer = {**inputs, "managedRuleIds": managed[:1]}
    assert handler.update(ctx, group, repaired, fewer)["unmanagedRules"] == []
    assert {r["SecurityGroupRuleId"] for r in _rules(ec2, group)} == set(managed)
    leftover = handler.read(ctx, group, {**repaired, **fewer}, fewer)
    assert [r["securityGroupRuleId"] for r in leftover.outputs["unmanagedRules"]] == [managed[1]]
    handler.update(ctx, group, leftover.outputs, fewer)
    assert {r["SecurityGroupRuleId"] for r in _rules(ec2, group)} == {managed[0]}

    # Import knows no managed ids: every rule shows as unmanaged until the program's ids are applied.
    imported = handler.read(ctx, group, {}, {})
    assert imported.inputs == {"securityGroupId": group, "managedRuleIds": []}
    assert [r["securityGroupRuleId"] for r in imported.outputs["unmanagedRules"]] == [managed[0]]

    # Deleting the guard revokes nothing; a vanished group is gone on refresh and an error on update.
    handler.delete(ctx, group, repaired)
    handler.delete(ctx, group, repaired)
    assert {r["SecurityGroupRuleId"] for r in _rules(ec2, group)} == {managed[0]}
    ec2.revoke_security_group_ingress(GroupId=group, SecurityGroupRuleIds=[managed[0]])
    ec2.delete_security_group(GroupId=group)
    assert handler.read(ctx, group, repaired, inputs).resource_id is None
    with pytest.raises(ProviderError) as raised:
        handler.update(ctx, group, repaired, inputs)
    assert f"security group {group} does not exist" in str(raised.value)


# -- network ACLs ----------------------------------------------------------------------------------------------------


def _acl_of(ec2: Any, subnet_id: str) -> str:
    acls = ec2.describe_network_acls(Filters=[{"Name": "association.subnet-id", "Values": [subnet_id]}])
    return str(acls["NetworkAcls"][0]["NetworkAclId"])


def test_network_acl_associations(
    context: Callable[[ResourceHandler], HandlerContext], ec2: Any, vpc: str, subnets: list[str]
) -> None:
    handler = NetworkAclHandler(dependency_grace_seconds=0)
    ctx = context(handler)
    default = ec2.describe_network_acls(
        Filters=[{"Name": "vpc-id", "Values": [vpc]}, {"Name": "default", "Values": ["true"]}]
    )["NetworkAcls"][0]["NetworkAclId"]
    a, b = subnets
    inputs = _checked(handler, ctx, vpcId=vpc, subnetIds=[a], tags={"zone": "app"})
    created = handler.create(ctx, inputs)
    acl_id = created.resource_id
    assert _acl_of(ec2, a) == acl_id and _acl_of(ec2, b) == default
    assert created.outputs["subnetIds"] == [a]

    news = _checked(handler, ctx, vpcId=vpc, subnetIds=[b, a], tags={"zone": "app"})
    updated = handler.update(ctx, acl_id, created.outputs, news)
    assert _acl_of(ec2, a) == acl_id and _acl_of(ec2, b) == acl_id
    assert handler.diff(ctx, acl_id, updated, {**news, "subnetIds": [a, b]}).changes is False
    only_b = _checked(handler, ctx, vpcId=vpc, subnetIds=[b], tags={"zone": "app"})
    updated = handler.update(ctx, acl_id, updated, only_b)
    assert _acl_of(ec2, a) == default and _acl_of(ec2, b) == acl_id

    # Drift: b moved back to the default ACL behind our back.
    association = next(
        x["NetworkAclAssociationId"]
        for x in ec2.describe_network_acls(NetworkAclIds=[acl_id])["NetworkAcls"][0]["Associations"]
        if x["SubnetId"] == b
    )
    ec2.replace_network_acl_association(AssociationId=association, NetworkAclId=default)
    refreshed = handler.read(ctx, acl_id, updated, only_b)
    assert refreshed.outputs["subnetIds"] == []
    assert handler.diff(ctx, acl_id, refreshed.outputs, only_b).diffs == ["subnetIds"]
    updated = handler.update(ctx, acl_id, refreshed.outputs, only_b)
    assert _acl_of(ec2, b) == acl_id

    _lifecycle_tail(handler, ctx, acl_id, updated)  # deleting returns b to the default ACL
    assert _acl_of(ec2, b) == default


def test_network_acl_entries(context: Callable[[ResourceHandler], HandlerContext], ec2: Any, vpc: str) -> None:
    handler = NetworkAclEntryHandler()
    acl_id = ec2.create_network_acl(VpcId=vpc)["NetworkAcl"]["NetworkAclId"]

    def entries() -> dict[tuple[bool, int], dict[str, Any]]:
        acl = ec2.describe_network_acls(NetworkAclIds=[acl_id])["NetworkAcls"][0]
        return {(e["Egress"], e["RuleNumber"]): e for e in acl["Entries"] if e["RuleNumber"] != 32767}

    ctx = context(handler)
    inputs = _checked(
        handler,
        ctx,
        networkAclId=acl_id,
        ruleNumber=100,
        protocol="tcp",
        ruleAction="allow",
        cidrBlock="10.0.0.0/8",
        fromPort=443,
        toPort=443,
    )
    created = handler.create(ctx, inputs)
    entry_id = created.resource_id
    assert entry_id == f"{acl_id}:ingress:100"
    entry = entries()[(False, 100)]
    assert (entry["Protocol"], entry["RuleAction"], entry["PortRange"]) == ("6", "allow", {"From": 443, "To": 443})

    news = _checked(
        handler,
        ctx,
        networkAclId=acl_id,
        ruleNumber=100,
        protocol="udp",
        ruleAction="deny",
        cidrBlock="10.1.0.0/16",
        fromPort=53,
        toPort=53,
    )
    diff = handler.diff(ctx, entry_id, created.outputs, news)
    assert diff.replaces == [] and set(diff.diffs) == {"protocol", "ruleAction", "cidrBlock", "fromPort", "toPort"}
    assert handler.diff(ctx, entry_id, created.outputs, {**news, "ruleNumber": 110}).replaces == ["ruleNumber"]
    assert handler.diff(ctx, entry_id, created.outputs, {**news, "egress": True}).replaces == ["egress"]
    updated = handler.update(ctx, entry_id, created.outputs, news)
    entry = entries()[(False, 100)]
    assert (entry["Protocol"], entry["RuleAction"], entry["CidrBlock"]) == ("17", "deny", "10.1.0.0/16")
    assert updated == {**news, "icmpType": None, "icmpCode": None}

    ec2.replace_network_acl_entry(
        NetworkAclId=acl_id,
        RuleNumber=100,
        Protocol="17",
        RuleAction="allow",
        Egress=False,
        CidrBlock="10.1.0.0/16",
        PortRange={"From": 53, "To": 53},
    )
    refreshed = handler.read(ctx, entry_id, updated, news)
    assert refreshed.outputs["ruleAction"] == "allow"
    assert handler.diff(ctx, entry_id, refreshed.outputs, news).diffs == ["ruleAction"]
    _lifecycle_tail(handler, ctx, entry_id, updated)
    assert (False, 100) not in entries()

    egress_ctx = context(handler)
    icmp = handler.create(
        egress_ctx,
        _checked(
            handler,
            egress_ctx,
            networkAclId=acl_id,
            ruleNumber=120,
            egress=True,
            protocol="icmp",
            ruleAction="allow",
            cidrBlock="0.0.0.0/0",
            icmpType=-1,
            icmpCode=-1,
        ),
    )
    assert icmp.resource_id == f"{acl_id}:egress:120" and entries()[(True, 120)]["Protocol"] == "1"
    ec2.delete_network_acl_entry(NetworkAclId=acl_id, RuleNumber=120, Egress=True)  # drift: gone
    assert handler.read(egress_ctx, icmp.resource_id, icmp.outputs, {}).resource_id is None
    handler.delete(egress_ctx, icmp.resource_id, icmp.outputs)


# -- flow logs ---------------------------------------------------------------------------------------------------------


def test_flow_logs(
    context: Callable[[ResourceHandler], HandlerContext], ec2: Any, vpc: str, moto_endpoint: str
) -> None:
    handler = FlowLogHandler()
    s3 = boto3_client("s3", moto_endpoint, REGION)
    bucket = f"flow-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})

    ctx = context(handler)
    inputs = _checked(
        handler,
        ctx,
        resourceId=vpc,
        logDestinationType="s3",
        logDestination=f"arn:aws-cn:s3:::{bucket}",
        tags={"audit": "mlps3"},
    )
    created = handler.create(ctx, inputs)
    flow_log_id = created.resource_id
    flow_log = ec2.describe_flow_logs(FlowLogIds=[flow_log_id])["FlowLogs"][0]
    assert (flow_log["ResourceId"], flow_log["TrafficType"], flow_log["LogDestination"]) == (
        vpc,
        "ALL",
        f"arn:aws-cn:s3:::{bucket}",
    )
    assert _tags(flow_log) == {"audit": "mlps3"}
    assert {k: created.outputs[k] for k in inputs} == inputs

    updated = handler.update(ctx, flow_log_id, created.outputs, {**inputs, "tags": {"audit": "pipl"}})
    assert _tags(ec2.describe_flow_logs(FlowLogIds=[flow_log_id])["FlowLogs"][0]) == {"audit": "pipl"}
    diff = handler.diff(ctx, flow_log_id, updated, {**inputs, "trafficType": "REJECT"})
    assert diff.replaces == ["trafficType"] and diff.delete_before_replace is True
    _lifecycle_tail(handler, ctx, flow_log_id, updated)

    cw_ctx = context(handler)
    role = "arn:aws-cn:iam::123456789012:role/flow-logs"
    cw = handler.create(
        cw_ctx, _checked(handler, cw_ctx, resourceId=vpc, logGroupName="/egov/flow", deliverLogsPermissionArn=role)
    )
    assert ec2.describe_flow_logs(FlowLogIds=[cw.resource_id])["FlowLogs"][0]["LogGroupName"] == "/egov/flow"
    assert cw.outputs["logDestinationType"] == "cloud-watch-logs" and cw.outputs["logDestination"] is None
    ec2.delete_flow_logs(FlowLogIds=[cw.resource_id])  # drift: gone
    assert handler.read(cw_ctx, cw.resource_id, cw.outputs, {}).resource_id is None
    handler.delete(cw_ctx, cw.resource_id, cw.outputs)

    bad_ctx = context(handler)
    before = len(ec2.describe_flow_logs()["FlowLogs"])
    with pytest.raises(ProviderError) as raised:
        handler.create(
            bad_ctx,
            _checked(
                handler,
                bad_ctx,
                resourceId=vpc,
                logDestinationType="s3",
                logDestination="arn:aws-cn:s3:::no-such-bucket",
            ),
        )
    assert str(raised.value).startswith(f"{bad_ctx.resource}: ec2:CreateFlowLogs did not create the flow log")
    assert "no-such-bucket" in str(raised.value)
    assert len(ec2.describe_flow_logs()["FlowLogs"]) == before


# -- VPC endpoints ------------------------------------------------------------------------------------------


def test_gateway_vpc_endpoint(context: Callable[[ResourceHandler], HandlerContext], ec2: Any, vpc: str) -> None:
    handler = VpcEndpointHandler()
    ctx = context(handler)
    first = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    second = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    service = f"com.amazonaws.{REGION}.s3"
    inputs = _checked(handler, ctx, vpcId=vpc, serviceName=service, routeTableIds=[first], tags={"svc": "s3"})
    created = handler.create(ctx, inputs)
    endpoint_id = created.resource_id

    def endpoint() -> dict[str, Any]:
        return dict(ec2.describe_vpc_endpoints(VpcEndpointIds=[endpoint_id])["VpcEndpoints"][0])

    assert (endpoint()["VpcEndpointType"], endpoint()["RouteTableIds"]) == ("Gateway", [first])
    assert created.outputs["policy"] is None  # AWS's default policy reads back as "none"
    assert {k: created.outputs[k] for k in inputs} == inputs

    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws-cn:s3:::gov-*/*"}
        ],
    }
    news = _checked(
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
    ec2.modify_vpc_endpoint(VpcEndpointId=endpoint_id, PolicyDocument=json.dumps(DEFAULT_POLICY))
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
    _lifecycle_tail(handler, ctx, endpoint_id, updated)


def test_interface_vpc_endpoint(
    context: Callable[[ResourceHandler], HandlerContext], ec2: Any, vpc: str, subnets: list[str]
) -> None:
    handler = VpcEndpointHandler()
    ctx = context(handler)
    group = ec2.create_security_group(VpcId=vpc, GroupName="endpoint-sg", Description="endpoints")["GroupId"]
    inputs = _checked(
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
    live = ec2.describe_vpc_endpoints(VpcEndpointIds=[endpoint_id])["VpcEndpoints"][0]
    assert live["SubnetIds"] == [subnets[0]] and [g["GroupId"] for g in live["Groups"]] == [group]
    assert created.outputs["networkInterfaceIds"] and created.outputs["dnsNames"]

    news = {**inputs, "subnetIds": [subnets[1], subnets[0]], "securityGroupIds": []}
    updated = handler.update(ctx, endpoint_id, created.outputs, news)
    live = ec2.describe_vpc_endpoints(VpcEndpointIds=[endpoint_id])["VpcEndpoints"][0]
    assert sorted(live["SubnetIds"]) == sorted(subnets) and live["Groups"] == []
    assert updated["subnetIds"] == [subnets[1], subnets[0]]

    with pytest.raises(ProviderError) as raised:  # moto ignores PrivateDnsEnabled on ModifyVpcEndpoint
        handler.update(ctx, endpoint_id, updated, {**news, "privateDnsEnabled": True})
    assert "still reports privateDnsEnabled=False" in str(raised.value)
    _lifecycle_tail(handler, ctx, endpoint_id, updated)


# -- leftovers, and the provider's engine-facing methods -------------------------------------------------------------


def test_leftovers_of_every_taggable_family_are_found(
    context: Callable[[ResourceHandler], HandlerContext], clients: ClientFactory, ec2: Any, vpc: str, moto_endpoint: str
) -> None:
    """A resource created but never recorded is found by its owner tag and removed (infra.provider.recovery)."""
    bucket = f"left-{uuid.uuid4().hex[:8]}"
    s3 = boto3_client("s3", moto_endpoint, REGION)
    s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
    subnet = SubnetHandler()
    group = SecurityGroupHandler()
    made: dict[str, str] = {}

    def make(handler: ResourceHandler, **news: Any) -> str:
        ctx = context(handler)
        resource_id = handler.create(ctx, _checked(handler, ctx, **news)).resource_id
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
    assert ec2.describe_subnets(Filters=[{"Name": "subnet-id", "Values": [subnet_id]}])["Subnets"] == []


def _pv(value: Any) -> PropertyValue:
    if isinstance(value, dict):
        return PropertyValue({k: _pv(v) for k, v in value.items()})
    if isinstance(value, list):
        return PropertyValue([_pv(v) for v in value])
    return PropertyValue(value)


def _wire(props: dict[str, PropertyValue]) -> dict[str, PropertyValue]:
    return PropertyValue.unmarshal_map(PropertyValue.marshal_map(props))


def test_provider_route_table_preview_and_lifecycle(moto_endpoint: str, ec2: Any, vpc: str) -> None:
    provider = EgovProvider()
    _run(
        provider.configure(
            ConfigureRequest(
                variables={},
                args=_wire({"endpoint": _pv(moto_endpoint), "region": _pv(REGION)}),
                accept_secrets=True,
                accept_resources=False,
            )
        )
    )
    igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    urn = f"urn:pulumi:{STACK}::egov::egov:ec2:RouteTable::edge"
    news = _wire({"vpcId": _pv(vpc), "routes": _pv([{"destinationCidrBlock": "0.0.0.0/0", "gatewayId": igw}])})
    checked = _run(provider.check(CheckRequest(urn, {}, news, b"")))
    assert not checked.failures and checked.inputs is not None
    inputs = _wire(checked.inputs)

    # Preview of a table whose gateway is not known yet: no API call, outputs unknown.
    unknown_route = _wire(
        {"vpcId": _pv(vpc), "routes": _pv([{"destinationCidrBlock": "0.0.0.0/0", "gatewayId": rpc.UNKNOWN}])}
    )
    checked_unknown = _run(provider.check(CheckRequest(urn, {}, unknown_route, b"")))
    assert not checked_unknown.failures and checked_unknown.inputs is not None
    tables = len(ec2.describe_route_tables()["RouteTables"])
    preview = _run(provider.create(CreateRequest(urn, _wire(checked_unknown.inputs), 60, True)))
    assert _wire(preview.properties)["routeTableId"].value == rpc.UNKNOWN
    assert len(ec2.describe_route_tables()["RouteTables"]) == tables

    created = _run(provider.create(CreateRequest(urn, inputs, 60, False)))
    table_id = created.resource_id
    assert table_id is not None
    state = _wire(created.properties)
    assert convert.to_plain(state)[0]["routes"] == [{"destinationCidrBlock": "0.0.0.0/0", "gatewayId": igw}]
    try:
        dropped = _wire({**inputs, "routes": _pv([])})
        diff = _run(provider.diff(DiffRequest(urn, table_id, state, dropped, [])))
        assert diff.changes is True and diff.replaces == [] and list(diff.detailed_diff) == ["routes[0]"]
        _run(provider.update(UpdateRequest(urn, table_id, state, dropped, 60, [], True)))  # preview
        assert _routes(ec2, table_id) == {"0.0.0.0/0": igw}
        updated = _run(provider.update(UpdateRequest(urn, table_id, state, dropped, 60, [], False)))
        assert _routes(ec2, table_id) == {}
        state = _wire(updated.properties)
        imported = _run(provider.read(ReadRequest(urn, table_id, {}, {})))
        assert convert.to_plain(_wire(imported.inputs))[0] == {"vpcId": vpc, "routes": [], "tags": {}}
    finally:
        _run(provider.delete(DeleteRequest(urn, table_id, state, 60)))
    assert ec2.describe_route_tables(Filters=[{"Name": "route-table-id", "Values": [table_id]}])["RouteTables"] == []
