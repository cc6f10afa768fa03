"""Network handler logic that needs no cloud: check messages, diff (replace vs update,
delete-before-replace), and the route / rule / ACL entry / policy computations."""

from __future__ import annotations

import json
from typing import Any

import pytest

from infra.provider.clients import ClientFactory, ProviderConfig
from infra.provider.ec2_acl import (
    NetworkAclEntryHandler,
    NetworkAclHandler,
    entry_outputs,
    entry_params,
    parse_entry_id,
)
from infra.provider.ec2_endpoints import DEFAULT_POLICY, VpcEndpointHandler, policy_from_aws, policy_key
from infra.provider.ec2_flowlogs import FlowLogHandler
from infra.provider.ec2_network import (
    InternetGatewayHandler,
    SubnetHandler,
    align_unordered,
    ipv4_cidr_problem,
    network_handlers,
    order_like,
)
from infra.provider.ec2_routes import (
    RouteTableAssociationHandler,
    RouteTableHandler,
    plan_routes,
    route_diff,
    route_from_aws,
)
from infra.provider.ec2_security import (
    DefaultSecurityGroupLockdownHandler,
    SecurityGroupHandler,
    SecurityGroupRuleGuardHandler,
    SecurityGroupRuleHandler,
    ip_permission,
    rule_outputs,
    unmanaged_rules,
)
from infra.provider.errors import ResourceRef
from infra.provider.handler import UNKNOWN, DiffKind, Failure, HandlerContext, ResourceHandler
from infra.provider.provider import default_registry
from infra.provider.schema import package_schema

VPC, SUBNET_A, SUBNET_B = "vpc-1", "subnet-a", "subnet-b"
IGW, TGW, ENI = "igw-1", "tgw-1", "eni-1"


def ctx_for(handler: ResourceHandler) -> HandlerContext:
    # check and diff never call the cloud; the endpoint is a closed port on purpose.
    config = ProviderConfig(region="cn-north-1", endpoint="http://127.0.0.1:9")
    urn = f"urn:pulumi:dev::egov::{handler.type_token}::x"
    return HandlerContext(resource=ResourceRef.from_urn(urn), clients=ClientFactory(config))


def failures(handler: ResourceHandler, **news: Any) -> list[Failure]:
    return handler.check(ctx_for(handler), news, {}).failures


def reasons(handler: ResourceHandler, **news: Any) -> list[str]:
    return [f.reason for f in failures(handler, **news)]


def checked(handler: ResourceHandler, **news: Any) -> dict[str, Any]:
    result = handler.check(ctx_for(handler), news, {})
    assert result.failures == []
    return result.inputs


# -- registry and schema ----------------------------------------------------------------------------------


def test_every_network_family_is_registered_and_in_the_schema() -> None:
    tokens = {h.type_token for h in network_handlers()}
    assert tokens == {
        "egov:ec2:Subnet",
        "egov:ec2:InternetGateway",
        "egov:ec2:RouteTable",
        "egov:ec2:RouteTableAssociation",
        "egov:ec2:SecurityGroup",
        "egov:ec2:SecurityGroupRule",
        "egov:ec2:DefaultSecurityGroupLockdown",
        "egov:ec2:SecurityGroupRuleGuard",
        "egov:ec2:NetworkAcl",
        "egov:ec2:NetworkAclEntry",
        "egov:ec2:FlowLog",
        "egov:ec2:VpcEndpoint",
    }
    registry = default_registry()
    assert all(token in registry for token in tokens)
    schema = package_schema(registry)
    routes = schema["resources"]["egov:ec2:RouteTable"]["inputProperties"]["routes"]
    assert routes["type"] == "array"
    assert routes["items"] == {"type": "object", "additionalProperties": {"$ref": "pulumi.json#/Any"}}
    assert schema["resources"]["egov:ec2:Subnet"]["inputProperties"]["cidrBlock"]["replaceOnChanges"] is True


# -- subnet -----------------------------------------------------------------------------------------------


def test_subnet_check_fills_defaults() -> None:
    assert checked(SubnetHandler(), vpcId=VPC, cidrBlock="10.0.1.0/24", availabilityZone="cn-north-1a") == {
        "vpcId": VPC,
        "cidrBlock": "10.0.1.0/24",
        "availabilityZone": "cn-north-1a",
        "mapPublicIpOnLaunch": False,
        "tags": {},
    }


@pytest.mark.parametrize(
    ("cidr", "reason"),
    [
        ("10.0.1.0", "cidrBlock '10.0.1.0' has no prefix length; write it as a.b.c.d/n, e.g. 10.0.1.0/24"),
        ("10.0.0.0/30", "cidrBlock '10.0.0.0/30' has prefix /30; it must be between /16 and /28"),
        (
            "10.0.1.5/24",
            "cidrBlock '10.0.1.5/24' has host bits set (0.0.0.5); the /24 network containing it is 10.0.1.0/24",
        ),
        ("fd00::/64", "cidrBlock 'fd00::/64' is an IPv6 network; only IPv4 CIDR blocks are supported here"),
        ("10.0.1.300/24", "cidrBlock '10.0.1.300/24' is not a valid IPv4 CIDR block (each part 0-255, prefix 0-32)"),
    ],
)
def test_subnet_check_rejects_bad_cidr(cidr: str, reason: str) -> None:
    assert failures(SubnetHandler(), vpcId=VPC, cidrBlock=cidr, availabilityZone="cn-north-1a") == [
        Failure("cidrBlock", reason)
    ]


