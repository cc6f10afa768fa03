"""Admitted tenants' flows as input to the flow compiler: the bridge stack's ``tenantFlows`` config.

An admitted tenant's entry says which block it lives in, which numbering slot the bridge gave it, which
transit-gateway attachment its block sits behind, and its flows (as its reviewed plan lists them)::

    {"tax-bureau": {"slot": 0, "cidr": "10.100.0.0/24", "attachmentId": "tgw-attach-0123abcd",
                    "flows": [{"direction": "inbound", "peer": "extranet", "protocol": "tcp",
                               "ports": [8443], "purpose": "Tax filing back-end"}]}}

``parse_tenant_flows`` checks every field against the platform and reports every problem with its path
(``tenantFlows.tax-bureau.flows[0].peer``) before anything is compiled, so a bad entry never reaches the
cloud. A tenant's peers are only the extranet and shared zones; a flow with the Internet zone is refused
(EGV-01: a tenant on the extranet side must never become a path from the Internet to the extranet).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from ipaddress import IPv4Network
from typing import Any

from infra.config.fields import DESCRIPTION_RE, Invalid, PortRange, parse_cidr
from infra.config.platform import INTERNET, Platform
from infra.config.problems import Collector, ConfigError, PathPart, shown
from infra.config.tenant_request import ID_RE, PEER_ZONES

CONFIG_KEY = "tenantFlows"
DIRECTIONS = ("inbound", "outbound")  # inbound: peer -> tenant; outbound: tenant -> peer
PROTOCOLS = ("tcp", "udp")
MAX_SLOT = 19  # NACL numbers: see infra.config.compiler (20 blocks of 100 numbers)
MAX_FLOWS_PER_TENANT = 10  # a slot's block of 100 NACL numbers holds 10 flows of 10 numbers each
MAX_PORTS = 9  # NACL slots 1-9 of a flow
PURPOSE_MAX = 200
ATTACHMENT_RE = re.compile(r"tgw-attach-[0-9a-f]{8,17}")


@dataclass(frozen=True)
class BridgeTenantFlow:
    """One of an admitted tenant's flows, as the bridge sees it."""

    direction: str
    peer: str
    protocol: str
    ports: tuple[PortRange, ...]
    purpose: str


@dataclass(frozen=True)
class AdmittedTenant:
    """An admitted tenant's entry in ``tenantFlows``."""

    tenant: str
    slot: int
    cidr: str
    attachment_id: str | None
    flows: tuple[BridgeTenantFlow, ...]

    @property
    def network(self) -> str:
        """The tenant's name among the compiler's networks; the dot keeps it apart from any zone or flow name
        (those are lower-case letters, digits and dashes)."""
        return f"tenant.{self.tenant}"

    def to_json(self) -> dict[str, Any]:
        """The entry as stored in the bridge config (``parse_tenant_flows`` reads it back unchanged)."""
        entry: dict[str, Any] = {"slot": self.slot, "cidr": self.cidr}
        if self.attachment_id is not None:
            entry["attachmentId"] = self.attachment_id
        entry["flows"] = [
            {"direction": flow.direction, "peer": flow.peer, "protocol": flow.protocol,
             "ports": [port.start for port in flow.ports], "purpose": flow.purpose}
            for flow in self.flows
        ]
        return entry


def parse_tenant_flows(
    text_or_data: str | Any, platform: Platform, file: str = f"bridge stack config {CONFIG_KEY}"
) -> tuple[AdmittedTenant, ...]:
    """The admitted tenants in slot order; ``ConfigError`` with every problem (field path, why, what to do)."""
    out = Collector(file)
    data: Any = text_or_data
    if isinstance(text_or_data, str):
        try:
            data = json.loads(text_or_data) if text_or_data.strip() else {}
        except ValueError as exc:
            out.add((CONFIG_KEY,), f"is not JSON: {exc}", "set it to a JSON object: tenant id -> entry")
            out.raise_if_any()
    if not isinstance(data, Mapping):
        out.add((CONFIG_KEY,), f"expected a JSON object of tenant id -> entry, got {shown(data)}",
                "e.g. {\"tax-bureau\": {\"slot\": 0, \"cidr\": \"10.100.0.0/24\", \"flows\": []}}")
        out.raise_if_any()
    tenants: list[AdmittedTenant] = []
    for tenant, entry in data.items():
        parsed = _tenant(tenant, entry, platform, out)
        if parsed is not None:
            tenants.append(parsed)
    _cross_problems(tenants, out)
    out.raise_if_any()
    return tuple(sorted(tenants, key=lambda item: item.slot))


