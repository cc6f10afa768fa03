"""No security group exposes administration, file-sharing or database ports to the Internet
(GB/T 22239 8.1.4.4 b), HR case 6.4.3.1; CIS AWS 5.2/5.3 for 22 and 3389)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from compliance.checks.base import Evidence, Result, name_of, owner_tags, regional, vpc_owners
from compliance.checks.ec2_securitygroup_allow_ingress_from_internet_to_all_ports.check import open_to_internet

HIGH_RISK_PORTS = {
    20: "ftp-data", 21: "ftp", 22: "ssh", 23: "telnet", 135: "msrpc", 137: "netbios", 138: "netbios",
    139: "netbios", 445: "smb", 1433: "mssql", 1521: "oracle", 2375: "docker", 3306: "mysql",
    3389: "rdp", 5432: "postgresql", 6379: "redis", 8200: "vault", 9200: "elasticsearch",
    11211: "memcached", 27017: "mongodb",
}


def exposed_ports(permission: Mapping[str, Any]) -> list[int]:
    protocol = str(permission.get("IpProtocol"))
    if protocol == "-1":
        return sorted(HIGH_RISK_PORTS)
    if protocol not in ("tcp", "udp", "6", "17"):
        return []
    low, high = permission.get("FromPort"), permission.get("ToPort")
    if low is None or high is None:
        return sorted(HIGH_RISK_PORTS)
    return [port for port in sorted(HIGH_RISK_PORTS) if int(low) <= port <= int(high)]


def rule(group: Mapping[str, Any]) -> str | None:
    ports = sorted({port for permission in group.get("IpPermissions") or () if open_to_internet(permission)
                    for port in exposed_ports(permission)})
    if ports:
        named = ", ".join(f"{port}/{HIGH_RISK_PORTS[port]}" for port in ports)
        return f"admits the Internet on high-risk ports {named}"
    return None


def check(evidence: Evidence) -> Iterator[Result]:
    owners = vpc_owners(evidence)
    for region, group in regional(evidence, "security_groups"):
        problem = rule(group)
        who = name_of(group, group["GroupId"])
        detail = f"{who} {problem or 'exposes no high-risk port to the Internet'}"
        yield Result(group["GroupId"], problem is None, detail, region, tags=owner_tags(owners, region, group))
