"""The core and bridge stack kinds end to end: real engine, our provider, moto server and OpenBao.

Every property is checked through plain boto3 (``cloud_walk``), never through our code, with one
labelled exception: moto 5.2.5's SearchTransitGatewayRoutes omits which attachment a route forwards
to, so the next hop of each route (whose CIDR and state do come from boto3) is taken from the
engine's state of the TransitGatewayRoute resources. On AWS the cloud answer is used as is.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from infra.config import FLOWS_FILE, PLATFORM_FILE, CompiledBridge, ConfigError, compile_bridge, load_flows
from infra.config import load_platform as load_platform_file
from infra.engine import EngineError, Stack
from tests.integration import cloud_walk
from tests.integration.moto_server import MOTO_ACCOUNT

pytestmark = pytest.mark.integration

ZONES = ("extranet", "internet", "management", "shared")
BRIDGE = "bridge"
CHANGING_OPS = {"update", "replace", "delete", "create-replacement", "delete-replaced", "discard", "import"}


# -- helpers ---------------------------------------------------------------------------------------


def sample_plan(flows_file: Path = FLOWS_FILE) -> CompiledBridge:
    platform = load_platform_file(PLATFORM_FILE)
    return compile_bridge(platform, load_flows(flows_file, platform))


def write_yaml(path: Path, data: Any) -> Path:
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True))
    return path


def with_flow(tmp: Path, **flow: Any) -> Path:
    """The sample allowlist plus one flow appended with the next free id."""
    data = yaml.safe_load(FLOWS_FILE.read_text())
    next_id = max(f["id"] for f in data["flows"]) + 1
    data["flows"].append({"id": next_id, **flow})
    return write_yaml(tmp / f"flows-{next_id}.yaml", data)


def normalized(text: str) -> str:
    """Lines stripped of the engine's indentation, so a multi-line message can be found verbatim."""
    return "\n".join(line.strip() for line in text.splitlines())


def engine_output(error: EngineError) -> str:
    return normalized(f"{error.stdout}\n{error.stderr}")


def route_targets(*stacks: Stack) -> dict[tuple[str, str], str]:
    """(TGW route table id, destination CIDR) -> attachment id, as the engine recorded it (see module doc)."""
    targets = {}
    for stack in stacks:
        for res in stack.export()["deployment"].get("resources", []):
            if res["type"] == "egov:ec2:TransitGatewayRoute":
                out = res["outputs"]
                targets[out["transitGatewayRouteTableId"], out["destinationCidrBlock"]] = out[
                    "transitGatewayAttachmentId"
                ]
    return targets


def topology(ec2: Any, core: Stack, bridge: Stack) -> cloud_walk.Topology:
    topo = cloud_walk.topology(ec2, [core.name, bridge.name])
    targets = route_targets(core, bridge)
    for zone, table_id in topo.tgw_tables.items():
        if topo.tgw_routes.get(zone):
            continue  # the cloud named the next hops itself (AWS)
        routes = ec2.search_transit_gateway_routes(
            TransitGatewayRouteTableId=table_id, Filters=[{"Name": "state", "Values": ["active"]}]
        )["Routes"]
        hops = []
        for route in routes:
            assert not route.get("TransitGatewayAttachments"), "the cloud names attachments: drop the moto fallback"
            attachment = targets.get((table_id, route["DestinationCidrBlock"]))
            if attachment in topo.attachments:
                hops.append((route["DestinationCidrBlock"], topo.attachments[attachment]))
        topo.tgw_routes[zone] = hops
    return topo


def tgw_routes_covering(ec2: Any, table_id: str, cidr: str) -> list[str]:
    routes = ec2.search_transit_gateway_routes(
        TransitGatewayRouteTableId=table_id, Filters=[{"Name": "state", "Values": ["active", "blackhole"]}]
    )["Routes"]
    return [r["DestinationCidrBlock"] for r in routes if cloud_walk._covers(r["DestinationCidrBlock"], cidr)]