def test_subnet_check_requires_and_types() -> None:
    assert reasons(SubnetHandler(), vpcId="my-vpc", cidrBlock=UNKNOWN, mapPublicIpOnLaunch="yes") == [
        "missing required property 'availabilityZone'",
        "mapPublicIpOnLaunch must be a boolean, got string",
        "vpcId 'my-vpc' is not a vpc-... id",
    ]


def test_subnet_diff_replaces_and_deletes_first_when_the_new_block_overlaps() -> None:
    handler = SubnetHandler()
    ctx = ctx_for(handler)
    old = {**checked(handler, vpcId=VPC, cidrBlock="10.0.1.0/24", availabilityZone="cn-north-1a"), "subnetId": "s"}
    in_place = handler.diff(ctx, "s", old, {**old, "mapPublicIpOnLaunch": True, "tags": {"a": "b"}})
    assert in_place.replaces == [] and in_place.detailed == {
        "mapPublicIpOnLaunch": DiffKind.UPDATE,
        "tags.a": DiffKind.ADD,
    }
    assert in_place.stables == ["subnetId", "arn", "ownerId", "availabilityZoneId"]
    az = handler.diff(ctx, "s", old, {**old, "availabilityZone": "cn-north-1b"})
    assert az.replaces == ["availabilityZone"] and az.delete_before_replace is True
    grow = handler.diff(ctx, "s", old, {**old, "cidrBlock": "10.0.0.0/23"})
    assert grow.replaces == ["cidrBlock"] and grow.delete_before_replace is True
    move = handler.diff(ctx, "s", old, {**old, "cidrBlock": "10.0.2.0/24"})
    assert move.replaces == ["cidrBlock"] and move.delete_before_replace is False
    other_vpc = handler.diff(ctx, "s", old, {**old, "vpcId": "vpc-2"})
    assert other_vpc.delete_before_replace is False
    unknown_vpc = handler.diff(ctx, "s", old, {**old, "vpcId": UNKNOWN})
    assert unknown_vpc.detailed == {"vpcId": DiffKind.UPDATE_REPLACE} and unknown_vpc.delete_before_replace is True


def test_internet_gateway_vpc_is_in_place() -> None:
    handler = InternetGatewayHandler()
    old = {"vpcId": VPC, "tags": {}, "internetGatewayId": "igw-1"}
    diff = handler.diff(ctx_for(handler), "igw-1", old, {"vpcId": "vpc-2", "tags": {}})
    assert diff.replaces == [] and diff.detailed == {"vpcId": DiffKind.UPDATE}
    assert handler.diff(ctx_for(handler), "igw-1", old, {"tags": {}}).detailed == {"vpcId": DiffKind.DELETE}
    assert reasons(handler, vpcId="default") == ["vpcId 'default' is not a vpc-... id"]


# -- route tables -------------------------------------------------------------------------------------------


def test_route_check_messages() -> None:
    got = failures(
        RouteTableHandler(),
        vpcId=VPC,
        routes=[
            {"destinationCidrBlock": "0.0.0.0/0", "gatewayId": IGW, "transitGatewayId": TGW},
            {"destinationCidrBlock": "10.1.0.0/16"},
            {"destinationCidrBlock": "10.2.0.1/16", "natGatewayId": "nat-1"},
            {"destinationCidrBlock": "0.0.0.0/0", "transitGatewayId": TGW},
            {"gatewayId": IGW, "via": "x"},
            {"destinationCidrBlock": "10.3.0.0/16", "gatewayId": "local"},
            {"destinationCidrBlock": "10.4.0.0/16", "networkInterfaceId": "i-123"},
            {"destinationCidrBlock": UNKNOWN, "gatewayId": UNKNOWN},
        ],
    )
    assert got == [
        Failure(
            "routes[0]",
            "routes[0] needs exactly one target (gatewayId, natGatewayId, transitGatewayId, "
            "vpcEndpointId, networkInterfaceId, vpcPeeringConnectionId); it has gatewayId, transitGatewayId",
        ),
        Failure(
            "routes[1]",
            "routes[1] needs exactly one target (gatewayId, natGatewayId, transitGatewayId, "
            "vpcEndpointId, networkInterfaceId, vpcPeeringConnectionId); it has none",
        ),
        Failure(
            "routes[2].destinationCidrBlock",
            "routes[2].destinationCidrBlock '10.2.0.1/16' has host bits set "
            "(0.0.0.1); the /16 network containing it is 10.2.0.0/16",
        ),
        Failure("routes[3]", "routes[3] repeats destination 0.0.0.0/0 of routes[0]"),
        Failure(
            "routes[4].via",
            "routes[4] has unknown key 'via'; a route accepts: destinationCidrBlock, "
            "gatewayId, natGatewayId, transitGatewayId, vpcEndpointId, networkInterfaceId, "
            "vpcPeeringConnectionId",
        ),
        Failure("routes[4]", "routes[4] needs a destinationCidrBlock"),
        Failure("routes[5].gatewayId", "routes[5]: the VPC's local route is managed by AWS; leave it out"),
        Failure("routes[6].networkInterfaceId", "routes[6].networkInterfaceId 'i-123' is not a eni-... id"),
    ]


