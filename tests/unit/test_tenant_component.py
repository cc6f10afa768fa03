"""The ``Tenant`` component under Pulumi's mocks, built from the sample request's plan: its own transit
route table with routes only to the zones its flows name (extranet only once admitted), its buckets
encrypted with its own key, its flow log and its role. Expected values come from tenants/tax-bureau.yaml
and policies/platform.yaml, read by hand."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace
from ipaddress import IPv4Network
from typing import Any

import pulumi
import pytest

from infra.config import PLATFORM_FILE, load_platform
from infra.config.tenant_request import load_request
from infra.repository import REPO_ROOT
from infra.tenants.allocation import Allocation
from infra.tenants.plan import make_plan
from tests.conftest import MockArgs, RecordingMocks

registered: list[pulumi.runtime.MockResourceArgs] = []
ID_OUTPUT = {"egov:ec2:Vpc": "vpcId", "egov:ec2:Subnet": "subnetId", "egov:ec2:RouteTable": "routeTableId",
             "egov:ec2:TransitGatewayVpcAttachment": "transitGatewayAttachmentId",
             "egov:ec2:TransitGatewayRouteTable": "transitGatewayRouteTableId", "egov:ec2:SecurityGroup": "groupId",
             "egov:kms:Key": "keyId"}
PLATFORM = load_platform(PLATFORM_FILE)
ZONE_CIDRS = {name: str(zone.cidr) for name, zone in PLATFORM.zones.items()}


def _outputs(args: MockArgs) -> dict[str, Any]:
    if args.typ == "pulumi:pulumi:StackReference":
        return {"name": args.name, "outputs": {"transitGatewayId": "tgw-1", "attachmentId": "att-b"}}
    outputs: dict[str, Any] = {}
    if args.typ in ID_OUTPUT:
        outputs[ID_OUTPUT[args.typ]] = f"id-{args.name}"
    if args.typ == "egov:ec2:Vpc":
        outputs["defaultSecurityGroupId"] = f"sg-default-{args.name}"
    if args.typ in ("egov:kms:Key", "egov:s3:Bucket", "egov:iam:Role"):
        outputs["arn"] = f"arn:aws-cn:x:::{args.name}"
    return outputs


def _resource_id(args: MockArgs) -> str:
    return args.name if args.typ == "pulumi:pulumi:StackReference" else f"{args.name}-id"


@pytest.fixture(autouse=True)
def _mocks(pulumi_mocks: Callable[..., RecordingMocks]) -> None:
    pulumi_mocks(registered, outputs=_outputs, resource_id=_resource_id)


def build(admitted: bool, offboarded: bool = False, *, extranet_flows: bool = True) -> None:
    from infra.components.tenant import Tenant

    request = load_request(REPO_ROOT / "tenants" / "tax-bureau.yaml", PLATFORM)
    allocation = Allocation("tax-bureau", IPv4Network("10.100.7.0/24"), request.name_en, request.name_zh, "o",
                            "2026-12-07T03:00:00+00:00")
    plan = make_plan(request, allocation, PLATFORM)
    if not extranet_flows:
        plan = replace(plan, flows=[flow for flow in plan.flows if flow.peer != "extranet"])

    def program() -> None:
        Tenant(plan, stack="t1", zone_cidrs=ZONE_CIDRS, transit_gateway_id="tgw-1", bridge_attachment_id="att-bridge",
               account_id="123456789012", admitted=admitted, offboarded=offboarded)

    pulumi.runtime.test(program)()


def of_type(typ: str) -> dict[str, Any]:
    return {a.name: a.inputs for a in registered if a.typ == typ}


def test_not_admitted_tenant_routes_only_to_shared() -> None:
    build(admitted=False)
    routes = of_type("egov:ec2:TransitGatewayRoute")
    assert {name: (r["destinationCidrBlock"], r["transitGatewayAttachmentId"], r["transitGatewayRouteTableId"])
            for name, r in routes.items()} == {
        "tax-bureau-tgw-route-shared": ("10.50.0.0/16", "att-bridge", "id-tax-bureau-tgw-rt")}
    [table] = of_type("egov:ec2:RouteTable").values()
    assert [r["destinationCidrBlock"] for r in table["routes"]] == ["10.50.0.0/16"]
    ingress_from = {r["cidrIpv4"] for r in of_type("egov:ec2:SecurityGroupRule").values() if r["type"] == "ingress"}
    assert ingress_from == {"10.100.7.0/24"}  # only from inside the tenant


def test_admitted_tenant_routes_to_extranet_and_shared_and_nowhere_else() -> None:
    build(admitted=True)
    routes = of_type("egov:ec2:TransitGatewayRoute")
    assert sorted(r["destinationCidrBlock"] for r in routes.values()) == ["10.20.0.0/16", "10.50.0.0/16"]
    # Associated with its own table, not a zone's or another tenant's.
    assert of_type("egov:ec2:TransitGatewayRouteTableAssociation") == {"tax-bureau-tgw-rt-assoc": {
        "transitGatewayAttachmentId": "id-tax-bureau-tgw-attachment",
        "transitGatewayRouteTableId": "id-tax-bureau-tgw-rt"}}
    rules = {name: (r["type"], r["cidrIpv4"], r["fromPort"]) for name, r in
             of_type("egov:ec2:SecurityGroupRule").items()}
    assert rules["tax-bureau-tax-portal-api-in-extranet-tcp-8443"] == ("ingress", "10.20.0.0/16", 8443)
    assert not any(name.startswith("tax-bureau-tax-db-in-extranet") for name in rules)
    assert rules["tax-bureau-tax-db-out-shared-udp-53"] == ("egress", "10.50.0.0/16", 53)


def test_admission_changes_nothing_for_a_department_without_extranet_flows() -> None:
    """What admission relies on to skip the tenant stack's `up` (``_set_admitted``): without a flow to or
    from the extranet, admitted and not admitted declare the same resources with the same inputs."""
    declared = []
    for admitted in (False, True):
        registered.clear()
        build(admitted=admitted, extranet_flows=False)
        declared.append(sorted((a.typ, a.name, repr(sorted(a.inputs.items()))) for a in registered))
    assert declared[0] == declared[1] and len(declared[0]) > 30
    registered.clear()
    build(admitted=True)  # with the sample's extranet flow, admission does change it
    assert sorted((a.typ, a.name, repr(sorted(a.inputs.items()))) for a in registered) != declared[1]


def _acl_entries() -> set[tuple[int, bool, str]]:
    return {(e["ruleNumber"], e["egress"], e["cidrBlock"]) for e in of_type("egov:ec2:NetworkAclEntry").values()}


def test_every_subnet_on_the_tenant_acl_which_admits_only_its_block_and_open_zones() -> None:
    """From tenants/tax-bureau.yaml: flows with the extranet and shared zones; block 10.100.7.0/24 given above."""
    build(admitted=False)
    [acl] = of_type("egov:ec2:NetworkAcl").values()
    assert sorted(acl["subnetIds"]) == sorted(f"id-{name}" for name in of_type("egov:ec2:Subnet"))
    both = {False, True}
    assert _acl_entries() == {(100, e, "10.100.7.0/24") for e in both} | {(120, e, "10.50.0.0/16") for e in both}
    registered.clear()
    build(admitted=True)  # admission adds the extranet and renumbers nothing
    assert _acl_entries() == ({(100, e, "10.100.7.0/24") for e in both} | {(120, e, "10.50.0.0/16") for e in both}
                              | {(110, e, "10.20.0.0/16") for e in both})
    assert all(e["ruleAction"] == "allow" for e in of_type("egov:ec2:NetworkAclEntry").values())


def test_buckets_encrypted_with_the_tenant_key_and_archive_locked() -> None:
    build(admitted=False)
    buckets = of_type("egov:s3:Bucket")
    assert sorted(buckets) == ["egov-tax-bureau-archive", "egov-tax-bureau-general", "egov-tax-bureau-important",
                               "egov-tax-bureau-personal-sensitive"]
    assert {b["kmsKeyId"] for b in buckets.values()} == {"arn:aws-cn:x:::tax-bureau-key"}
    assert all(b["blockPublicPolicy"] and b["versioningEnabled"] for b in buckets.values())
    archive = buckets["egov-tax-bureau-archive"]
    assert (archive["objectLockEnabled"], archive["retentionDays"]) == (True, 1095)
    # every bucket logs its access into the archive, and declares and enforces the request's retention
    assert {b["loggingTargetBucket"] for b in buckets.values()} == {"egov-tax-bureau-archive"}
    assert {b["loggingTargetPrefix"] for b in buckets.values()} == {"AccessLogs/"}
    assert {b["tags"]["egov:retention-days"] for b in buckets.values()} == {"1095"}
    assert all(b["lifecycleRules"][0]["expirationDays"] == 1095 for b in buckets.values())
    policy = json.loads(archive["policy"])
    [grant] = [s for s in policy["Statement"]
               if s["Effect"] == "Allow" and s["Principal"] == {"Service": "logging.s3.amazonaws.com"}]
    assert grant["Resource"] == "arn:aws-cn:s3:::egov-tax-bureau-archive/AccessLogs/*"
    [flow_log] = of_type("egov:ec2:FlowLog").values()
    assert (flow_log["logDestination"], flow_log["trafficType"]) == ("arn:aws-cn:x:::egov-tax-bureau-archive", "ALL")
    for name, bucket in buckets.items():  # plain HTTP refused on every bucket
        [deny] = [s for s in json.loads(bucket["policy"])["Statement"] if s["Effect"] == "Deny"]
        assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
        assert deny["Resource"] == [f"arn:aws-cn:s3:::{name}", f"arn:aws-cn:s3:::{name}/*"]
    writers = {s["Principal"]["Service"] for s in json.loads(archive["policy"])["Statement"] if s["Effect"] == "Allow"}
    assert "delivery.logs.amazonaws.com" in writers


def test_department_role_needs_mfa() -> None:
    build(admitted=False)
    [role] = of_type("egov:iam:Role").values()
    trust = json.loads(role["assumeRolePolicy"])
    assert role["name"] == "egov-tenant-tax-bureau-department"
    assert trust["Statement"][0]["Condition"] == {"Bool": {"aws:MultiFactorAuthPresent": "true"}}
    assert trust["Statement"][0]["Principal"] == {"AWS": "arn:aws-cn:iam::123456789012:root"}


def _sample_plan() -> Any:
    request = load_request(REPO_ROOT / "tenants" / "health-comm.yaml", PLATFORM)
    allocation = Allocation("health-comm", IPv4Network("10.100.8.0/23"), request.name_en, request.name_zh, "o",
                            "2026-12-07T03:00:00+00:00")
    return make_plan(request, allocation, PLATFORM)


def test_plan_json_round_trips() -> None:
    from infra.tenants.plan import TenantPlan

    plan = _sample_plan()
    assert TenantPlan.from_json(json.loads(json.dumps(plan.to_json()))) == plan


def build_stack(tmp_path: Any, **extra: str) -> None:
    """The tenant stack program over the health commission's plan, with ``extra`` config."""
    from stacks import tenant as tenant_stack

    plan_file = tmp_path / "health-comm.json"
    plan_file.write_text(json.dumps(_sample_plan().to_json()))
    project = pulumi.get_project()
    config = {"planFile": str(plan_file), "coreStack": "core", "bridgeStack": "bridge", "accountId": "123456789012",
              **extra}
    for key, value in config.items():
        pulumi.runtime.set_config(f"{project}:{key}", value)
    try:
        pulumi.runtime.test(tenant_stack.build)()
    finally:
        for key in config:
            pulumi.runtime.config.CONFIG.get().pop(f"{project}:{key}", None)


