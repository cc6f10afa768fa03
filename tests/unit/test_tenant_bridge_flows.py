"""Admitted tenants' flows through the same flow compiler: what they add on the bridge side, how they are
numbered, and what is refused. Expected values are read from the request files and the platform file
themselves (plain YAML), never from the compiler's output."""

from __future__ import annotations

import re
from ipaddress import IPv4Network
from typing import Any

import pytest
import yaml

from infra.config import (
    FLOWS_FILE,
    PLATFORM_FILE,
    CompiledBridge,
    ConfigError,
    compile_bridge,
    load_flows,
    load_platform,
)
from infra.config.compiler import render_nftables
from infra.config.tenant_flows import AdmittedTenant, BridgeTenantFlow, parse_tenant_flows
from infra.config.tenant_request import load_request
from infra.hosts.harden import compile_ruleset
from infra.onboarding.bridge_admission import bridge_entry, free_slot
from infra.repository import REPO_ROOT
from infra.tenants.allocation import Allocation
from infra.tenants.plan import TenantPlan, make_plan

PLATFORM = load_platform(PLATFORM_FILE)
FLOWS = load_flows(FLOWS_FILE, PLATFORM)
RAW_PLATFORM = yaml.safe_load(PLATFORM_FILE.read_text())
ZONE_CIDR = {name: zone["cidr"] for name, zone in RAW_PLATFORM["zones"].items()}
BLOCKS = {"tax-bureau": "10.100.0.0/24", "health-comm": "10.100.2.0/23"}
ATTACHMENTS = {"tax-bureau": "tgw-attach-0000000000000000a", "health-comm": "tgw-attach-0000000000000000b"}


def raw_flows(tenant: str) -> list[dict[str, Any]]:
    return list(yaml.safe_load((REPO_ROOT / "tenants" / f"{tenant}.yaml").read_text())["flows"])


def plan_of(tenant: str) -> TenantPlan:
    request = load_request(REPO_ROOT / "tenants" / f"{tenant}.yaml", PLATFORM)
    allocation = Allocation(tenant, IPv4Network(BLOCKS[tenant]), request.name_en, request.name_zh, "x@y.z",
                            "2026-12-07T03:00:00+00:00", new=True)
    return make_plan(request, allocation, PLATFORM)


def admitted(*tenants: str, slots: dict[str, int] | None = None) -> tuple[AdmittedTenant, ...]:
    slots = slots or {tenant: index for index, tenant in enumerate(tenants)}
    return parse_tenant_flows({t: bridge_entry(plan_of(t), slots[t], ATTACHMENTS[t]) for t in tenants}, PLATFORM)


def compiled(*tenants: str, slots: dict[str, int] | None = None, limit: int = 40) -> CompiledBridge:
    return compile_bridge(PLATFORM, FLOWS, tenants=admitted(*tenants, slots=slots), acl_entry_limit=limit)


def peer_and_tenant_ends(flow: dict[str, Any]) -> tuple[str, bool]:
    """(the platform zone, whether the flow goes into the tenant)."""
    inbound = flow["destination"] == "tenant"
    return (flow["source"] if inbound else flow["destination"]), inbound


def test_zone_security_group_rules_towards_the_tenant_block_are_exactly_its_flows() -> None:
    plan = compiled("tax-bureau")
    block = BLOCKS["tax-bureau"]
    expected = set()
    for flow in raw_flows("tax-bureau"):
        zone, inbound = peer_and_tenant_ends(flow)
        for port in flow["ports"]:
            expected.add((f"{zone}-flows-sg", "egress" if inbound else "ingress", flow["protocol"], port, port))
    got = {(r.security_group, r.direction, r.protocol, r.from_port, r.to_port)
           for r in plan.security_group_rules if r.cidr == block and r.security_group != "bridge-flows-sg"}
    assert got == expected


def test_bridge_security_group_passes_the_tenant_flows_in_and_out() -> None:
    plan = compiled("tax-bureau")
    block = BLOCKS["tax-bureau"]
    bridge = {(r.direction, r.cidr, r.protocol, r.from_port) for r in plan.security_group_rules
              if r.security_group == "bridge-flows-sg"}
    for flow in raw_flows("tax-bureau"):
        zone, inbound = peer_and_tenant_ends(flow)
        src, dst = (ZONE_CIDR[zone], block) if inbound else (block, ZONE_CIDR[zone])
        for port in flow["ports"]:
            assert ("ingress", src, flow["protocol"], port) in bridge
            assert ("egress", dst, flow["protocol"], port) in bridge
    # nothing to or from the block on a port the request does not name
    declared = {(f["protocol"], p) for f in raw_flows("tax-bureau") for p in f["ports"]}
    assert {(p, port) for _d, c, p, port in bridge if c == block} == declared