def sg_rules(ec2: Any, vpc_id: str) -> list[tuple[str, str, str, int, int, str]]:
    """(group, direction, protocol, from, to, cidr) for every rule of every non-default group of a VPC."""
    groups = ec2.describe_security_groups(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])["SecurityGroups"]
    found = []
    for group in groups:
        if group["GroupName"] == "default":
            continue
        for direction, key in (("ingress", "IpPermissions"), ("egress", "IpPermissionsEgress")):
            for perm in group.get(key, []):
                for rng in perm.get("IpRanges", []):
                    found.append((group["GroupName"], direction, perm["IpProtocol"], perm.get("FromPort"),
                                  perm.get("ToPort"), rng["CidrIp"]))
    return sorted(found)


def rule_ids(ec2: Any, group_id: str) -> set[str]:
    """The ids of every rule of a group."""
    rules = ec2.describe_security_group_rules(Filters=[{"Name": "group-id", "Values": [group_id]}])
    return {r["SecurityGroupRuleId"] for r in rules["SecurityGroupRules"]}


def allowlist(flows_file: Path = FLOWS_FILE) -> list[dict[str, Any]]:
    return list(yaml.safe_load(flows_file.read_text())["flows"])


def zone_cidrs(platform_file: Path = PLATFORM_FILE) -> dict[str, str]:
    return {zone: str(spec["cidr"]) for zone, spec in yaml.safe_load(platform_file.read_text())["zones"].items()}


def port_ranges(flow: dict[str, Any]) -> list[tuple[str, int, int]]:
    """(protocol, from, to) of a flow as written: icmp is echo (type 8, any code); ports are 443, "8443-8444"
    or a list of both."""
    if flow["protocol"] == "icmp":
        return [("icmp", 8, -1)]
    ports = flow["ports"] if isinstance(flow["ports"], list) else [flow["ports"]]
    ranges = []
    for port in ports:
        low, _, high = str(port).partition("-")
        ranges.append((flow["protocol"], int(low), int(high or low)))
    return ranges


def expected_rules(network: str, flows_file: Path = FLOWS_FILE) -> list[tuple[str, str, str, int, int, str]]:
    """The security-group rules of ``network``, read straight from the allowlist (not through compile_bridge,
    so a compiler bug cannot pass): a flow opens egress in its source zone's group to the destination zone,
    ingress in the destination zone's group from the source zone, and both in the bridge's group."""
    cidr = zone_cidrs()
    rules: set[tuple[str, str, str, str, int, int, str]] = set()
    for flow in allowlist(flows_file):
        source, destination = flow["source"], flow["destination"]
        for protocol, low, high in port_ranges(flow):
            rules |= {
                (source, f"{source}-flows-sg", "egress", protocol, low, high, cidr[destination]),
                (destination, f"{destination}-flows-sg", "ingress", protocol, low, high, cidr[source]),
                (BRIDGE, f"{BRIDGE}-flows-sg", "ingress", protocol, low, high, cidr[source]),
                (BRIDGE, f"{BRIDGE}-flows-sg", "egress", protocol, low, high, cidr[destination]),
            }
    return sorted(rule[1:] for rule in rules if rule[0] == network)


def allowed_pairs(flows_file: Path = FLOWS_FILE) -> set[tuple[str, str]]:
    """Zone pairs with a path through the bridge: each flow's, both ways (replies come back the same way)."""
    pairs = {(flow["source"], flow["destination"]) for flow in allowlist(flows_file)}
    return pairs | {(destination, source) for source, destination in pairs}


def changes(preview: dict[str, Any]) -> list[tuple[str, str]]:
    """(op, resource name) of every step that is not a no-op."""
    return sorted(
        (step["op"], step["urn"].rsplit("::", 1)[-1])
        for step in preview.get("steps", [])
        if step["op"] not in ("same", "read", "refresh")
    )


# -- the platform, deployed ------------------------------------------------------------------------


