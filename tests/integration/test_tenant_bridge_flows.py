"""Admitted tenants' flows on the deployed bridge (core + bridge through the real engine on the embedded cloud):
``open_tenant_flows`` adds exactly the tenant's flows on the bridge side (SG rules, NACL entries, transit
routes), a second tenant leaves the first's untouched, an unchanged admission runs no ``up``, closing
removes exactly what opening added, changes waiting behind the lock ride on one ``up``, and the scanner's
isolation checks pass with admitted tenants and fail on an Internet-to-extranet opening seeded with boto3.

The tenants' own side is a VPC and transit-gateway attachment made with plain boto3, tagged as the ``Tenant``
component tags them: the bridge needs only their blocks and attachments (the tenant stack is the tenantops
piece). Expected rules are read from the request files, not from the compiler."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from ipaddress import IPv4Network
from typing import Any

import pytest
import yaml

from compliance.scan import ScanOptions, run_scan
from infra.config import PLATFORM_FILE, ConfigError, load_platform
from infra.engine import Stack
from infra.hosts.harden import compile_ruleset
from infra.local.environment import LocalEnvironment
from infra.onboarding.bridge_admission import (
    _lock_path,
    admitted_tenants,
    bridge_entry,
    close_tenant_flows,
    open_tenant_flows,
)
from infra.onboarding.bridge_queue import CLOSE, OPEN, pending_change, queue_directory
from infra.repository import REPO_ROOT
from infra.tenants.allocation import Allocation
from infra.tenants.plan import TenantPlan, make_plan

pytestmark = pytest.mark.integration

PLATFORM = load_platform(PLATFORM_FILE)
RAW_ZONES = yaml.safe_load(PLATFORM_FILE.read_text())["zones"]
BLOCKS = {"tax-bureau": "10.100.16.0/24", "health-comm": "10.100.18.0/23"}
Snapshot = dict[str, set[tuple[Any, ...]]]


def raw_flows(tenant: str) -> list[dict[str, Any]]:
    return list(yaml.safe_load((REPO_ROOT / "tenants" / f"{tenant}.yaml").read_text())["flows"])


def plan_of(tenant: str) -> TenantPlan:
    from infra.config.tenant_request import load_request

    request = load_request(REPO_ROOT / "tenants" / f"{tenant}.yaml", PLATFORM)
    allocation = Allocation(tenant, IPv4Network(BLOCKS[tenant]), request.name_en, request.name_zh, "x@y.z",
                            "2026-12-07T03:00:00+00:00", new=True)
    return make_plan(request, allocation, PLATFORM)


def tenant_network(ec2: Any, tgw: str, tenant: str) -> tuple[str, str]:
    """The tenant's VPC and attachment, tagged as the Tenant component tags them."""
    tags = [{"Key": "egov:tenant", "Value": tenant}, {"Key": "Name", "Value": f"egov-tenant-{tenant}"}]
    vpc = ec2.create_vpc(CidrBlock=BLOCKS[tenant], TagSpecifications=[{"ResourceType": "vpc", "Tags": tags}])[
        "Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock=str(next(IPv4Network(BLOCKS[tenant]).subnets(new_prefix=26))),
                               AvailabilityZone="cn-north-1a")["Subnet"]["SubnetId"]
    attachment = ec2.create_transit_gateway_vpc_attachment(TransitGatewayId=tgw, VpcId=vpc, SubnetIds=[subnet])[
        "TransitGatewayVpcAttachment"]["TransitGatewayAttachmentId"]
    ec2.create_tags(Resources=[attachment], Tags=tags)  # moto drops an attachment's TagSpecifications
    return vpc, attachment


def snapshot(ec2: Any, core: Stack, bridge: Stack) -> Snapshot:
    """The bridge side as boto3 sees it: flow SG rules (with their ids), flow ACL entries, transit routes."""
    bridge_out, core_out = bridge.outputs(), core.outputs()
    groups = {group_id: network for network, group_id in bridge_out["securityGroupIds"].items()}
    rules = ec2.describe_security_group_rules(Filters=[{"Name": "group-id", "Values": sorted(groups)}])[
        "SecurityGroupRules"]
    acls = ec2.describe_network_acls(Filters=[{"Name": "tag:egov:stack", "Values": [bridge.name]}])["NetworkAcls"]
    tables = {**{table: zone for zone, table in core_out["tgwRouteTableIds"].items()},
              bridge_out["tgwRouteTableId"]: "bridge"}
    routes = set()
    for table, zone in tables.items():
        found = ec2.search_transit_gateway_routes(TransitGatewayRouteTableId=table, Filters=[
            {"Name": "state", "Values": ["active"]}])["Routes"]
        routes |= {(zone, route["DestinationCidrBlock"]) for route in found}
    return {
        "sg": {(groups[r["GroupId"]], "egress" if r["IsEgress"] else "ingress", r["IpProtocol"], r["FromPort"],
                r["ToPort"], r.get("CidrIpv4"), r["SecurityGroupRuleId"]) for r in rules},
        "acl": {(next(t["Value"] for t in acl["Tags"] if t["Key"] == "Name"), e["Egress"], e["RuleNumber"],
                 e["Protocol"], e["CidrBlock"], (e.get("PortRange") or {}).get("From"),
                 (e.get("PortRange") or {}).get("To")) for acl in acls for e in acl["Entries"]
                if e["RuleNumber"] < 32767},
        "routes": routes,
    }


