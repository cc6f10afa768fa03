"""An independent look at the deployed platform, written against boto3 alone (none of our code).

The integration tests use it to prove properties of what `pulumi up` built: which zone can reach
which over the transit gateway, which security-group rules exist, that flow logs, the archive and
the keys are as the baseline requires. Resources are found by the tags the components set:
``egov:stack`` (the stack name) and ``egov:zone``.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import Any


def _tags(item: dict[str, Any]) -> dict[str, str]:
    return {t["Key"]: t["Value"] for t in item.get("Tags", [])}


def _covers(route_cidr: str, cidr: str) -> bool:
    """True if traffic to ``cidr`` (any address in it) could follow a route for ``route_cidr``."""
    return ipaddress.ip_network(route_cidr).overlaps(ipaddress.ip_network(cidr))


@dataclass
class Topology:
    vpcs: dict[str, dict[str, Any]] = field(default_factory=dict)  # zone -> VPC
    attachments: dict[str, str] = field(default_factory=dict)  # attachment id -> zone
    tgw_tables: dict[str, str] = field(default_factory=dict)  # zone -> TGW route table id (by association)
    tgw_routes: dict[str, list[tuple[str, str]]] = field(default_factory=dict)  # zone -> [(cidr, next zone)]

    def cidr(self, zone: str) -> str:
        return str(self.vpcs[zone]["CidrBlock"])

    def next_hops(self, zone: str, destination: str) -> set[str]:
        """Zones the TGW sends ``zone``'s traffic for ``destination``'s CIDR to."""
        return {hop for cidr, hop in self.tgw_routes.get(zone, []) if _covers(cidr, self.cidr(destination))}

    def paths(self, source: str, destination: str, limit: int = 6) -> list[list[str]]:
        """Every zone-level path over the transit gateway from source to destination."""
        found: list[list[str]] = []

        def walk(path: list[str]) -> None:
            if len(path) > limit:
                return
            for hop in self.next_hops(path[-1], destination):
                if hop == destination:
                    found.append([*path, hop])
                elif hop not in path:
                    walk([*path, hop])

        walk([source])
        return found


def stack_vpcs(ec2: Any, stack_names: list[str]) -> list[dict[str, Any]]:
    """The VPCs our components tagged with any of these stack names."""
    return list(ec2.describe_vpcs(Filters=[{"Name": "tag:egov:stack", "Values": stack_names}])["Vpcs"])


def topology(ec2: Any, stack_names: list[str]) -> Topology:
    topo = Topology()
    for vpc in stack_vpcs(ec2, stack_names):
        zone = _tags(vpc).get("egov:zone")
        if zone:
            topo.vpcs[zone] = vpc
    zone_of_vpc = {vpc["VpcId"]: zone for zone, vpc in topo.vpcs.items()}
    for att in ec2.describe_transit_gateway_vpc_attachments()["TransitGatewayVpcAttachments"]:
        if att["VpcId"] in zone_of_vpc and att.get("State") not in ("deleted", "deleting"):
            topo.attachments[att["TransitGatewayAttachmentId"]] = zone_of_vpc[att["VpcId"]]
    tables = ec2.describe_transit_gateway_route_tables()["TransitGatewayRouteTables"]
    for table in tables:
        if table.get("State") in ("deleted", "deleting"):
            continue
        table_id = table["TransitGatewayRouteTableId"]
        assocs = ec2.get_transit_gateway_route_table_associations(TransitGatewayRouteTableId=table_id)
        for assoc in assocs.get("Associations", []):
            zone = topo.attachments.get(assoc["TransitGatewayAttachmentId"])
            if zone:
                topo.tgw_tables[zone] = table_id
    for zone, table_id in topo.tgw_tables.items():
        routes = ec2.search_transit_gateway_routes(
            TransitGatewayRouteTableId=table_id, Filters=[{"Name": "state", "Values": ["active"]}]
        )["Routes"]
        hops = []
        for route in routes:
            for att in route.get("TransitGatewayAttachments", []):
                target = topo.attachments.get(att["TransitGatewayAttachmentId"])
                if target:
                    hops.append((route["DestinationCidrBlock"], target))
        topo.tgw_routes[zone] = hops
    return topo


def vpc_routes_to(ec2: Any, vpc_id: str, cidr: str) -> list[dict[str, Any]]:
    """Routes in the VPC's route tables that could carry traffic to ``cidr`` (excluding the local route)."""
    found = []
    for table in ec2.describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])["RouteTables"]:
        for route in table.get("Routes", []):
            dest = route.get("DestinationCidrBlock")
            if dest and route.get("GatewayId") != "local" and _covers(dest, cidr):
                found.append(route)
    return found


def ingress_rules(ec2: Any, vpc_id: str) -> list[dict[str, Any]]:
    """Every ingress rule of every security group in the VPC."""
    groups = ec2.describe_security_groups(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])["SecurityGroups"]
    rules = []
    for group in groups:
        for perm in group.get("IpPermissions", []):
            for rng in perm.get("IpRanges", []):
                rules.append({"group": group["GroupName"], "protocol": perm.get("IpProtocol"),
                              "from": perm.get("FromPort"), "to": perm.get("ToPort"), "cidr": rng["CidrIp"]})
    return rules


def default_group_rules(ec2: Any, vpc_id: str) -> list[Any]:
    [group] = ec2.describe_security_groups(
        Filters=[{"Name": "vpc-id", "Values": [vpc_id]}, {"Name": "group-name", "Values": ["default"]}]
    )["SecurityGroups"]
    return [*group.get("IpPermissions", []), *group.get("IpPermissionsEgress", [])]


def has_flow_logs(ec2: Any, vpc_id: str) -> bool:
    logs = ec2.describe_flow_logs(Filters=[{"Name": "resource-id", "Values": [vpc_id]}])["FlowLogs"]
    return any(log.get("TrafficType") == "ALL" for log in logs)


def archive_findings(s3: Any, bucket: str, min_days: int = 180) -> list[str]:
    """What is wrong with the audit archive bucket (empty when it meets the baseline)."""
    problems = []
    rules = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"]
    if not any(r["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "aws:kms" for r in rules):
        problems.append("not SSE-KMS")
    if s3.get_bucket_versioning(Bucket=bucket).get("Status") != "Enabled":
        problems.append("versioning not enabled")
    block = s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
    if not all(block.get(k) for k in ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy",
                                      "RestrictPublicBuckets")):
        problems.append(f"public access not fully blocked: {block}")
    retained = 0
    try:
        lock = s3.get_object_lock_configuration(Bucket=bucket)["ObjectLockConfiguration"]
        default = lock.get("Rule", {}).get("DefaultRetention", {})
        retained = int(default.get("Days", 0)) or int(default.get("Years", 0)) * 365
    except s3.exceptions.ClientError:
        pass
    if retained < min_days:
        problems.append(f"retention {retained} days < {min_days}")
    return problems
