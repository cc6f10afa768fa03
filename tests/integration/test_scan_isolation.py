"""The e-government isolation checks on live network data (moto server, plain boto3): three tenant VPCs each
with its own transit route table, one tenant route leaking to another tenant, a peering between two tenants,
and an extranet VPC whose transit table reaches the Internet zone around the bridge. moto's
search_transit_gateway_routes leaves every route's target out, so with no Pulumi state naming them the
transit part cannot be judged: those VPCs are errors (never passes); the peering is judged and fails.
`--tenant` judges one tenant: its own resources plus the platform's."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from compliance.scan import ScanOptions, run_scan
from infra.local.paths import REPO_ROOT
from tests.integration.moto_server import CREDENTIALS, boto3_client

pytestmark = pytest.mark.integration

REGION = "cn-north-1"


@pytest.fixture(scope="module")
def network(moto_endpoint: str) -> Iterator[dict[str, str]]:
    with pytest.MonkeyPatch.context() as patch:
        for key, value in CREDENTIALS.items():
            patch.setenv(key, value)
        patch.delenv("AWS_PROFILE", raising=False)
        yield build(moto_endpoint)


def vpc(ec2: Any, cidr: str, **tags: str) -> str:
    return str(ec2.create_vpc(CidrBlock=cidr, TagSpecifications=[{"ResourceType": "vpc", "Tags": [
        {"Key": k.replace("__", ":"), "Value": v} for k, v in tags.items()]}])["Vpc"]["VpcId"])


def build(endpoint: str) -> dict[str, str]:
    ec2 = boto3_client("ec2", endpoint, REGION)
    tgw = ec2.create_transit_gateway(Options={"DefaultRouteTableAssociation": "disable",
                                              "DefaultRouteTablePropagation": "disable"})["TransitGateway"]
    tgw_id = tgw["TransitGatewayId"]
    ids = {
        "finance": vpc(ec2, "10.1.0.0/16", egov__tenant="finance"),
        "health": vpc(ec2, "10.2.0.0/16", egov__tenant="health"),
        "education": vpc(ec2, "10.3.0.0/16", egov__tenant="education"),
        "shared": vpc(ec2, "10.50.0.0/16", egov__zone="shared"),
        "extranet": vpc(ec2, "10.20.0.0/16", egov__zone="extranet"),
        "internet": vpc(ec2, "10.30.0.0/16", egov__zone="internet"),
        "bridge": vpc(ec2, "10.60.0.0/20", egov__zone="bridge"),
    }
    attachments, tables = {}, {}
    for name, vpc_id in ids.items():
        subnet = ec2.create_subnet(VpcId=vpc_id, CidrBlock=ec2.describe_vpcs(VpcIds=[vpc_id])["Vpcs"][0][
            "CidrBlock"].replace("/16", "/24").replace("/20", "/24"))["Subnet"]["SubnetId"]
        attachments[name] = ec2.create_transit_gateway_vpc_attachment(
            TransitGatewayId=tgw_id, VpcId=vpc_id, SubnetIds=[subnet])["TransitGatewayVpcAttachment"][
            "TransitGatewayAttachmentId"]
        tables[name] = ec2.create_transit_gateway_route_table(TransitGatewayId=tgw_id)[
            "TransitGatewayRouteTable"]["TransitGatewayRouteTableId"]
        ec2.associate_transit_gateway_route_table(TransitGatewayRouteTableId=tables[name],
                                                  TransitGatewayAttachmentId=attachments[name])

    def route(table: str, cidr: str, target: str) -> None:
        ec2.create_transit_gateway_route(DestinationCidrBlock=cidr, TransitGatewayRouteTableId=tables[table],
                                         TransitGatewayAttachmentId=attachments[target])

    for tenant in ("finance", "health", "education"):  # tenants reach shared services only
        route(tenant, "10.50.0.0/16", "shared")
    route("extranet", "10.50.0.0/16", "bridge")          # the extranet reaches others through the bridge
    route("education", "10.1.0.0/16", "finance")         # leak: education -> finance
    route("extranet", "10.30.0.0/16", "internet")        # leak: extranet -> internet around the bridge
    # the extranet's subnet off the VPC's default ACL (which admits everything, the Internet zone included, and
    # would make the check fail rather than err): an ACL that admits only the shared zone
    extranet_acl = ec2.create_network_acl(VpcId=ids["extranet"])["NetworkAcl"]["NetworkAclId"]
    ec2.create_network_acl_entry(NetworkAclId=extranet_acl, RuleNumber=10, Protocol="-1", RuleAction="allow",
                                 Egress=False, CidrBlock="10.50.0.0/16")
    [default_acl] = ec2.describe_network_acls(Filters=[{"Name": "vpc-id", "Values": [ids["extranet"]]},
                                                       {"Name": "default", "Values": ["true"]}])["NetworkAcls"]
    for association in default_acl["Associations"]:
        ec2.replace_network_acl_association(AssociationId=association["NetworkAclAssociationId"],
                                            NetworkAclId=extranet_acl)
    peering = ec2.create_vpc_peering_connection(VpcId=ids["health"], PeerVpcId=ids["finance"])[
        "VpcPeeringConnection"]["VpcPeeringConnectionId"]
    ec2.accept_vpc_peering_connection(VpcPeeringConnectionId=peering)   # leak: health <-> finance
    return ids


def findings(endpoint: str, check: str, tenant: str | None = None) -> dict[str, Any]:
    # "education" is a department of this plain-boto3 cloud, not of our tenants.yaml: tenants from the tags
    options = ScanOptions(endpoint=endpoint, sources=["cloud"], tenant=tenant, tenants_file=None,
                          platform_file=REPO_ROOT / "policies" / "platform.yaml", out_dir=Path("/nonexistent"))
    return {f.resource: f for f in run_scan(options).findings if f.check_id == check}


def verdicts(endpoint: str, check: str, tenant: str | None = None) -> dict[str, str]:
    return {resource: f.status for resource, f in findings(endpoint, check, tenant).items()}


def test_peered_tenants_fail_and_unnamed_transit_routes_are_errors(moto_endpoint: str,
                                                                  network: dict[str, str]) -> None:
    found = findings(moto_endpoint, "egov_tenant_isolation")
    assert {resource: f.status for resource, f in found.items()} == {
        network["finance"]: "fail",     # peered with health
        network["health"]: "fail",      # peered with finance
        network["education"]: "error",  # its transit route to finance: target not named by moto
    }
    assert "name no attachment" in found[network["education"]].detail


def test_extranet_transit_routes_without_targets_are_an_error(moto_endpoint: str, network: dict[str, str]) -> None:
    assert verdicts(moto_endpoint, "egov_extranet_isolation") == {network["extranet"]: "error"}


def test_tenant_scope_keeps_its_own_and_the_platforms_resources(moto_endpoint: str,
                                                                network: dict[str, str]) -> None:
    assert set(verdicts(moto_endpoint, "egov_tenant_isolation", tenant="education")) == {network["education"]}
    flow = verdicts(moto_endpoint, "vpc_flow_logs_enabled", tenant="education")
    assert network["education"] in flow and network["extranet"] in flow
    assert network["finance"] not in flow and network["health"] not in flow


def test_tenant_scope_leaves_other_departments_data_out_and_reads_none_of_it(moto_endpoint: str,
                                                                             network: dict[str, str]) -> None:
    """Another department's buckets, keys, instances and volumes are neither read in detail nor kept in a
    department's evidence; its own and the platform's are."""
    s3, kms = boto3_client("s3", moto_endpoint, REGION), boto3_client("kms", moto_endpoint, REGION)
    ec2 = boto3_client("ec2", moto_endpoint, REGION)
    owners = {"scope-edu-data": "education", "scope-fin-data": "finance", "scope-hea-data": "health",
              "scope-platform-archive": ""}
    keys = {}
    for bucket, owner in owners.items():
        s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
        tags = [{"Key": "egov:tenant", "Value": owner}] if owner else [{"Key": "egov:zone", "Value": "management"}]
        s3.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": tags})
        keys[owner] = kms.create_key(Tags=[{"TagKey": t["Key"], "TagValue": t["Value"]} for t in tags])[
            "KeyMetadata"]["KeyId"]
    [subnet] = ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [network["finance"]]}])["Subnets"]
    ec2.run_instances(ImageId="ami-12c6146b", MinCount=1, MaxCount=1, SubnetId=subnet["SubnetId"],
                      TagSpecifications=[{"ResourceType": "instance", "Tags": [
                          {"Key": "egov:tenant", "Value": "finance"}]}])

    options = ScanOptions(endpoint=moto_endpoint, sources=["cloud"], tenant="education", tenants_file=None,
                          platform_file=REPO_ROOT / "policies" / "platform.yaml", out_dir=Path("/nonexistent"))
    result = run_scan(options)
    cloud = result.evidence["cloud"]
    buckets = {b["Name"] for b in cloud["global"]["buckets"]}
    assert {"scope-edu-data", "scope-platform-archive"} <= buckets
    assert not buckets & {"scope-fin-data", "scope-hea-data"}
    held = cloud["regions"][REGION]
    kept_keys = {k["KeyId"] for k in held["kms_keys"]}
    assert {keys["education"], keys[""]} <= kept_keys and not kept_keys & {keys["finance"], keys["health"]}
    for kind in ("buckets", "kms_keys", "instances", "volumes"):
        items = cloud["global"][kind] if kind == "buckets" else held[kind]
        owners_seen = {tag.get("Value") for item in items for tag in item.get("Tags") or item.get("TagSet") or ()
                       if tag.get("Key") == "egov:tenant"}
        assert owners_seen <= {"education"}, (kind, owners_seen)
    assert cloud["scope"]["tenant"] == "education"
    assert cloud["scope"]["left_out"]["buckets"] >= 2 and cloud["scope"]["left_out"]["kms_keys"] >= 2
    assert cloud["scope"]["left_out"]["instances"] >= 1
    # the per-item reads: one per kept bucket and key, none for those left out
    assert result.api_calls["s3.GetBucketEncryption"] == len(buckets)
    assert result.api_calls["s3.GetBucketTagging"] == len(buckets) + cloud["scope"]["left_out"]["buckets"]
    customer = [k for k in held["kms_keys"]
                if k.get("KeyManager") == "CUSTOMER" and k.get("KeyState") != "PendingDeletion"]
    assert result.api_calls["kms.GetKeyRotationStatus"] == len(customer)

    everything = run_scan(ScanOptions(endpoint=moto_endpoint, sources=["cloud"], tenants_file=None,
                                      platform_file=REPO_ROOT / "policies" / "platform.yaml",
                                      out_dir=Path("/nonexistent")))
    assert set(owners) <= {b["Name"] for b in everything.evidence["cloud"]["global"]["buckets"]}
    assert "scope" not in everything.evidence["cloud"]