def without_rule_ids(found: Snapshot) -> Snapshot:
    """A snapshot to compare with one taken before the rules were re-created (their ids are new)."""
    return {**found, "sg": {rule[:-1] for rule in found["sg"]}}


def added(after: Snapshot, before: Snapshot) -> Snapshot:
    return {kind: after[kind] - before[kind] for kind in after}


def expected_zone_rules(tenant: str) -> set[tuple[Any, ...]]:
    """(zone, direction, protocol, port, port, block) of the zone SG rules the request's flows need."""
    out = set()
    for flow in raw_flows(tenant):
        inbound = flow["destination"] == "tenant"
        zone = flow["source"] if inbound else flow["destination"]
        for port in flow["ports"]:
            out.add((zone, "egress" if inbound else "ingress", flow["protocol"], port, port, BLOCKS[tenant]))
    return out


def expected_acl_matches(tenant: str) -> set[tuple[Any, ...]]:
    """(ACL, egress, protocol number, from, to) of the entries naming the block: forward and replies."""
    numbers = {"tcp": "6", "udp": "17"}
    out = set()
    for flow in raw_flows(tenant):
        inbound = flow["destination"] == "tenant"
        zone = flow["source"] if inbound else flow["destination"]
        proto = numbers[flow["protocol"]]
        for port in flow["ports"]:
            out.add(("bridge-inspection-acl", inbound, proto, port, port))  # forward, towards/from the block
            out.add((f"{zone}-flows-acl", inbound, proto, port, port))
        out.add(("bridge-inspection-acl", not inbound, proto, 1024, 65535))  # replies
        out.add((f"{zone}-flows-acl", not inbound, proto, 1024, 65535))
    return out


def isolation(env: LocalEnvironment) -> dict[tuple[str, str], str]:
    result = run_scan(ScanOptions(endpoint=env.env()["AWS_ENDPOINT_URL"], sources=["cloud", "state"]))
    return {(f.check_id, f.resource): f.status for f in result.findings
            if f.check_id in ("egov_extranet_isolation", "egov_tenant_isolation")}


@pytest.fixture()
def tenants(deployed: tuple[Stack, Stack], ec2: Any) -> Iterator[dict[str, tuple[str, str]]]:
    core, bridge = deployed
    tgw = core.outputs()["transitGatewayId"]
    made = {tenant: tenant_network(ec2, tgw, tenant) for tenant in BLOCKS}
    try:
        yield made
    finally:
        for tenant in BLOCKS:  # before the fixture destroys the bridge and core
            close_tenant_flows(bridge, tenant)
        for vpc, attachment in made.values():
            ec2.delete_transit_gateway_vpc_attachment(TransitGatewayAttachmentId=attachment)
            for subnet in ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["Subnets"]:
                ec2.delete_subnet(SubnetId=subnet["SubnetId"])
            ec2.delete_vpc(VpcId=vpc)


