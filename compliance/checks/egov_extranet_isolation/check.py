"""The e-government extranet (政务外网) is logically isolated from the Internet: from an extranet-zone VPC
there is no route to an Internet or NAT gateway, no peering around the bridge, no public address on launch,
no inbound rule from the Internet, and its transit routes lead only to the bridge (中办发 2002 第17号).

Nor does any filter admit the Internet zone (the VPCs tagged ``egov:zone=internet``) to the extranet: not the
extranet VPC's own security groups or network ACLs, and not the bridge inspection tier's, which would let the
gateway forward the Internet zone's traffic on to the extranet (policies/flows.yaml never allows it, EGV-01).
The inspection tier legitimately admits the Internet zone for the allowlist's Internet flows (and their
replies); only what the allowlist does not explain, and the tier also lets out towards the extranet, counts.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from functools import lru_cache
from typing import Any

from compliance.checks.admission import (
    Admission,
    Judge,
    acl_admissions,
    acls_of,
    contains,
    describe,
    group_admissions,
    same_traffic,
)
from compliance.checks.base import Evidence, Result, name_of, tags_of
from compliance.checks.ec2_securitygroup_allow_ingress_from_internet_to_all_ports.check import open_to_internet
from compliance.checks.network import RegionNetwork, internet_routes, networks, unjudgeable
from compliance.text import Text, join, text
from infra.config import FLOWS_FILE, PLATFORM_FILE, compile_bridge, load_flows, load_platform
from infra.config.compiler import BRIDGE_ACL

EXTRANET = "extranet"
BRIDGE = "bridge"
INTERNET = "internet"
INSPECTION_TIER = "inspection"
TIER_TAG = "egov:tier"


@lru_cache(maxsize=1)
def allowlisted_internet_traffic() -> tuple[Admission, ...]:
    """What the bridge inspection tier admits from the Internet zone by design: the bridge SG's ingress rules
    and the inspection ACL's ingress entries the flow compiler derives from policies/flows.yaml for the
    Internet zone's CIDR (tenants never peer with the Internet zone, so their flows add none)."""
    platform = load_platform(PLATFORM_FILE)
    plan = compile_bridge(platform, load_flows(FLOWS_FILE, platform))
    internet = str(platform.zones[INTERNET].cidr)
    rules = [Admission(r.protocol, *(r.from_port, r.to_port) if r.protocol in ("tcp", "udp") else (0, 65535),
                       r.cidr) for r in plan.security_group_rules
             if r.network == BRIDGE and r.direction == "ingress" and r.cidr == internet]
    rules += [Admission(e.protocol, *(e.from_port or 0, e.to_port or 65535) if e.protocol in ("tcp", "udp")
                        else (0, 65535), e.cidr) for e in plan.network_acl_entries
              if e.network_acl == BRIDGE_ACL and not e.egress and e.cidr == internet]
    return tuple(rules)


def explained(rule: Admission, allowed: tuple[Admission, ...]) -> bool:
    """Whether an allowlisted rule covers ``rule``'s protocol and ports from at least its peer block."""
    return any((a.protocol == rule.protocol) and a.low <= rule.low and rule.high <= a.high
               and contains(a.cidr, rule.cidr) for a in allowed)


def internet_admitted(net: RegionNetwork, vpc_id: str) -> list[Text]:
    """(a) the extranet VPC's own security groups and (in-use) network ACLs admitting the Internet zone."""
    found = []
    subnets = {str(s.get("SubnetId")) for s in net.subnets.get(vpc_id, [])}
    for block in net.zone_blocks(INTERNET):
        for group in net.groups.get(vpc_id, []):
            found += [text("security group {id} admits the Internet zone ({zone}): {rule}",
                           "安全组 {id} 允许互联网区 ({zone}) 访问: {rule}", id=group.get("GroupId"), zone=block,
                           rule=describe(rule)) for rule in group_admissions(group, block)]
        for acl in acls_of(net.acls.get(vpc_id, []), subnets):
            found += [text("network ACL {id} admits the Internet zone ({zone}): {rule}",
                           "网络ACL {id} 允许互联网区 ({zone}) 访问: {rule}", id=acl.get("NetworkAclId"), zone=block,
                           rule=describe(rule)) for rule in acl_admissions(acl, block)]
    return found


