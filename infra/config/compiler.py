"""The flow compiler: one pure function from (Platform, FlowAllowlist) to everything the bridge enforces.

The allowlist is the single source of truth; security groups, network ACLs, transit-gateway routes and
the gateway's nftables ruleset are all derived here, so the Pulumi components and the Ansible role
cannot disagree. The result is plain frozen dataclasses.

Stability is the main design constraint: a Pulumi preview after appending a flow must show only that
flow's resources. So every name and rule number derives from a flow (its name, its ``id``) or from
the zones it joins, never from a position in a list:

* zone security-group rules: ``<zone>-flows-sg-<in|out>-<flow>-<proto>-<ports>``, one per
  (flow, direction, port range); the description is ``<flow>: <purpose>``;
* the bridge gateway's SG rules can only match (peer, protocol, ports), and the cloud rejects two
  identical rules in one group, so flows that need the same one share it:
  ``bridge-flows-sg-<in|out>-<peer>-<proto>-<ports>``;
* network ACL entries: one per distinct match (ACL, direction, peer CIDR, protocol, ports), so the
  ACLs stay small (20 entries per direction by default). Its rule number comes from the first flow,
  by id, that needs it: ``id * 10 + slot`` (slot 0 return traffic, 1-9 the flow's port ranges in
  ascending order). Its name is ``<acl>-<ingress|egress>-<rule number>``, so a renamed flow updates
  entries in place rather than recreating them on a number that is still taken;
* transit-gateway routes: ``<table zone>-tgw-rt-to-<destination zone>``, one per zone pair with at
  least one flow (either direction), shared by all flows of that pair.

Flows are appended with the next free id, so an appended flow only ever adds resources.

Admitted tenants' flows (``tenants``: the bridge stack's ``tenantFlows``, see
``infra/config/tenant_flows.py``) go through the same code, as flows between a zone and the tenant's
network ``tenant.<id>`` (the dot keeps it apart from zone and flow names), with these differences:

* only the bridge side is compiled: the inspection ACL and the bridge SG, the zone's SG rules and ACL
  entries towards the tenant's block, the zone's transit route to the block (through the bridge) and the
  bridge's route back (through the tenant's attachment). The tenant's own VPC, SGs and transit table are
  the ``Tenant`` component's;
* a tenant flow is named ``tenant.<id>.<n>`` (n: its 1-based position in the tenant's plan), so its zone
  SG rules are ``<zone>-flows-sg-<in|out>-tenant.<id>.<n>-<proto>-<ports>``;
* NACL rule numbers come from the tenant's *slot* (0-19, kept in its config entry and chosen once, the
  lowest free one, when the tenant is admitted): ``30100 + slot * 100 + (n - 1) * 10 + port slot``, i.e.
  30100-32099. They never meet flows.yaml's (10-30009) nor another tenant's, and adding or removing a
  tenant leaves every other tenant's numbers as they are. An entry a platform flow already makes is not
  repeated; entries are not shared between tenants (each tenant's are its own, so closing one tenant
  never renumbers another's);
* quotas are counted with the tenants in; when a tenant pushes a group or ACL over, the error names the
  tenants and how many entries each adds, and nothing is compiled.

NACL numbers 1-9, 30010-30099 and 32100-32766 are never used by flows; they are free for baseline entries.

The bridge's other tiers (the transit-gateway attachment subnets) get an ACL of their own, so that no
subnet is left on the VPC's default ACL (which allows everything from anywhere): ``bridge-edge-acl``,
allowing all traffic from and to each zone's CIDR, numbered ``30010 + 10 * i`` by zone name, and the
platform's tenant pool (``30090``: admitted tenants' traffic enters the bridge through these tiers too),
and nothing else. Filtering by port is the inspection tier's job; the edge ACL only keeps the Internet out.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, NamedTuple

from infra.config.fields import PortRange
from infra.config.flows import Flow, FlowAllowlist, flow_problems
from infra.config.platform import BRIDGE, INSPECTION_TIER, Platform, platform_problems
from infra.config.problems import ConfigError, Problem
from infra.config.tenant_flows import CONFIG_KEY, AdmittedTenant, parse_tenant_flows

Direction = Literal["ingress", "egress"]
Traffic = Literal["forward", "return"]

EPHEMERAL = PortRange(1024, 65535)
ICMP_ECHO_REQUEST = 8
ICMP_ECHO_REPLY = 0
ICMP_ANY_CODE = -1
PROTOCOL_NUMBERS = {"tcp": 6, "udp": 17, "icmp": 1}
RULES_PER_FLOW = 10
TENANT_NACL_BASE = 30100
RULES_PER_TENANT = 100
BRIDGE_ACL = f"{BRIDGE}-{INSPECTION_TIER}-acl"
BRIDGE_EDGE_ACL = f"{BRIDGE}-edge-acl"
BASELINE_RULE_BASE = 30010
TENANT_POOL_EDGE_RULE = 30090
NFT_TABLE = "egov_bridge"
# Default cloud quotas, per direction: entries per network ACL (raisable to 40), rules per security group.
ACL_ENTRY_LIMIT = 20
SG_RULE_LIMIT = 60


@dataclass(frozen=True)
class SecurityGroup:
    """The security group that carries a network's bridge-flow rules."""

    name: str
    network: str
    description: str


