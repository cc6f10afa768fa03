"""What onboarding a department will create, worked out from its request, its block and the platform.

Pure: no service calls. ``egov tenant plan`` prints it and writes it as JSON for the pipeline; the tenant
stack and the OpenBao onboarding are meant to read the same plan, so a plan reviewed in a merge request is
what gets built. Every name here derives from the validated id (``ID_RE``), never from free text.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from ipaddress import IPv4Network
from typing import Any

from infra.config.platform import Platform
from infra.config.tenant_request import TENANT, TenantRequest
from infra.tenants.allocation import Allocation

PLAN_FORMAT = 1
EXTRANET = "extranet"
TIERS = ("app", "data")  # app: the department's services; data: its databases and endpoints, no inbound flows


@dataclass(frozen=True)
class PlannedSubnet:
    name: str
    tier: str
    availability_zone: str
    cidr: str


@dataclass(frozen=True)
class PlannedFlow:
    direction: str  # inbound (peer -> tenant) or outbound (tenant -> peer)
    peer: str
    protocol: str
    ports: list[int]
    purpose: str
    state: str  # flows to and from the extranet stay closed until the compliance gate passes


@dataclass(frozen=True)
class PlannedHost:
    name: str
    service: str
    subnet: str
    availability_zone: str


@dataclass(frozen=True)
class PlannedBucket:
    name: str
    data_class: str
    encrypted_with: str
    retention_days: int


@dataclass(frozen=True)
class TenantPlan:
    """The whole plan; ``to_json`` is what the pipeline reads."""

    tenant: str
    names: dict[str, str]
    mlps_level: int
    data_classification: str | None
    personal_information: dict[str, Any]
    cidr: str
    allocation_new: bool
    allocated_at: str
    region: str
    vpc: str
    transit_route_table: str
    routes: list[dict[str, str]]
    subnets: list[PlannedSubnet]
    security_groups: list[dict[str, Any]]
    flows: list[PlannedFlow]
    hosts: list[PlannedHost]
    kms_key_alias: str
    buckets: list[PlannedBucket]
    flow_log_group: str
    iam_role: str
    vault: dict[str, str]
    warnings: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"format": PLAN_FORMAT, **asdict(self)}

    @classmethod
    def from_json(cls, document: dict[str, Any]) -> TenantPlan:
        """The plan ``to_json`` wrote (the tenant stack reads the plan the merge request showed)."""
        if document.get("format") != PLAN_FORMAT:
            raise ValueError(f"plan format {document.get('format')!r} is not {PLAN_FORMAT}: run egov tenant plan "
                             "again")
        fields = {key: value for key, value in document.items() if key != "format"}
        fields["subnets"] = [PlannedSubnet(**item) for item in fields["subnets"]]
        fields["flows"] = [PlannedFlow(**item) for item in fields["flows"]]
        fields["hosts"] = [PlannedHost(**item) for item in fields["hosts"]]
        fields["buckets"] = [PlannedBucket(**item) for item in fields["buckets"]]
        return cls(**fields)


def open_peers(plan: TenantPlan, admitted: bool) -> list[str]:
    """The zones the tenant's routes, network ACL and rules open to: its flows' peers, the extranet only once
    admitted. The tenant stack builds from it; admission asks it whether the stack's extranet side must change."""
    return sorted({flow.peer for flow in plan.flows if admitted or flow.peer != EXTRANET})