def test_route_check_drops_null_targets() -> None:
    inputs = checked(
        RouteTableHandler(),
        vpcId=VPC,
        routes=[{"destinationCidrBlock": "0.0.0.0/0", "gatewayId": IGW, "natGatewayId": None}],
    )
    assert inputs["routes"] == [{"destinationCidrBlock": "0.0.0.0/0", "gatewayId": IGW}]


def route(destination: str, **target: Any) -> dict[str, Any]:
    return {"destinationCidrBlock": destination, **target}


def test_plan_routes() -> None:
    current = [
        route("0.0.0.0/0", gatewayId=IGW),
        route("10.1.0.0/16", transitGatewayId=TGW),
        route("10.2.0.0/16", networkInterfaceId=ENI),
    ]
    desired = [
        route("10.2.0.0/16", networkInterfaceId=ENI),
        route("10.1.0.0/16", gatewayId=IGW),
        route("10.3.0.0/16", transitGatewayId=TGW),
    ]
    plan = plan_routes(current, desired)
    assert plan.create == [route("10.3.0.0/16", transitGatewayId=TGW)]
    assert plan.replace == [(route("10.1.0.0/16", transitGatewayId=TGW), route("10.1.0.0/16", gatewayId=IGW))]
    assert plan.delete == [route("0.0.0.0/0", gatewayId=IGW)]
    assert plan_routes(current, list(reversed(current))).empty


def test_route_diff_paths() -> None:
    old = [route("0.0.0.0/0", gatewayId=IGW), route("10.1.0.0/16", transitGatewayId=TGW)]
    new = [
        route("10.1.0.0/16", transitGatewayId=TGW),
        route("0.0.0.0/0", natGatewayId="nat-1"),
        route("10.9.0.0/16", gatewayId=IGW),
    ]
    assert route_diff(old, new) == {"routes[1]": DiffKind.UPDATE, "routes[2]": DiffKind.ADD}
    assert route_diff(old, old[1:]) == {"routes[0]": DiffKind.DELETE}
    # routes[0] would be both "deleted (old list)" and "changed (new list)": reported as a whole.
    assert route_diff(old, [route("10.1.0.0/16", gatewayId=IGW)]) == {"routes": DiffKind.UPDATE}
    assert route_diff(old, [route("0.0.0.0/0", gatewayId=UNKNOWN)]) == {"routes": DiffKind.UPDATE}


def test_route_table_diff_ignores_order_and_stays_in_place() -> None:
    handler = RouteTableHandler()
    ctx = ctx_for(handler)
    routes = [route("0.0.0.0/0", gatewayId=IGW), route("10.1.0.0/16", transitGatewayId=TGW)]
    old = {"vpcId": VPC, "routes": routes, "tags": {}, "routeTableId": "rtb-1"}
    assert handler.diff(ctx, "rtb-1", old, {**old, "routes": list(reversed(routes))}).changes is False
    diff = handler.diff(ctx, "rtb-1", old, {**old, "routes": routes[:1]})
    assert diff.replaces == [] and diff.detailed == {"routes[1]": DiffKind.DELETE} and diff.diffs == ["routes"]
    assert handler.diff(ctx, "rtb-1", old, {**old, "vpcId": "vpc-2"}).replaces == ["vpcId"]
    unknown = handler.diff(ctx, "rtb-1", old, {**old, "routes": UNKNOWN})
    assert unknown.detailed == {"routes": DiffKind.UPDATE}


def test_routes_read_from_aws() -> None:
    assert (
        route_from_aws({"DestinationCidrBlock": "10.0.0.0/16", "GatewayId": "local", "Origin": "CreateRouteTable"})
        is None
    )
    assert route_from_aws({"DestinationPrefixListId": "pl-1", "GatewayId": "vpce-1"}) is None
    assert (
        route_from_aws(
            {"DestinationCidrBlock": "10.5.0.0/16", "GatewayId": "vgw-1", "Origin": "EnableVgwRoutePropagation"}
        )
        is None
    )
    assert route_from_aws({"DestinationCidrBlock": "0.0.0.0/0", "GatewayId": "vpce-9"}) == route(
        "0.0.0.0/0", vpcEndpointId="vpce-9"
    )
    assert route_from_aws(
        {"DestinationCidrBlock": "10.6.0.0/16", "InstanceId": "i-1", "NetworkInterfaceId": ENI}
    ) == route("10.6.0.0/16", networkInterfaceId=ENI)
    assert route_from_aws({"DestinationCidrBlock": "10.7.0.0/16", "CarrierGatewayId": "cagw-1"}) is None


def test_route_table_association_subnet_replaces_table_moves() -> None:
    handler = RouteTableAssociationHandler()
    old = {"subnetId": SUBNET_A, "routeTableId": "rtb-1", "associationId": "rtbassoc-1"}
    assert (
        handler.diff(ctx_for(handler), "rtbassoc-1", old, {"subnetId": SUBNET_A, "routeTableId": "rtb-2"}).replaces
        == []
    )
    assert handler.diff(
        ctx_for(handler), "rtbassoc-1", old, {"subnetId": SUBNET_B, "routeTableId": "rtb-1"}
    ).replaces == ["subnetId"]