def test_inspection_acl_entries_for_the_tenant_use_its_slot_numbers() -> None:
    plan = compiled("tax-bureau", "health-comm", slots={"tax-bureau": 3, "health-comm": 0})
    block = BLOCKS["tax-bureau"]
    entries = [e for e in plan.network_acl_entries if e.network_acl == "bridge-inspection-acl" and e.cidr == block]
    expected = set()
    for index, flow in enumerate(raw_flows("tax-bureau")):
        base = 30100 + 3 * 100 + index * 10  # slot 3, the flow's position in the request
        _zone, inbound = peer_and_tenant_ends(flow)
        for port_slot, port in enumerate(sorted(flow["ports"]), start=1):
            if not inbound:  # the tenant sends: forward traffic enters the inspection subnet from its block
                expected.add((False, base + port_slot, flow["protocol"], port, port))
            else:  # the tenant receives: forward traffic leaves towards its block
                expected.add((True, base + port_slot, flow["protocol"], port, port))
        # and the replies, on ephemeral ports, in the other direction
        expected.add((not inbound, base, flow["protocol"], 1024, 65535))
    assert {(e.egress, e.rule_number, e.protocol, e.from_port, e.to_port) for e in entries} == expected


def test_zone_acls_admit_the_tenant_block_only_on_its_flows() -> None:
    plan = compiled("tax-bureau")
    block = BLOCKS["tax-bureau"]
    got: dict[str, set[tuple[bool, str, int | None]]] = {}
    for entry in plan.network_acl_entries:
        if entry.cidr == block and entry.network_acl != "bridge-inspection-acl":
            got.setdefault(entry.network_acl, set()).add((entry.egress, entry.protocol, entry.from_port))
    expected: dict[str, set[tuple[bool, str, int | None]]] = {}
    for flow in raw_flows("tax-bureau"):
        zone, inbound = peer_and_tenant_ends(flow)
        for port in flow["ports"]:
            expected.setdefault(f"{zone}-flows-acl", set()).add((inbound, flow["protocol"], port))
        expected[f"{zone}-flows-acl"].add((not inbound, flow["protocol"], 1024))
    assert got == expected
    assert "internet-flows-acl" not in got and "management-flows-acl" not in got


def test_transit_routes_back_to_the_tenant_block() -> None:
    plan = compiled("tax-bureau")
    block = BLOCKS["tax-bureau"]
    zones = {peer_and_tenant_ends(flow)[0] for flow in raw_flows("tax-bureau")}
    routes = {(r.route_table, r.attachment) for r in plan.routes if r.destination_cidr == block}
    # each peer zone sends the block to the bridge; the bridge sends it to the tenant's attachment
    assert routes == {(f"{zone}-tgw-rt", "bridge") for zone in zones} | {("bridge-tgw-rt", "tenant.tax-bureau")}


def test_the_platform_flows_are_untouched_by_an_admitted_tenant() -> None:
    alone = compile_bridge(PLATFORM, FLOWS).resources()
    with_tenant = compiled("tax-bureau").resources()
    assert {name: with_tenant[name] for name in alone} == alone


def test_admitting_a_second_tenant_leaves_the_first_tenants_rules_as_they_were() -> None:
    first = compiled("tax-bureau", slots={"tax-bureau": 0}).for_tenant("tax-bureau")
    both = compiled("tax-bureau", "health-comm", slots={"tax-bureau": 0, "health-comm": 1})
    assert both.for_tenant("tax-bureau") == first
    assert set(both.resources()) >= set(first)
    # and closing the first leaves the second's as they were
    second = both.for_tenant("health-comm")
    assert compiled("health-comm", slots={"health-comm": 1}).for_tenant("health-comm") == second


def test_tenant_numbers_never_meet_flows_yaml_numbers_or_another_tenants() -> None:
    platform_numbers = {e.rule_number for e in compile_bridge(PLATFORM, FLOWS).network_acl_entries}
    plan = compiled("tax-bureau", "health-comm")
    tenant_numbers: dict[str, set[tuple[str, bool, int]]] = {}
    for name, item in plan.resources().items():
        owner = dict(plan.added_by).get(name)
        if owner and hasattr(item, "rule_number"):
            tenant_numbers.setdefault(owner, set()).add((item.network_acl, item.egress, item.rule_number))
    assert set(tenant_numbers) == {"tax-bureau", "health-comm"}
    for keys in tenant_numbers.values():
        assert all(30100 <= number <= 32099 and number not in platform_numbers for _a, _e, number in keys)
    assert not tenant_numbers["tax-bureau"] & tenant_numbers["health-comm"]
    max_id = max(flow["id"] for flow in yaml.safe_load(FLOWS_FILE.read_text())["flows"])
    assert max(platform_numbers) < 30100 and max_id * 10 + 9 < 30100