def make_plan(request: TenantRequest, allocation: Allocation, platform: Platform) -> TenantPlan:
    """The plan of ``request`` in its allocated block."""
    tid = request.id
    block = allocation.cidr
    subnets = _subnets(tid, block, platform.availability_zones)
    app_subnets = [subnet for subnet in subnets if subnet.tier == "app"]
    kms_alias = f"alias/egov-tenant-{tid}"
    flows = [PlannedFlow("inbound" if flow.destination == TENANT else "outbound", flow.peer, flow.protocol,
                         list(flow.ports), flow.purpose, "closed until admitted" if flow.peer == EXTRANET else
                         "open after apply") for flow in request.flows]
    hosts = []
    for service in request.services:
        for number in range(1, service.hosts + 1):
            subnet = app_subnets[(number - 1) % len(app_subnets)]
            hosts.append(PlannedHost(f"{tid}-{service.name}-{number}", service.name, subnet.name,
                                     subnet.availability_zone))
    groups = []
    warnings = []
    for service in request.services:
        inbound = [{"from": flow.peer, "protocol": flow.protocol, "ports": sorted(set(flow.ports) & set(service.ports))}
                   for flow in flows if flow.direction == "inbound" and flow.protocol == service.protocol
                   and set(flow.ports) & set(service.ports)]
        groups.append({"name": f"{tid}-{service.name}", "service": service.name, "ingress": inbound,
                       "ingress_within_tenant": {"protocol": service.protocol, "ports": list(service.ports)}})
    served = {(service.protocol, port) for service in request.services for port in service.ports}
    for index, flow in enumerate(flows):
        if flow.direction == "inbound":
            unserved = [port for port in flow.ports if (flow.protocol, port) not in served]
            if unserved:
                warnings.append(f"flows[{index}] lets {flow.peer} in on {flow.protocol} {unserved}, which no "
                                "service listens on: the rule would open nothing useful")
    buckets = [PlannedBucket(f"egov-{tid}-{data_class}", data_class, kms_alias, request.retention_days)
               for data_class in request.data_classes()]
    buckets.append(PlannedBucket(f"egov-{tid}-archive", "archive", kms_alias, request.retention_days))
    peers = sorted({flow.peer for flow in flows})
    routes = [{"destination": str(platform.zones[peer].cidr), "via": "transit gateway (bridge inspection)",
               "zone": peer} for peer in peers]
    return TenantPlan(
        tenant=tid,
        names={"zh": request.name_zh, "en": request.name_en},
        mlps_level=request.mlps_level,
        data_classification=request.data_classification,
        personal_information={"categories": list(request.pi_categories), "sensitive": request.pi_sensitive},
        cidr=str(block),
        allocation_new=allocation.new,
        allocated_at=allocation.allocated_at,
        region=platform.region,
        vpc=f"egov-tenant-{tid}",
        transit_route_table=f"egov-tenant-{tid}",
        routes=routes,
        subnets=subnets,
        security_groups=groups,
        flows=flows,
        hosts=hosts,
        kms_key_alias=kms_alias,
        buckets=buckets,
        flow_log_group=f"/egov/tenants/{tid}/flow-logs",
        iam_role=f"egov-tenant-{tid}-department",
        vault={"namespace": f"tenants/{tid}", "transit_key": f"tenants/{tid}/transit/keys/{tid}",
               "kv": f"tenants/{tid}/kv/", "pki_role": f"tenants/{tid}/pki/roles/{tid}",
               "approle": f"tenants/{tid}/auth/approle/role/pipeline"},
        warnings=warnings,
    )


def _subnets(tid: str, block: IPv4Network, azs: tuple[str, ...]) -> list[PlannedSubnet]:
    """The block cut into one subnet per tier and availability zone (the first two AZs: /26 gives /28s)."""
    zones = azs[:2]
    pieces = list(block.subnets(prefixlen_diff=2))  # 2 tiers x 2 AZs
    subnets = []
    for tier_index, tier in enumerate(TIERS):
        for az_index, az in enumerate(zones):
            cidr = pieces[tier_index * len(zones) + az_index]
            subnets.append(PlannedSubnet(f"{tid}-{tier}-{az[-1]}", tier, az, str(cidr)))
    return subnets


def render_lines(plan: TenantPlan) -> list[str]:
    """The plan as a reviewer reads it in a merge request."""
    lines = [
        f"tenant {plan.tenant}: {plan.names['en']} ({plan.names['zh']}), MLPS level {plan.mlps_level}, data "
        f"classification {plan.data_classification or 'none'}",
        f"network: {plan.cidr} ({'newly allocated' if plan.allocation_new else 'allocated'} {plan.allocated_at}) "
        f"in VPC {plan.vpc}, region {plan.region}",
        f"  transit route table {plan.transit_route_table}: routes only to "
        + (", ".join(f"{route['zone']} {route['destination']}" for route in plan.routes) or "nothing")
        + "; no route to any other tenant",
    ]
    lines += [f"  subnet {s.name}: {s.cidr} ({s.tier}, {s.availability_zone})" for s in plan.subnets]
    lines.append("flows:")
    lines += [f"  {'in ' if f.direction == 'inbound' else 'out'} {f.peer:<9} {f.protocol}/"
              f"{','.join(str(p) for p in f.ports):<12} {f.purpose} [{f.state}]" for f in plan.flows] or ["  none"]
    lines.append("hosts:")
    lines += [f"  {h.name} ({h.service}) in {h.subnet}" for h in plan.hosts]
    lines.append("keys:")
    lines.append(f"  KMS key {plan.kms_key_alias}: encrypts "
                 + ", ".join(f"{b.name} ({b.data_class}, kept {b.retention_days} days)" for b in plan.buckets))
    lines.append(f"  OpenBao namespace {plan.vault['namespace']}: transit key {plan.vault['transit_key']}, KV "
                 f"{plan.vault['kv']}, PKI role {plan.vault['pki_role']}, AppRole {plan.vault['approle']}")
    lines.append(f"also: flow logs to {plan.flow_log_group}, IAM role {plan.iam_role}, one security group per "
                 "service")
    lines += [f"warning: {warning}" for warning in plan.warnings]
    return lines