def test_admitted_tenants_flows_open_and_close_on_the_bridge(
        deployed: tuple[Stack, Stack], tenants: dict[str, tuple[str, str]], ec2: Any, local_env: LocalEnvironment,
        monkeypatch: pytest.MonkeyPatch) -> None:
    core, bridge = deployed
    for key, value in local_env.env().items():
        monkeypatch.setenv(key, value)
    base = snapshot(ec2, core, bridge)

    # 1. the first tenant: exactly its flows, nothing for undeclared ports, nothing else changed
    open_tenant_flows(bridge, plan_of("tax-bureau"))
    with_a = snapshot(ec2, core, bridge)
    assert all(base[kind] <= with_a[kind] for kind in base)
    new = added(with_a, base)
    block = BLOCKS["tax-bureau"]
    zone_rules = {rule[:6] for rule in new["sg"] if rule[0] != "bridge"}
    assert zone_rules == expected_zone_rules("tax-bureau")
    bridge_rules = {rule[1:5] for rule in with_a["sg"] if rule[0] == "bridge" and rule[5] == block}
    declared = {(flow["protocol"], port) for flow in raw_flows("tax-bureau") for port in flow["ports"]}
    assert {(rule[1], rule[2]) for rule in bridge_rules} == declared  # no undeclared port to or from the block
    # the bridge sends a zone's traffic on to the block, and takes the block's traffic in
    assert bridge_rules == {("egress" if flow["destination"] == "tenant" else "ingress", flow["protocol"], port, port)
                            for flow in raw_flows("tax-bureau") for port in flow["ports"]}
    acl_a = {entry for entry in new["acl"] if entry[4] == block}
    assert {(e[0], e[1], e[3], e[5], e[6]) for e in acl_a} == expected_acl_matches("tax-bureau")
    assert all(30100 <= e[2] < 30200 for e in new["acl"])  # slot 0
    zones = {flow["source"] if flow["destination"] == "tenant" else flow["destination"]
             for flow in raw_flows("tax-bureau")}
    assert new["routes"] == {(zone, block) for zone in zones} | {("bridge", block)}
    nft = bridge.outputs()["nftables"]
    assert f"ip saddr {RAW_ZONES['extranet']['cidr']} ip daddr {block} tcp dport 8443" in nft
    # the gateway hosts get the same lines from the same config (`egov hosts harden --bridge-stack`)
    hosts_ruleset = compile_ruleset(tenants=admitted_tenants(bridge, PLATFORM))
    assert f"ip saddr {RAW_ZONES['extranet']['cidr']} ip daddr {block} tcp dport 8443" in hosts_ruleset

    # 2. admitting it again changes nothing and runs no update
    history = bridge.update_count()
    open_tenant_flows(bridge, plan_of("tax-bureau"))
    assert bridge.update_count() == history
    assert snapshot(ec2, core, bridge) == with_a

    # 3. over the default ACL quota (20 per direction) the second tenant is named; nothing written or deployed
    config = json.loads(bridge.run("config", "--json").stdout)
    refusal = "tenantFlows.health-comm: network ACL bridge-inspection-acl would hold 21"
    with pytest.raises(ConfigError, match=re.escape(refusal)):
        open_tenant_flows(bridge, plan_of("health-comm"))
    assert json.loads(bridge.run("config", "--json").stdout) == config
    assert (snapshot(ec2, core, bridge), bridge.update_count()) == (with_a, history)

    # 4. with the quota raised, the second tenant leaves the first's rules as they were (same ids and numbers)
    bridge.set_config("aclEntryLimit", "40")
    open_tenant_flows(bridge, plan_of("health-comm"))
    with_both = snapshot(ec2, core, bridge)
    assert all(with_a[kind] <= with_both[kind] for kind in with_a)
    new_b = added(with_both, with_a)
    assert {rule[:6] for rule in new_b["sg"] if rule[0] != "bridge"} == expected_zone_rules("health-comm")
    assert all(30200 <= e[2] < 30300 for e in new_b["acl"])  # slot 1
    assert {(e[0], e[1], e[3], e[5], e[6]) for e in new_b["acl"] if e[4] == BLOCKS["health-comm"]} == \
        expected_acl_matches("health-comm")

    # 5. the isolation checks pass with both admitted, and fail on an Internet -> extranet opening
    extranet_vpc = core.outputs()["vpcIds"]["extranet"]
    verdicts = isolation(local_env)
    assert verdicts[("egov_extranet_isolation", extranet_vpc)] == "pass"
    for vpc, _attachment in tenants.values():
        assert verdicts[("egov_tenant_isolation", vpc)] == "pass"
    extranet_sg = bridge.outputs()["securityGroupIds"]["extranet"]
    seeded = {"IpProtocol": "tcp", "FromPort": 8443, "ToPort": 8443,
              "IpRanges": [{"CidrIp": "0.0.0.0/0", "Description": "tenant.tax-bureau.1 from anywhere"}]}
    ec2.authorize_security_group_ingress(GroupId=extranet_sg, IpPermissions=[seeded])
    try:
        assert isolation(local_env)[("egov_extranet_isolation", extranet_vpc)] == "fail"
    finally:
        ec2.revoke_security_group_ingress(GroupId=extranet_sg, IpPermissions=[seeded])

    # 6. closing removes exactly what opening added, in either order
    close_tenant_flows(bridge, "tax-bureau")
    after_a = snapshot(ec2, core, bridge)
    assert after_a == {kind: with_both[kind] - new[kind] for kind in with_both}
    assert block not in bridge.outputs()["nftables"]
    close_tenant_flows(bridge, "health-comm")
    assert snapshot(ec2, core, bridge) == base
    assert admitted_tenants(bridge, PLATFORM) == ()
    history = bridge.update_count()
    close_tenant_flows(bridge, "health-comm")  # already closed: no update
    assert bridge.update_count() == history

    # 7. admissions waiting behind the lock ride on one update: health-comm's change is published (as its runner
    #    does before it takes the lock), then tax-bureau's call applies both; health-comm's own call finds it done
    queue = queue_directory(_lock_path(bridge))
    entry = bridge_entry(plan_of("health-comm"), 0, tenants["health-comm"][1])
    del entry["slot"]
    with pending_change(queue, "health-comm", OPEN, entry):
        assert open_tenant_flows(bridge, plan_of("tax-bureau")) == ["tax-bureau", "health-comm"]
        assert open_tenant_flows(bridge, plan_of("health-comm")) == []
    assert bridge.update_count() == history + 1
    assert without_rule_ids(snapshot(ec2, core, bridge)) == without_rule_ids(with_both)  # same slots, same numbers
    with pending_change(queue, "tax-bureau", CLOSE, None):
        assert close_tenant_flows(bridge, "health-comm") == ["health-comm", "tax-bureau"]
    assert bridge.update_count() == history + 2 and snapshot(ec2, core, bridge) == base

