"""The hosts' inventory: a model generated from the stacks' ``hosts`` outputs, never written by hand.

Each host has a zone address (where its zone's traffic reaches it) and a management address on the
out-of-band management segment (where Ansible and testinfra reach it). A tenant's host is in zone
``tenant-<id>``, which platform.yaml does not list, so it also carries ``network``: the tenant's block, as its
stack exports it (the lab checks it lies in the platform's tenant pool, ``infra/hosts/lab_networks.py``).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import yaml

from infra.config import Platform

ROLES = ("gateway", "bastion", "loghost", "workload")
BRIDGE_ZONE = "bridge"


@dataclass(frozen=True)
class Host:
    """One host: what the inventory knows about it."""

    name: str
    zone: str
    role: str
    address: str  # in its zone's network, as the cloud assigned it
    mgmt_address: str = ""  # on the out-of-band management segment; set by the lab
    instance_id: str = ""  # the cloud instance it stands for (from the stack outputs)
    availability_zone: str = ""
    network: str = ""  # the zone's block, given only for a zone platform.yaml does not list (a tenant's)

    def to_dict(self) -> dict[str, str]:
        return asdict(self)


def platform_hosts(platform: Platform, workloads_per_zone: int = 1) -> list[Host]:
    """The hosts a platform needs (one gateway, a bastion, a log host, workloads per zone), at fixed addresses
    in each zone's first subnet of the first availability zone. A sample for a lab without deployed stacks
    (``egov local hosts up --sample``); the platform's real hosts come from the stack outputs."""
    az = platform.availability_zones[0]
    networks = platform.networks()

    def address(network: str, subnet_index: int, host: int) -> str:
        subnets = list(networks[network].subnets.values())
        subnet = ipaddress.ip_network(str(subnets[min(subnet_index, len(subnets) - 1)][az]))
        return str(subnet.network_address + host)

    hosts = [
        Host("gateway", BRIDGE_ZONE, "gateway", address(BRIDGE_ZONE, 0, 10)),
        Host("bastion", "management", "bastion", address("management", 0, 10)),
        Host("loghost", "management", "loghost", address("management", 1, 10)),
    ]
    for zone in ("extranet", "shared", "internet"):
        for index in range(workloads_per_zone):
            hosts.append(Host(f"{zone}-{index + 1}", zone, "workload", address(zone, 0, 20 + index)))
    return hosts


def hosts_from_outputs(outputs: dict[str, Any], stack: str = "the stack") -> list[Host]:
    """The hosts a stack exports as ``hosts``: a list of ``{name, zone, role, privateIp}`` (the address the
    cloud assigned), with ``instanceId``, ``availabilityZone`` and ``network`` (a tenant's block) when the stack
    gives them."""
    entries = outputs.get("hosts")
    if not isinstance(entries, list) or not entries:
        raise ValueError(f"{stack} exports no `hosts` output (a list of {{name, zone, role, privateIp}})")
    hosts = []
    for index, entry in enumerate(entries):
        missing = [key for key in ("name", "zone", "role", "privateIp") if not isinstance(entry, dict)
                   or not isinstance(entry.get(key), str)]
        if missing:
            raise ValueError(f"{stack}: output hosts[{index}] lacks {', '.join(missing)}")
        if entry["role"] not in ROLES:
            raise ValueError(f"{stack}: output hosts[{index}] ({entry['name']}): role {entry['role']!r} not in {ROLES}")
        try:
            ipaddress.IPv4Address(entry["privateIp"])
        except ValueError as exc:
            raise ValueError(f"{stack}: output hosts[{index}] ({entry['name']}): privateIp {entry['privateIp']!r} "
                             "is not an IPv4 address") from exc
        network = entry.get("network") or ""
        try:
            network = str(ipaddress.IPv4Network(network)) if network else ""
        except (TypeError, ValueError) as exc:
            raise ValueError(f"{stack}: output hosts[{index}] ({entry['name']}): network {network!r} is not an IPv4 "
                             "network (a block such as 10.100.0.0/24)") from exc
        hosts.append(Host(entry["name"], entry["zone"], entry["role"], entry["privateIp"],
                          instance_id=str(entry.get("instanceId") or ""),
                          availability_zone=str(entry.get("availabilityZone") or ""), network=network))
    return hosts


