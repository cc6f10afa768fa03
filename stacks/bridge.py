"""The bridge stack: the bridge VPC and everything the flow allowlist compiles to.

Config: ``coreStack`` (required: the core stack's name, or a fully qualified
``<org>/<project>/<stack>``), ``platformFile`` / ``flowsFile`` as for core, ``tenantFlows`` (JSON: the
admitted tenants' flows, written by ``infra/onboarding/bridge_admission.py``; see
``infra/config/tenant_flows.py``) and ``aclEntryLimit`` (entries per network ACL and direction the
account's quota allows: 20 by default, at most 40).

Reads the core stack's exports through a StackReference, builds the bridge ZoneNetwork (inspection and
attachment tiers) with its own transit-gateway attachment and route table, then ``BridgeFlows`` from
``compile_bridge`` (flows.yaml's and the admitted tenants' flows): the routes that send each zone pair's
traffic to the bridge (and the bridge's routes back to each zone and admitted tenant), every network's flow
security group and rules, and the network ACLs; and the bridge gateways, one per availability zone in the
inspection tier, exported as ``hosts`` (``stacks/hosts.py``). It exports ``tenantFlows``: the entries this
update applied.
"""

from __future__ import annotations

from typing import Any

import pulumi
from pulumi_egov.ec2 import TransitGatewayRouteTable, TransitGatewayRouteTableAssociation

from infra.components.bridge_flows import BridgeFlows
from infra.components.inputs import Reference
from infra.components.zone_network import ZoneNetwork
from infra.config.platform import BRIDGE
from stacks.hosts import declare_hosts, export_hosts, gateway_placements
from stacks.policy import load_policy, peer_cidrs

ATTACHMENT_TIER = "attachment"


def core_reference_name(core: str) -> str:
    """The diy (file) backend's fully qualified name: ``organization/<project>/<stack>``."""
    return core if "/" in core else f"organization/{pulumi.get_project()}/{core}"


def _pick(output: pulumi.Output[Any], *path: str) -> pulumi.Output[Any]:
    def walk(value: Any) -> Any:
        for key in path:
            if not isinstance(value, dict) or key not in value:
                raise pulumi.RunError(f"the core stack exports no {'.'.join(path)}; deploy the core stack first")
            value = value[key]
        return value

    return output.apply(walk)


def build() -> None:
    policy = load_policy("bridge", with_tenants=True)
    config = pulumi.Config()
    core_name = config.get("coreStack")
    if not core_name:
        raise pulumi.RunError(
            "the bridge stack needs the core stack's name: pulumi config set coreStack <core stack>"
        )
    stack = pulumi.get_stack()
    tags = {"egov:stack": stack, "egov:managed-by": "pulumi"}
    platform, plan = policy.platform, policy.plan
    core = pulumi.StackReference(core_reference_name(core_name))
    tgw_id = core.get_output("transitGatewayId")

    bridge = ZoneNetwork(
        BRIDGE,
        stack=stack,
        network=platform.bridge,
        transit_gateway_id=tgw_id,
        attachment_tier=ATTACHMENT_TIER,
        peer_cidrs=peer_cidrs(plan, BRIDGE),
        flow_log_bucket_arn=core.get_output("archiveBucketArn"),
        tags=tags,
    )
    table = TransitGatewayRouteTable(
        f"{BRIDGE}-tgw-rt",
        transit_gateway_id=tgw_id,
        tags={**tags, "Name": f"egov-{stack}-{BRIDGE}-tgw-rt", "egov:zone": BRIDGE},
    )
    TransitGatewayRouteTableAssociation(
        f"{BRIDGE}-tgw-rt-assoc",
        transit_gateway_attachment_id=bridge.attachment_id,
        transit_gateway_route_table_id=table.transit_gateway_route_table_id,
    )

    zones = list(platform.zones)
    vpc_ids: dict[str, Reference] = {z: _pick(core.get_output("vpcIds"), z) for z in zones}
    vpc_ids[BRIDGE] = bridge.vpc_id
    subnet_ids: dict[str, dict[str, Any]] = {
        z: {tier: _pick(core.get_output("subnetIds"), z, tier) for tier in platform.zones[z].subnets} for z in zones
    }
    subnet_ids[BRIDGE] = dict(bridge.subnet_ids)
    tables: dict[str, Reference] = {z: _pick(core.get_output("tgwRouteTableIds"), z) for z in zones}
    tables[BRIDGE] = table.transit_gateway_route_table_id
    attachments: dict[str, Reference] = {z: _pick(core.get_output("attachmentIds"), z) for z in zones}
    attachments[BRIDGE] = bridge.attachment_id
    for tenant in policy.tenants:  # the bridge's route back to an admitted tenant's block goes to its attachment
        if tenant.attachment_id is None:
            raise pulumi.RunError(
                f"the bridge stack was not deployed: tenantFlows.{tenant.tenant} has no attachmentId; admit the "
                "tenant with open_tenant_flows (it reads the tenant's attachment); nothing was changed"
            )
        attachments[tenant.network] = tenant.attachment_id

    flows = BridgeFlows(
        "flows",
        plan=plan,
        vpc_ids=vpc_ids,
        subnet_ids=subnet_ids,
        tgw_route_table_ids=tables,
        attachment_ids=attachments,
        tags=tags,
    )

    pulumi.export("coreStack", core_name)
    pulumi.export("vpcId", bridge.vpc_id)
    pulumi.export("subnetIds", bridge.subnet_ids)
    pulumi.export("attachmentId", bridge.attachment_id)
    pulumi.export("tgwRouteTableId", table.transit_gateway_route_table_id)
    pulumi.export("securityGroupIds", flows.security_group_ids)
    pulumi.export("nftables", plan.nftables)
    pulumi.export("tenantFlows", {tenant.tenant: tenant.to_json() for tenant in policy.tenants})
    bridge_groups = [flows.security_group_ids[BRIDGE]] if BRIDGE in flows.security_group_ids else []
    gateways = declare_hosts(gateway_placements(platform), {BRIDGE: bridge}, stack=stack, tags=tags,
                             root_volume_key=_pick(core.get_output("keyArns"), "data"),
                             extra_security_groups={BRIDGE: bridge_groups})
    export_hosts(gateways)