@dataclass(frozen=True)
class SecurityGroupRule:
    """One rule resource. For icmp, ``from_port`` is the ICMP type and ``to_port`` the code (-1: any)."""

    name: str
    security_group: str
    network: str
    direction: Direction
    protocol: str
    from_port: int
    to_port: int
    cidr: str
    description: str
    flow: str | None  # None for the bridge's shared rules


@dataclass(frozen=True)
class NetworkAcl:
    """A network ACL and the tiers of ``network`` whose subnets it is associated with."""

    name: str
    network: str
    tiers: tuple[str, ...]


@dataclass(frozen=True)
class NetworkAclEntry:
    """One stateless ACL entry; ports are ``None`` for icmp, icmp type/code are ``None`` for tcp/udp."""

    name: str
    network_acl: str
    egress: bool
    rule_number: int
    protocol: str
    cidr: str
    from_port: int | None
    to_port: int | None
    icmp_type: int | None
    icmp_code: int | None
    flow: str  # the first flow (by id) that needs the entry; its id gives the rule number ("" for baseline entries)
    traffic: Traffic
    rule_action: str = "allow"


@dataclass(frozen=True)
class RouteTable:
    """A transit-gateway route table associated with one network's attachment."""

    name: str
    network: str


@dataclass(frozen=True)
class TransitGatewayRoute:
    """In ``route_table``, send ``destination_cidr`` (network ``destination``) to ``attachment``'s attachment."""

    name: str
    route_table: str
    destination: str
    destination_cidr: str
    attachment: str


@dataclass(frozen=True)
class CompiledBridge:
    """Everything the bridge enforces, ready for the Pulumi components and the Ansible role."""

    security_groups: tuple[SecurityGroup, ...]
    security_group_rules: tuple[SecurityGroupRule, ...]
    network_acls: tuple[NetworkAcl, ...]
    network_acl_entries: tuple[NetworkAclEntry, ...]
    route_tables: tuple[RouteTable, ...]
    routes: tuple[TransitGatewayRoute, ...]
    nftables: str
    tenants: tuple[str, ...] = ()  # the admitted tenants compiled in, by slot
    added_by: tuple[tuple[str, str], ...] = ()  # (resource name, tenant) for what only tenants' flows need

    def resources(self) -> dict[str, Any]:
        """Every planned resource by its (unique) name."""
        items: tuple[Any, ...] = (
            *self.security_groups,
            *self.security_group_rules,
            *self.network_acls,
            *self.network_acl_entries,
            *self.route_tables,
            *self.routes,
        )
        return {item.name: item for item in items}

    def for_flow(self, flow: str) -> tuple[SecurityGroupRule | NetworkAclEntry, ...]:
        """The SG rules of ``flow`` and the ACL entries it numbers: what appending ``flow`` added."""
        rules = tuple(rule for rule in self.security_group_rules if rule.flow == flow)
        return (*rules, *(entry for entry in self.network_acl_entries if entry.flow == flow))

    def for_tenant(self, tenant: str) -> dict[str, Any]:
        """What admitting ``tenant`` added: its SG rules, ACL entries and routes, by name."""
        names = {name for name, owner in self.added_by if owner == tenant}
        return {name: item for name, item in self.resources().items() if name in names}

    def to_dict(self) -> dict[str, Any]:
        """Plain data (e.g. for Ansible variables or a JSON artifact)."""
        return dataclasses.asdict(self)