def hosts_from_stacks(outputs_by_stack: dict[str, dict[str, Any]]) -> list[Host]:
    """Every stack's hosts, gateways first (the first gateway is the one the lab forwards through), then the
    rest in the stacks' order. Two stacks naming the same host is an error naming both."""
    seen: dict[str, str] = {}
    hosts: list[Host] = []
    for stack, outputs in outputs_by_stack.items():
        for host in hosts_from_outputs(outputs, f"stack {stack}"):
            if host.name in seen:
                raise ValueError(f"host {host.name} is exported by both stack {seen[host.name]} and stack {stack}")
            seen[host.name] = stack
            hosts.append(host)
    return sorted(hosts, key=lambda h: h.role != "gateway")


def inventory_document(
    hosts: Iterable[Host], key_file: Path, mgmt_network: str, real_hosts: bool = False
) -> dict[str, Any]:
    """An Ansible YAML inventory: groups by zone and by role, connection variables for the management segment,
    and where the management services are (time source: the bastion; logs: the log host)."""
    hosts = list(hosts)
    by_role = {h.role: h for h in hosts}
    groups: dict[str, dict[str, Any]] = {}
    for host in hosts:
        for group in (group_name("zone", host.zone), group_name("role", host.role)):
            groups.setdefault(group, {"hosts": {}})["hosts"][host.name] = None
    return {
        "all": {
            "vars": {
                "ansible_user": "root",
                "ansible_ssh_private_key_file": str(key_file),
                "ansible_python_interpreter": "/usr/bin/python3",
                "egov_real_host": real_hosts,
                "egov_mgmt_network": mgmt_network,
                # The controller (Ansible, testinfra) holds the management network's first address.
                "egov_controller": str(ipaddress.ip_network(mgmt_network).network_address + 1),
                "egov_time_source": by_role["bastion"].mgmt_address if "bastion" in by_role else "",
                "egov_log_host": by_role["loghost"].mgmt_address if "loghost" in by_role else "",
            },
            "hosts": {
                host.name: {
                    "ansible_host": host.mgmt_address,
                    "egov_zone": host.zone,
                    "egov_role": host.role,
                    "egov_address": host.address,
                    **({"egov_instance_id": host.instance_id} if host.instance_id else {}),
                    **({"egov_network": host.network} if host.network else {}),
                }
                for host in hosts
            },
            "children": dict(sorted(groups.items())),
        }
    }


def group_name(kind: str, value: str) -> str:
    """An Ansible group name (letters, digits, underscores): ``zone_extranet``, ``zone_tenant_tax_bureau``."""
    return f"{kind}_{value}".replace("-", "_")


def write_inventory(
    path: Path, hosts: Iterable[Host], key_file: Path, mgmt_network: str, real_hosts: bool = False
) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    header = "# Generated by `egov local hosts up` from the stacks' hosts outputs; do not edit by hand.\n"
    tmp = path.with_suffix(".tmp")
    document = inventory_document(hosts, key_file, mgmt_network, real_hosts)
    tmp.write_text(header + yaml.safe_dump(document, sort_keys=False))
    tmp.replace(path)
    return path


def read_hosts(path: Path) -> list[Host]:
    """The hosts of a generated inventory."""
    document = yaml.safe_load(path.read_text())
    entries = document["all"]["hosts"]
    return [
        Host(name, entry["egov_zone"], entry["egov_role"], entry["egov_address"], entry["ansible_host"],
             instance_id=entry.get("egov_instance_id", ""), network=entry.get("egov_network", ""))
        for name, entry in entries.items()
    ]