# -- security groups -----------------------------------------------------------------------------------------


def test_security_group_check() -> None:
    handler = SecurityGroupHandler()
    assert checked(handler, vpcId=VPC, groupName="app")["description"] == "Managed by Pulumi"
    assert reasons(handler, vpcId=VPC, groupName="sg-app") == [
        "groupName 'sg-app' must not start with 'sg-' (AWS reserves it)"
    ]
    assert reasons(handler, vpcId=VPC, groupName="default") == [
        "groupName 'default' is the VPC's own group; lock it down with egov:ec2:DefaultSecurityGroupLockdown "
        "instead of creating one"
    ]
    assert reasons(handler, vpcId=VPC, groupName="app", description="应用 <tier>") == [
        "description contains characters AWS does not accept ('<>应用'); use letters a-z A-Z, digits, spaces and "
        "._-:/()#,@[]+=&;{}!$*"
    ]
    assert reasons(handler, vpcId=VPC, groupName="x" * 256) == ["groupName is 256 characters long; the limit is 255"]


def test_security_group_replacement_keeping_its_name_deletes_first() -> None:
    handler = SecurityGroupHandler()
    old = {**checked(handler, vpcId=VPC, groupName="app"), "groupId": "sg-1"}
    diff = handler.diff(ctx_for(handler), "sg-1", old, {**old, "description": "new"})
    assert diff.replaces == ["description"] and diff.delete_before_replace is True
    renamed = handler.diff(ctx_for(handler), "sg-1", old, {**old, "groupName": "app2", "description": "new"})
    assert sorted(renamed.replaces) == ["description", "groupName"] and renamed.delete_before_replace is False
    tags = handler.diff(ctx_for(handler), "sg-1", old, {**old, "tags": {"a": "b"}})
    assert tags.replaces == [] and tags.delete_before_replace is False


RULE = {
    "securityGroupId": "sg-1",
    "type": "ingress",
    "protocol": "tcp",
    "fromPort": 443,
    "toPort": 443,
    "cidrIpv4": "10.0.0.0/8",
}


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"type": "inbound"}, [Failure("type", "type 'inbound' must be one of: ingress, egress")]),
        ({"protocol": "6"}, [Failure("protocol", "protocol '6' must be one of: tcp, udp, icmp, -1")]),
        ({"fromPort": None}, [Failure("fromPort", "protocol 'tcp' needs fromPort: a port 0-65535")]),
        ({"fromPort": 444}, [Failure("fromPort", "fromPort 444 is greater than toPort 443")]),
        ({"toPort": 70000}, [Failure("toPort", "toPort 70000 is not a port (0-65535)")]),
        (
            {"protocol": "-1"},
            [
                Failure("fromPort", "fromPort does not apply to protocol '-1' (all traffic, all ports); leave it out"),
                Failure("toPort", "toPort does not apply to protocol '-1' (all traffic, all ports); leave it out"),
            ],
        ),
        (
            {"protocol": "icmp", "fromPort": -1, "toPort": 0},
            [Failure("toPort", "an ICMP code needs an ICMP type: with fromPort -1, toPort must be -1")],
        ),
        (
            {"protocol": "icmp", "fromPort": None, "toPort": None},
            [
                Failure("fromPort", "protocol 'icmp' needs fromPort: the ICMP type (-1 for all)"),
                Failure("toPort", "protocol 'icmp' needs toPort: the ICMP code (-1 for all)"),
            ],
        ),
        ({"cidrIpv4": None}, [Failure("cidrIpv4", "a rule needs a peer: set cidrIpv4 or referencedSecurityGroupId")]),
        (
            {"referencedSecurityGroupId": "sg-2"},
            [Failure("cidrIpv4", "set only one of cidrIpv4 and referencedSecurityGroupId; one rule has one peer")],
        ),
        (
            {"cidrIpv4": "10.0.0.1/8"},
            [
                Failure(
                    "cidrIpv4",
                    "cidrIpv4 '10.0.0.1/8' has host bits set (0.0.0.1); the /8 network containing it is 10.0.0.0/8",
                )
            ],
        ),
        ({"fromPort": UNKNOWN}, []),
    ],
)
def test_security_group_rule_check(overrides: dict[str, Any], expected: list[Failure]) -> None:
    news = {k: v for k, v in {**RULE, **overrides}.items() if v is not None}
    assert failures(SecurityGroupRuleHandler(), **news) == expected


def test_security_group_rule_everything_but_tags_replaces() -> None:
    handler = SecurityGroupRuleHandler()
    old = {**checked(handler, **RULE), "securityGroupRuleId": "sgr-1"}
    for name, value in (("type", "egress"), ("protocol", "udp"), ("toPort", 444), ("cidrIpv4", "10.0.0.0/9")):
        diff = handler.diff(ctx_for(handler), "sgr-1", old, {**old, name: value})
        assert diff.replaces == [name] and diff.delete_before_replace is False
    described = handler.diff(ctx_for(handler), "sgr-1", old, {**old, "description": "https"})
    assert described.replaces == ["description"] and described.delete_before_replace is True
    assert handler.diff(ctx_for(handler), "sgr-1", old, {**old, "tags": {"a": "b"}}).replaces == []