class _Numbered(NamedTuple):
    """A flow as the compiler walks it: where its NACL numbers start, and whose it is (None: flows.yaml)."""

    flow: Flow
    base: int  # the rule number of its slot 0
    tenant: AdmittedTenant | None
    label: str  # the nftables comment


def tenant_flows(tenant: AdmittedTenant) -> list[Flow]:
    """A tenant's flows as allowlist flows between its peer zones and its network ``tenant.<id>``."""
    flows = []
    for number, item in enumerate(tenant.flows, start=1):
        ends = (item.peer, tenant.network) if item.direction == "inbound" else (tenant.network, item.peer)
        flows.append(Flow.model_construct(
            id=0, name=f"{tenant.network}.{number}", source=ends[0], destination=ends[1],
            protocol=item.protocol, ports=item.ports, purpose=item.purpose, owner=f"tenant {tenant.tenant}"))
    return flows


def _numbered(allowlist: FlowAllowlist, tenants: Sequence[AdmittedTenant]) -> list[_Numbered]:
    """flows.yaml's flows by id, then each tenant's (by slot) in its plan's order."""
    items = [_Numbered(flow, flow.id * RULES_PER_FLOW, None, f"[{flow.id}] {flow.name}: {flow.purpose} "
                       f"(owner: {flow.owner})") for flow in allowlist.by_id()]
    for tenant in sorted(tenants, key=lambda item: item.slot):
        for index, flow in enumerate(tenant_flows(tenant)):
            base = TENANT_NACL_BASE + tenant.slot * RULES_PER_TENANT + index * RULES_PER_FLOW
            items.append(_Numbered(flow, base, tenant, f"[{flow.name}] {flow.purpose} (admitted tenant)"))
    return items


def compile_bridge(
    platform: Platform,
    allowlist: FlowAllowlist,
    *,
    tenants: Sequence[AdmittedTenant] = (),
    acl_entry_limit: int = ACL_ENTRY_LIMIT,
    sg_rule_limit: int = SG_RULE_LIMIT,
) -> CompiledBridge:
    """Compile the allowlist, and the admitted ``tenants``' flows, against the platform.

    Re-checks every input, so a hand-built model cannot slip past validation, and refuses a plan
    that would exceed the cloud's per-direction quotas (it would fail half-way through a deployment).
    """
    problems = platform_problems(platform.model_dump(mode="json", exclude_defaults=True), platform.source)
    problems += flow_problems(allowlist.model_dump(mode="json", exclude_defaults=True), platform, allowlist.source)
    if problems:
        raise ConfigError(problems)
    tenants = parse_tenant_flows({tenant.tenant: tenant.to_json() for tenant in tenants}, platform)
    networks = platform.networks()
    cidr = {name: str(network.cidr) for name, network in networks.items()}
    cidr.update({tenant.network: tenant.cidr for tenant in tenants})
    tenant_networks = {tenant.network for tenant in tenants}
    numbered = _numbered(allowlist, tenants)

    sg_rules: dict[str, SecurityGroupRule] = {}
    entries: dict[tuple[Any, ...], NetworkAclEntry] = {}
    routes: dict[str, TransitGatewayRoute] = {}
    added_by: dict[str, str] = {}  # resource name -> the tenant whose flow first needed it
    for flow, base, tenant, _label in numbered:
        src, dst = flow.source, flow.destination
        for port in _port_slots(flow):
            for rule in (
                _zone_rule(flow, dst, "ingress", src, cidr[src], port),
                _zone_rule(flow, src, "egress", dst, cidr[dst], port),
                _bridge_rule(flow, "ingress", src, cidr[src], port),
                _bridge_rule(flow, "egress", dst, cidr[dst], port),
            ):
                if rule.network in tenant_networks or rule.name in sg_rules:
                    continue  # the tenant's own groups are the Tenant component's
                sg_rules[rule.name] = rule
                if tenant is not None:
                    added_by[rule.name] = tenant.tenant
        for acl, egress, slot, peer, port, traffic in _acl_needs(flow):
            if acl in {_acl(network) for network in tenant_networks}:
                continue
            match = (acl, egress, cidr[peer], flow.protocol, port, traffic)
            owned = (tenant.tenant, *match) if tenant is not None else match
            if match in entries or owned in entries:
                continue  # the first flow (by id) that needs an entry numbers it; tenants never share theirs
            entry = _acl_entry(flow, base, acl, egress, slot, cidr[peer], port, traffic)
            entries[owned] = entry
            if tenant is not None:
                added_by[entry.name] = tenant.tenant
        for table, peer in ((src, dst), (dst, src)):
            if table in tenant_networks:
                continue  # the tenant's transit table is the Tenant component's
            route = TransitGatewayRoute(f"{table}-tgw-rt-to-{peer}", _table(table), peer, cidr[peer], BRIDGE)
            routes.setdefault(route.name, route)
        for zone in (src, dst):
            route = TransitGatewayRoute(f"{BRIDGE}-tgw-rt-to-{zone}", _table(BRIDGE), zone, cidr[zone], zone)
            routes.setdefault(route.name, route)
    for route in routes.values():
        if route.destination in tenant_networks or route.attachment in tenant_networks:
            added_by[route.name] = route.destination.removeprefix("tenant.")

    plan = CompiledBridge(
        security_groups=tuple(
            SecurityGroup(_sg(name), name, f"Bridge flows of {name} (compiled from the flow allowlist)")
            for name in networks
        ),
        security_group_rules=tuple(sg_rules.values()),
        network_acls=tuple(
            NetworkAcl(_acl(name), name, (INSPECTION_TIER,) if name == BRIDGE else tuple(network.subnets))
            for name, network in networks.items()
        ) + _edge_acl(networks),
        network_acl_entries=tuple(
            sorted([*entries.values(), *_edge_entries(networks, cidr, platform.tenant_pool)],
                   key=lambda entry: (entry.network_acl, entry.egress, entry.rule_number))
        ),
        route_tables=tuple(RouteTable(_table(name), name) for name in networks),
        routes=tuple(sorted(routes.values(), key=lambda route: route.name)),
        nftables=_render(numbered, cidr),
        tenants=tuple(tenant.tenant for tenant in tenants),
        added_by=tuple(sorted(added_by.items())),
    )
    problems = _quota_problems(plan, allowlist.source, acl_entry_limit, sg_rule_limit)
    if problems:
        raise ConfigError(problems)
    return plan


