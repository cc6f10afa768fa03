"""Which networks the lab wires, checked before anything is made: the platform's zones and the tenants' own.

A host of a platform zone must sit inside that zone's block (platform.yaml). A tenant's host is in zone
``tenant-<id>`` with the tenant's block as ``network`` (its stack's ``hosts`` output): that block must lie in
the platform's ``tenant_pool``, overlap no other network of the lab, be the same for every host of that zone,
and hold the host's address. Nothing here is weakened for tenants: a host whose zone is neither is refused.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from ipaddress import IPv4Network

from infra.config import Platform
from infra.config.tenant_request import ID_RE, TENANT_ZONE_PREFIX
from infra.hosts.inventory import Host
from infra.local.process import LocalEnvError


def lab_networks(platform: Platform, hosts: Sequence[Host]) -> dict[str, IPv4Network]:
    """Every network the lab wires, by zone: platform.yaml's (the bridge included), then the tenants' of
    ``hosts``; a ``LocalEnvError`` naming the host, the field and what to do when a host does not fit."""
    networks = {name: IPv4Network(str(network.cidr)) for name, network in platform.networks().items()}
    tenants: dict[str, tuple[IPv4Network, str]] = {}  # zone -> (block, the first host that named it)
    for host in hosts:
        if host.zone in networks:
            if host.network and IPv4Network(host.network) != networks[host.zone]:
                raise LocalEnvError(f"host {host.name}: network {host.network} is not zone {host.zone}'s block "
                                    f"{networks[host.zone]} in platform.yaml; its stack exports a wrong network")
            block = networks[host.zone]
        else:
            block = _tenant_network(platform, host)
            first = tenants.get(host.zone)
            if first is not None and first[0] != block:
                raise LocalEnvError(f"host {host.name}: zone {host.zone} is {block}, but host {first[1]} gives "
                                    f"{first[0]}; one tenant has one block (redeploy the tenant's stack)")
            tenants.setdefault(host.zone, (block, host.name))
        if ipaddress.IPv4Address(host.address) not in block:
            raise LocalEnvError(f"host {host.name}: {host.address} is outside zone {host.zone} ({block})")
    for zone, (block, name) in sorted(tenants.items()):
        for other, other_block in networks.items():
            if block.overlaps(other_block):
                raise LocalEnvError(f"host {name}: tenant network {block} ({zone}) overlaps {other} "
                                    f"({other_block}); tenants' blocks must be apart (the ledger allocates them)")
        networks[zone] = block
    return networks


def _tenant_network(platform: Platform, host: Host) -> IPv4Network:
    """The block of a host outside platform.yaml's zones: a tenant's, inside the tenant pool."""
    tenant = host.zone.removeprefix(TENANT_ZONE_PREFIX)
    if not host.zone.startswith(TENANT_ZONE_PREFIX) or not ID_RE.fullmatch(tenant):
        raise LocalEnvError(f"host {host.name}: zone {host.zone!r} is not in platform.yaml, nor a tenant's zone "
                            f"({TENANT_ZONE_PREFIX}<tenant id>); build the lab from the platform's and the tenants' "
                            "stacks only")
    if not host.network:
        raise LocalEnvError(f"host {host.name}: tenant zone {host.zone} comes without its network (the `network` "
                            "field of the stack's hosts output); redeploy the tenant's stack (`egov tenant apply`)")
    if platform.tenant_pool is None:
        raise LocalEnvError(f"host {host.name}: tenant zone {host.zone}, but platform.yaml declares no tenant_pool "
                            "for department networks to lie in")
    block = IPv4Network(host.network)
    pool = IPv4Network(str(platform.tenant_pool))
    if not block.subnet_of(pool):
        raise LocalEnvError(f"host {host.name}: tenant network {block} ({host.zone}) is outside the platform's "
                            f"tenant_pool {pool} (platform.yaml); a department's block comes from that pool")
    return block