def test_ip_permission_and_rule_outputs_round_trip() -> None:
    assert ip_permission({**RULE, "description": "https"}) == {
        "IpProtocol": "tcp",
        "FromPort": 443,
        "ToPort": 443,
        "IpRanges": [{"CidrIp": "10.0.0.0/8", "Description": "https"}],
    }
    everything = {"securityGroupId": "sg-1", "type": "egress", "protocol": "-1", "referencedSecurityGroupId": "sg-2"}
    assert ip_permission(everything) == {"IpProtocol": "-1", "UserIdGroupPairs": [{"GroupId": "sg-2"}]}
    aws_rule = {
        "GroupId": "sg-1",
        "IsEgress": True,
        "IpProtocol": "-1",
        "FromPort": -1,
        "ToPort": -1,
        "ReferencedGroupInfo": {"GroupId": "sg-2", "UserId": "1"},
    }
    assert rule_outputs(aws_rule) == {
        **everything,
        "fromPort": None,
        "toPort": None,
        "cidrIpv4": None,
        "description": None,
    }
    assert rule_outputs({"GroupId": "sg-1", "IpProtocol": "6", "FromPort": 1, "ToPort": 2})["protocol"] == "tcp"


def test_lockdown_diff_asks_for_an_update_while_rules_exist() -> None:
    handler = DefaultSecurityGroupLockdownHandler()
    ctx = ctx_for(handler)
    clean = {"securityGroupId": "sg-1", "vpcId": VPC, "ingressRules": [], "egressRules": []}
    assert handler.diff(ctx, "sg-1", clean, {"securityGroupId": "sg-1"}).changes is False
    dirty = {**clean, "egressRules": [{"securityGroupRuleId": "sgr-1", "protocol": "-1", "cidrIpv4": "0.0.0.0/0"}]}
    diff = handler.diff(ctx, "sg-1", dirty, {"securityGroupId": "sg-1"})
    assert diff.changes and diff.replaces == [] and diff.detailed == {"egressRules": DiffKind.DELETE}
    assert diff.stables == ["vpcId", "ingressRules"]
    assert handler.diff(ctx, "sg-1", dirty, {"securityGroupId": "sg-1"}, ["egressRules"]).changes is False
    assert handler.diff(ctx, "sg-1", dirty, {"securityGroupId": "sg-2"}).replaces == ["securityGroupId"]
    assert handler.preview_update(ctx, "sg-1", dirty, {"securityGroupId": "sg-1"})["egressRules"] == []


def _aws_rule(rule_id: str, **fields: Any) -> dict[str, Any]:
    return {"SecurityGroupRuleId": rule_id, "GroupId": "sg-1", "IsEgress": False, **fields}


def test_unmanaged_rules_are_every_rule_not_in_the_managed_ids() -> None:
    rules = [
        _aws_rule("sgr-b", IpProtocol="tcp", FromPort=443, ToPort=443, CidrIpv4="10.20.0.0/16"),
        _aws_rule("sgr-z", IpProtocol="tcp", FromPort=22, ToPort=22, CidrIpv4="0.0.0.0/0"),
        _aws_rule("sgr-y", IsEgress=True, IpProtocol="-1", FromPort=-1, ToPort=-1, CidrIpv6="::/0", Description="v6"),
        _aws_rule("sgr-x", IpProtocol="6", FromPort=5432, ToPort=5432, ReferencedGroupInfo={"GroupId": "sg-2"}),
        _aws_rule("sgr-a", IsEgress=True, IpProtocol="udp", FromPort=53, ToPort=53, PrefixListId="pl-1"),
    ]
    # Sorted by id whatever order the cloud lists them in; direction, protocol, ports and any kind of peer.
    assert unmanaged_rules(rules, ["sgr-b"]) == [
        {"type": "egress", "securityGroupRuleId": "sgr-a", "protocol": "udp", "fromPort": 53, "toPort": 53,
         "prefixListId": "pl-1"},
        {"type": "ingress", "securityGroupRuleId": "sgr-x", "protocol": "tcp", "fromPort": 5432, "toPort": 5432,
         "referencedSecurityGroupId": "sg-2"},
        {"type": "egress", "securityGroupRuleId": "sgr-y", "protocol": "-1", "fromPort": -1, "toPort": -1,
         "cidrIpv6": "::/0", "description": "v6"},
        {"type": "ingress", "securityGroupRuleId": "sgr-z", "protocol": "tcp", "fromPort": 22, "toPort": 22,
         "cidrIpv4": "0.0.0.0/0"},
    ]
    assert unmanaged_rules(list(reversed(rules)), ["sgr-b"]) == unmanaged_rules(rules, ["sgr-b"])
    assert unmanaged_rules(rules, ["sgr-a", "sgr-b", "sgr-x", "sgr-y", "sgr-z", "sgr-gone"]) == []
    assert [r["securityGroupRuleId"] for r in unmanaged_rules(rules, [])] == ["sgr-a", "sgr-b", "sgr-x", "sgr-y",
                                                                              "sgr-z"]
    assert unmanaged_rules([], ["sgr-b"]) == []