def _quota_problems(plan: CompiledBridge, file: str, acl_limit: int, sg_limit: int) -> list[Problem]:
    counts: Counter[tuple[str, str, str]] = Counter()
    by_tenant: dict[tuple[str, str, str], Counter[str]] = {}
    added_by = dict(plan.added_by)
    items: list[tuple[tuple[str, str, str], str]] = [
        (("network ACL", entry.network_acl, "egress" if entry.egress else "ingress"), entry.name)
        for entry in plan.network_acl_entries
    ]
    items += [(("security group", rule.security_group, rule.direction), rule.name)
              for rule in plan.security_group_rules]
    for key, name in items:
        counts[key] += 1
        if name in added_by:
            by_tenant.setdefault(key, Counter())[added_by[name]] += 1
    problems: list[Problem] = []
    order = {tenant: index for index, tenant in enumerate(plan.tenants)}
    for (kind, name, direction), count in sorted(counts.items()):
        limit = acl_limit if kind == "network ACL" else sg_limit
        if count <= limit:
            continue
        tenants = by_tenant.get((kind, name, direction))
        if not tenants:
            problems.append(
                Problem(
                    file,
                    "flows",
                    f"{kind} {name} would hold {count} {direction} entries; the limit is {limit}",
                    "merge flows that share zones and ports, or raise the cloud quota and the compiler's limit",
                )
            )
            continue
        ranked = sorted(tenants, key=lambda tenant: order.get(tenant, 0))
        shares = ", ".join(f"tenant {tenant} {tenants[tenant]}" for tenant in ranked)
        problems.append(
            Problem(
                f"bridge stack config {CONFIG_KEY}",
                f"{CONFIG_KEY}.{ranked[-1]}",
                f"{kind} {name} would hold {count} {direction} entries with the admitted tenants' flows "
                f"({shares}); the limit is {limit}",
                f"tenant {ranked[-1]}'s flows do not fit: merge its flows, close another tenant's flows, or "
                "raise the cloud quota and the bridge stack's limit; nothing was changed",
            )
        )
    return problems


def _sg(network: str) -> str:
    return f"{network}-flows-sg"


def _acl(network: str) -> str:
    return BRIDGE_ACL if network == BRIDGE else f"{network}-flows-acl"


def _table(network: str) -> str:
    return f"{network}-tgw-rt"


