"""``Tenant``: one department's environment, built from its reviewed plan (``infra/tenants/plan.py``).

* its VPC (the block the ledger gave it) with the plan's subnets, its default security group kept empty;
* its attachment to the transit gateway, associated with a transit route table of its own that holds routes
  only to the zones its flows name, through the bridge's attachment (inspection): there is no route to any
  other tenant, so tenant A cannot reach tenant B whatever their security groups say;
* the VPC's route table: the same zones through the transit gateway, nothing else (no Internet gateway);
* one security group per service: ingress from the zones of its inbound flows on the service's ports and
  from the tenant's own block; egress only to the zones of its outbound flows;
* a customer-managed KMS key (yearly rotation) and its alias; one bucket per data class plus an archive
  bucket, all encrypted with it, versioned, public access blocked; the archive keeps objects for the
  request's retention (object lock); every bucket declares that retention (``egov:retention-days``, at least
  180 days for the archive, which holds logs) and expires objects when it ends, logs its access into
  the archive (``AccessLogs/``, the archive's too), and refuses plain HTTP in its policy; the archive's
  policy also lets the log delivery services write (flow logs, access logs);
* a flow log of ALL traffic into the archive bucket; the department's IAM role (assumed with MFA only).

Until the tenant is admitted (the compliance gate passed), its flows to and from the extranet stay closed:
no extranet routes, no extranet rules. Once offboarded (``egov tenant destroy``), only the key, its alias and
the archive bucket are declared, so an ``up`` removes the network and everything else while the archive stays
readable for the retention period. Resource names start with the tenant id, which the request
validator has checked with ``fullmatch`` against a strict pattern.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import pulumi
from pulumi_egov.ec2 import (
    DefaultSecurityGroupLockdown,
    FlowLog,
    NetworkAcl,
    NetworkAclEntry,
    RouteTable,
    RouteTableAssociation,
    SecurityGroup,
    SecurityGroupRule,
    Subnet,
    TransitGatewayRoute,
    TransitGatewayRouteTable,
    TransitGatewayRouteTableAssociation,
    TransitGatewayVpcAttachment,
    Vpc,
)
from pulumi_egov.iam import Role
from pulumi_egov.kms import Alias, Key
from pulumi_egov.s3 import Bucket

from infra.components.audit import (
    ACCESS_LOG_PREFIX,
    MIN_RETENTION_DAYS,
    RETENTION_TAG,
    archive_policy,
    deny_insecure_transport,
    retention_lifecycle,
)
from infra.components.inputs import Reference, id_list, policy_json, route
from infra.tenants.plan import EXTRANET, TenantPlan, open_peers

SHARED = "shared"
# Network ACL rule numbers, fixed per peer so that admission (which adds the extranet) renumbers nothing.
ACL_RULES = {"own": 100, EXTRANET: 110, SHARED: 120}
ATTACHMENT_TIER = "data"  # no service listens there; the transit gateway's interfaces live beside the databases


def secure_transport_only(bucket_arn: str) -> dict[str, Any]:
    """A bucket policy that refuses every request made over plain HTTP."""
    return {"Version": "2012-10-17", "Statement": [deny_insecure_transport(bucket_arn)]}


class Tenant(pulumi.ComponentResource):
    """A department's environment; see the module doc."""

    vpc: Vpc
    subnets: dict[str, Subnet]
    security_groups: dict[str, SecurityGroup]
    key: Key
    buckets: dict[str, Bucket]
    transit_route_table: TransitGatewayRouteTable
    role: Role

    def __init__(
        self,
        plan: TenantPlan,
        *,
        stack: str,
        zone_cidrs: Mapping[str, str],
        transit_gateway_id: Reference,
        bridge_attachment_id: Reference,
        account_id: str,
        partition: str = "aws-cn",
        admitted: bool = False,
        force_destroy: bool = False,
        offboarded: bool = False,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("egov:components:Tenant", plan.tenant, None, opts)
        tid = plan.tenant
        child = pulumi.ResourceOptions(parent=self)
        base = {"egov:stack": stack, "egov:tenant": tid, "egov:managed-by": "pulumi",
                "egov:mlps-level": str(plan.mlps_level)}

        def named(suffix: str, **extra: str) -> dict[str, str]:
            return {**base, **extra, "Name": f"egov-tenant-{tid}{'-' + suffix if suffix else ''}"}

        if offboarded:
            self._key_and_buckets(plan, base, child, force_destroy, partition, archive_only=True)
            self.register_outputs({"keyArn": self.key.arn})
            return

        opened = open_peers(plan, admitted)
        self.extranet_open = EXTRANET in opened
        unknown = [peer for peer in opened if peer not in zone_cidrs]
        if unknown:
            raise ValueError(f"Tenant {tid}: no CIDR given for zone(s) {', '.join(unknown)}")

        self.vpc = Vpc(f"{tid}-vpc", cidr_block=plan.cidr, enable_dns_support=True, enable_dns_hostnames=True,
                       tags=named(""), opts=child)
        self.subnets = {
            subnet.name: Subnet(subnet.name, vpc_id=self.vpc.vpc_id, cidr_block=subnet.cidr,
                                availability_zone=subnet.availability_zone, map_public_ip_on_launch=False,
                                tags=named(subnet.name.removeprefix(f"{tid}-"), **{"egov:tier": subnet.tier}),
                                opts=child)
            for subnet in plan.subnets
        }
        attachment_subnets = [self.subnets[s.name].subnet_id for s in plan.subnets if s.tier == ATTACHMENT_TIER]
        attachment = TransitGatewayVpcAttachment(
            f"{tid}-tgw-attachment", transit_gateway_id=transit_gateway_id, vpc_id=self.vpc.vpc_id,
            subnet_ids=id_list(attachment_subnets), tags=named("tgw-attachment"), opts=child)
        self.attachment_id = attachment.transit_gateway_attachment_id
        self.transit_route_table = TransitGatewayRouteTable(
            f"{tid}-tgw-rt", transit_gateway_id=transit_gateway_id, tags=named("tgw-rt"), opts=child)
        TransitGatewayRouteTableAssociation(
            f"{tid}-tgw-rt-assoc", transit_gateway_attachment_id=attachment.transit_gateway_attachment_id,
            transit_gateway_route_table_id=self.transit_route_table.transit_gateway_route_table_id, opts=child)
        for peer in opened:
            TransitGatewayRoute(
                f"{tid}-tgw-route-{peer}", destination_cidr_block=zone_cidrs[peer],
                transit_gateway_route_table_id=self.transit_route_table.transit_gateway_route_table_id,
                transit_gateway_attachment_id=bridge_attachment_id, opts=child)
        after_attachment = pulumi.ResourceOptions(parent=self, depends_on=[attachment])
        route_table = RouteTable(
            f"{tid}-rt", vpc_id=self.vpc.vpc_id, tags=named("rt"), opts=after_attachment,
            routes=[route(zone_cidrs[peer], transit_gateway_id=transit_gateway_id) for peer in opened])
        for name, subnet in self.subnets.items():
            RouteTableAssociation(f"{name}-rt-assoc", subnet_id=subnet.subnet_id,
                                  route_table_id=route_table.route_table_id, opts=child)
        self._network_acl(tid, plan.cidr, {peer: zone_cidrs[peer] for peer in opened}, named, child)
        DefaultSecurityGroupLockdown(f"{tid}-default-sg-lockdown",
                                     security_group_id=self.vpc.default_security_group_id, opts=child)

        self.security_groups = {}
        for group in plan.security_groups:
            name = group["name"]
            sg = SecurityGroup(name, group_name=f"egov-tenant-{name}", vpc_id=self.vpc.vpc_id,
                               description=f"tenant {tid} service {group['service']}", tags=named(
                                   name.removeprefix(f"{tid}-"), **{"egov:service": group["service"]}), opts=child)
            self.security_groups[name] = sg
            own = group["ingress_within_tenant"]
            for port in own["ports"]:
                self._rule(f"{name}-in-self-{own['protocol']}-{port}", sg, "ingress", own["protocol"], port,
                           plan.cidr, f"within tenant {tid}")
            for rule in group["ingress"]:
                if rule["from"] not in opened:
                    continue
                for port in rule["ports"]:
                    self._rule(f"{name}-in-{rule['from']}-{rule['protocol']}-{port}", sg, "ingress",
                               rule["protocol"], port, zone_cidrs[rule["from"]], f"from {rule['from']}")
            for flow in plan.flows:
                if flow.direction == "outbound" and flow.peer in opened:
                    for port in flow.ports:
                        self._rule(f"{name}-out-{flow.peer}-{flow.protocol}-{port}", sg, "egress", flow.protocol,
                                   port, zone_cidrs[flow.peer], f"to {flow.peer}")

        self._key_and_buckets(plan, base, child, force_destroy, partition)
        FlowLog(f"{tid}-flow-log", resource_id=self.vpc.vpc_id, resource_type="VPC", traffic_type="ALL",
                log_destination_type="s3", log_destination=self.buckets["archive"].arn, tags=named("flow-log"),
                opts=child)
        trust = {"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Action": "sts:AssumeRole",
            "Principal": {"AWS": f"arn:{partition}:iam::{account_id}:root"},
            "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}}}]}
        self.role = Role(f"{tid}-department-role", name=plan.iam_role, assume_role_policy=json.dumps(trust,
                         sort_keys=True), max_session_duration=3600, description=f"department role of tenant {tid}",
                         tags=base, opts=child)
        self.register_outputs({"vpcId": self.vpc.vpc_id, "attachmentId": self.attachment_id,
                               "keyArn": self.key.arn, "roleArn": self.role.arn})

    def _key_and_buckets(self, plan: TenantPlan, base: dict[str, str], child: pulumi.ResourceOptions,
                         force_destroy: bool, partition: str, *, archive_only: bool = False) -> None:
        """The tenant's KMS key, its alias and its buckets (only the archive once offboarded)."""
        tid = plan.tenant
        self.key = Key(f"{tid}-key", description=f"egov-cloud tenant {tid}: data key (customer managed, yearly "
                       "rotation)", enable_key_rotation=True, pending_window_in_days=30,
                       tags={**base, "egov:purpose": "tenant-data"}, opts=child)
        Alias(f"{tid}-key-alias", name=plan.kms_key_alias, target_key_id=self.key.key_id, opts=child)
        self.buckets = {}
        log_bucket = next(b.name for b in plan.buckets if b.data_class == "archive")
        # the archive first: the others log into it, so it must exist and grant the log delivery service
        for bucket in sorted(plan.buckets, key=lambda b: b.data_class != "archive"):
            if archive_only and bucket.data_class != "archive":
                continue
            archive = bucket.data_class == "archive"
            keep = max(bucket.retention_days, MIN_RETENTION_DAYS) if archive else bucket.retention_days
            extra: dict[str, Any] = ({"object_lock_enabled": True, "retention_mode": "GOVERNANCE",
                                      "retention_days": bucket.retention_days} if archive else {})
            arn = f"arn:{partition}:s3:::{bucket.name}"
            policy = archive_policy(arn) if archive else secure_transport_only(arn)
            self.buckets[bucket.data_class] = Bucket(
                bucket.name, bucket=bucket.name, policy=policy_json(policy), sse_algorithm="aws:kms",
                kms_key_id=self.key.arn,
                bucket_key_enabled=True, versioning_enabled=True, block_public_acls=True, ignore_public_acls=True,
                block_public_policy=True, restrict_public_buckets=True, force_destroy=force_destroy and not archive,
                lifecycle_rules=retention_lifecycle(keep), logging_target_bucket=log_bucket,
                logging_target_prefix=ACCESS_LOG_PREFIX,  # one prefix: each log line names its bucket
                tags={**base, "egov:data-class": bucket.data_class, RETENTION_TAG: str(keep)},
                opts=child if archive else pulumi.ResourceOptions(parent=self, depends_on=[self.buckets["archive"]]),
                **extra)

    def _network_acl(self, tid: str, own_cidr: str, peers: dict[str, str], named: Any,
                     child: pulumi.ResourceOptions) -> None:
        """The subnets' network ACL, so that none stays on the VPC's default ACL (which admits everything from
        anywhere): all traffic with the tenant's own block and with the zones its open flows name, nothing else.
        Ports are the security groups' job; the ACL keeps every other network (the Internet first) out."""
        acl = NetworkAcl(f"{tid}-acl", vpc_id=self.vpc.vpc_id,
                         subnet_ids=id_list([subnet.subnet_id for subnet in self.subnets.values()]),
                         tags=named("acl"), opts=child)
        for peer, cidr in {"own": own_cidr, **peers}.items():
            if peer not in ACL_RULES:
                raise ValueError(f"Tenant {tid}: no network ACL rule number for zone {peer}")
            for egress in (False, True):
                NetworkAclEntry(f"{tid}-acl-{'egress' if egress else 'ingress'}-{peer}",
                                network_acl_id=acl.network_acl_id, rule_number=ACL_RULES[peer], egress=egress,
                                protocol="-1", rule_action="allow", cidr_block=cidr, opts=child)

    def _rule(self, name: str, group: SecurityGroup, kind: str, protocol: str, port: int, cidr: str,
              purpose: str) -> None:
        SecurityGroupRule(name, security_group_id=group.group_id, type=kind, protocol=protocol, from_port=port,
                          to_port=port, cidr_ipv4=cidr, description=purpose,
                          opts=pulumi.ResourceOptions(parent=self))
