"""One rule, two moments: for every shared rule, a compliant and a violating resource get the same verdict
from the policy pack (planned inputs of our provider's types) and from the scanner's check (the same resource
as boto3 describes it). Both sides are written out by hand from the API references, not derived from each
other by the code under test."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest

from compliance.checks.registry import load_checks
from compliance.rules import RULES_BY_NAME
from compliance.rules.pack import POLICIES, POLICIES_BY_NAME, PlannedResource, check_resource, validate_config

CHECKS = load_checks()
REGION = "cn-north-1"
ALLOWED = ["cn-north-1", "cn-northwest-1"]
KINDS = ("vpcs", "volumes", "kms_keys", "log_groups", "route_tables", "subnets", "security_groups",
         "vpc_peering_connections", "transit_gateway_attachments", "transit_gateway_route_tables", "flow_logs",
         "instances", "network_acls")
EMPTY_REGION: dict[str, list[Any]] = {kind: [] for kind in KINDS}


def evidence(region: str = REGION, buckets: list[dict[str, Any]] | None = None, **regional: Any) -> dict[str, Any]:
    regions = {region: {**EMPTY_REGION, **regional}} if region in ALLOWED else {REGION: dict(EMPTY_REGION)}
    others = {} if region in ALLOWED else {region: {**EMPTY_REGION, **regional}}
    return {"cloud": {"allowed_regions": ALLOWED, "errors": {},
                      "global": {"buckets": buckets or [], "other_regions": others}, "regions": regions}}


def pab(on: bool) -> dict[str, bool]:
    return {name: on for name in ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")}


def sse(algorithm: str, key: str | None = None) -> dict[str, Any]:
    default = {"SSEAlgorithm": algorithm, **({"KMSMasterKeyID": key} if key else {})}
    return {"Rules": [{"ApplyServerSideEncryptionByDefault": default}]}


KEY_ARN = "arn:aws-cn:kms:cn-north-1:123456789012:key/k1"


def live_key(rotation: bool) -> dict[str, Any]:
    return {"KeyId": "k1", "Arn": KEY_ARN, "KeyManager": "CUSTOMER", "KeyState": "Enabled",
            "KeySpec": "SYMMETRIC_DEFAULT", "RotationEnabled": rotation}


def live_group(cidr: str) -> dict[str, Any]:
    return {"GroupId": "sg-1", "GroupName": "admin", "VpcId": "vpc-1", "IpPermissions": [
        {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": cidr}]}]}


def live_instance(vpc: str, public_ip: str | None = None, user_data: str = "") -> dict[str, Any]:
    item: dict[str, Any] = {"InstanceId": "i-1", "VpcId": vpc, "UserData": user_data,
                            "MetadataOptions": {"HttpTokens": "required"}}
    return {**item, "PublicIpAddress": public_ip} if public_ip else item


ZONE_VPCS = [{"VpcId": f"vpc-{zone}", "IsDefault": False, "Tags": [{"Key": "egov:zone", "Value": zone}]}
             for zone in ("shared", "internet")]

# (policy, check, compliant (planned props, live evidence), violating (planned props, live evidence))
Pair = tuple[dict[str, Any], dict[str, Any]]
RESOURCE_CASES: list[tuple[str, str, Pair, Pair]] = [
    ("egov-public-bucket", "s3_bucket_level_public_access_block",
     ({"bucket": "b"}, evidence(buckets=[{"Name": "b", "Region": REGION, "PublicAccessBlock": pab(True)}])),
     ({"bucket": "b", "restrictPublicBuckets": False},
      evidence(buckets=[{"Name": "b", "Region": REGION,
                         "PublicAccessBlock": {**pab(True), "RestrictPublicBuckets": False}}]))),
    ("egov-bucket-kms-encryption", "s3_bucket_kms_encryption",
     ({"bucket": "b", "sseAlgorithm": "aws:kms", "kmsKeyId": KEY_ARN},
      evidence(buckets=[{"Name": "b", "Region": REGION, "Encryption": sse("aws:kms", KEY_ARN)}])),
     ({"bucket": "b", "sseAlgorithm": "AES256"},
      evidence(buckets=[{"Name": "b", "Region": REGION, "Encryption": sse("AES256")}]))),
    ("egov-no-internet-admin-ports", "ec2_securitygroup_allow_ingress_from_internet_to_high_risk_ports",
     ({"type": "ingress", "protocol": "tcp", "fromPort": 22, "toPort": 22, "cidrIpv4": "10.0.0.0/8"},
      evidence(security_groups=[live_group("10.0.0.0/8")])),
     ({"type": "ingress", "protocol": "tcp", "fromPort": 22, "toPort": 22, "cidrIpv4": "0.0.0.0/0"},
      evidence(security_groups=[live_group("0.0.0.0/0")]))),
    ("egov-key-rotation", "kms_cmk_rotation_enabled",
     ({"description": "k"}, evidence(kms_keys=[live_key(True)])),
     ({"enableKeyRotation": False}, evidence(kms_keys=[live_key(False)]))),
    ("egov-log-retention", "cloudwatch_log_group_retention_180_days",
     ({"name": "g", "retentionInDays": 180},
      evidence(log_groups=[{"logGroupName": "g", "arn": "arn:g", "retentionInDays": 180}])),
     ({"name": "g", "retentionInDays": 90},
      evidence(log_groups=[{"logGroupName": "g", "arn": "arn:g", "retentionInDays": 90}]))),
    ("egov-region-allowlist", "egov_data_residency",
     ({"cidrBlock": "10.0.0.0/16", "__region": "cn-northwest-1"},
      evidence("cn-northwest-1", vpcs=[{"VpcId": "vpc-1", "IsDefault": False}])),
     ({"cidrBlock": "10.0.0.0/16", "__region": "ap-east-1"},
      evidence("ap-east-1", vpcs=[{"VpcId": "vpc-1", "IsDefault": False}]))),
    ("egov-instance-no-public-ip", "ec2_instance_no_public_ip",
     ({"associatePublicIpAddress": True, "tags": {"egov:zone": "internet"}},
      evidence(vpcs=ZONE_VPCS, instances=[live_instance("vpc-internet", "54.222.0.9")])),
     ({"associatePublicIpAddress": True, "tags": {"egov:zone": "shared"}},
      evidence(vpcs=ZONE_VPCS, instances=[live_instance("vpc-shared", "54.222.0.9")]))),
    ("egov-instance-user-data-no-secrets", "ec2_instance_user_data_no_secrets",
     ({"userData": "#!/bin/sh\napt-get install -y nginx\n"},
      evidence(instances=[live_instance("vpc-shared", user_data="#!/bin/sh\napt-get install -y nginx\n")])),
     ({"userData": "#!/bin/sh\nexport DB_PASSWORD=hunter2\n"},
      evidence(instances=[live_instance("vpc-shared", user_data="#!/bin/sh\nexport DB_PASSWORD=hunter2\n")]))),
]
TYPES = {"egov-public-bucket": "egov:s3:Bucket", "egov-bucket-kms-encryption": "egov:s3:Bucket",
         "egov-no-internet-admin-ports": "egov:ec2:SecurityGroupRule", "egov-key-rotation": "egov:kms:Key",
         "egov-log-retention": "egov:logs:LogGroup", "egov-region-allowlist": "egov:ec2:Vpc",
         "egov-instance-no-public-ip": "egov:ec2:Instance", "egov-instance-user-data-no-secrets": "egov:ec2:Instance"}


def check_verdict(check_id: str, live: Mapping[str, Any]) -> bool:
    findings = CHECKS[check_id].run(live)
    judged = [f for f in findings if f.status in ("pass", "fail")]
    assert judged and all(f.status != "error" for f in findings), findings
    return all(f.status == "pass" for f in judged)


def pack_verdict(policy: str, props: Mapping[str, Any]) -> bool:
    return check_resource(POLICIES_BY_NAME[policy], TYPES[policy], props, {}) is None


@pytest.mark.parametrize("policy,check_id,compliant,violating", RESOURCE_CASES, ids=[c[0] for c in RESOURCE_CASES])
def test_pack_and_check_agree_on_one_resource(policy: str, check_id: str, compliant: tuple[Any, Any],
                                              violating: tuple[Any, Any]) -> None:
    assert RULES_BY_NAME[POLICIES_BY_NAME[policy].rule].check == check_id
    assert tuple(CHECKS[check_id].metadata.clauses) == POLICIES_BY_NAME[policy].clauses
    assert pack_verdict(policy, compliant[0]) is True and check_verdict(check_id, compliant[1]) is True
    assert pack_verdict(policy, violating[0]) is False and check_verdict(check_id, violating[1]) is False


VPC = "urn:pulumi:s::p::egov:ec2:Vpc::net"
LOG = "urn:pulumi:s::p::egov:ec2:FlowLog::log"
IGW = "urn:pulumi:s::p::egov:ec2:InternetGateway::igw"
TABLE = "urn:pulumi:s::p::egov:ec2:RouteTable::rt"


def stack_verdict(policy: str, resources: list[PlannedResource]) -> bool:
    decide = POLICIES_BY_NAME[policy].decide_stack
    assert decide is not None
    return decide(resources, {}) == []


def test_flow_logs_agree() -> None:
    vpc = PlannedResource("egov:ec2:Vpc", VPC, {"cidrBlock": "10.0.0.0/16"})
    log = PlannedResource("egov:ec2:FlowLog", LOG, {"resourceId": None, "trafficType": "ALL"}, (VPC,))
    rejecting = PlannedResource("egov:ec2:FlowLog", LOG, {"resourceId": None, "trafficType": "REJECT"}, (VPC,))
    live_vpc = {"VpcId": "vpc-1", "IsDefault": False}
    live_log = {"ResourceId": "vpc-1", "TrafficType": "ALL", "FlowLogStatus": "ACTIVE"}
    assert stack_verdict("egov-vpc-flow-logs", [vpc, log]) is True
    assert check_verdict("vpc_flow_logs_enabled", evidence(vpcs=[live_vpc], flow_logs=[live_log])) is True
    for planned, live in (([vpc], []), ([vpc, rejecting], [{**live_log, "TrafficType": "REJECT"}])):
        assert stack_verdict("egov-vpc-flow-logs", planned) is False
        assert check_verdict("vpc_flow_logs_enabled", evidence(vpcs=[live_vpc], flow_logs=live)) is False


def test_extranet_route_to_the_internet_agrees() -> None:
    vpc = PlannedResource("egov:ec2:Vpc", VPC, {"tags": {"egov:zone": "extranet"}})
    igw = PlannedResource("egov:ec2:InternetGateway", IGW, {})
    closed = PlannedResource("egov:ec2:RouteTable", TABLE, {"routes": []}, (VPC,))
    opened = PlannedResource("egov:ec2:RouteTable", TABLE, {"routes": [
        {"destinationCidrBlock": "0.0.0.0/0", "gatewayId": None}]}, (VPC, IGW))
    live_vpc = {"VpcId": "vpc-1", "IsDefault": False, "Tags": [{"Key": "egov:zone", "Value": "extranet"}]}

    def live(routes: list[dict[str, Any]]) -> dict[str, Any]:
        return evidence(vpcs=[live_vpc], route_tables=[{"RouteTableId": "rtb-1", "VpcId": "vpc-1", "Routes": routes}])

    assert stack_verdict("egov-extranet-no-internet-route", [vpc, igw, closed]) is True
    assert check_verdict("egov_extranet_isolation", live([])) is True
    assert stack_verdict("egov-extranet-no-internet-route", [vpc, igw, opened]) is False
    assert check_verdict("egov_extranet_isolation",
                         live([{"DestinationCidrBlock": "0.0.0.0/0", "GatewayId": "igw-1"}])) is False


def test_every_shared_rule_with_a_planned_type_is_covered() -> None:
    covered = {POLICIES_BY_NAME[c[0]].rule for c in RESOURCE_CASES} | {"flow-logs-missing", "extranet-exposed"}
    # volumes are not a type of our provider (nothing plans one); no planned instance can allow IMDSv1 (the
    # provider's Instance type always launches with tokens required); PI buckets have no check folder yet
    assert {rule for rule in RULES_BY_NAME} - covered == {"volume-unencrypted", "instance-imdsv1"}
    assert {p.rule for p in POLICIES} - set(RULES_BY_NAME) == {"pi-bucket"}


def test_bucket_of_a_tenant_needs_the_tenants_key() -> None:
    key_a = PlannedResource("egov:kms:Key", "urn:k:a", {"tags": {"egov:tenant": "a"}})
    key_b = PlannedResource("egov:kms:Key", "urn:k:b", {"tags": {"egov:tenant": "b"}})
    bucket = PlannedResource("egov:s3:Bucket", "urn:b", {"kmsKeyId": None, "tags": {"egov:tenant": "a"}}, ("urn:k:a",))
    assert stack_verdict("egov-bucket-tenant-key", [key_a, key_b, bucket]) is True
    stolen = PlannedResource("egov:s3:Bucket", "urn:b", {"kmsKeyId": None, "tags": {"egov:tenant": "a"}}, ("urn:k:b",))
    [(urn, message)] = POLICIES_BY_NAME["egov-bucket-tenant-key"].decide_stack([key_a, key_b, stolen], {})  # type: ignore[misc]
    assert urn == "urn:b" and "belongs to a but its key belongs to b" in message


def test_pi_bucket_needs_classification_and_a_customer_key() -> None:
    policy = POLICIES_BY_NAME["egov-pi-bucket-protected"]
    tags = {"egov:pi": "true", "egov:data-classification": "personal", "egov:tenant": "a"}
    assert check_resource(policy, "egov:s3:Bucket", {"tags": tags, "kmsKeyId": KEY_ARN}, {}) is None
    unclassified = {k: v for k, v in tags.items() if k != "egov:data-classification"}
    assert "no egov:data-classification tag" in str(check_resource(policy, "egov:s3:Bucket",
                                                                   {"tags": unclassified, "kmsKeyId": KEY_ARN}, {}))
    assert "not encrypted with a customer key" in str(check_resource(policy, "egov:s3:Bucket", {"tags": tags}, {}))


@pytest.mark.parametrize("config,error", [
    ({"egov-public-bucketz": "advisory"}, r"\$: egov-public-bucketz: no such policy in the pack"),
    ({"all": "warn"}, r"all: enforcement level 'warn' is not one of mandatory, advisory, disabled"),
    ({"egov-log-retention": {"enforcementLevel": "remediate"}},
     r"egov-log-retention.enforcementLevel: enforcement level"),
    ({"egov-log-retention": {"minimumDay": 200}}, r"egov-log-retention.minimumDay: unknown parameter; "
                                                  r"egov-log-retention takes enforcementLevel, minimumDays"),
    ({"egov-log-retention": {"minimumDays": "200"}}, r"minimumDays: expected an integer of at least 1"),
    ({"egov-region-allowlist": {"allowedRegions": []}}, r"allowedRegions: expected a non-empty list of strings"),
])
def test_bad_policy_config_is_a_precise_error(config: dict[str, Any], error: str) -> None:
    with pytest.raises(ValueError, match=error):
        validate_config(config, "$")


def test_parameters_change_the_verdict() -> None:
    policy = POLICIES_BY_NAME["egov-log-retention"]
    assert check_resource(policy, "egov:logs:LogGroup", {"retentionInDays": 200}, {"minimumDays": 365})
    region = POLICIES_BY_NAME["egov-region-allowlist"]
    assert check_resource(region, "egov:ec2:Vpc", {"__region": "cn-north-1"}, {"allowedRegions": ["cn-northwest-1"]})