def _port_slots(flow: Flow) -> tuple[PortRange | None, ...]:
    """The flow's port ranges in slot order; icmp has a single slot without ports."""
    return flow.ports if flow.protocol != "icmp" else (None,)


def _token(protocol: str, port: PortRange | None) -> str:
    return f"{protocol}-{port}" if port is not None else f"{protocol}-echo"


def _sg_ports(port: PortRange | None) -> tuple[int, int]:
    return (port.start, port.end) if port is not None else (ICMP_ECHO_REQUEST, ICMP_ANY_CODE)


def _zone_rule(
    flow: Flow, network: str, direction: Direction, peer: str, peer_cidr: str, port: PortRange | None
) -> SecurityGroupRule:
    arrow = "in" if direction == "ingress" else "out"
    from_port, to_port = _sg_ports(port)
    return SecurityGroupRule(
        name=f"{_sg(network)}-{arrow}-{flow.name}-{_token(flow.protocol, port)}",
        security_group=_sg(network),
        network=network,
        direction=direction,
        protocol=flow.protocol,
        from_port=from_port,
        to_port=to_port,
        cidr=peer_cidr,
        description=flow.description,
        flow=flow.name,
    )


def _bridge_rule(
    flow: Flow, direction: Direction, peer: str, peer_cidr: str, port: PortRange | None
) -> SecurityGroupRule:
    arrow, word = ("in", "from") if direction == "ingress" else ("out", "to")
    token = _token(flow.protocol, port)
    from_port, to_port = _sg_ports(port)
    return SecurityGroupRule(
        name=f"{_sg(BRIDGE)}-{arrow}-{peer}-{token}",
        security_group=_sg(BRIDGE),
        network=BRIDGE,
        direction=direction,
        protocol=flow.protocol,
        from_port=from_port,
        to_port=to_port,
        cidr=peer_cidr,
        description=f"bridge transit {word} {peer}: {token} (see the flow allowlist)",
        flow=None,
    )


def _acl_needs(flow: Flow) -> list[tuple[str, bool, int, str, PortRange | None, Traffic]]:
    """``(acl, egress, slot, peer, ports, traffic)`` for both ends and the inspection subnet.

    ACLs are stateless, so each forward entry has a return entry for the replies (ephemeral ports,
    or ICMP echo replies). ``ports`` is ``None`` for icmp.
    """
    src, dst = flow.source, flow.destination
    needs: list[tuple[str, bool, int, str, PortRange | None, Traffic]] = []
    for slot, port in enumerate(_port_slots(flow), start=1):
        needs += [
            (BRIDGE_ACL, False, slot, src, port, "forward"),
            (BRIDGE_ACL, True, slot, dst, port, "forward"),
            (_acl(dst), False, slot, src, port, "forward"),
            (_acl(src), True, slot, dst, port, "forward"),
        ]
    ephemeral = EPHEMERAL if flow.protocol != "icmp" else None
    needs += [
        (BRIDGE_ACL, False, 0, dst, ephemeral, "return"),
        (BRIDGE_ACL, True, 0, src, ephemeral, "return"),
        (_acl(dst), True, 0, src, ephemeral, "return"),
        (_acl(src), False, 0, dst, ephemeral, "return"),
    ]
    return needs


def _edge_tiers(networks: dict[str, Any]) -> tuple[str, ...]:
    return tuple(tier for tier in networks[BRIDGE].subnets if tier != INSPECTION_TIER) if BRIDGE in networks else ()


def _edge_acl(networks: dict[str, Any]) -> tuple[NetworkAcl, ...]:
    """The bridge's non-inspection tiers, off the default ACL (see the module doc)."""
    tiers = _edge_tiers(networks)
    return (NetworkAcl(BRIDGE_EDGE_ACL, BRIDGE, tiers),) if tiers else ()


def _edge_entries(
    networks: dict[str, Any], cidr: Mapping[str, str], tenant_pool: object | None
) -> list[NetworkAclEntry]:
    if not _edge_tiers(networks):
        return []
    zones = sorted(name for name in networks if name != BRIDGE)
    peers = [(BASELINE_RULE_BASE + index * RULES_PER_FLOW, cidr[zone]) for index, zone in enumerate(zones)]
    if tenant_pool is not None:
        peers.append((TENANT_POOL_EDGE_RULE, str(tenant_pool)))
    return [
        NetworkAclEntry(name=f"{BRIDGE_EDGE_ACL}-{'egress' if egress else 'ingress'}-{number}",
                        network_acl=BRIDGE_EDGE_ACL, egress=egress, rule_number=number, protocol="-1",
                        cidr=peer, from_port=None, to_port=None, icmp_type=None, icmp_code=None, flow="",
                        traffic="forward")
        for number, peer in peers
        for egress in (False, True)
    ]