def _tenant(tenant: Any, entry: Any, platform: Platform, out: Collector) -> AdmittedTenant | None:
    if not isinstance(tenant, str) or not ID_RE.fullmatch(tenant):
        out.add((CONFIG_KEY,), f"tenant id {shown(tenant)} is not a valid id",
                "ids are lower-case letters, digits and dashes, 3-20 characters (as in tenants/<id>.yaml)")
        return None
    path: tuple[PathPart, ...] = (CONFIG_KEY, tenant)
    if not isinstance(entry, Mapping):
        out.add(path, f"expected an object with slot, cidr and flows, got {shown(entry)}",
                "write the entry egov's bridge admission writes (open_tenant_flows)")
        return None
    before = len(out.problems)
    unknown = sorted(str(key) for key in entry if key not in ("slot", "cidr", "attachmentId", "flows"))
    if unknown:
        out.add(path, f"unknown field(s) {', '.join(shown(key) for key in unknown)}",
                "the fields are slot, cidr, attachmentId and flows")
    slot = entry.get("slot")
    if isinstance(slot, bool) or not isinstance(slot, int) or not 0 <= slot <= MAX_SLOT:
        out.add((*path, "slot"), f"slot {shown(slot)} is not a whole number in 0-{MAX_SLOT}",
                f"each admitted tenant takes a free slot 0-{MAX_SLOT}: its NACL rule numbers derive from it")
    cidr = parse_cidr(entry.get("cidr"))
    if isinstance(cidr, Invalid):
        out.add((*path, "cidr"), cidr.message, cidr.hint)
    elif platform.tenant_pool is None or not cidr.subnet_of(platform.tenant_pool):
        out.add((*path, "cidr"), f"{cidr} is outside the tenant pool {platform.tenant_pool}",
                "use the block the tenant ledger allocated (egov tenant plan)")
    attachment = entry.get("attachmentId")
    if attachment is not None and (not isinstance(attachment, str) or not ATTACHMENT_RE.fullmatch(attachment)):
        out.add((*path, "attachmentId"), f"{shown(attachment)} is not a transit-gateway attachment id",
                "use the tenant stack's attachmentId output (tgw-attach-...)")
    raw_flows = entry.get("flows")
    flows: list[BridgeTenantFlow] = []
    if not isinstance(raw_flows, list):
        out.add((*path, "flows"), f"expected a list of flows, got {shown(raw_flows)}", "write [] for none")
    elif len(raw_flows) > MAX_FLOWS_PER_TENANT:
        out.add((*path, "flows"), f"tenant {tenant} has {len(raw_flows)} flows; the bridge numbers at most "
                f"{MAX_FLOWS_PER_TENANT} per tenant", "merge flows to the same zone and protocol into one with "
                "several ports")
    else:
        for index, raw in enumerate(raw_flows):
            flow = _flow((*path, "flows", index), raw, out)
            if flow is not None:
                flows.append(flow)
        _duplicate_problems(path, flows, out)
    if len(out.problems) > before or not isinstance(cidr, IPv4Network):
        return None
    assert isinstance(slot, int)
    return AdmittedTenant(tenant, slot, str(cidr), attachment, tuple(flows))