def test_tenant_stack_builds_from_the_plan_file(tmp_path: Any) -> None:
    build_stack(tmp_path)
    assert of_type("egov:ec2:Vpc")["health-comm-vpc"]["cidrBlock"] == "10.100.8.0/23"
    assert [r["transitGatewayAttachmentId"] for r in of_type("egov:ec2:TransitGatewayRoute").values()] == ["att-b"]
    assert sorted(of_type("egov:ec2:Subnet")) == ["health-comm-app-a", "health-comm-app-b", "health-comm-data-a",
                                                  "health-comm-data-b"]


def test_offboarded_tenant_declares_only_its_key_alias_and_archive() -> None:
    build(admitted=True, offboarded=True)
    assert sorted((a.typ, a.name) for a in registered if a.typ.startswith("egov:") and "components" not in a.typ) == [
        ("egov:kms:Alias", "tax-bureau-key-alias"), ("egov:kms:Key", "tax-bureau-key"),
        ("egov:s3:Bucket", "egov-tax-bureau-archive")]
    archive = of_type("egov:s3:Bucket")["egov-tax-bureau-archive"]
    assert (archive["objectLockEnabled"], archive["retentionDays"], archive["forceDestroy"]) == (True, 1095, False)


def test_tenant_stack_declares_one_workload_host_in_its_first_subnet_under_its_own_key(tmp_path: Any) -> None:
    build_stack(tmp_path)
    # tenants/health-comm.yaml: its first service is the first host's; the first subnet is app, first AZ
    first_service = load_request(REPO_ROOT / "tenants" / "health-comm.yaml", PLATFORM).services[0].name
    [instance] = [a for a in registered if a.typ == "egov:ec2:Instance"]
    assert instance.name == "health-comm-1"
    assert instance.inputs["subnetId"] == "id-health-comm-app-a"
    assert instance.inputs["rootVolumeKmsKeyId"] == "arn:aws-cn:x:::health-comm-key"
    assert instance.inputs["associatePublicIpAddress"] is False
    assert instance.inputs["securityGroupIds"] == ["id-health-comm-1-host-sg", f"id-health-comm-{first_service}"]
    tags = instance.inputs["tags"]
    assert (tags["egov:zone"], tags["egov:role"], tags["egov:tenant"]) == ("tenant-health-comm", "workload",
                                                                          "health-comm")


def test_offboarded_tenant_stack_keeps_no_host(tmp_path: Any) -> None:
    build_stack(tmp_path, offboarded="true")
    assert [a.name for a in registered if a.typ in ("egov:ec2:Instance", "egov:ec2:SecurityGroup")] == []