def test_guard_check() -> None:
    handler = SecurityGroupRuleGuardHandler()
    assert checked(handler, securityGroupId="sg-1") == {"securityGroupId": "sg-1", "managedRuleIds": []}
    assert checked(handler, securityGroupId="sg-1", managedRuleIds=["sgr-1", UNKNOWN])["managedRuleIds"] == [
        "sgr-1",
        UNKNOWN,
    ]
    assert reasons(handler, securityGroupId="flows-sg", managedRuleIds=["sgr-1", "rule-2", "sgr-1"]) == [
        "securityGroupId 'flows-sg' is not a sg-... id",
        "managedRuleIds[1] 'rule-2' is not a sgr-... id",
        "managedRuleIds[2] 'sgr-1' is listed twice",
    ]
    assert reasons(handler, managedRuleIds="sgr-1") == [
        "missing required property 'securityGroupId'",
        "managedRuleIds must be a list, got string",
    ]


GUARDED = {"securityGroupId": "sg-1", "managedRuleIds": ["sgr-1", "sgr-2"], "unmanagedRules": []}
SSH = {"type": "ingress", "securityGroupRuleId": "sgr-9", "protocol": "tcp", "fromPort": 22, "toPort": 22,
       "cidrIpv4": "0.0.0.0/0"}


def test_guard_diff_managed_ids_are_a_set_changed_in_place() -> None:
    handler = SecurityGroupRuleGuardHandler()
    ctx = ctx_for(handler)
    news = {"securityGroupId": "sg-1", "managedRuleIds": ["sgr-2", "sgr-1"]}
    assert handler.diff(ctx, "sg-1", GUARDED, news).changes is False
    grown = handler.diff(ctx, "sg-1", GUARDED, {**news, "managedRuleIds": ["sgr-1", "sgr-2", "sgr-3"]})
    assert grown.changes and grown.replaces == [] and grown.detailed == {"managedRuleIds": DiffKind.UPDATE}
    assert grown.stables == ["unmanagedRules"]
    # Preview of a new rule: its id is not known yet, and the guard updates in place.
    pending = handler.diff(ctx, "sg-1", GUARDED, {**news, "managedRuleIds": ["sgr-1", "sgr-2", UNKNOWN]})
    assert pending.replaces == [] and pending.detailed == {"managedRuleIds": DiffKind.UPDATE}
    moved = handler.diff(ctx, "sg-1", GUARDED, {**news, "securityGroupId": "sg-2"})
    assert moved.replaces == ["securityGroupId"] and moved.stables == []


def test_guard_diff_asks_for_an_update_while_unmanaged_rules_exist() -> None:
    handler = SecurityGroupRuleGuardHandler()
    ctx = ctx_for(handler)
    news = {"securityGroupId": "sg-1", "managedRuleIds": ["sgr-1", "sgr-2"]}
    drifted = {**GUARDED, "unmanagedRules": [SSH]}
    diff = handler.diff(ctx, "sg-1", drifted, news)
    assert diff.changes and diff.replaces == [] and diff.detailed == {"unmanagedRules": DiffKind.DELETE}
    assert diff.diffs == ["unmanagedRules"] and diff.stables == []
    assert handler.diff(ctx, "sg-1", drifted, news, ["unmanagedRules"]).changes is False
    both = handler.diff(ctx, "sg-1", drifted, {**news, "managedRuleIds": ["sgr-1"]})
    assert both.detailed == {"managedRuleIds": DiffKind.UPDATE, "unmanagedRules": DiffKind.DELETE}
    assert handler.diff(ctx, "sg-1", drifted, {**news, "securityGroupId": "sg-2"}).replaces == ["securityGroupId"]
    preview = handler.preview_update(ctx, "sg-1", drifted, {**news, "managedRuleIds": ["sgr-1", UNKNOWN]})
    assert preview == {"securityGroupId": "sg-1", "managedRuleIds": ["sgr-1", UNKNOWN], "unmanagedRules": []}


# -- network ACLs -------------------------------------------------------------------------------------------------


def test_network_acl_subnets_are_a_set_changed_in_place() -> None:
    handler = NetworkAclHandler()
    old = {"vpcId": VPC, "subnetIds": [SUBNET_A, SUBNET_B], "tags": {}, "networkAclId": "acl-1"}
    assert handler.diff(ctx_for(handler), "acl-1", old, {**old, "subnetIds": [SUBNET_B, SUBNET_A]}).changes is False
    diff = handler.diff(ctx_for(handler), "acl-1", old, {**old, "subnetIds": [SUBNET_A]})
    assert diff.replaces == [] and diff.detailed == {"subnetIds": DiffKind.UPDATE}
    assert reasons(handler, vpcId=VPC, subnetIds=[SUBNET_A, "subnet-a", "sn-1"]) == [
        "subnetIds[1] 'subnet-a' is listed twice",
        "subnetIds[2] 'sn-1' is not a subnet-... id",
    ]