def _flow(path: tuple[PathPart, ...], raw: Any, out: Collector) -> BridgeTenantFlow | None:
    if not isinstance(raw, Mapping):
        out.add(path, f"expected a flow object, got {shown(raw)}", "write direction, peer, protocol, ports, purpose")
        return None
    before = len(out.problems)
    unknown = sorted(str(key) for key in raw if key not in ("direction", "peer", "protocol", "ports", "purpose"))
    if unknown:
        out.add(path, f"unknown field(s) {', '.join(shown(key) for key in unknown)}",
                "the fields are direction, peer, protocol, ports and purpose")
    direction, peer, protocol = raw.get("direction"), raw.get("peer"), raw.get("protocol")
    if direction not in DIRECTIONS:
        out.add((*path, "direction"), f"{shown(direction)} is not inbound or outbound",
                "inbound: from the peer zone to the tenant; outbound: from the tenant to the peer zone")
    if peer == INTERNET:
        out.add((*path, "peer"), "a tenant flow with the Internet zone is never allowed: tenants live on the "
                "extranet side and must not become a path from the Internet to the extranet (EGV-01)",
                "publish through the shared zone: a flow between the tenant and 'shared'")
    elif peer not in PEER_ZONES:
        out.add((*path, "peer"), f"{shown(peer)} is not a zone tenants exchange traffic with",
                f"use {' or '.join(PEER_ZONES)}")
    if protocol not in PROTOCOLS:
        out.add((*path, "protocol"), f"{shown(protocol)} is not tcp or udp", "use tcp or udp")
    ports = raw.get("ports")
    if (not isinstance(ports, list) or not 1 <= len(ports) <= MAX_PORTS
            or any(isinstance(p, bool) or not isinstance(p, int) or not 1 <= p <= 65535 for p in ports)):
        out.add((*path, "ports"), f"expected 1-{MAX_PORTS} port numbers (1-65535), got {shown(ports)}",
                "e.g. [443]")
    elif len(set(ports)) != len(ports):
        out.add((*path, "ports"), "a port is listed twice", "list each port once")
    purpose = raw.get("purpose")
    if (not isinstance(purpose, str) or not purpose.strip() or len(purpose) > PURPOSE_MAX
            or not DESCRIPTION_RE.fullmatch(purpose)):
        out.add((*path, "purpose"), f"purpose {shown(purpose)} must be 1-{PURPOSE_MAX} ASCII characters a "
                "security-group rule description can hold", "copy the purpose from the tenant's plan")
    if len(out.problems) > before:
        return None
    assert isinstance(ports, list) and isinstance(purpose, str)
    return BridgeTenantFlow(str(direction), str(peer), str(protocol),
                            tuple(PortRange(port, port) for port in sorted(ports)), purpose.strip())


def _duplicate_problems(path: tuple[PathPart, ...], flows: list[BridgeTenantFlow], out: Collector) -> None:
    seen: dict[tuple[str, str, str, int], int] = {}
    for index, flow in enumerate(flows):
        for port in flow.ports:
            key = (flow.direction, flow.peer, flow.protocol, port.start)
            if key in seen:
                out.add((*path, "flows", index, "ports"), f"{flow.protocol} {port} {flow.direction} with "
                        f"{flow.peer} is already in flows[{seen[key]}]", "list each port once per zone")
            seen.setdefault(key, index)


def _cross_problems(tenants: list[AdmittedTenant], out: Collector) -> None:
    """Slots and blocks are each one tenant's: a shared slot would number two tenants' entries alike."""
    by_slot: dict[int, str] = {}
    for item in sorted(tenants, key=lambda t: t.tenant):
        if item.slot in by_slot:
            out.add((CONFIG_KEY, item.tenant, "slot"), f"slot {item.slot} is already tenant "
                    f"{by_slot[item.slot]}'s", "give each tenant a free slot (open_tenant_flows does)")
        by_slot.setdefault(item.slot, item.tenant)
    ordered = sorted(tenants, key=lambda t: t.tenant)
    for index, item in enumerate(ordered):
        block = IPv4Network(item.cidr)
        for other in ordered[:index]:
            if block.overlaps(IPv4Network(other.cidr)):
                out.add((CONFIG_KEY, item.tenant, "cidr"), f"{item.cidr} overlaps tenant {other.tenant}'s "
                        f"{other.cidr}", "each tenant has its own block from the ledger")


def raise_for(tenant: str, message: str, hint: str, file: str = f"bridge stack config {CONFIG_KEY}") -> None:
    """One problem about one tenant's entry, as a ``ConfigError``."""
    out = Collector(file)
    out.add((CONFIG_KEY, tenant), message, hint)
    raise ConfigError(out.problems)