def test_nftables_accepts_exactly_the_tenant_flows() -> None:
    plan = compiled("tax-bureau")
    block = BLOCKS["tax-bureau"]
    lines = [line.strip() for line in plan.nftables.splitlines() if block in line]
    expected = []
    for flow in raw_flows("tax-bureau"):
        zone, inbound = peer_and_tenant_ends(flow)
        src, dst = (ZONE_CIDR[zone], block) if inbound else (block, ZONE_CIDR[zone])
        ports = ", ".join(str(p) for p in sorted(flow["ports"]))
        expected.append(f"ip saddr {src} ip daddr {dst} {flow['protocol']} dport {ports}")
    assert [line.split(" ct state")[0] for line in lines] == expected
    assert plan.nftables.rstrip().endswith("}")  # the drop rule still comes after every accept
    assert plan.nftables.index(block) < plan.nftables.index('drop comment "not in the flow allowlist"')


def test_the_gateway_ruleset_for_the_hosts_includes_the_admitted_tenants() -> None:
    tenants = admitted("tax-bureau")
    ruleset = compile_ruleset(tenants=tenants)
    assert f"ip daddr {BLOCKS['tax-bureau']} tcp dport 8443" in ruleset
    assert BLOCKS["tax-bureau"] not in compile_ruleset()
    cidr = {name: str(network.cidr) for name, network in PLATFORM.networks().items()}
    assert render_nftables(FLOWS.by_id(), cidr, tenants=tenants) == compiled("tax-bureau").nftables


def test_internet_peer_is_refused_with_the_isolation_rule() -> None:
    entry = bridge_entry(plan_of("tax-bureau"), 0, ATTACHMENTS["tax-bureau"])
    entry["flows"][0]["peer"] = "internet"
    with pytest.raises(ConfigError) as caught:
        parse_tenant_flows({"tax-bureau": entry}, PLATFORM)
    (problem,) = caught.value.problems
    assert problem.field == "tenantFlows.tax-bureau.flows[0].peer"
    assert "must not become a path from the Internet to the extranet (EGV-01)" in problem.message


def test_a_hand_built_tenant_cannot_bypass_the_checks() -> None:
    rogue = AdmittedTenant("rogue-dept", 0, "10.100.9.0/24", None,
                           (BridgeTenantFlow("inbound", "internet", "tcp", (), "x"),))
    with pytest.raises(ConfigError, match="EGV-01"):
        compile_bridge(PLATFORM, FLOWS, tenants=(rogue,))
    outside = AdmittedTenant("rogue-dept", 0, "10.20.5.0/24", None, ())  # inside the extranet zone
    with pytest.raises(ConfigError, match=re.escape("outside the tenant pool 10.100.0.0/16")):
        compile_bridge(PLATFORM, FLOWS, tenants=(outside,))


@pytest.mark.parametrize(("change", "field", "message"), [
    (lambda e: e.update(slot=20), "tenantFlows.tax-bureau.slot", "is not a whole number in 0-19"),
    (lambda e: e.update(cidr="10.100.2.0/24"), "tenantFlows.tax-bureau.cidr", "overlaps tenant health-comm"),
    (lambda e: e.update(slot=1), "tenantFlows.tax-bureau.slot", "slot 1 is already tenant health-comm's"),
    (lambda e: e.update(attachmentId="vpc-123; rm -rf /"), "tenantFlows.tax-bureau.attachmentId",
     "is not a transit-gateway attachment id"),
    (lambda e: e["flows"][0].update(ports=[8443, 8443]), "tenantFlows.tax-bureau.flows[0].ports", "listed twice"),
    (lambda e: e["flows"][0].update(protocol="icmp"), "tenantFlows.tax-bureau.flows[0].protocol", "not tcp or udp"),
    (lambda e: e["flows"][0].update(direction="both"), "tenantFlows.tax-bureau.flows[0].direction", "inbound"),
    (lambda e: e["flows"][0].update(purpose="x\n\"; drop"), "tenantFlows.tax-bureau.flows[0].purpose", "ASCII"),
    (lambda e: e.update(flows=e["flows"] * 4), "tenantFlows.tax-bureau.flows", "at most 10 per tenant"),
    (lambda e: e.update(extra=1), "tenantFlows.tax-bureau", "unknown field"),
])
def test_bad_entries_are_refused_with_their_field(change: Any, field: str, message: str) -> None:
    entries = {t: bridge_entry(plan_of(t), i, ATTACHMENTS[t]) for i, t in enumerate(("tax-bureau", "health-comm"))}
    change(entries["tax-bureau"])
    with pytest.raises(ConfigError) as caught:
        parse_tenant_flows(entries, PLATFORM)
    assert any(p.field == field and message in p.message for p in caught.value.problems), caught.value


