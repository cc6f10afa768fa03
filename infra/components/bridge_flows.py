"""``BridgeFlows``: everything the compiled flow allowlist (``infra.config.compile_bridge``) enforces in
the cloud: per-network security groups and their rules, network ACLs and their entries, and the
transit-gateway routes that send every cross-zone flow through the bridge.

Each security group also gets a ``SecurityGroupRuleGuard`` (``<group name>-guard``) told the ids of
the group's rule resources, so a rule opened on the group behind Pulumi's back shows on refresh and the
next update revokes it.

Every resource is named exactly as the compiler names it, and those names derive from flows (name,
id) and zone pairs, never from list positions: appending a flow to the allowlist adds that flow's
resources to a preview and changes nothing else but, in place, the guards of the groups that gained
rules (their list of managed rule ids grows).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pulumi
from pulumi_egov.ec2 import (
    NetworkAcl,
    NetworkAclEntry,
    SecurityGroup,
    SecurityGroupRule,
    SecurityGroupRuleGuard,
    TransitGatewayRoute,
)

from infra.components.inputs import Reference, id_list
from infra.config import CompiledBridge

SubnetIds = pulumi.Input[Sequence[pulumi.Input[str]]]


def _flatten(groups: Sequence[Any]) -> list[str]:
    return [str(item) for group in groups for item in (group or [])]


class BridgeFlows(pulumi.ComponentResource):
    """The compiled plan as resources; ``security_groups[network]`` for anything that needs the group ids,
    ``network_acls[acl name]`` (a network may have two: the bridge's inspection and edge ACLs)."""

    security_groups: dict[str, SecurityGroup]
    rule_guards: dict[str, SecurityGroupRuleGuard]
    network_acls: dict[str, NetworkAcl]

    def __init__(
        self,
        name: str,
        *,
        plan: CompiledBridge,
        vpc_ids: Mapping[str, Reference],
        subnet_ids: Mapping[str, Mapping[str, SubnetIds]],
        tgw_route_table_ids: Mapping[str, Reference],
        attachment_ids: Mapping[str, Reference],
        tags: Mapping[str, str] | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        needed = {sg.network for sg in plan.security_groups} | {acl.network for acl in plan.network_acls}
        missing = sorted(needed - set(vpc_ids))
        if missing:
            raise ValueError(f"BridgeFlows {name}: no VPC given for network(s) {', '.join(missing)}")
        for acl in plan.network_acls:
            unknown = [tier for tier in acl.tiers if tier not in subnet_ids.get(acl.network, {})]
            if unknown:
                raise ValueError(f"BridgeFlows {name}: no subnets given for {acl.network} tier(s) {', '.join(unknown)}")
        super().__init__("egov:components:BridgeFlows", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        base = dict(tags or {})

        self.security_groups = {}
        groups_by_name: dict[str, SecurityGroup] = {}
        for sg in plan.security_groups:
            group = SecurityGroup(
                sg.name,
                vpc_id=vpc_ids[sg.network],
                group_name=sg.name,
                description=sg.description,
                tags={**base, "Name": sg.name, "egov:zone": sg.network},
                opts=child,
            )
            self.security_groups[sg.network] = group
            groups_by_name[sg.name] = group
        rule_ids: dict[str, list[pulumi.Output[str | None]]] = {name: [] for name in groups_by_name}
        for rule in plan.security_group_rules:
            resource = SecurityGroupRule(
                rule.name,
                security_group_id=groups_by_name[rule.security_group].group_id,
                type=rule.direction,
                protocol=rule.protocol,
                from_port=rule.from_port,
                to_port=rule.to_port,
                cidr_ipv4=rule.cidr,
                description=rule.description,
                opts=child,
            )
            rule_ids[rule.security_group].append(resource.security_group_rule_id)
        self.rule_guards = {}
        for sg in plan.security_groups:
            self.rule_guards[sg.network] = SecurityGroupRuleGuard(
                f"{sg.name}-guard",
                security_group_id=groups_by_name[sg.name].group_id,
                managed_rule_ids=id_list(rule_ids[sg.name]),
                opts=child,
            )

        self.network_acls = {}
        for acl in plan.network_acls:
            tiers = subnet_ids[acl.network]
            members = pulumi.Output.all(*(tiers[tier] for tier in acl.tiers)).apply(_flatten)
            network_acl = NetworkAcl(
                acl.name,
                vpc_id=vpc_ids[acl.network],
                subnet_ids=members,
                tags={**base, "Name": acl.name, "egov:zone": acl.network},
                opts=child,
            )
            self.network_acls[acl.name] = network_acl
        for entry in plan.network_acl_entries:
            NetworkAclEntry(
                entry.name,
                network_acl_id=self.network_acls[entry.network_acl].network_acl_id,
                rule_number=entry.rule_number,
                egress=entry.egress,
                protocol=entry.protocol,
                rule_action=entry.rule_action,
                cidr_block=entry.cidr,
                from_port=entry.from_port,
                to_port=entry.to_port,
                icmp_type=entry.icmp_type,
                icmp_code=entry.icmp_code,
                opts=child,
            )

        table_network = {table.name: table.network for table in plan.route_tables}
        for route in plan.routes:
            TransitGatewayRoute(
                route.name,
                destination_cidr_block=route.destination_cidr,
                transit_gateway_route_table_id=tgw_route_table_ids[table_network[route.route_table]],
                transit_gateway_attachment_id=attachment_ids[route.attachment],
                opts=child,
            )
        self.register_outputs({"securityGroupIds": self.security_group_ids})

    @property
    def security_group_ids(self) -> dict[str, pulumi.Output[str | None]]:
        return {network: group.group_id for network, group in self.security_groups.items()}