def test_core_and_bridge_isolate_the_extranet_and_keep_the_audit_baseline(
    deployed: tuple[Stack, Stack], ec2: Any, aws: Callable[[str], Any]
) -> None:
    core, bridge = deployed
    outputs = core.outputs()
    topo = topology(ec2, core, bridge)
    assert set(topo.vpcs) == {*ZONES, BRIDGE}
    assert set(topo.tgw_tables) == {*ZONES, BRIDGE}

    # Every zone-to-zone path over the transit gateway crosses the bridge; each allowed pair has exactly that one.
    allowed = allowed_pairs()
    for source, destination in itertools.permutations(ZONES, 2):
        paths = topo.paths(source, destination)
        assert all(BRIDGE in path[1:-1] for path in paths), (source, destination, paths)
        expected = [[source, BRIDGE, destination]] if (source, destination) in allowed else []
        assert paths == expected, (source, destination)
    assert topo.paths("internet", "extranet") == [] and topo.paths("extranet", "internet") == []

    # Nothing in the internet zone even knows a way to the extranet.
    extranet = topo.cidr("extranet")
    assert tgw_routes_covering(ec2, topo.tgw_tables["internet"], extranet) == []
    internet_vpc = topo.vpcs["internet"]["VpcId"]
    leaks = cloud_walk.vpc_routes_to(ec2, internet_vpc, extranet)
    # Only the public web tier's default route to the internet gateway overlaps; it cannot carry 10.20/16.
    assert [r for r in leaks if not str(r.get("GatewayId", "")).startswith("igw-")] == []
    assert {r["DestinationCidrBlock"] for r in leaks} <= {"0.0.0.0/0"}

    # Flow logs of every VPC into the archive; the archive meets the baseline; the default groups are empty.
    archive_arn = outputs["archiveBucketArn"]
    for zone, vpc in topo.vpcs.items():
        assert cloud_walk.has_flow_logs(ec2, vpc["VpcId"]), zone
        logs = ec2.describe_flow_logs(Filters=[{"Name": "resource-id", "Values": [vpc["VpcId"]]}])["FlowLogs"]
        assert {log.get("LogDestination") for log in logs} == {archive_arn}, zone
        assert cloud_walk.default_group_rules(ec2, vpc["VpcId"]) == [], zone
    s3 = aws("s3")
    assert cloud_walk.archive_findings(s3, outputs["archiveBucketName"]) == []
    lock = s3.get_object_lock_configuration(Bucket=outputs["archiveBucketName"])["ObjectLockConfiguration"]
    retention = lock["Rule"]["DefaultRetention"]
    assert (retention["Mode"], retention["Days"]) == ("GOVERNANCE", 180)
    trail = aws("cloudtrail").get_trail(Name=f"egov-{core.name}-audit")["Trail"]
    assert trail["IsMultiRegionTrail"] and trail["LogFileValidationEnabled"]
    assert trail["S3BucketName"] == outputs["archiveBucketName"] and trail.get("KmsKeyId")

    # Every key of the stack (found by its alias) rotates.
    kms = aws("kms")
    aliases = [a for a in kms.list_aliases()["Aliases"] if a["AliasName"].startswith(f"alias/egov-{core.name}-")]
    assert sorted(a["AliasName"] for a in aliases) == [f"alias/egov-{core.name}-{p}" for p in ("audit", "data", "logs")]
    for alias in aliases:
        assert kms.get_key_rotation_status(KeyId=alias["TargetKeyId"])["KeyRotationEnabled"] is True, alias
    # The audit key lets CloudTrail and flow-log delivery encrypt for this account only.
    audit_key = next(a["TargetKeyId"] for a in aliases if a["AliasName"].endswith("-audit"))
    statements = json.loads(kms.get_key_policy(KeyId=audit_key, PolicyName="default")["Policy"])["Statement"]
    services = {s["Principal"].get("Service") for s in statements if s["Effect"] == "Allow"}
    assert {"cloudtrail.amazonaws.com", "delivery.logs.amazonaws.com"} <= services
    assert all(s["Condition"]["StringEquals"]["aws:SourceAccount"] == MOTO_ACCOUNT
               for s in statements if "Service" in s["Principal"])
    assert trail["KmsKeyId"] == outputs["keyArns"]["audit"]

    # Security-group rules in every VPC are exactly the allowlist's (nothing more, nothing less).
    for network, vpc in topo.vpcs.items():
        assert sg_rules(ec2, vpc["VpcId"]) == expected_rules(network), network

    # A second run of both changes nothing.
    core.up("--expect-no-changes")
    bridge.up("--expect-no-changes")


