"""The hosts a platform needs, declared by the core and bridge stacks (``Host`` components).

Core: a bastion and a log host in the management zone, and one workload host in each of the extranet,
shared and Internet zones, all in the first availability zone. Bridge: a gateway in the inspection tier of
every availability zone. Which tier each host sits in follows the platform file's tier order (the
management zone's first tier holds the bastion, its second the log host; a zone's first tier its workload;
the Internet zone's workload is the public front-end, in the first public tier, with a public address).

A tenant stack declares one workload host of the department (``tenant_host``), in zone ``tenant-<id>``.

Each stack exports its hosts as ``hosts``: ``[{name, role, zone, privateIp, instanceId, availabilityZone}]``,
the addresses the cloud assigned (a tenant's host adds ``network``, the tenant's block, since its zone is not in the
platform file); ``egov local hosts up`` builds the test hosts from the stacks' lists.
Config ``hostImageId`` (both stacks) names the image; the default is the embedded cloud's Amazon Linux 2.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pulumi

from infra.components.host import DEFAULT_IMAGE_ID, Host
from infra.components.inputs import Reference
from infra.components.tenant import Tenant
from infra.components.zone_network import DEFAULT_PUBLIC_TIERS, ZoneNetwork
from infra.config import Platform
from infra.config.tenant_request import tenant_zone
from infra.tenants.plan import TenantPlan

MANAGEMENT = "management"
INTERNET = "internet"
WORKLOAD_ZONES = ("extranet", "shared", INTERNET)
GATEWAY_TIER = "inspection"


@dataclass(frozen=True)
class HostPlacement:
    """Where one host goes: its name, role, zone, tier and availability zone, and whether it is public."""

    name: str
    role: str
    zone: str
    tier: str
    az: str
    public: bool = False


def core_placements(platform: Platform) -> list[HostPlacement]:
    """The core stack's hosts (see the module doc), from the platform file alone."""
    az = platform.availability_zones[0]
    management = list(platform.zones[MANAGEMENT].subnets)
    placements = [
        HostPlacement("bastion", "bastion", MANAGEMENT, management[0], az),
        HostPlacement("loghost", "loghost", MANAGEMENT, management[1 if len(management) > 1 else 0], az),
    ]
    for zone in WORKLOAD_ZONES:
        tiers = list(platform.zones[zone].subnets)
        public = [t for t in DEFAULT_PUBLIC_TIERS if t in tiers] if platform.zones[zone].internet_gateway else []
        tier = public[0] if public else tiers[0]
        placements.append(HostPlacement(f"{zone}-1", "workload", zone, tier, az, public=bool(public)))
    return placements


def gateway_placements(platform: Platform, tier: str = GATEWAY_TIER) -> list[HostPlacement]:
    """One bridge gateway per availability zone, in the inspection tier (``gateway-a``, ``gateway-b``...)."""
    if tier not in platform.bridge.subnets:
        raise ValueError(f"the bridge has no {tier!r} tier (tiers: {', '.join(platform.bridge.subnets)})")
    return [
        HostPlacement(f"gateway-{az[len(platform.region):] or index}", "gateway", "bridge", tier, az)
        for index, az in enumerate(platform.availability_zones)
    ]


def declare_hosts(
    placements: Sequence[HostPlacement],
    networks: Mapping[str, ZoneNetwork],
    *,
    stack: str,
    tags: Mapping[str, str],
    root_volume_key: Reference,
    extra_security_groups: Mapping[str, Sequence[Reference]] | None = None,
) -> list[Host]:
    """A ``Host`` per placement in its zone's network, its root volume encrypted with ``root_volume_key``;
    ``extra_security_groups[zone]`` are added to each."""
    image = pulumi.Config().get("hostImageId") or DEFAULT_IMAGE_ID
    hosts = []
    for place in placements:
        network = networks[place.zone]
        hosts.append(Host(
            place.name,
            stack=stack,
            role=place.role,
            zone=place.zone,
            vpc_id=network.vpc_id,
            subnet_id=network.subnets[place.tier][place.az].subnet_id,
            image_id=image,
            public_ip=place.public,
            root_volume_kms_key_id=root_volume_key,
            extra_security_group_ids=list((extra_security_groups or {}).get(place.zone, ())),
            tags=tags,
        ))
    return hosts


def tenant_host(tenant: Tenant, plan: TenantPlan, *, stack: str) -> Host:
    """The department's workload host ``<id>-1``: where its first planned host goes (the first app subnet, in the
    first availability zone), in that service's security group, its root volume encrypted with the tenant's own
    key, no public address. Its zone is ``tenant-<id>`` and its ``network`` the tenant's block."""
    first = plan.hosts[0] if plan.hosts else None
    subnet = first.subnet if first else plan.subnets[0].name
    groups = [tenant.security_groups[f"{plan.tenant}-{first.service}"].group_id] if first else []
    return Host(
        f"{plan.tenant}-1",
        stack=stack,
        role="workload",
        zone=tenant_zone(plan.tenant),
        vpc_id=tenant.vpc.vpc_id,
        subnet_id=tenant.subnets[subnet].subnet_id,
        image_id=pulumi.Config().get("hostImageId") or DEFAULT_IMAGE_ID,
        public_ip=False,
        root_volume_kms_key_id=tenant.key.arn,
        extra_security_group_ids=groups,
        tags={"egov:tenant": plan.tenant, "egov:mlps-level": str(plan.mlps_level)},
        network=plan.cidr,
    )


def export_hosts(hosts: Sequence[Host]) -> None:
    """The stack's ``hosts`` output, in declaration order."""
    summaries: list[Any] = [host.summary for host in hosts]
    pulumi.export("hosts", pulumi.Output.all(*summaries))