def _acl_entry(
    flow: Flow, base: int, acl: str, egress: bool, slot: int, peer_cidr: str, port: PortRange | None,
    traffic: Traffic,
) -> NetworkAclEntry:
    number = base + slot
    icmp = flow.protocol == "icmp"
    return NetworkAclEntry(
        name=f"{acl}-{'egress' if egress else 'ingress'}-{number}",
        network_acl=acl,
        egress=egress,
        rule_number=number,
        protocol=flow.protocol,
        cidr=peer_cidr,
        from_port=port.start if port is not None else None,
        to_port=port.end if port is not None else None,
        icmp_type=(ICMP_ECHO_REQUEST if traffic == "forward" else ICMP_ECHO_REPLY) if icmp else None,
        icmp_code=ICMP_ANY_CODE if icmp else None,
        flow=flow.name,
        traffic=traffic,
    )


def render_nftables(
    flows: list[Flow],
    cidr: dict[str, str],
    *,
    tenants: Sequence[AdmittedTenant] = (),
    nflog_group: int | None = None,
    log_rate: str = "10/second",
) -> str:
    """The gateway's forward filter: replies accepted, one accept per flow (flows.yaml's by id, then the admitted
    ``tenants``' by slot), everything else logged and dropped.

    ``nflog_group`` sends the drop log to that NFLOG group, rate limited, instead of the kernel log: a gateway
    in a network namespace cannot write to the kernel log (and the kernel log is machine-wide).
    """
    allowlist = FlowAllowlist.model_construct(flows=tuple(flows))
    cidrs = {**cidr, **{tenant.network: tenant.cidr for tenant in tenants}}
    return _render(_numbered(allowlist, tenants), cidrs, nflog_group=nflog_group, log_rate=log_rate)


def _render(
    flows: list[_Numbered], cidr: dict[str, str], *, nflog_group: int | None = None, log_rate: str = "10/second"
) -> str:
    """``render_nftables`` over flows already numbered and labelled (``compile_bridge`` shares it)."""
    if nflog_group is None:
        invalid = 'ct state invalid counter log prefix "egov-bridge invalid: " level warn drop comment "invalid state"'
        drop = ['counter log prefix "egov-bridge drop: " level warn drop comment "not in the flow allowlist"']
    else:
        limit = f"limit rate {log_rate} log group {nflog_group}"
        invalid = f'ct state invalid counter {limit} prefix "egov-bridge invalid: " drop comment "invalid state"'
        drop = [
            f'{limit} prefix "egov-bridge drop: " comment "log drops, rate limited"',
            'counter drop comment "not in the flow allowlist"',
        ]
    lines = [
        "#!/usr/sbin/nft -f",
        "# Bridge gateway forward filter, compiled from the flow allowlist by infra.config.compiler.",
        "# Generated: do not edit by hand. Anything not accepted below is logged and dropped.",
        "",
        "# Replace only our table, atomically: create it if missing, then delete and redefine it.",
        f"table inet {NFT_TABLE}",
        f"delete table inet {NFT_TABLE}",
        "",
        f"table inet {NFT_TABLE} {{",
        "\tchain forward {",
        "\t\ttype filter hook forward priority filter; policy drop;",
        '\t\tct state established,related accept comment "replies of allowed flows"',
        f"\t\t{invalid}",
    ]
    for flow, _base, _tenant, label in flows:
        lines.append(f"\t\t# {label}")
        lines.append(
            f"\t\tip saddr {cidr[flow.source]} ip daddr {cidr[flow.destination]} {_nft_match(flow)} "
            f'ct state new counter accept comment "{flow.name}"'
        )
    lines += [f"\t\t{rule}" for rule in drop]
    lines += [
        "\t}",
        "}",
        "",
    ]
    return "\n".join(lines)


def _nft_match(flow: Flow) -> str:
    if flow.protocol == "icmp":
        return "icmp type echo-request"
    ports = [str(port) for port in flow.ports]
    spec = ports[0] if len(ports) == 1 else "{ " + ", ".join(ports) + " }"
    return f"{flow.protocol} dport {spec}"
