"""The program-side network wrappers under Pulumi's mocks: camelCase inputs out, outputs back."""

from __future__ import annotations

import importlib
import inspect
import sys
from collections.abc import Callable
from typing import Any

import pulumi
import pytest

registered: list[pulumi.runtime.MockResourceArgs] = []

OUTPUTS: dict[str, dict[str, Any]] = {
    "egov:ec2:Subnet": {"subnetId": "subnet-1", "arn": "arn:aws-cn:ec2:cn-north-1:1:subnet/subnet-1"},
    "egov:ec2:RouteTable": {"routeTableId": "rtb-1"},
    "egov:ec2:SecurityGroupRule": {"securityGroupRuleId": "sgr-1"},
    "egov:ec2:DefaultSecurityGroupLockdown": {"ingressRules": [], "egressRules": []},
    "egov:ec2:SecurityGroupRuleGuard": {"unmanagedRules": []},
}


@pytest.fixture(autouse=True)
def _mocks(pulumi_mocks: Callable[..., Any]) -> None:
    pulumi_mocks(registered, outputs=lambda args: OUTPUTS.get(args.typ, {}))


@pulumi.runtime.test
def test_subnet_and_route_table_send_camel_case() -> Any:
    from infra.resources.network import RouteTable, Subnet

    subnet = Subnet(
        "app-a", vpc_id="vpc-1", cidr_block="10.0.1.0/24", availability_zone="cn-north-1a", tags={"tier": "app"}
    )
    table = RouteTable(
        "app",
        vpc_id="vpc-1",
        routes=[
            {"destination_cidr_block": "0.0.0.0/0", "gateway_id": "igw-1"},
            {"destinationCidrBlock": "172.16.0.0/12", "transitGatewayId": pulumi.Output.from_input("tgw-1")},
        ],
    )

    def verify(values: list[Any]) -> None:
        subnet_id, arn, tags, table_id, routes = values
        assert (subnet_id, tags, table_id) == ("subnet-1", {"tier": "app"}, "rtb-1")
        assert arn.endswith(":subnet/subnet-1")
        assert routes == [
            {"destinationCidrBlock": "0.0.0.0/0", "gatewayId": "igw-1"},
            {"destinationCidrBlock": "172.16.0.0/12", "transitGatewayId": "tgw-1"},
        ]
        by_type = {a.typ: a for a in registered}
        assert by_type["egov:ec2:Subnet"].inputs == {
            "vpcId": "vpc-1",
            "cidrBlock": "10.0.1.0/24",
            "availabilityZone": "cn-north-1a",
            "tags": {"tier": "app"},
        }
        assert by_type["egov:ec2:RouteTable"].inputs["vpcId"] == "vpc-1"

    return pulumi.Output.all(subnet.subnet_id, subnet.arn, subnet.tags, table.route_table_id, table.routes).apply(
        verify
    )


@pulumi.runtime.test
def test_security_group_rule_and_lockdown() -> Any:
    from infra.resources.network import DefaultSecurityGroupLockdown, SecurityGroupRule

    rule = SecurityGroupRule(
        "https",
        security_group_id="sg-1",
        type="ingress",
        protocol="tcp",
        from_port=443,
        to_port=443,
        cidr_ipv4="10.0.0.0/8",
        description="https",
    )
    lockdown = DefaultSecurityGroupLockdown("default", security_group_id="sg-0")

    def verify(values: list[Any]) -> None:
        rule_id, kind, port, ingress = values
        assert (rule_id, kind, port, ingress) == ("sgr-1", "ingress", 443, [])
        by_type = {a.typ: a for a in registered}
        assert by_type["egov:ec2:SecurityGroupRule"].inputs == {
            "securityGroupId": "sg-1",
            "type": "ingress",
            "protocol": "tcp",
            "fromPort": 443,
            "toPort": 443,
            "cidrIpv4": "10.0.0.0/8",
            "description": "https",
        }
        assert by_type["egov:ec2:DefaultSecurityGroupLockdown"].inputs == {"securityGroupId": "sg-0"}

    return pulumi.Output.all(rule.security_group_rule_id, rule.type, rule.from_port, lockdown.ingress_rules).apply(
        verify
    )


@pulumi.runtime.test
def test_security_group_rule_guard_takes_the_rule_ids() -> Any:
    from infra.resources import SecurityGroupRuleGuard
    from infra.resources.network import SecurityGroupRule

    rule = SecurityGroupRule("ssh", security_group_id="sg-1", type="ingress", protocol="tcp", from_port=22,
                             to_port=22, cidr_ipv4="10.0.0.0/8")
    guard = SecurityGroupRuleGuard(
        "sg-guard", security_group_id="sg-1", managed_rule_ids=[rule.security_group_rule_id, "sgr-2"]
    )

    def verify(values: list[Any]) -> None:
        group, managed, unmanaged = values
        assert (group, managed, unmanaged) == ("sg-1", ["sgr-1", "sgr-2"], [])
        by_type = {a.typ: a for a in registered}
        assert by_type["egov:ec2:SecurityGroupRuleGuard"].inputs == {
            "securityGroupId": "sg-1",
            "managedRuleIds": ["sgr-1", "sgr-2"],
        }

    return pulumi.Output.all(guard.security_group_id, guard.managed_rule_ids, guard.unmanaged_rules).apply(verify)


@pulumi.runtime.test
def test_get_looks_up_by_id() -> Any:
    from infra.resources.network import VpcEndpoint

    endpoint = VpcEndpoint.get("s3", "vpce-1")

    def verify(resource_id: str) -> None:
        assert resource_id == "vpce-1"
        (args,) = registered
        assert args.typ == "egov:ec2:VpcEndpoint" and args.resource_id == "vpce-1"

    return endpoint.id.apply(verify)


def test_every_wrapper_matches_its_handler() -> None:
    """Each wrapper's TYPE, kwargs (snake_case of the inputs) and output properties follow its handler."""
    from infra.provider.provider import default_registry
    from infra.resources import network

    network_tokens = {
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
    handlers = {h.type_token: h for h in default_registry() if h.type_token in network_tokens}
    wrappers = [getattr(network, name) for name in network.__all__ if name != "RouteArgs"]
    assert {w.TYPE for w in wrappers} == set(handlers)

    def snake(name: str) -> str:
        return "".join(f"_{c.lower()}" if c.isupper() else c for c in name)

    for wrapper in wrappers:
        handler = handlers[wrapper.TYPE]
        inputs = tuple(p.name for p in handler.input_specs)
        assert set(wrapper.INPUTS) == set(inputs), wrapper.TYPE
        assert set(wrapper.OUTPUTS) == set(handler.output_only_names), wrapper.TYPE
        kwargs = set(inspect.signature(wrapper.__init__).parameters) - {"self", "resource_name", "opts"}
        assert kwargs == {snake(n) for n in inputs}, wrapper.TYPE
        for name in (*inputs, *handler.output_only_names):
            assert isinstance(getattr(wrapper, snake(name), None), property), f"{wrapper.TYPE}.{snake(name)}"


def test_wrapper_module_does_not_import_boto3() -> None:
    for name in [m for m in sys.modules if m == "infra.resources.network"]:
        del sys.modules[name]
    module = importlib.import_module("infra.resources.network")
    assert module.__file__ is not None
    with open(module.__file__) as handle:
        assert "boto3" not in handle.read()
