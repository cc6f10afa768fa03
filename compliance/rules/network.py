"""Network rules: administration ports open to the Internet, the extranet reaching the Internet zone."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from compliance.text import Text, text

INTERNET = ("0.0.0.0/0", "::/0")
HIGH_RISK_PORTS = {
    20: "ftp-data", 21: "ftp", 22: "ssh", 23: "telnet", 135: "msrpc", 137: "netbios", 138: "netbios",
    139: "netbios", 445: "smb", 1433: "mssql", 1521: "oracle", 2375: "docker", 3306: "mysql",
    3389: "rdp", 5432: "postgresql", 6379: "redis", 8200: "vault", 9200: "elasticsearch",
    11211: "memcached", 27017: "mongodb",
}
INTERNET_TARGET_KEYS = ("GatewayId", "NatGatewayId", "EgressOnlyInternetGatewayId")
INTERNET_TARGET_PREFIXES = ("igw-", "nat-", "eigw-")
EXTRANET = "extranet"


def open_to_internet(permission: Mapping[str, Any]) -> bool:
    """An ``IpPermissions`` entry admitting 0.0.0.0/0 or ::/0."""
    ranges = [r.get("CidrIp") for r in permission.get("IpRanges") or ()]
    ranges += [r.get("CidrIpv6") for r in permission.get("Ipv6Ranges") or ()]
    return any(cidr in INTERNET for cidr in ranges)


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


def internet_admin_ports(group: Mapping[str, Any]) -> Text | None:
    """SSH, RDP and the other high-risk ports must not admit 0.0.0.0/0 (``IpPermissions``)."""
    ports = sorted({port for permission in group.get("IpPermissions") or () if open_to_internet(permission)
                    for port in exposed_ports(permission)})
    if ports:
        named = ", ".join(f"{port}/{HIGH_RISK_PORTS[port]}" for port in ports)
        return text("admits the Internet on high-risk ports {named}", "允许互联网访问高危端口 {named}", named=named)
    return None


def internet_routes(table: Mapping[str, Any]) -> list[str]:
    """Routes of a route table (``Routes``) that lead straight to the Internet (gateway, NAT, egress-only)."""
    found = []
    for route in table.get("Routes") or ():
        for key in INTERNET_TARGET_KEYS:
            target = str(route.get(key) or "")
            if target.startswith(INTERNET_TARGET_PREFIXES):
                destination = route.get("DestinationCidrBlock") or route.get("DestinationIpv6CidrBlock")
                found.append(f"{table.get('RouteTableId')}: {destination} -> {target}")
    return found


def extranet_exposed(zone: str, route_tables: list[Mapping[str, Any]]) -> Text | None:
    """A VPC of the extranet zone must have no route to the Internet zone (gateway, NAT, egress-only)."""
    if zone != EXTRANET:
        return None
    found = [route for table in route_tables for route in internet_routes(table)]
    if not found:
        return None
    return text("routes to the Internet: {routes}", "存在通往互联网的路由: {routes}", routes="; ".join(found))
