"""Which traffic a security group or a network ACL admits from (or lets out towards) one zone's block.

A zone is judged by CIDR overlap (``ipaddress``), never string equality: a rule from ``10.0.0.0/8`` admits the
``10.30.0.0/16`` zone as surely as a rule naming it. Network ACL entries are judged in rule-number order and
a lower-numbered deny that covers the same traffic from the whole overlap shadows a later allow. Pure
functions over the describe_security_groups / describe_network_acls answers.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from ipaddress import ip_network
from typing import Any

from compliance.text import Text, text

PROTOCOLS = {"6": "tcp", "17": "udp", "1": "icmp", "58": "icmpv6", "-1": "all"}
ALL_PORTS = (0, 65535)


Judge = Callable[[Mapping[str, Any], str, bool], list["Admission"]]
"""``group_admissions`` or ``acl_admissions``: (filter, block, egress) -> what it lets through."""


@dataclass(frozen=True)
class Admission:
    """One rule's match: protocol (``all`` for any), port span (ICMP and ``all`` span every port), peer CIDR;
    ``number`` and ``allow`` only mean something for ACL entries."""

    protocol: str
    low: int
    high: int
    cidr: str
    number: int | None = None
    allow: bool = True


def overlaps(cidr: str, block: str) -> bool:
    """Whether ``cidr`` and ``block`` share an address (False for unparseable or mixed-family blocks)."""
    try:
        a, b = ip_network(cidr, strict=False), ip_network(block, strict=False)
    except ValueError:
        return False
    return a.version == b.version and a.overlaps(b)  # type: ignore[arg-type]


def contains(outer: str, inner: str) -> bool:
    """Whether ``inner`` lies wholly inside ``outer``."""
    try:
        a, b = ip_network(outer, strict=False), ip_network(inner, strict=False)
    except ValueError:
        return False
    return a.version == b.version and b.subnet_of(a)  # type: ignore[arg-type]


def _protocol(value: Any) -> str:
    return PROTOCOLS.get(str(value).lower(), str(value).lower())


def _span(protocol: str, low: Any, high: Any) -> tuple[int, int]:
    if protocol not in ("tcp", "udp") or low is None or high is None:
        return ALL_PORTS
    return int(low), int(high)


def same_traffic(a: Admission, b: Admission) -> bool:
    """Whether some packet matches both rules' protocol and ports (peers aside)."""
    if "all" not in (a.protocol, b.protocol) and a.protocol != b.protocol:
        return False
    return a.low <= b.high and b.low <= a.high


def _covers(outer: Admission, inner: Admission) -> bool:
    """Whether every packet ``inner`` matches (protocol and ports) ``outer`` matches too."""
    return ((outer.protocol == "all" or outer.protocol == inner.protocol)
            and outer.low <= inner.low and inner.high <= outer.high)


def group_admissions(group: Mapping[str, Any], block: str, egress: bool = False) -> list[Admission]:
    """The security group's ingress (or egress) rules whose IPv4/IPv6 range overlaps ``block``."""
    found = []
    for permission in group.get("IpPermissionsEgress" if egress else "IpPermissions") or ():
        protocol = _protocol(permission.get("IpProtocol"))
        low, high = _span(protocol, permission.get("FromPort"), permission.get("ToPort"))
        ranges = [r.get("CidrIp") for r in permission.get("IpRanges") or ()]
        ranges += [r.get("CidrIpv6") for r in permission.get("Ipv6Ranges") or ()]
        found += [Admission(protocol, low, high, str(cidr)) for cidr in ranges if cidr and overlaps(str(cidr), block)]
    return found


def acl_admissions(acl: Mapping[str, Any], block: str, egress: bool = False) -> list[Admission]:
    """The ACL's inbound (or outbound) allow entries that let some traffic from (to) ``block`` through: in
    rule-number order, an allow is dropped when an earlier deny covers its protocol and ports for the whole
    part of ``block`` it matches."""
    entries = []
    for entry in acl.get("Entries") or ():
        if bool(entry.get("Egress")) != egress:
            continue
        cidr = entry.get("CidrBlock") or entry.get("Ipv6CidrBlock")
        if not cidr or not overlaps(str(cidr), block):
            continue
        protocol = _protocol(entry.get("Protocol"))
        ports = entry.get("PortRange") or {}
        low, high = _span(protocol, ports.get("From"), ports.get("To"))
        entries.append(Admission(protocol, low, high, str(cidr), int(entry.get("RuleNumber", 32767)),
                                 entry.get("RuleAction") == "allow"))
    found: list[Admission] = []
    denied: list[Admission] = []
    for entry in sorted(entries, key=lambda e: e.number or 0):
        if not entry.allow:
            denied.append(entry)
            continue
        reached = entry.cidr if contains(block, entry.cidr) else block  # the part of the zone the entry matches
        if not any(_covers(deny, entry) and contains(deny.cidr, reached) for deny in denied):
            found.append(entry)
    return found


def acls_of(acls: Iterable[Mapping[str, Any]], subnets: set[str]) -> list[Mapping[str, Any]]:
    """The ACLs associated with any of ``subnets``."""
    return [acl for acl in acls if any(a.get("SubnetId") in subnets for a in acl.get("Associations") or ())]


def describe(rule: Admission, outbound: bool = False) -> Text:
    ports = f" {rule.low}-{rule.high}" if rule.protocol in ("tcp", "udp") else ""
    if rule.number is None and outbound:
        return text("{protocol}{ports} to {cidr}", "发往 {cidr} 的 {protocol}{ports}",
                    protocol=rule.protocol, ports=ports, cidr=rule.cidr)
    if rule.number is None:
        return text("{protocol}{ports} from {cidr}", "来自 {cidr} 的 {protocol}{ports}",
                    protocol=rule.protocol, ports=ports, cidr=rule.cidr)
    return text("rule {number} allows {protocol}{ports} with {cidr}",
                "规则 {number} 允许与 {cidr} 之间的 {protocol}{ports}",
                number=rule.number, protocol=rule.protocol, ports=ports, cidr=rule.cidr)
