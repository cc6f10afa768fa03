"""The ``Host`` component and the stacks' host placements, under Pulumi's mocks (no cloud).

Expected placements are read from policies/platform.yaml here, not from the code under test: the
management zone's first two tiers, each zone's first tier (the Internet zone's public ``web`` tier), and
the bridge's inspection tier in every availability zone.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pulumi
import pytest
import yaml

from infra.config import PLATFORM_FILE, load_platform
from tests.conftest import MockArgs, RecordingMocks

registered: list[pulumi.runtime.MockResourceArgs] = []


def _outputs(args: MockArgs) -> dict[str, Any]:
    if args.typ == "egov:ec2:SecurityGroup":
        return {"groupId": f"sg-{args.name}"}
    if args.typ == "egov:ec2:Instance":
        return {"instanceId": f"i-{args.name}", "privateIpAddress": "10.20.0.4", "availabilityZone": "cn-north-1a"}
    return {}


@pytest.fixture(autouse=True)
def _mocks(pulumi_mocks: Callable[..., RecordingMocks]) -> None:
    pulumi_mocks(registered, outputs=_outputs, resource_id=lambda args: f"{args.name}-id")


def test_host_registers_its_group_and_instance_and_summarises_them() -> None:
    from infra.components.host import Host

    summaries: list[dict[str, Any]] = []

    def build() -> None:
        host = Host("extranet-1", stack="s1", role="workload", zone="extranet", vpc_id="vpc-1",
                    subnet_id="subnet-1", extra_security_group_ids=["sg-flows"], tags={"team": "ops"})
        host.summary.apply(summaries.append)

    pulumi.runtime.test(build)()
    [group] = [a for a in registered if a.typ == "egov:ec2:SecurityGroup"]
    [instance] = [a for a in registered if a.typ == "egov:ec2:Instance"]
    assert group.inputs["vpcId"] == "vpc-1" and group.inputs["groupName"] == "egov-s1-extranet-1-host"
    assert instance.name == "extranet-1" and instance.inputs["subnetId"] == "subnet-1"
    assert instance.inputs["securityGroupIds"] == ["sg-extranet-1-host-sg", "sg-flows"]
    assert instance.inputs["associatePublicIpAddress"] is False and instance.inputs["sourceDestCheck"] is True
    assert {k: instance.inputs["tags"][k] for k in ("egov:zone", "egov:role", "egov:host", "team")} == {
        "egov:zone": "extranet", "egov:role": "workload", "egov:host": "extranet-1", "team": "ops"}
    # What the component asks for passes the provider's own checks (e.g. AWS's description alphabet).
    from infra.provider.ec2_instances import InstanceHandler
    from infra.provider.ec2_security import SecurityGroupHandler
    from infra.provider.errors import ResourceRef
    from infra.provider.handler import HandlerContext

    for handler, args in ((SecurityGroupHandler(), group), (InstanceHandler(), instance)):
        context = HandlerContext(resource=ResourceRef.from_urn(f"urn:pulumi:s1::egov::{args.typ}::{args.name}"),
                                 clients=None)  # type: ignore[arg-type]
        # Numbers cross the mocks' wire as floats; the provider's converter gives integers back as integers.
        inputs = {k: int(v) if isinstance(v, float) and v.is_integer() else v for k, v in args.inputs.items()}
        assert handler.check(context, inputs, {}).failures == [], args.name
    assert summaries == [{"name": "extranet-1", "role": "workload", "zone": "extranet", "privateIp": "10.20.0.4",
                          "instanceId": "i-extranet-1", "availabilityZone": "cn-north-1a"}]


def test_only_a_gateway_forwards() -> None:
    from infra.components.host import Host

    def build() -> None:
        Host("gateway-a", stack="s1", role="gateway", zone="bridge", vpc_id="vpc-1", subnet_id="subnet-1")

    pulumi.runtime.test(build)()
    [instance] = [a for a in registered if a.typ == "egov:ec2:Instance"]
    assert instance.inputs["sourceDestCheck"] is False


def test_host_refuses_an_unknown_role() -> None:
    from infra.components.host import Host

    with pytest.raises(ValueError, match="role 'router' is not one of"):
        Host("x", stack="s1", role="router", zone="shared", vpc_id="vpc-1", subnet_id="subnet-1")


def test_placements_follow_the_platform_file() -> None:
    from stacks.hosts import core_placements, gateway_placements

    raw = yaml.safe_load(PLATFORM_FILE.read_text())
    first_az = raw["availability_zones"][0]
    management_tiers = list(raw["zones"]["management"]["subnets"])
    platform = load_platform(PLATFORM_FILE)
    core = {(p.name, p.role, p.zone, p.tier, p.az, p.public) for p in core_placements(platform)}
    assert core == {
        ("bastion", "bastion", "management", management_tiers[0], first_az, False),
        ("loghost", "loghost", "management", management_tiers[1], first_az, False),
        ("extranet-1", "workload", "extranet", next(iter(raw["zones"]["extranet"]["subnets"])), first_az, False),
        ("shared-1", "workload", "shared", next(iter(raw["zones"]["shared"]["subnets"])), first_az, False),
        ("internet-1", "workload", "internet", "web", first_az, True),
    }
    gateways = gateway_placements(platform)
    assert [(g.role, g.zone, g.tier, g.az) for g in gateways] == [
        ("gateway", "bridge", "inspection", az) for az in raw["availability_zones"]]
    assert len({g.name for g in gateways}) == len(raw["availability_zones"])
    with pytest.raises(ValueError, match="no 'dmz' tier"):
        gateway_placements(platform, tier="dmz")
