"""`egov scan` on the platform our stacks built (core + bridge through the real engine on the embedded cloud):
nothing the stacks made fails on its own; then misconfigurations made behind Pulumi's back with boto3 fail,
exactly those, each with its check and resource, labelled managed."""

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest

from compliance.reports import sarif_report
from compliance.scan import ScanOptions, ScanResult, run_scan
from infra.engine import Stack
from infra.local.environment import LocalEnvironment
from infra.local.paths import REPO_ROOT

pytestmark = pytest.mark.integration



def client(env: LocalEnvironment, service: str) -> Any:
    e = env.env()
    return boto3.client(service, endpoint_url=e["AWS_ENDPOINT_URL"], region_name=e["AWS_DEFAULT_REGION"],
                        aws_access_key_id=e["AWS_ACCESS_KEY_ID"], aws_secret_access_key=e["AWS_SECRET_ACCESS_KEY"])


def scan(env: LocalEnvironment) -> ScanResult:
    # the state names transit-route targets, which moto's answers leave out
    return run_scan(ScanOptions(endpoint=env.env()["AWS_ENDPOINT_URL"], sources=["cloud", "state"]))


def failures(result: ScanResult) -> dict[tuple[str, str], Any]:
    return {(f.check_id, f.resource): f for f in result.findings if f.status != "pass"}


def ours(env: LocalEnvironment, core: Stack, bridge: Stack) -> set[str]:
    """Every VPC, security group, bucket and key id of the two stacks, read with boto3."""
    ec2 = client(env, "ec2")
    outputs = core.outputs()
    vpcs = [*outputs["vpcIds"].values(), bridge.outputs()["vpcId"]]
    groups = [g["GroupId"] for g in ec2.describe_security_groups(
        Filters=[{"Name": "vpc-id", "Values": vpcs}])["SecurityGroups"]]
    return {*vpcs, *groups, outputs["archiveBucketName"], *outputs["keyArns"].values()}


def test_what_the_stacks_built_passes_and_seeded_drift_fails_exactly(
        deployed: tuple[Stack, Stack], local_env: LocalEnvironment, monkeypatch: pytest.MonkeyPatch) -> None:
    core, bridge = deployed
    for key, value in local_env.env().items():
        monkeypatch.setenv(key, value)
    before = failures(scan(local_env))
    mine = ours(local_env, core, bridge)
    assert [key for key in before if key[1] in mine] == []  # no false alarm on anything the stacks made

    ec2, kms, s3 = client(local_env, "ec2"), client(local_env, "kms"), client(local_env, "s3")
    outputs = core.outputs()
    vpcs = outputs["vpcIds"]
    expected: set[tuple[str, str]] = set()
    # 1. an Internet gateway route in the extranet zone
    igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpcs["extranet"])
    table = ec2.describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [vpcs["extranet"]]},
                                               {"Name": "association.main", "Values": ["false"]}])["RouteTables"][0]
    ec2.create_route(RouteTableId=table["RouteTableId"], DestinationCidrBlock="198.51.100.0/24", GatewayId=igw)
    expected.add(("egov_extranet_isolation", vpcs["extranet"]))
    # 2. ssh from the Internet on a management-zone group
    group = next(g for g in ec2.describe_security_groups(Filters=[{"Name": "vpc-id", "Values": [vpcs["management"]]}])[
        "SecurityGroups"] if g["GroupName"] != "default")
    ec2.authorize_security_group_ingress(GroupId=group["GroupId"], IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
    expected.add(("ec2_securitygroup_allow_ingress_from_internet_to_high_risk_ports", group["GroupId"]))
    # 3. the shared zone stops recording its traffic
    logs = ec2.describe_flow_logs(Filters=[{"Name": "resource-id", "Values": [vpcs["shared"]]}])["FlowLogs"]
    ec2.delete_flow_logs(FlowLogIds=[log["FlowLogId"] for log in logs])
    expected.add(("vpc_flow_logs_enabled", vpcs["shared"]))
    # 4. the data key stops rotating
    kms.disable_key_rotation(KeyId=outputs["keyArns"]["data"])
    expected.add(("kms_cmk_rotation_enabled", outputs["keyArns"]["data"]))
    # 5. the audit archive no longer blocks public access
    s3.delete_public_access_block(Bucket=outputs["archiveBucketName"])
    expected.add(("s3_bucket_level_public_access_block", outputs["archiveBucketName"]))

    result = scan(local_env)
    after = failures(result)
    assert set(after) - set(before) == expected
    assert set(before) - set(after) == set()
    assert all(after[key].managed is True for key in expected)
    # SARIF points the extranet finding at the line of policies/platform.yaml that declares the zone
    sarif = json.loads(sarif_report(result))["runs"][0]["results"]
    extranet = next(r for r in sarif if r["ruleId"] == "egov_extranet_isolation")
    physical = extranet["locations"][0]["physicalLocation"]
    platform_lines = (REPO_ROOT / "policies" / "platform.yaml").read_text().splitlines()
    assert physical["artifactLocation"]["uri"] == "policies/platform.yaml"
    assert platform_lines[physical["region"]["startLine"] - 1].strip() == "extranet:"