ENTRY = {
    "networkAclId": "acl-1",
    "ruleNumber": 100,
    "protocol": "tcp",
    "ruleAction": "allow",
    "cidrBlock": "10.0.0.0/8",
    "fromPort": 443,
    "toPort": 443,
}


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"ruleNumber": 32767}, [Failure("ruleNumber", "ruleNumber 32767 must be between 1 and 32766")]),
        ({"ruleAction": "permit"}, [Failure("ruleAction", "ruleAction 'permit' must be one of: allow, deny")]),
        ({"protocol": "all"}, [Failure("protocol", "protocol 'all' must be one of: tcp, udp, icmp, -1")]),
        ({"toPort": None}, [Failure("toPort", "protocol 'tcp' needs toPort (a port 0-65535)")]),
        (
            {"protocol": "-1"},
            [
                Failure("fromPort", "fromPort only applies to tcp and udp, not protocol '-1'"),
                Failure("toPort", "toPort only applies to tcp and udp, not protocol '-1'"),
            ],
        ),
        (
            {"protocol": "icmp", "fromPort": None, "toPort": None, "icmpType": 3},
            [Failure("icmpCode", "protocol 'icmp' needs icmpCode (-1 for all)")],
        ),
        (
            {"protocol": "icmp", "fromPort": None, "toPort": None, "icmpType": 300, "icmpCode": -1},
            [Failure("icmpType", "icmpType 300 is not an ICMP type/code (-1 to 255)")],
        ),
        ({"icmpType": 3}, [Failure("icmpType", "icmpType only applies to protocol 'icmp', not 'tcp'")]),
        ({"fromPort": 500}, [Failure("fromPort", "fromPort 500 is greater than toPort 443")]),
    ],
)
def test_network_acl_entry_check(overrides: dict[str, Any], expected: list[Failure]) -> None:
    news = {k: v for k, v in {**ENTRY, **overrides}.items() if v is not None}
    assert failures(NetworkAclEntryHandler(), **news) == expected


def test_network_acl_entry_diff_replace_only_for_identity() -> None:
    handler = NetworkAclEntryHandler()
    old = checked(handler, **ENTRY)
    for name, value in (("protocol", "udp"), ("ruleAction", "deny"), ("cidrBlock", "10.1.0.0/16"), ("toPort", 444)):
        assert handler.diff(ctx_for(handler), "acl-1:ingress:100", old, {**old, name: value}).replaces == []
    for name, value in (("ruleNumber", 110), ("egress", True), ("networkAclId", "acl-2")):
        assert handler.diff(ctx_for(handler), "acl-1:ingress:100", old, {**old, name: value}).replaces == [name]


def test_network_acl_entry_params_ids_and_outputs() -> None:
    inputs = checked(NetworkAclEntryHandler(), **ENTRY)
    assert entry_params(inputs) == {
        "NetworkAclId": "acl-1",
        "RuleNumber": 100,
        "Egress": False,
        "Protocol": "6",
        "RuleAction": "allow",
        "CidrBlock": "10.0.0.0/8",
        "PortRange": {"From": 443, "To": 443},
    }
    icmp = {**ENTRY, "protocol": "icmp", "icmpType": 8, "icmpCode": 0, "egress": True}
    del icmp["fromPort"], icmp["toPort"]
    assert entry_params(icmp)["IcmpTypeCode"] == {"Type": 8, "Code": 0} and "PortRange" not in entry_params(icmp)
    assert parse_entry_id("acl-1:egress:120") == ("acl-1", True, 120)
    assert parse_entry_id("acl-1:out:120") is None and parse_entry_id("acl-1:ingress") is None
    # moto drops ICMP type/code: read keeps the state's values.
    entry = {"RuleNumber": 120, "Egress": True, "Protocol": "1", "RuleAction": "allow", "CidrBlock": "0.0.0.0/0"}
    assert entry_outputs("acl-1", entry, {"icmpType": 8, "icmpCode": 0})["icmpType"] == 8
    entry["IcmpTypeCode"] = {"Type": -1, "Code": -1}
    assert entry_outputs("acl-1", entry, {"icmpType": 8})["icmpType"] == -1


# -- flow logs ------------------------------------------------------------------------------------------------------


def test_flow_log_check() -> None:
    handler = FlowLogHandler()
    role = "arn:aws-cn:iam::1:role/flow"
    assert checked(handler, resourceId=VPC, logGroupName="/flow", deliverLogsPermissionArn=role) == {
        "resourceId": VPC,
        "resourceType": "VPC",
        "trafficType": "ALL",
        "logDestinationType": "cloud-watch-logs",
        "logGroupName": "/flow",
        "deliverLogsPermissionArn": role,
        "maxAggregationInterval": 600,
        "tags": {},
    }
    assert reasons(handler, resourceId=VPC, logGroupName="/flow") == [
        "a cloud-watch-logs flow log needs deliverLogsPermissionArn: the role that publishes the logs"
    ]
    assert reasons(handler, resourceId=VPC, logDestinationType="s3") == [
        "an s3 flow log needs logDestination: the bucket's ARN"
    ]
    assert reasons(
        handler, resourceId=VPC, logDestinationType="s3", logDestination="my-bucket", deliverLogsPermissionArn=role
    ) == [
        "logDestination 'my-bucket' is not an S3 bucket ARN (arn:...:s3:::bucket)",
        "deliverLogsPermissionArn only applies to cloud-watch-logs",
    ]
    assert reasons(
        handler,
        resourceId=SUBNET_A,
        logDestinationType="s3",
        logDestination="arn:aws-cn:s3:::b",
        trafficType="all",
        maxAggregationInterval=300,
    ) == [
        "trafficType 'all' must be one of: ALL, ACCEPT, REJECT",
        "maxAggregationInterval 300 must be 60 or 600",
        "resourceId 'subnet-a' is not a vpc-... id (resourceType VPC)",
    ]


