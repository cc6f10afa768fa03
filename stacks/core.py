"""The core stack: keys, the audit archive and trail, the four zones and the transit gateway.

Config (all optional): ``platformFile`` / ``flowsFile`` (default policies/platform.yaml and
policies/flows.yaml), ``accountId`` (the cloud account: gives the audit key a policy that lets CloudTrail
and flow-log delivery encrypt with it; without it a warning is logged), ``archiveForceDestroy`` (test
stacks only: let destroy empty the object-locked archive), ``keyDeletionWindowDays`` (7-30, default 30).

The account baseline (EBS encryption by default and no default VPC in every allowed region, the IAM
password policy) is part of this stack: one core stack per account.

The platform's hosts outside the bridge (bastion, log host, a workload per zone) are declared here too
(``stacks/hosts.py``) and exported as ``hosts``.

The transit gateway has default association and propagation off: each zone's attachment is associated
with its own route table, and nothing is routed here. The bridge stack adds the routes, so until it is
deployed no zone can reach another. Exports what the bridge stack reads through a StackReference.
"""

from __future__ import annotations

import pulumi
from pulumi_egov.ec2 import TransitGateway, TransitGatewayRouteTable, TransitGatewayRouteTableAssociation

from infra.components.account_baseline import AccountBaseline
from infra.components.audit import AuditArchive, partition_of
from infra.components.keys import DEFAULT_DELETION_WINDOW_DAYS, KeySet, audit_key_policy
from infra.components.zone_network import ZoneNetwork
from stacks.hosts import core_placements, declare_hosts, export_hosts
from stacks.policy import load_policy, zone_route_cidrs

ATTACHMENT_TIER = "endpoint"


def build() -> None:
    policy = load_policy("core")  # validates everything before any resource is registered
    config = pulumi.Config()
    stack = pulumi.get_stack()
    tags = {"egov:stack": stack, "egov:managed-by": "pulumi"}
    platform = policy.platform

    AccountBaseline("account", regions=platform.allowed_regions)
    account = config.get("accountId")
    if account:
        policies = {"audit": audit_key_policy(account, partition_of(policy.region))}
    else:
        policies = {}
        pulumi.log.warn(
            "config accountId is not set: the audit key keeps the cloud's default key policy, which on AWS does not "
            "let CloudTrail or flow-log delivery encrypt with it; set `pulumi config set accountId <account>`"
        )
    keys = KeySet(
        "keys",
        stack=stack,
        deletion_window_days=config.get_int("keyDeletionWindowDays") or DEFAULT_DELETION_WINDOW_DAYS,
        policies=policies,
        tags=tags,
    )
    archive = AuditArchive(
        "audit",
        stack=stack,
        region=policy.region,
        kms_key_arn=keys.arn("audit"),
        force_destroy=config.get_bool("archiveForceDestroy") or False,
        tags=tags,
    )
    tgw = TransitGateway(
        "tgw",
        description=f"egov-cloud {stack}: zones meet only through the bridge",
        default_route_table_association="disable",
        default_route_table_propagation="disable",
        tags={**tags, "Name": f"egov-{stack}-tgw"},
    )

    zones: dict[str, ZoneNetwork] = {}
    tables: dict[str, TransitGatewayRouteTable] = {}
    for name, zone in platform.zones.items():
        network = ZoneNetwork(
            name,
            stack=stack,
            network=zone,
            transit_gateway_id=tgw.transit_gateway_id,
            attachment_tier=ATTACHMENT_TIER,
            peer_cidrs=zone_route_cidrs(policy.plan, platform, name),
            flow_log_bucket_arn=archive.bucket_arn,
            internet_gateway=zone.internet_gateway,
            tags=tags,
        )
        table = TransitGatewayRouteTable(
            f"{name}-tgw-rt",
            transit_gateway_id=tgw.transit_gateway_id,
            tags={**tags, "Name": f"egov-{stack}-{name}-tgw-rt", "egov:zone": name},
        )
        TransitGatewayRouteTableAssociation(
            f"{name}-tgw-rt-assoc",
            transit_gateway_attachment_id=network.attachment_id,
            transit_gateway_route_table_id=table.transit_gateway_route_table_id,
        )
        zones[name] = network
        tables[name] = table

    pulumi.export("region", policy.region)
    pulumi.export("transitGatewayId", tgw.transit_gateway_id)
    pulumi.export("vpcIds", {name: z.vpc_id for name, z in zones.items()})
    pulumi.export("cidrs", {name: str(zone.cidr) for name, zone in platform.zones.items()})
    pulumi.export("subnetIds", {name: z.subnet_ids for name, z in zones.items()})
    pulumi.export("routeTableIds", {name: z.route_table_ids for name, z in zones.items()})
    pulumi.export("attachmentIds", {name: z.attachment_id for name, z in zones.items()})
    pulumi.export("tgwRouteTableIds", {name: t.transit_gateway_route_table_id for name, t in tables.items()})
    pulumi.export("archiveBucketName", archive.bucket_name)
    pulumi.export("archiveBucketArn", archive.bucket_arn)
    pulumi.export("trailArn", archive.trail.arn)
    pulumi.export("keyArns", keys.arns)
    export_hosts(declare_hosts(core_placements(platform), zones, stack=stack, tags=tags,
                               root_volume_key=keys.arn("data")))