def forwarded_by_bridge(net: RegionNetwork, extranet: list[str], allowed: tuple[Admission, ...]) -> list[Text]:
    """(b) the bridge inspection tier's security groups and ACLs admitting from the Internet zone traffic the
    allowlist does not explain and that the same group / ACL also lets out towards the extranet ``extranet``."""
    found = []
    for bridge in (vpc_id for vpc_id in net.vpcs if net.zone(vpc_id) == BRIDGE):
        inspection = {str(s.get("SubnetId")) for s in net.subnets.get(bridge, [])
                      if tags_of(s).get(TIER_TAG) == INSPECTION_TIER}
        filters: list[tuple[str, str, str, Mapping[str, Any], Judge]] = [
            ("security group", "安全组", str(g.get("GroupId")), g, group_admissions)
            for g in net.groups.get(bridge, [])]
        filters += [("network ACL", "网络ACL", str(a.get("NetworkAclId")), a, acl_admissions)
                    for a in acls_of(net.acls.get(bridge, []), inspection)]
        for kind, kind_zh, ident, item, admissions in filters:
            out = [rule for block in extranet for rule in admissions(item, block, True)]
            for block in net.zone_blocks(INTERNET):
                for rule in admissions(item, block, False):
                    towards = [o for o in out if same_traffic(rule, o)]
                    if towards and not explained(rule, allowed):
                        found.append(text(
                            "bridge inspection {kind} {id} admits the Internet zone ({zone}) towards the extranet: "
                            "in {rule}, out {out}", "桥接检查层{kind_zh} {id} 允许互联网区 ({zone}) 流向外网: "
                            "入 {rule}, 出 {out}", kind=kind, kind_zh=kind_zh, id=ident, zone=block,
                            rule=describe(rule), out=describe(towards[0], outbound=True)))
    return found


def problems(net: RegionNetwork, vpc_id: str) -> list[Text]:
    """Every path from the extranet VPC ``vpc_id`` that does not go through the bridge."""
    found = []
    for table in net.route_tables.get(vpc_id, []):
        found += [text("route to the Internet {route}", "通往互联网的路由 {route}", route=route)
                  for route in internet_routes(table)]
    for peering, other in net.active_peers(vpc_id):
        found.append(text("peering {peering} to {other} (zone {zone}) bypasses the bridge",
                          "对等连接 {peering} 通往 {other} (区域 {zone}), 绕过了桥接", peering=peering, other=other,
                          zone=net.zone(other) or "untagged"))
    for subnet in net.subnets.get(vpc_id, []):
        if subnet.get("MapPublicIpOnLaunch") is True:
            found.append(text("subnet {id} gives public addresses on launch", "子网 {id} 启动时分配公网地址",
                              id=subnet.get("SubnetId")))
    for group in net.groups.get(vpc_id, []):
        if any(open_to_internet(permission) for permission in group.get("IpPermissions") or ()):
            found.append(text("security group {id} admits the Internet", "安全组 {id} 允许互联网访问",
                              id=group.get("GroupId")))
    for destination, attachment, behind in net.transit_destinations(vpc_id):
        if attachment and behind != vpc_id and net.zone(behind) != BRIDGE:
            found.append(text("transit route {dest} -> {att} (VPC {vpc}, zone {zone}) does not go through the bridge",
                              "中转路由 {dest} -> {att} (VPC {vpc}, 区域 {zone}) 未经过桥接", dest=destination,
                              att=attachment, vpc=behind or "?", zone=net.zone(behind) or "untagged"))
    found += internet_admitted(net, vpc_id)
    found += forwarded_by_bridge(net, net.blocks(vpc_id), allowlisted_internet_traffic())
    return found


def check(evidence: Evidence) -> Iterator[Result]:
    for region, net in networks(evidence).items():
        for vpc_id, vpc in net.vpcs.items():
            if net.zone(vpc_id) != EXTRANET:
                continue
            found = problems(net, vpc_id)
            who = text("extranet VPC {name}", "外网 VPC {name}", name=name_of(vpc, vpc_id))
            detail = (text("{who}: {found}", "{who}: {found}", who=who, found=join(found)) if found
                      else text("{who} reaches other zones only through the bridge", "{who} 仅经由桥接访问其他区域",
                                who=who))
            unknown = net.unknown_routes(vpc_id)
            if unknown and not found:
                yield Result(vpc_id, None, text("{who}: {why}", "{who}: {why}", who=who, why=unjudgeable(unknown)),
                             region, "AwsEc2Vpc", net.tags[vpc_id])
                continue
            yield Result(vpc_id, not found, detail, region, "AwsEc2Vpc", net.tags[vpc_id])