def test_flow_log_replacements() -> None:
    handler = FlowLogHandler()
    old = {
        **checked(handler, resourceId=VPC, logDestinationType="s3", logDestination="arn:aws-cn:s3:::b"),
        "flowLogId": "fl-1",
    }
    same_target = handler.diff(ctx_for(handler), "fl-1", old, {**old, "trafficType": "REJECT"})
    assert same_target.replaces == ["trafficType"] and same_target.delete_before_replace is True
    new_target = handler.diff(ctx_for(handler), "fl-1", old, {**old, "logDestination": "arn:aws-cn:s3:::c"})
    assert new_target.replaces == ["logDestination"] and new_target.delete_before_replace is False
    assert handler.diff(ctx_for(handler), "fl-1", old, {**old, "tags": {"a": "b"}}).replaces == []


# -- VPC endpoints ---------------------------------------------------------------------------------------------------


def test_vpc_endpoint_check() -> None:
    handler = VpcEndpointHandler()
    service = "com.amazonaws.cn-north-1.s3"
    assert checked(handler, vpcId=VPC, serviceName=service)["vpcEndpointType"] == "Gateway"
    assert reasons(
        handler, vpcId=VPC, serviceName=service, subnetIds=[SUBNET_A], privateDnsEnabled=True, policy="{not json"
    ) == [
        "subnetIds only applies to Interface endpoints; use routeTableIds",
        "privateDnsEnabled only applies to Interface endpoints",
        "policy must be a JSON object (an IAM policy document)",
    ]
    assert reasons(handler, vpcId=VPC, serviceName=service, vpcEndpointType="Interface", routeTableIds=["rtb-1"]) == [
        "routeTableIds only applies to Gateway endpoints; use subnetIds"
    ]


def test_vpc_endpoint_diff() -> None:
    handler = VpcEndpointHandler()
    ctx = ctx_for(handler)
    policy = {"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "*"}]}
    old = {
        **checked(handler, vpcId=VPC, serviceName="s3", routeTableIds=["rtb-1", "rtb-2"], policy=json.dumps(policy)),
        "vpcEndpointId": "vpce-1",
    }
    assert (
        handler.diff(
            ctx, "vpce-1", old, {**old, "routeTableIds": ["rtb-2", "rtb-1"], "policy": json.dumps(policy, indent=4)}
        ).changes
        is False
    )
    in_place = handler.diff(ctx, "vpce-1", old, {**old, "routeTableIds": ["rtb-1"], "policy": None})
    assert in_place.replaces == [] and set(in_place.diffs) == {"routeTableIds", "policy"}
    default = {**old, "policy": None}
    assert handler.diff(ctx, "vpce-1", default, {**default, "policy": json.dumps(DEFAULT_POLICY)}).changes is False
    replaced = handler.diff(ctx, "vpce-1", old, {**old, "vpcEndpointType": "Interface", "routeTableIds": []})
    assert replaced.replaces == ["vpcEndpointType"] and replaced.delete_before_replace is True


def test_policy_normalisation() -> None:
    custom = json.dumps({"Statement": [{"Effect": "Deny", "Principal": "*", "Action": "*", "Resource": "*"}]})
    assert policy_key(None) is None and policy_key(json.dumps(DEFAULT_POLICY)) is None
    assert policy_key(json.dumps({**DEFAULT_POLICY, "Version": "2012-10-17"})) is None
    assert policy_from_aws(json.dumps(DEFAULT_POLICY), custom) is None
    assert policy_from_aws(json.loads(json.dumps(custom)), " " + custom) == " " + custom  # the program's text kept
    assert policy_from_aws(custom, None) == custom


# -- helpers ---------------------------------------------------------------------------------------------------


def test_cidr_helper_prefix_bounds() -> None:
    assert ipv4_cidr_problem("x", "0.0.0.0/0") is None
    assert (
        ipv4_cidr_problem("x", "10.0.0.0/8", min_prefix=16) == "x '10.0.0.0/8' has prefix /8; it must be between "
        "/16 and /32"
    )


def test_order_like_and_align_unordered() -> None:
    assert order_like(["c", "a", "b"], ["b", "c"]) == ["b", "c", "a"]
    assert order_like([{"d": "2"}, {"d": "1"}], None, key=lambda r: r["d"]) == [{"d": "1"}, {"d": "2"}]
    aligned = align_unordered({"ids": ["a", "b"], "x": 1}, {"ids": ["b", "a"]}, ["ids"])
    assert aligned == {"ids": ["b", "a"], "x": 1}
    assert align_unordered({"ids": ["a"]}, {"ids": ["a", "b"]}, ["ids"])["ids"] == ["a"]
    assert align_unordered({"ids": ["a"]}, {"ids": [UNKNOWN]}, ["ids"])["ids"] == ["a"]


@pytest.mark.parametrize("handler", network_handlers(), ids=lambda h: h.type_token)
def test_preview_create_makes_every_output_unknown(handler: ResourceHandler) -> None:
    result = handler.preview_create(ctx_for(handler), {"tags": {}})
    assert result.resource_id == ""
    assert all(result.outputs[name] is UNKNOWN for name in handler.output_only_names)
