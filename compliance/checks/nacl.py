"""How a network ACL treats traffic from the Internet, for the ``ec2_networkacl_*`` checks (Prowler's logic).

ACL entries are evaluated in rule-number order and the first entry that matches decides; the implicit last
entry (``*``, 32767) denies. A probe is "from 0.0.0.0/0 or ::/0, this protocol, this port"; the ACL lets it
in when the first inbound entry from anywhere that covers it allows. Only ACLs associated with a subnet
are judged (an unassociated ACL filters nothing; Prowler skips them too), and only associations with a
subnet that exists count: moto keeps a deleted default VPC's ACL with its subnets' associations.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from compliance.checks.base import Evidence, Result, name_of, owner_tags, regional, vpc_owners
from compliance.text import Text, text

ANYWHERE = ("0.0.0.0/0", "::/0")
PROTOCOLS = {"6": "tcp", "17": "udp", "1": "icmp", "-1": "all",
             "tcp": "tcp", "udp": "udp", "icmp": "icmp", "all": "all"}


def _from_anywhere(entry: Mapping[str, Any]) -> bool:
    return not entry.get("Egress") and (entry.get("CidrBlock") in ANYWHERE or entry.get("Ipv6CidrBlock") in ANYWHERE)


def _covers(entry: Mapping[str, Any], protocol: str, port: int | None) -> bool:
    """Whether ``entry`` matches the probe; ``port`` None probes every port of ``protocol`` at once ("all":
    the whole traffic, matched by protocol -1 or a tcp/udp entry spanning every port)."""
    kind = PROTOCOLS.get(str(entry.get("Protocol")), str(entry.get("Protocol")))
    if kind == "all":
        return True
    ports = entry.get("PortRange") or {}
    low, high = int(ports.get("From", 0)), int(ports.get("To", 65535))
    if protocol == "all":
        return kind in ("tcp", "udp") and low <= 1 and high >= 65535
    return kind == protocol and (port is None or low <= port <= high)


def lets_in(acl: Mapping[str, Any], protocol: str, port: int | None) -> Mapping[str, Any] | None:
    """The entry that lets the probe in from anywhere, or None when the ACL stops it."""
    for entry in sorted(acl.get("Entries") or (), key=lambda e: int(e.get("RuleNumber", 32767))):
        if _from_anywhere(entry) and _covers(entry, protocol, port):
            return entry if entry.get("RuleAction") == "allow" else None
    return None


def subnets_using(acl: Mapping[str, Any], subnets: set[str]) -> list[str]:
    """The existing subnets associated with ``acl``."""
    return sorted(str(a["SubnetId"]) for a in acl.get("Associations") or () if a.get("SubnetId") in subnets)


def describe(entry: Mapping[str, Any]) -> Text:
    source = entry.get("CidrBlock") or entry.get("Ipv6CidrBlock")
    kind = PROTOCOLS.get(str(entry.get("Protocol")), str(entry.get("Protocol")))
    ports = entry.get("PortRange")
    span = (text(" ports {low}-{high}", " 端口 {low}-{high} ", low=ports.get("From"), high=ports.get("To"))
            if kind in ("tcp", "udp") and ports else "")
    return text("rule {number} allows {kind}{span} from {source}",
                "规则 {number} 允许来自 {source} 的{kind_zh}{span}流量",
                number=entry.get("RuleNumber"), kind=kind, kind_zh=" 全部" if kind == "all" else f" {kind}",
                span=span, source=source)


def judge(evidence: Evidence, protocol: str, port: int | None, what: Text) -> Iterator[Result]:
    """One result per ACL in use: fails when the probe gets in from the Internet."""
    owners = vpc_owners(evidence)
    existing = {str(subnet.get("SubnetId")) for _, subnet in regional(evidence, "subnets")}
    for region, acl in regional(evidence, "network_acls"):
        subnets = subnets_using(acl, existing)
        if not subnets:
            continue
        entry = lets_in(acl, protocol, port)
        who = name_of(acl, str(acl["NetworkAclId"]))
        where = (text(" (the default ACL of {vpc}, used by {subnets})", " ({vpc} 的默认网络ACL, 关联子网 {subnets})",
                      vpc=acl.get("VpcId"), subnets=", ".join(subnets)) if acl.get("IsDefault") else
                 text(" (in {vpc}, used by {subnets})", " (位于 {vpc}, 关联子网 {subnets})",
                      vpc=acl.get("VpcId"), subnets=", ".join(subnets)))
        detail = (text("network ACL {who}{where} lets {what} in from the Internet: {rule}",
                       "网络ACL {who}{where} 允许从互联网访问 {what}: {rule}",
                       who=who, where=where, what=what, rule=describe(entry)) if entry
                  else text("network ACL {who}{where} does not let {what} in from the Internet",
                            "网络ACL {who}{where} 不允许从互联网访问 {what}",
                            who=who, where=where, what=what))
        yield Result(str(acl["NetworkAclId"]), entry is None, detail, region, tags=owner_tags(owners, region, acl))
