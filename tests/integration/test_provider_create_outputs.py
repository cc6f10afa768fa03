"""Creates that take their outputs from the create call's answer (or request) instead of reading again,
and tag-only updates that keep what they read at their start: the outputs must be exactly what a fresh
read returns, the cloud must hold what boto3 independently shows, and the call must not make the reads
it no longer needs (counted on the provider's client).

Against the module's own moto server (fixtures in conftest.py).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from infra.provider.clients import ClientFactory, ProviderConfig
from infra.provider.ec2_acl import NetworkAclEntryHandler, NetworkAclHandler
from infra.provider.ec2_security import (
    DefaultSecurityGroupLockdownHandler,
    SecurityGroupHandler,
    SecurityGroupRuleGuardHandler,
    SecurityGroupRuleHandler,
)
from infra.provider.ec2_subnets import SubnetHandler
from infra.provider.ec2_tgw_routes import TransitGatewayRouteHandler
from infra.provider.ec2_vpc import VpcHandler
from infra.provider.errors import ResourceRef
from infra.provider.handler import HandlerContext, ResourceHandler
from tests.integration.provider_checks import AZ_A, REGION, STACK, checked_inputs, user_tags

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("moto_credentials")]


@pytest.fixture()
def counted(moto_endpoint: str) -> Callable[[ResourceHandler], tuple[HandlerContext, list[str]]]:
    """A context on fresh clients, and the list of EC2 operations (``DescribeSubnets``...) it calls."""

    def make(handler: ResourceHandler) -> tuple[HandlerContext, list[str]]:
        clients = ClientFactory(ProviderConfig(region=REGION, endpoint=moto_endpoint, max_attempts=2))
        calls: list[str] = []
        clients.client("ec2").meta.events.register(
            "before-call.ec2.*", lambda model, **_: calls.append(str(model.name))
        )
        urn = f"urn:pulumi:{STACK}::egov::{handler.type_token}::r{uuid.uuid4().hex[:8]}"
        return HandlerContext(resource=ResourceRef.from_urn(urn), clients=clients, timeout=30), calls

    return make


@contextmanager
def recorded(calls: list[str]) -> Iterator[list[str]]:
    """The calls made inside the block."""
    start = len(calls)
    made: list[str] = []
    try:
        yield made
    finally:
        made.extend(calls[start:])


def reads(made: list[str]) -> list[str]:
    return [name for name in made if name.startswith(("Describe", "Search", "Get"))]


def test_subnet_outputs_from_the_create_answer(
    counted: Callable[[ResourceHandler], tuple[HandlerContext, list[str]]], moto_ec2: Any, vpc: str
) -> None:
    handler = SubnetHandler(dependency_grace_seconds=0)
    ctx, calls = counted(handler)
    inputs = checked_inputs(
        handler, ctx, vpcId=vpc, cidrBlock="10.60.90.0/24", availabilityZone=AZ_A, tags={"Name": "app", "tier": "a"}
    )
    with recorded(calls) as made:
        created = handler.create(ctx, inputs)
    assert made == ["CreateSubnet"]
    assert created.outputs == handler.read(ctx, created.resource_id, {}, inputs).outputs
    seen = moto_ec2.describe_subnets(SubnetIds=[created.resource_id])["Subnets"][0]
    assert (seen["CidrBlock"], seen["AvailabilityZone"], user_tags(seen)) == (
        "10.60.90.0/24", AZ_A, {"Name": "app", "tier": "a"}
    )
    assert created.outputs["ownerId"] == seen["OwnerId"]
    handler.delete(ctx, created.resource_id, created.outputs)


def test_subnet_that_changes_after_create_is_read_again(
    counted: Callable[[ResourceHandler], tuple[HandlerContext, list[str]]], moto_ec2: Any, vpc: str
) -> None:
    handler = SubnetHandler(dependency_grace_seconds=0)
    ctx, calls = counted(handler)
    inputs = checked_inputs(
        handler, ctx, vpcId=vpc, cidrBlock="10.60.91.0/24", availabilityZone=AZ_A, mapPublicIpOnLaunch=True
    )
    with recorded(calls) as made:
        created = handler.create(ctx, inputs)
    assert made == ["CreateSubnet", "ModifySubnetAttribute", "DescribeSubnets"]
    assert created.outputs["mapPublicIpOnLaunch"] is True
    assert moto_ec2.describe_subnets(SubnetIds=[created.resource_id])["Subnets"][0]["MapPublicIpOnLaunch"] is True
    assert created.outputs == handler.read(ctx, created.resource_id, {}, inputs).outputs
    handler.delete(ctx, created.resource_id, created.outputs)


@pytest.mark.parametrize(
    "rule",
    [
        {"type": "ingress", "protocol": "tcp", "fromPort": 443, "toPort": 443, "cidrIpv4": "10.1.0.0/16",
         "description": "https from the app zone", "tags": {"flow": "f1"}},
        {"type": "egress", "protocol": "udp", "fromPort": 53, "toPort": 53, "cidrIpv4": "10.2.0.0/16"},
        {"type": "ingress", "protocol": "icmp", "fromPort": 8, "toPort": 0, "cidrIpv4": "10.3.0.0/16"},
        {"type": "egress", "protocol": "-1", "cidrIpv4": "0.0.0.0/0"},
        {"type": "ingress", "protocol": "tcp", "fromPort": 5432, "toPort": 5432, "peer": True,
         "description": "db from app"},
        {"type": "egress", "protocol": "tcp", "fromPort": 22, "toPort": 22, "peer": True},
    ],
    ids=["cidr-described-tagged", "udp-egress", "icmp", "all-traffic", "peer-described", "peer-undescribed"],
)
def test_security_group_rule_outputs_from_the_create_answer(
    counted: Callable[[ResourceHandler], tuple[HandlerContext, list[str]]],
    moto_ec2: Any,
    vpc: str,
    rule: dict[str, Any],
) -> None:
    group = moto_ec2.create_security_group(VpcId=vpc, GroupName=f"g{uuid.uuid4().hex[:8]}", Description="g")
    peer = moto_ec2.create_security_group(VpcId=vpc, GroupName=f"p{uuid.uuid4().hex[:8]}", Description="p")
    # A new group allows all egress; gone, so the all-traffic rule is not a duplicate of it.
    moto_ec2.revoke_security_group_egress(
        GroupId=group["GroupId"], IpPermissions=[{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}]
    )
    handler = SecurityGroupRuleHandler(dependency_grace_seconds=0)
    ctx, calls = counted(handler)
    news = {key: value for key, value in rule.items() if key != "peer"}
    if rule.get("peer"):
        news["referencedSecurityGroupId"] = peer["GroupId"]
    inputs = checked_inputs(handler, ctx, securityGroupId=group["GroupId"], **news)
    with recorded(calls) as made:
        created = handler.create(ctx, inputs)
    assert reads(made) == []
    assert created.outputs == handler.read(ctx, created.resource_id, {}, inputs).outputs
    # Independently: the group's permissions as DescribeSecurityGroups lists them.
    seen = moto_ec2.describe_security_groups(GroupIds=[group["GroupId"]])["SecurityGroups"][0]
    permissions = seen["IpPermissionsEgress" if rule["type"] == "egress" else "IpPermissions"]
    peers = [
        pair.get("Description") if rule.get("peer") else rng.get("Description")
        for permission in permissions
        for pair, rng in (
            [(p, {}) for p in permission.get("UserIdGroupPairs", []) if p["GroupId"] == peer["GroupId"]]
            if rule.get("peer")
            else [({}, r) for r in permission.get("IpRanges", []) if r["CidrIp"] == rule["cidrIpv4"]]
        )
    ]
    assert peers == [rule.get("description")]
    assert created.outputs["description"] == rule.get("description")
    assert created.outputs["tags"] == rule.get("tags", {})
    handler.delete(ctx, created.resource_id, created.outputs)


@pytest.mark.parametrize(
    "entry",
    [
        {"ruleNumber": 100, "protocol": "tcp", "ruleAction": "allow", "cidrBlock": "10.1.0.0/16",
         "fromPort": 443, "toPort": 443},
        {"ruleNumber": 110, "egress": True, "protocol": "udp", "ruleAction": "allow", "cidrBlock": "10.2.0.0/16",
         "fromPort": 1024, "toPort": 65535},
        {"ruleNumber": 120, "protocol": "icmp", "ruleAction": "allow", "cidrBlock": "10.3.0.0/16",
         "icmpType": -1, "icmpCode": -1},
        {"ruleNumber": 32000, "egress": True, "protocol": "-1", "ruleAction": "deny", "cidrBlock": "0.0.0.0/0"},
    ],
    ids=["tcp-ingress", "udp-egress", "icmp", "deny-all"],
)
def test_network_acl_entry_outputs_from_the_request(
    counted: Callable[[ResourceHandler], tuple[HandlerContext, list[str]]],
    moto_ec2: Any,
    vpc: str,
    entry: dict[str, Any],
) -> None:
    acl_id = moto_ec2.create_network_acl(VpcId=vpc)["NetworkAcl"]["NetworkAclId"]
    handler = NetworkAclEntryHandler()
    ctx, calls = counted(handler)
    inputs = checked_inputs(handler, ctx, networkAclId=acl_id, **entry)
    with recorded(calls) as made:
        created = handler.create(ctx, inputs)
    assert made == ["CreateNetworkAclEntry"]
    direction = "egress" if entry.get("egress") else "ingress"
    assert created.resource_id == f"{acl_id}:{direction}:{entry['ruleNumber']}"
    assert created.outputs == handler.read(ctx, created.resource_id, created.outputs, inputs).outputs
    seen = [
        e for e in moto_ec2.describe_network_acls(NetworkAclIds=[acl_id])["NetworkAcls"][0]["Entries"]
        if e["RuleNumber"] == entry["ruleNumber"] and e["Egress"] == bool(entry.get("egress"))
    ]
    assert [(e["CidrBlock"], e["RuleAction"]) for e in seen] == [(entry["cidrBlock"], entry["ruleAction"])]
    expected = {"egress": False, "fromPort": None, "toPort": None, "icmpType": None, "icmpCode": None,
                "networkAclId": acl_id, **entry}
    assert created.outputs == expected
    handler.delete(ctx, created.resource_id, created.outputs)
    moto_ec2.delete_network_acl(NetworkAclId=acl_id)


def test_network_acl_moves_its_subnets_with_one_lookup(
    counted: Callable[[ResourceHandler], tuple[HandlerContext, list[str]]], moto_ec2: Any, vpc: str
) -> None:
    subnet_ids = [
        moto_ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.60.{n}.0/24", AvailabilityZone=AZ_A)["Subnet"]["SubnetId"]
        for n in (95, 96, 97)
    ]
    handler = NetworkAclHandler(dependency_grace_seconds=0)
    ctx, calls = counted(handler)
    inputs = checked_inputs(handler, ctx, vpcId=vpc, subnetIds=subnet_ids)
    with recorded(calls) as made:
        created = handler.create(ctx, inputs)
    # One lookup of the subnets' current ACLs, a move each, the describe that ends the create.
    assert made == ["CreateNetworkAcl", "DescribeNetworkAcls", *["ReplaceNetworkAclAssociation"] * 3,
                    "DescribeNetworkAcls"]
    for subnet_id in subnet_ids:
        found = moto_ec2.describe_network_acls(Filters=[{"Name": "association.subnet-id", "Values": [subnet_id]}])
        assert [a["NetworkAclId"] for a in found["NetworkAcls"]] == [created.resource_id]
    assert created.outputs == handler.read(ctx, created.resource_id, {}, inputs).outputs
    handler.delete(ctx, created.resource_id, created.outputs)
    for subnet_id in subnet_ids:
        found = moto_ec2.describe_network_acls(Filters=[{"Name": "association.subnet-id", "Values": [subnet_id]}])
        assert [a["IsDefault"] for a in found["NetworkAcls"]] == [True]
        moto_ec2.delete_subnet(SubnetId=subnet_id)


@pytest.mark.parametrize("blackhole", [False, True], ids=["to-attachment", "blackhole"])
def test_transit_gateway_route_outputs_from_the_create_answer(
    counted: Callable[[ResourceHandler], tuple[HandlerContext, list[str]]],
    moto_ec2: Any,
    vpc: str,
    subnets: list[str],
    blackhole: bool,
) -> None:
    tgw = moto_ec2.create_transit_gateway()["TransitGateway"]["TransitGatewayId"]
    table = moto_ec2.create_transit_gateway_route_table(TransitGatewayId=tgw)["TransitGatewayRouteTable"]
    table_id = table["TransitGatewayRouteTableId"]
    attachment = moto_ec2.create_transit_gateway_vpc_attachment(
        TransitGatewayId=tgw, VpcId=vpc, SubnetIds=subnets[:1]
    )["TransitGatewayVpcAttachment"]["TransitGatewayAttachmentId"]
    handler = TransitGatewayRouteHandler()
    ctx, calls = counted(handler)
    target: dict[str, Any] = {"blackhole": True} if blackhole else {"transitGatewayAttachmentId": attachment}
    inputs = checked_inputs(handler, ctx, transitGatewayRouteTableId=table_id, destinationCidrBlock="10.77.0.0/16",
                            **target)
    with recorded(calls) as made:
        created = handler.create(ctx, inputs)
    # The one search left is the check that no one else's route is taken over.
    assert made == ["SearchTransitGatewayRoutes", "CreateTransitGatewayRoute"]
    assert created.outputs == handler.read(ctx, created.resource_id, created.outputs, inputs).outputs
    routes = moto_ec2.search_transit_gateway_routes(
        TransitGatewayRouteTableId=table_id, Filters=[{"Name": "type", "Values": ["static"]}]
    )["Routes"]
    assert [(r["DestinationCidrBlock"], r["State"]) for r in routes] == [
        ("10.77.0.0/16", "blackhole" if blackhole else "active")
    ]
    assert created.outputs["blackhole"] is blackhole
    assert created.outputs.get("transitGatewayAttachmentId") == (None if blackhole else attachment)
    handler.delete(ctx, created.resource_id, created.outputs)


@pytest.mark.parametrize("family", ["vpc", "subnet", "security-group"])
def test_tag_only_update_reads_once(
    counted: Callable[[ResourceHandler], tuple[HandlerContext, list[str]]],
    moto_ec2: Any,
    vpc: str,
    family: str,
) -> None:
    handler: ResourceHandler
    if family == "vpc":
        handler, news = VpcHandler(dependency_grace_seconds=0), {"cidrBlock": "10.61.0.0/16"}
    elif family == "subnet":
        handler = SubnetHandler(dependency_grace_seconds=0)
        news = {"vpcId": vpc, "cidrBlock": "10.60.98.0/24", "availabilityZone": AZ_A}
    else:
        handler = SecurityGroupHandler(dependency_grace_seconds=0)
        news = {"vpcId": vpc, "groupName": f"t{uuid.uuid4().hex[:8]}", "description": "tagged"}
    ctx, calls = counted(handler)
    created = handler.create(ctx, checked_inputs(handler, ctx, **news, tags={"a": "1", "b": "2"}))
    retagged = checked_inputs(handler, ctx, **news, tags={"a": "1", "c": "3"})
    with recorded(calls) as one_read:
        handler.read(ctx, created.resource_id, created.outputs, retagged)
    with recorded(calls) as made:
        updated = handler.update(ctx, created.resource_id, created.outputs, retagged)
    # What the update read at its start (one read's worth), then the tag calls: no describe after.
    assert reads(made) == reads(one_read)
    assert sorted(set(made) - set(reads(made))) == ["CreateTags", "DeleteTags"]
    assert updated == handler.read(ctx, created.resource_id, updated, retagged).outputs
    assert updated["tags"] == {"a": "1", "c": "3"}
    item = moto_ec2.describe_tags(Filters=[{"Name": "resource-id", "Values": [created.resource_id]}])["Tags"]
    assert {t["Key"]: t["Value"] for t in item if t["Key"] != "egov:urn"} == {"a": "1", "c": "3"}
    handler.delete(ctx, created.resource_id, updated)


def test_update_that_changes_more_than_tags_reads_again(
    counted: Callable[[ResourceHandler], tuple[HandlerContext, list[str]]], moto_ec2: Any, vpc: str
) -> None:
    handler = SubnetHandler(dependency_grace_seconds=0)
    ctx, calls = counted(handler)
    news = {"vpcId": vpc, "cidrBlock": "10.60.99.0/24", "availabilityZone": AZ_A}
    created = handler.create(ctx, checked_inputs(handler, ctx, **news))
    changed = checked_inputs(handler, ctx, **news, mapPublicIpOnLaunch=True, tags={"x": "y"})
    with recorded(calls) as made:
        updated = handler.update(ctx, created.resource_id, created.outputs, changed)
    assert reads(made) == ["DescribeSubnets", "DescribeSubnets"]
    assert updated["mapPublicIpOnLaunch"] is True and updated["tags"] == {"x": "y"}
    assert moto_ec2.describe_subnets(SubnetIds=[created.resource_id])["Subnets"][0]["MapPublicIpOnLaunch"] is True
    assert updated == handler.read(ctx, created.resource_id, updated, changed).outputs
    handler.delete(ctx, created.resource_id, updated)


def test_clean_groups_are_read_once(
    counted: Callable[[ResourceHandler], tuple[HandlerContext, list[str]]], moto_ec2: Any
) -> None:
    """A lockdown or guard that finds nothing to revoke has nothing to read back either."""
    vpc_id = moto_ec2.create_vpc(CidrBlock="10.63.0.0/16")["Vpc"]["VpcId"]
    default = moto_ec2.describe_security_groups(
        Filters=[{"Name": "vpc-id", "Values": [vpc_id]}, {"Name": "group-name", "Values": ["default"]}]
    )["SecurityGroups"][0]["GroupId"]
    lockdown = DefaultSecurityGroupLockdownHandler()
    ctx, calls = counted(lockdown)
    inputs = checked_inputs(lockdown, ctx, securityGroupId=default)
    with recorded(calls) as made:
        created = lockdown.create(ctx, inputs)
    assert made.count("DescribeSecurityGroupRules") == 2  # the rules found, then none left after the revoke
    assert created.outputs == {"securityGroupId": default, "vpcId": vpc_id, "ingressRules": [], "egressRules": []}
    with recorded(calls) as made:
        again = lockdown.update(ctx, default, created.outputs, inputs)
    assert made == ["DescribeSecurityGroups", "DescribeSecurityGroupRules"]
    assert again == created.outputs == lockdown.read(ctx, default, again, inputs).outputs

    group = moto_ec2.create_security_group(VpcId=vpc_id, GroupName="clean", Description="c")["GroupId"]
    [egress] = [
        r["SecurityGroupRuleId"]
        for r in moto_ec2.describe_security_group_rules(Filters=[{"Name": "group-id", "Values": [group]}])[
            "SecurityGroupRules"
        ]
    ]
    guard = SecurityGroupRuleGuardHandler()
    ctx, calls = counted(guard)
    inputs = checked_inputs(guard, ctx, securityGroupId=group, managedRuleIds=[egress])
    with recorded(calls) as made:
        guarded = guard.create(ctx, inputs)
    assert made == ["DescribeSecurityGroups", "DescribeSecurityGroupRules"]
    assert guarded.outputs == {"securityGroupId": group, "managedRuleIds": [egress], "unmanagedRules": []}
    assert guarded.outputs == guard.read(ctx, group, guarded.outputs, inputs).outputs
    rules = moto_ec2.describe_security_group_rules(Filters=[{"Name": "group-id", "Values": [group]}])
    assert [r["SecurityGroupRuleId"] for r in rules["SecurityGroupRules"]] == [egress]
