"""The components under Pulumi's mocks: which resources they register, with which inputs and names."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pulumi
import pytest

from infra.config import FLOWS_FILE, PLATFORM_FILE, compile_bridge, load_flows, load_platform
from tests.conftest import MockArgs, RecordingMocks

registered: list[pulumi.runtime.MockResourceArgs] = []

# The id-like output each type exposes, filled from the resource name so that references are traceable.
ID_OUTPUT = {
    "egov:ec2:Vpc": "vpcId",
    "egov:ec2:Subnet": "subnetId",
    "egov:ec2:RouteTable": "routeTableId",
    "egov:ec2:InternetGateway": "internetGatewayId",
    "egov:ec2:TransitGatewayVpcAttachment": "transitGatewayAttachmentId",
    "egov:ec2:SecurityGroup": "groupId",
    "egov:ec2:SecurityGroupRule": "securityGroupRuleId",
    "egov:ec2:NetworkAcl": "networkAclId",
    "egov:kms:Key": "keyId",
}


def _outputs(args: MockArgs) -> dict[str, Any]:
    outputs: dict[str, Any] = {}
    if args.typ in ID_OUTPUT:
        outputs[ID_OUTPUT[args.typ]] = f"id-{args.name}"
    if args.typ == "egov:ec2:Vpc":
        outputs["defaultSecurityGroupId"] = f"sg-default-{args.name}"
    if args.typ in ("egov:kms:Key", "egov:s3:Bucket"):
        outputs["arn"] = f"arn:aws-cn:x:::{args.name}"
    return outputs


@pytest.fixture(autouse=True)
def _mocks(pulumi_mocks: Callable[..., RecordingMocks]) -> None:
    pulumi_mocks(registered, outputs=_outputs, resource_id=lambda args: f"{args.name}-id")


def of_type(typ: str) -> dict[str, pulumi.runtime.MockResourceArgs]:
    return {a.name: a for a in registered if a.typ == typ}


def _platform() -> Any:
    return load_platform(PLATFORM_FILE)


def _plan() -> Any:
    platform = _platform()
    return compile_bridge(platform, load_flows(FLOWS_FILE, platform))


def test_key_set_rotates_and_aliases_every_purpose() -> None:
    def build() -> None:
        from infra.components.keys import KeySet

        KeySet("keys", stack="s1")

    pulumi.runtime.test(build)()
    created = of_type("egov:kms:Key")
    assert sorted(created) == ["keys-audit", "keys-data", "keys-logs"]
    assert all(k.inputs["enableKeyRotation"] is True for k in created.values())
    aliases = of_type("egov:kms:Alias")
    assert sorted(a.inputs["name"] for a in aliases.values()) == [
        "alias/egov-s1-audit", "alias/egov-s1-data", "alias/egov-s1-logs"
    ]
    assert aliases["keys-audit-alias"].inputs["targetKeyId"] == "id-keys-audit"


def test_key_set_applies_the_given_policies() -> None:
    from infra.components.keys import KeySet, audit_key_policy

    def build() -> None:
        KeySet("keys", stack="s1", policies={"audit": audit_key_policy("111122223333", "aws-cn")})

    pulumi.runtime.test(build)()
    created = of_type("egov:kms:Key")
    policy = json.loads(created["keys-audit"].inputs["policy"])
    admin = next(s for s in policy["Statement"] if s["Sid"] == "AccountAdministers")
    assert admin["Principal"] == {"AWS": "arn:aws-cn:iam::111122223333:root"}
    assert "policy" not in created["keys-data"].inputs


def test_key_set_refuses_duplicate_purposes() -> None:
    from infra.components.keys import KeySet

    with pytest.raises(ValueError, match="distinct"):
        KeySet("keys", stack="s1", purposes=("audit", "audit"))
    with pytest.raises(ValueError, match="unknown purposes"):
        KeySet("keys", stack="s1", policies={"backup": {}})


def test_audit_archive_is_locked_encrypted_and_writable_by_log_services() -> None:
    def build() -> None:
        from infra.components.audit import AuditArchive

        AuditArchive("audit", stack="S_1", region="cn-north-1", kms_key_arn="arn:aws-cn:kms:k")

    pulumi.runtime.test(build)()
    [bucket] = of_type("egov:s3:Bucket").values()
    inputs = bucket.inputs
    assert inputs["bucket"] == "egov-s-1-audit-archive"
    assert (inputs["sseAlgorithm"], inputs["kmsKeyId"]) == ("aws:kms", "arn:aws-cn:kms:k")
    assert inputs["objectLockEnabled"] and inputs["versioningEnabled"]
    assert (inputs["retentionMode"], inputs["retentionDays"]) == ("GOVERNANCE", 180)
    assert all(inputs[k] for k in ("blockPublicAcls", "ignorePublicAcls", "blockPublicPolicy",
                                   "restrictPublicBuckets"))
    policy = json.loads(inputs["policy"])
    writers = {
        s["Principal"]["Service"] for s in policy["Statement"] if s["Action"] == "s3:PutObject"
    }
    assert writers == {"cloudtrail.amazonaws.com", "delivery.logs.amazonaws.com", "logging.s3.amazonaws.com"}
    # its own access log, into itself under AccessLogs/, the only prefix the log delivery service may write
    assert (inputs["loggingTargetBucket"], inputs["loggingTargetPrefix"]) == ("egov-s-1-audit-archive", "AccessLogs/")
    [access] = [s for s in policy["Statement"] if s["Principal"] == {"Service": "logging.s3.amazonaws.com"}]
    assert access["Resource"] == "arn:aws-cn:s3:::egov-s-1-audit-archive/AccessLogs/*"
    # the retention it declares is the one its lifecycle enforces: 180 days, earlier versions a day later
    assert inputs["tags"]["egov:retention-days"] == "180"
    [rule] = inputs["lifecycleRules"]
    assert (rule["prefix"], rule["enabled"], rule["expirationDays"], rule["noncurrentVersionExpirationDays"]) == (
        "", True, 180, 1)
    assert all(s["Resource"].startswith("arn:aws-cn:s3:::egov-s-1-audit-archive") for s in policy["Statement"]
               if s["Effect"] == "Allow")
    [trail] = of_type("egov:cloudtrail:Trail").values()
    assert trail.inputs["isMultiRegionTrail"] and trail.inputs["enableLogFileValidation"]
    assert trail.inputs["kmsKeyId"] == "arn:aws-cn:kms:k"


def test_audit_archive_refuses_short_retention() -> None:
    from infra.components.audit import AuditArchive

    with pytest.raises(ValueError, match="180 days"):
        AuditArchive("audit", stack="s", region="cn-north-1", kms_key_arn="k", retention_days=90)


def test_internet_zone_has_a_public_table_for_web_only() -> None:
    def build() -> None:
        from infra.components.zone_network import ZoneNetwork

        zone = _platform().zones["internet"]
        ZoneNetwork(
            "internet", stack="s1", network=zone, transit_gateway_id="tgw-1", attachment_tier="endpoint",
            peer_cidrs=["10.50.0.0/16", "10.40.0.0/16"], flow_log_bucket_arn="arn:aws-cn:s3:::b",
            internet_gateway=True,
        )

    pulumi.runtime.test(build)()
    [vpc] = of_type("egov:ec2:Vpc").values()
    assert vpc.inputs["tags"]["egov:zone"] == "internet" and vpc.inputs["tags"]["egov:stack"] == "s1"
    assert vpc.inputs["cidrBlock"] == "10.30.0.0/16"
    assert len(of_type("egov:ec2:Subnet")) == 6
    tables = of_type("egov:ec2:RouteTable")
    peers = [{"destinationCidrBlock": c, "transitGatewayId": "tgw-1"} for c in ("10.40.0.0/16", "10.50.0.0/16")]
    assert tables["internet-rt"].inputs["routes"] == peers
    assert tables["internet-public-rt"].inputs["routes"] == [
        {"destinationCidrBlock": "0.0.0.0/0", "gatewayId": "id-internet-igw"}, *peers
    ]
    public = {n for n, a in of_type("egov:ec2:RouteTableAssociation").items()
              if a.inputs["routeTableId"] == "id-internet-public-rt"}
    assert public == {"internet-web-cn-north-1a-rt-assoc", "internet-web-cn-north-1b-rt-assoc"}
    [attachment] = of_type("egov:ec2:TransitGatewayVpcAttachment").values()
    assert attachment.inputs["subnetIds"] == ["id-internet-endpoint-cn-north-1a", "id-internet-endpoint-cn-north-1b"]
    [log] = of_type("egov:ec2:FlowLog").values()
    assert (log.inputs["trafficType"], log.inputs["logDestination"]) == ("ALL", "arn:aws-cn:s3:::b")
    [lockdown] = of_type("egov:ec2:DefaultSecurityGroupLockdown").values()
    assert lockdown.inputs["securityGroupId"] == "sg-default-internet-vpc"


def test_private_zone_has_no_internet_gateway() -> None:
    def build() -> None:
        from infra.components.zone_network import ZoneNetwork

        ZoneNetwork(
            "extranet", stack="s1", network=_platform().zones["extranet"], transit_gateway_id="tgw-1",
            attachment_tier="endpoint", peer_cidrs=[], flow_log_bucket_arn="arn:aws-cn:s3:::b",
        )

    pulumi.runtime.test(build)()
    assert of_type("egov:ec2:InternetGateway") == {}
    assert list(of_type("egov:ec2:RouteTable")) == ["extranet-rt"]
    assert of_type("egov:ec2:RouteTable")["extranet-rt"].inputs.get("routes") in (None, [])


def test_zone_network_needs_its_attachment_tier() -> None:
    from infra.components.zone_network import ZoneNetwork

    with pytest.raises(ValueError, match="attachment tier 'attachment'"):
        ZoneNetwork("extranet", stack="s", network=_platform().zones["extranet"], transit_gateway_id="t",
                    attachment_tier="attachment", peer_cidrs=[], flow_log_bucket_arn="b")


def test_bridge_flows_registers_exactly_the_compiled_names() -> None:
    from infra.components.bridge_flows import BridgeFlows

    plan = _plan()
    networks = _platform().networks()

    def build() -> None:
        BridgeFlows(
            "flows",
            plan=plan,
            vpc_ids={n: f"vpc-{n}" for n in networks},
            subnet_ids={n: {t: [f"subnet-{n}-{t}-{az}" for az in azs] for t, azs in net.subnets.items()}
                        for n, net in networks.items()},
            tgw_route_table_ids={n: f"tgw-rtb-{n}" for n in networks},
            attachment_ids={n: f"tgw-attach-{n}" for n in networks},
        )

    pulumi.runtime.test(build)()
    kinds = ("egov:ec2:SecurityGroup", "egov:ec2:SecurityGroupRule", "egov:ec2:NetworkAcl",
             "egov:ec2:NetworkAclEntry", "egov:ec2:TransitGatewayRoute")
    names = {name for typ in kinds for name in of_type(typ)}
    expected = set(plan.resources()) - {t.name for t in plan.route_tables}
    assert names == expected
    route = of_type("egov:ec2:TransitGatewayRoute")["internet-tgw-rt-to-shared"].inputs
    # blackhole: the SDK sends the schema's default (false), i.e. the route goes to the attachment.
    assert route == {"destinationCidrBlock": "10.50.0.0/16", "transitGatewayRouteTableId": "tgw-rtb-internet",
                     "transitGatewayAttachmentId": "tgw-attach-bridge", "blackhole": False}
    acl = of_type("egov:ec2:NetworkAcl")["bridge-inspection-acl"].inputs
    assert acl["subnetIds"] == ["subnet-bridge-inspection-cn-north-1a", "subnet-bridge-inspection-cn-north-1b"]
    rule = of_type("egov:ec2:SecurityGroupRule")["shared-flows-sg-in-extranet-to-shared-api-tcp-443"].inputs
    assert rule["securityGroupId"] == "id-shared-flows-sg" and rule["cidrIpv4"] == "10.20.0.0/16"

    # One guard per flows group, told exactly the ids of that group's rule resources.
    guards = of_type("egov:ec2:SecurityGroupRuleGuard")
    assert set(guards) == {f"{sg.name}-guard" for sg in plan.security_groups}
    for sg in plan.security_groups:
        mine = [f"id-{r.name}" for r in plan.security_group_rules if r.security_group == sg.name]
        assert mine, sg.name
        assert guards[f"{sg.name}-guard"].inputs == {"securityGroupId": f"id-{sg.name}", "managedRuleIds": mine}


def test_every_kind_is_registered() -> None:
    from stacks.kinds import KINDS

    assert list(KINDS) == ["foundation", "core", "bridge", "tenant"]


def test_bridge_flows_refuses_a_missing_network() -> None:
    from infra.components.bridge_flows import BridgeFlows

    with pytest.raises(ValueError, match="no VPC given for network"):
        BridgeFlows("flows", plan=_plan(), vpc_ids={}, subnet_ids={}, tgw_route_table_ids={}, attachment_ids={})