def test_drift_behind_pulumis_back_is_seen(deployed: tuple[Stack, Stack], ec2: Any) -> None:
    core, bridge = deployed
    vpc_id = bridge.outputs()["vpcId"]
    shared_vpc = core.outputs()["vpcIds"]["shared"]
    ssh_anywhere = [{"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}]

    # SSH from anywhere opened on a flows security group: the independent comparison flags it at once,
    # refresh sees it on the group's guard, and up revokes exactly that rule (the managed ones keep their ids).
    shared_sg = bridge.outputs()["securityGroupIds"]["shared"]
    managed = rule_ids(ec2, shared_sg)
    opened = ec2.authorize_security_group_ingress(GroupId=shared_sg, IpPermissions=ssh_anywhere)
    [opened_id] = [r["SecurityGroupRuleId"] for r in opened["SecurityGroupRules"]]
    extra = sorted(set(sg_rules(ec2, shared_vpc)) - set(expected_rules("shared")))
    assert extra == [("shared-flows-sg", "ingress", "tcp", 22, 22, "0.0.0.0/0")]
    refreshed = dict(json.loads(bridge.run("refresh", "--preview-only", "--json").stdout))
    assert refreshed["changeSummary"].get("update") == 1
    [step] = [s for s in refreshed["steps"] if s["op"] == "update"]
    assert step["urn"].endswith("::shared-flows-sg-guard") and "unmanagedRules" in step.get("diffReasons", [])
    [found] = step["newState"]["outputs"]["unmanagedRules"]
    assert (found["securityGroupRuleId"], found["type"], found["fromPort"], found["cidrIpv4"]) == (
        opened_id, "ingress", 22, "0.0.0.0/0"
    )
    bridge.refresh()
    assert changes(bridge.preview_json()) == [("update", "shared-flows-sg-guard")]
    bridge.up()
    assert sg_rules(ec2, shared_vpc) == expected_rules("shared")
    assert rule_ids(ec2, shared_sg) == managed
    bridge.up("--expect-no-changes")

    # The same on the bridge VPC's default group: refresh sees it on the lockdown, and up closes it again.
    [default] = ec2.describe_security_groups(
        Filters=[{"Name": "vpc-id", "Values": [vpc_id]}, {"Name": "group-name", "Values": ["default"]}]
    )["SecurityGroups"]
    ec2.authorize_security_group_ingress(GroupId=default["GroupId"], IpPermissions=ssh_anywhere)
    refreshed = dict(json.loads(bridge.run("refresh", "--preview-only", "--json").stdout))
    assert refreshed["changeSummary"].get("update") == 1
    [step] = [s for s in refreshed["steps"] if s["op"] == "update"]
    assert step["urn"].endswith("::bridge-default-sg-lockdown") and "ingressRules" in step.get("diffReasons", [])
    bridge.refresh()
    assert changes(bridge.preview_json()) == [("update", "bridge-default-sg-lockdown")]
    bridge.up()
    assert cloud_walk.default_group_rules(ec2, vpc_id) == []
    bridge.up("--expect-no-changes")


def test_appending_a_flow_adds_its_resources_and_updates_only_guards(
    deployed: tuple[Stack, Stack], tmp_path: Path, ec2: Any
) -> None:
    core, bridge = deployed
    flows_file = with_flow(
        tmp_path, name="management-to-shared-metrics", source="management", destination="shared", protocol="tcp",
        ports=9100, purpose="Metrics scraping of shared services by the monitoring system",
        owner="E-Government Cloud Operations Centre",
    )
    before, after = sample_plan(), sample_plan(flows_file)
    added = set(after.resources()) - set(before.resources())
    own = {item.name for item in after.for_flow("management-to-shared-metrics")}
    assert own and own <= added  # plus the bridge's shared rules for the new port, which belong to no flow
    assert set(before.resources()) <= set(after.resources())

    # The groups that gained rules must also learn the new rule ids: their guards update in place.
    gained = {rule.security_group for rule in after.security_group_rules if rule.name in added}
    assert gained == {"management-flows-sg", "shared-flows-sg", "bridge-flows-sg"}
    guards = {f"{group}-guard" for group in gained}

    bridge.set_config("flowsFile", str(flows_file))
    preview = bridge.preview_json()
    steps = changes(preview)
    assert steps == sorted([*(("create", name) for name in added), *(("update", guard) for guard in guards)]), steps
    assert not (CHANGING_OPS - {"update"}) & {op for op, _ in steps}
    updates = [s for s in preview["steps"] if s["op"] == "update"]
    assert {s["urn"].rsplit("::", 1)[-1]: s.get("diffReasons") for s in updates} == {
        guard: ["managedRuleIds"] for guard in guards
    }

    # Deployed, the guards take the new rules as managed: every group holds exactly the compiled rules.
    bridge.up()
    vpcs = {**core.outputs()["vpcIds"], BRIDGE: bridge.outputs()["vpcId"]}
    for network in ("management", "shared", BRIDGE):
        assert sg_rules(ec2, vpcs[network]) == expected_rules(network, flows_file), network
    bridge.up("--expect-no-changes")


# -- configuration errors --------------------------------------------------------------------------


def _platform(tmp: Path, change: Callable[[dict[str, Any]], None]) -> Path:
    data = yaml.safe_load(PLATFORM_FILE.read_text())
    change(data)
    return write_yaml(tmp / "platform.yaml", data)


def _overlap(data: dict[str, Any]) -> None:
    data["zones"]["finance"] = {
        "cidr": "10.20.128.0/20",
        "subnets": {"app": {"cn-north-1a": "10.20.128.0/24", "cn-north-1b": "10.20.129.0/24"}},
    }


def _region(data: dict[str, Any]) -> None:
    data["region"] = "ap-east-1"


CASES = {
    "overlapping-cidrs": lambda tmp: {"platformFile": _platform(tmp, _overlap)},
    "unknown-zone": lambda tmp: {"flowsFile": with_flow(
        tmp, name="finance-to-shared", source="finance", destination="shared", protocol="tcp", ports=443,
        purpose="Finance back-ends call the shared API gateway", owner="Finance Department")},
    "internet-to-extranet": lambda tmp: {"flowsFile": with_flow(
        tmp, name="portal-to-extranet", source="internet", destination="extranet", protocol="tcp", ports=443,
        purpose="Portal calls a back-end directly", owner="Portal team")},
    "region-outside-allowlist": lambda tmp: {"platformFile": _platform(tmp, _region)},
}


@pytest.mark.parametrize("case", list(CASES))
def test_config_errors_stop_before_anything_is_created(
    case: str, stack_factory: Callable[..., Stack], tmp_path: Path, ec2: Any, aws: Callable[[str], Any]
) -> None:
    files = CASES[case](tmp_path)
    platform_file = Path(files.get("platformFile", PLATFORM_FILE))
    flows_file = Path(files.get("flowsFile", FLOWS_FILE))
    with pytest.raises(ConfigError) as expected:
        platform = load_platform_file(platform_file)
        compile_bridge(platform, load_flows(flows_file, platform))

    stack = stack_factory(kind="core")
    for key, value in files.items():
        stack.set_config(key, str(value))
    with pytest.raises(EngineError) as failed:
        stack.up()
    assert normalized(str(expected.value)) in engine_output(failed.value)

    resources = stack.export()["deployment"].get("resources", [])
    assert [r["type"] for r in resources if r["type"].startswith("egov:")] == []
    assert cloud_walk.stack_vpcs(ec2, [stack.name]) == []
    assert ec2.describe_transit_gateways(Filters=[{"Name": "tag:egov:stack", "Values": [stack.name]}])[
        "TransitGateways"
    ] == []
    assert not [a for a in aws("kms").list_aliases()["Aliases"] if stack.name in a["AliasName"]]
    assert not [b for b in aws("s3").list_buckets()["Buckets"] if stack.name in b["Name"]]


def _northwest(data: dict[str, Any]) -> None:
    """The same platform in cn-northwest-1: allowed, but not where the provider deploys."""
    rename = {"cn-north-1a": "cn-northwest-1a", "cn-north-1b": "cn-northwest-1b"}
    data["region"] = "cn-northwest-1"
    data["availability_zones"] = [rename[az] for az in data["availability_zones"]]
    for network in [*data["zones"].values(), data["bridge"]]:
        network["subnets"] = {
            tier: {rename[az]: cidr for az, cidr in by_az.items()} for tier, by_az in network["subnets"].items()
        }


def test_deploy_region_must_be_the_platform_region(
    stack_factory: Callable[..., Stack], tmp_path: Path, ec2: Any
) -> None:
    platform_file = _platform(tmp_path, _northwest)
    load_platform_file(platform_file)  # valid on its own
    stack = stack_factory(kind="core")
    stack.set_config("platformFile", str(platform_file))
    with pytest.raises(EngineError) as failed:
        stack.up()
    assert (
        f"the core stack was not deployed: the provider deploys to 'cn-north-1' but {platform_file} declares "
        "region 'cn-northwest-1'"
    ) in engine_output(failed.value)
    assert cloud_walk.stack_vpcs(ec2, [stack.name]) == []

    # A provider pointed outside the allowlist is refused even when the platform file is right.
    outside = stack_factory(kind="core")
    outside.set_config("egov:region", "ap-east-1")
    with pytest.raises(EngineError) as failed:
        outside.up()
    assert (
        f"the core stack was not deployed: region 'ap-east-1' is outside the allowed regions "
        f"(cn-north-1, cn-northwest-1) of {PLATFORM_FILE}: data stays in the country"
    ) in engine_output(failed.value)
    assert cloud_walk.stack_vpcs(ec2, [outside.name]) == []


# -- teardown --------------------------------------------------------------------------------------


def test_destroy_bridge_then_core_leaves_nothing(
    stack_factory: Callable[..., Stack], ec2: Any, aws: Callable[[str], Any]
) -> None:
    core = stack_factory(kind="core")
    core.set_config("archiveForceDestroy", "true")
    core.set_config("keyDeletionWindowDays", "7")
    bridge = stack_factory(kind="bridge")
    bridge.set_config("coreStack", core.name)
    core.up()
    bridge.up()
    outputs = core.outputs()
    key_arns = list(outputs["keyArns"].values())
    bridge.destroy()
    core.destroy()

    names = [core.name, bridge.name]
    assert cloud_walk.stack_vpcs(ec2, names) == []
    gateways = ec2.describe_transit_gateways(TransitGatewayIds=[outputs["transitGatewayId"]])["TransitGateways"]
    assert all(g["State"] in ("deleted", "deleting") for g in gateways)
    attachments = ec2.describe_transit_gateway_vpc_attachments(
        TransitGatewayAttachmentIds=list(outputs["attachmentIds"].values())
    )["TransitGatewayVpcAttachments"]
    assert all(a["State"] in ("deleted", "deleting") for a in attachments)
    kms = aws("kms")
    for arn in key_arns:
        assert kms.describe_key(KeyId=arn)["KeyMetadata"]["KeyState"] == "PendingDeletion"
    assert not [a for a in kms.list_aliases()["Aliases"] if a["AliasName"].startswith(f"alias/egov-{core.name}-")]
    assert outputs["archiveBucketName"] not in {b["Name"] for b in aws("s3").list_buckets()["Buckets"]}
    trails = aws("cloudtrail").describe_trails()["trailList"]
    assert f"egov-{core.name}-audit" not in {t["Name"] for t in trails}