def test_bad_config_text_is_refused_precisely() -> None:
    with pytest.raises(ConfigError, match="tenantFlows: is not JSON"):
        parse_tenant_flows("{not json", PLATFORM)
    with pytest.raises(ConfigError, match=re.escape("tenant id '../etc' is not a valid id")):
        parse_tenant_flows({"../etc": {}}, PLATFORM)
    assert parse_tenant_flows("", PLATFORM) == ()


def test_a_tenant_over_the_acl_quota_is_named_and_nothing_compiles() -> None:
    # flows.yaml alone uses 15 ingress and 16 egress entries of the inspection ACL; the first tenant adds 4 and 3
    # (counted in the test above), the second 2 more each: over the default 20.
    compiled("tax-bureau", limit=20)
    with pytest.raises(ConfigError) as caught:
        compiled("tax-bureau", "health-comm", limit=20)
    assert [(p.field, p.message.split(";")[0]) for p in caught.value.problems] == [
        ("tenantFlows.health-comm", "network ACL bridge-inspection-acl would hold 21 egress entries with the "
         "admitted tenants' flows (tenant tax-bureau 3, tenant health-comm 2)"),
        ("tenantFlows.health-comm", "network ACL bridge-inspection-acl would hold 21 ingress entries with the "
         "admitted tenants' flows (tenant tax-bureau 4, tenant health-comm 2)"),
    ]


def test_slots_are_kept_and_the_lowest_free_one_is_taken() -> None:
    entries: dict[str, Any] = {"a-dept": {"slot": 0}, "c-dept": {"slot": 2}}
    assert free_slot(entries, "b-dept") == 1
    assert free_slot(entries, "c-dept") == 2
    full = {f"t{n:02d}-x": {"slot": n} for n in range(20)}
    with pytest.raises(ConfigError, match="all 20 bridge slots are taken"):
        free_slot(full, "late-dept")


def test_entry_round_trips_through_the_config() -> None:
    entry = bridge_entry(plan_of("tax-bureau"), 0, ATTACHMENTS["tax-bureau"])
    (tenant,) = parse_tenant_flows({"tax-bureau": entry}, PLATFORM)
    assert tenant.to_json() == entry
    assert [f["ports"] for f in entry["flows"]] == [f["ports"] for f in raw_flows("tax-bureau")]


def test_two_tenants_with_the_same_flows_each_keep_their_own_entries() -> None:
    """Entries two tenants would both need (extranet -> tcp 8443 is in no platform flow) are not shared: else
    closing the first would renumber the second's."""
    entry = bridge_entry(plan_of("tax-bureau"), 0, ATTACHMENTS["tax-bureau"])
    twin = {**entry, "slot": 1, "cidr": "10.100.1.0/24", "attachmentId": ATTACHMENTS["health-comm"]}
    both = compile_bridge(PLATFORM, FLOWS, tenants=parse_tenant_flows({"tax-bureau": entry, "twin-dept": twin},
                                                                       PLATFORM), acl_entry_limit=40)
    twin_alone = compile_bridge(PLATFORM, FLOWS, tenants=parse_tenant_flows({"twin-dept": twin}, PLATFORM),
                                acl_entry_limit=40)
    entries = {(e.network_acl, e.egress, e.rule_number, e.cidr, e.from_port) for e in both.network_acl_entries}
    assert entries >= {(e.network_acl, e.egress, e.rule_number, e.cidr, e.from_port)
                       for e in twin_alone.network_acl_entries}
    assert ("bridge-inspection-acl", False, 30101, ZONE_CIDR["extranet"], 8443) in entries  # tax-bureau's
    assert ("bridge-inspection-acl", False, 30201, ZONE_CIDR["extranet"], 8443) in entries  # twin's own
