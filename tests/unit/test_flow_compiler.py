"""The flow compiler: what the allowlist turns into, and that appending a flow only ever adds."""

from __future__ import annotations

import dataclasses
import json
import shutil
import subprocess
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import yaml

from infra.config import (
    FLOWS_FILE,
    PLATFORM_FILE,
    CompiledBridge,
    ConfigError,
    FlowAllowlist,
    NetworkAclEntry,
    Platform,
    Problem,
    SecurityGroupRule,
    compile_bridge,
    load_flows,
    load_platform,
    validate_flows,
    validate_platform,
)

PLATFORM_YAML = """\
region: cn-north-1
availability_zones: [cn-north-1a, cn-north-1b]
zones:
  extranet:
    cidr: 10.20.0.0/16
    subnets:
      app: {cn-north-1a: 10.20.0.0/24, cn-north-1b: 10.20.1.0/24}
      data: {cn-north-1a: 10.20.10.0/24, cn-north-1b: 10.20.11.0/24}
  internet:
    cidr: 10.30.0.0/16
    internet_gateway: true
    subnets:
      web: {cn-north-1a: 10.30.0.0/24, cn-north-1b: 10.30.1.0/24}
  management:
    cidr: 10.40.0.0/16
    subnets:
      admin: {cn-north-1a: 10.40.0.0/24, cn-north-1b: 10.40.1.0/24}
  shared:
    cidr: 10.50.0.0/16
    subnets:
      app: {cn-north-1a: 10.50.0.0/24, cn-north-1b: 10.50.1.0/24}
bridge:
  cidr: 10.60.0.0/20
  subnets:
    inspection: {cn-north-1a: 10.60.0.0/24, cn-north-1b: 10.60.1.0/24}
    attachment: {cn-north-1a: 10.60.15.0/28, cn-north-1b: 10.60.15.16/28}
"""


def flow(id: int, name: str, source: str, destination: str, protocol: str, ports: Any = None) -> dict[str, Any]:
    item: dict[str, Any] = {
        "id": id,
        "name": name,
        "source": source,
        "destination": destination,
        "protocol": protocol,
        "purpose": f"Purpose of {name}",
        "owner": "Operations Centre",
    }
    if ports is not None:
        item["ports"] = ports
    return item


FLOWS = [
    flow(1, "extranet-to-shared-api", "extranet", "shared", "tcp", 443),
    flow(2, "extranet-to-shared-dns", "extranet", "shared", "udp", 53),
    flow(3, "internet-to-shared-exchange", "internet", "shared", "tcp", [443, "8443-8444"]),
    flow(4, "management-ssh-extranet", "management", "extranet", "tcp", 22),
    flow(5, "management-ping-shared", "management", "shared", "icmp"),
]


@pytest.fixture(scope="module")
def platform() -> Platform:
    return validate_platform(yaml.safe_load(PLATFORM_YAML), "platform.yaml")


def compiled(platform: Platform, flows: list[dict[str, Any]]) -> CompiledBridge:
    return compile_bridge(platform, validate_flows({"flows": flows}, platform, "flows.yaml"))


@pytest.fixture(scope="module")
def plan(platform: Platform) -> CompiledBridge:
    return compiled(platform, FLOWS)


# -- the committed sample -------------------------------------------------------------------------


def test_committed_sample_compiles() -> None:
    platform = load_platform(PLATFORM_FILE)
    allowlist = load_flows(FLOWS_FILE, platform)
    result = compile_bridge(platform, allowlist)
    assert result.security_group_rules and result.network_acl_entries and result.routes
    assert {rule.flow for rule in result.security_group_rules if rule.flow} == {item.name for item in allowlist.flows}
    assert result.nftables.count("ct state new counter accept") == len(allowlist.flows)
    json.dumps(result.to_dict())  # plain data, ready for Ansible variables


# -- shape of the plan -------------------------------------------------------------------------------


def test_every_resource_name_is_unique(plan: CompiledBridge) -> None:
    total = sum(
        len(group)
        for group in (
            plan.security_groups,
            plan.security_group_rules,
            plan.network_acls,
            plan.network_acl_entries,
            plan.route_tables,
            plan.routes,
        )
    )
    assert len(plan.resources()) == total


def test_one_security_group_acl_and_route_table_per_network(plan: CompiledBridge) -> None:
    networks = ["extranet", "internet", "management", "shared", "bridge"]
    assert [group.name for group in plan.security_groups] == [f"{name}-flows-sg" for name in networks]
    assert [table.name for table in plan.route_tables] == [f"{name}-tgw-rt" for name in networks]
    acls = {acl.name: acl.tiers for acl in plan.network_acls}
    assert acls == {
        "extranet-flows-acl": ("app", "data"),
        "internet-flows-acl": ("web",),
        "management-flows-acl": ("admin",),
        "shared-flows-acl": ("app",),
        "bridge-inspection-acl": ("inspection",),
        "bridge-edge-acl": ("attachment",),
    }


def test_the_bridge_edge_acl_lets_the_zones_in_and_nothing_else(plan: CompiledBridge) -> None:
    """The attachment tier leaves the VPC's default ACL (allow all from anywhere): every protocol from and to
    each zone's CIDR, read from PLATFORM_YAML, on baseline numbers no flow uses."""
    edge = [(e.egress, e.rule_number, e.protocol, e.cidr, e.rule_action) for e in plan.network_acl_entries
            if e.network_acl == "bridge-edge-acl"]
    zones = [("extranet", "10.20.0.0/16"), ("internet", "10.30.0.0/16"), ("management", "10.40.0.0/16"),
             ("shared", "10.50.0.0/16")]
    assert edge == [(False, 30010 + 10 * i, "-1", cidr, "allow") for i, (_, cidr) in enumerate(zones)] + [
        (True, 30010 + 10 * i, "-1", cidr, "allow") for i, (_, cidr) in enumerate(zones)]
    assert all(e.rule_number < 30010 for e in plan.network_acl_entries if e.network_acl != "bridge-edge-acl")


def test_zone_rules_of_a_flow(plan: CompiledBridge) -> None:
    rules = [rule for rule in plan.for_flow("internet-to-shared-exchange") if isinstance(rule, SecurityGroupRule)]
    description = "internet-to-shared-exchange: Purpose of internet-to-shared-exchange"
    assert rules == [
        SecurityGroupRule(
            "shared-flows-sg-in-internet-to-shared-exchange-tcp-443",
            "shared-flows-sg", "shared", "ingress", "tcp", 443, 443, "10.30.0.0/16", description,
            "internet-to-shared-exchange",
        ),
        SecurityGroupRule(
            "internet-flows-sg-out-internet-to-shared-exchange-tcp-443",
            "internet-flows-sg", "internet", "egress", "tcp", 443, 443, "10.50.0.0/16", description,
            "internet-to-shared-exchange",
        ),
        SecurityGroupRule(
            "shared-flows-sg-in-internet-to-shared-exchange-tcp-8443-8444",
            "shared-flows-sg", "shared", "ingress", "tcp", 8443, 8444, "10.30.0.0/16", description,
            "internet-to-shared-exchange",
        ),
        SecurityGroupRule(
            "internet-flows-sg-out-internet-to-shared-exchange-tcp-8443-8444",
            "internet-flows-sg", "internet", "egress", "tcp", 8443, 8444, "10.50.0.0/16", description,
            "internet-to-shared-exchange",
        ),
    ]  # fmt: skip


def test_bridge_rules_are_shared_by_flows_with_the_same_match(plan: CompiledBridge) -> None:
    bridge = {rule.name: rule for rule in plan.security_group_rules if rule.network == "bridge"}
    # extranet-to-shared-api and internet-to-shared-exchange both leave the bridge towards shared on tcp 443.
    assert bridge["bridge-flows-sg-out-shared-tcp-443"] == SecurityGroupRule(
        "bridge-flows-sg-out-shared-tcp-443",
        "bridge-flows-sg", "bridge", "egress", "tcp", 443, 443, "10.50.0.0/16",
        "bridge transit to shared: tcp-443 (see the flow allowlist)", None,
    )  # fmt: skip
    keys = Counter((rule.direction, rule.cidr, rule.protocol, rule.from_port, rule.to_port) for rule in bridge.values())
    assert max(keys.values()) == 1  # the cloud refuses identical rules in one group


def test_icmp_is_echo_request_out_and_echo_reply_back(plan: CompiledBridge) -> None:
    items = plan.for_flow("management-ping-shared")
    rules = [item for item in items if isinstance(item, SecurityGroupRule)]
    assert {(rule.name, rule.from_port, rule.to_port) for rule in rules} == {
        ("shared-flows-sg-in-management-ping-shared-icmp-echo", 8, -1),
        ("management-flows-sg-out-management-ping-shared-icmp-echo", 8, -1),
    }
    entries = [item for item in items if isinstance(item, NetworkAclEntry)]
    assert {(entry.traffic, entry.icmp_type, entry.icmp_code, entry.from_port) for entry in entries} == {
        ("forward", 8, -1, None),
        ("return", 0, -1, None),
    }


def test_acl_entries_of_a_flow(plan: CompiledBridge) -> None:
    entries = [item for item in plan.for_flow("management-ssh-extranet") if isinstance(item, NetworkAclEntry)]
    summary = [
        (entry.name, entry.rule_number, entry.cidr, entry.from_port, entry.to_port, entry.traffic) for entry in entries
    ]
    assert summary == [
        ("bridge-inspection-acl-ingress-40", 40, "10.20.0.0/16", 1024, 65535, "return"),
        ("bridge-inspection-acl-ingress-41", 41, "10.40.0.0/16", 22, 22, "forward"),
        ("bridge-inspection-acl-egress-40", 40, "10.40.0.0/16", 1024, 65535, "return"),
        ("bridge-inspection-acl-egress-41", 41, "10.20.0.0/16", 22, 22, "forward"),
        ("extranet-flows-acl-ingress-41", 41, "10.40.0.0/16", 22, 22, "forward"),
        ("extranet-flows-acl-egress-40", 40, "10.40.0.0/16", 1024, 65535, "return"),
        ("management-flows-acl-ingress-40", 40, "10.20.0.0/16", 1024, 65535, "return"),
        ("management-flows-acl-egress-41", 41, "10.20.0.0/16", 22, 22, "forward"),
    ]


def test_an_acl_entry_is_shared_and_numbered_by_the_first_flow_that_needs_it(plan: CompiledBridge) -> None:
    # Flows 1 and 3 both send tcp 443 to shared: the inspection subnet lets it out once, under flow 1's number.
    out_443 = [
        entry
        for entry in plan.network_acl_entries
        if entry.name.startswith("bridge-inspection-acl-egress")
        and entry.cidr == "10.50.0.0/16"
        and entry.from_port == 443
    ]
    assert [(entry.rule_number, entry.flow) for entry in out_443] == [(11, "extranet-to-shared-api")]


def test_acl_rule_numbers_are_unique_per_acl_and_direction(plan: CompiledBridge) -> None:
    keys = Counter((entry.network_acl, entry.egress, entry.rule_number) for entry in plan.network_acl_entries)
    assert max(keys.values()) == 1
    assert all(10 <= entry.rule_number <= 30009 for entry in plan.network_acl_entries if entry.flow)
    assert all(entry.rule_number >= 30010 for entry in plan.network_acl_entries if not entry.flow)


def test_multi_port_flow_takes_consecutive_slots(plan: CompiledBridge) -> None:
    forward = [
        (entry.rule_number, entry.from_port, entry.to_port)
        for entry in plan.network_acl_entries
        if entry.network_acl == "shared-flows-acl" and not entry.egress and entry.flow == "internet-to-shared-exchange"
    ]
    assert forward == [(31, 443, 443), (32, 8443, 8444)]


# -- isolation and only what is declared ------------------------------------------------------------


def test_routes(plan: CompiledBridge) -> None:
    routes = [(route.name, route.destination_cidr, route.attachment) for route in plan.routes]
    assert routes == [
        ("bridge-tgw-rt-to-extranet", "10.20.0.0/16", "extranet"),
        ("bridge-tgw-rt-to-internet", "10.30.0.0/16", "internet"),
        ("bridge-tgw-rt-to-management", "10.40.0.0/16", "management"),
        ("bridge-tgw-rt-to-shared", "10.50.0.0/16", "shared"),
        ("extranet-tgw-rt-to-management", "10.40.0.0/16", "bridge"),
        ("extranet-tgw-rt-to-shared", "10.50.0.0/16", "bridge"),
        ("internet-tgw-rt-to-shared", "10.50.0.0/16", "bridge"),
        ("management-tgw-rt-to-extranet", "10.20.0.0/16", "bridge"),
        ("management-tgw-rt-to-shared", "10.50.0.0/16", "bridge"),
        ("shared-tgw-rt-to-extranet", "10.20.0.0/16", "bridge"),
        ("shared-tgw-rt-to-internet", "10.30.0.0/16", "bridge"),
        ("shared-tgw-rt-to-management", "10.40.0.0/16", "bridge"),
    ]


def test_internet_zone_never_reaches_the_extranet() -> None:
    platform = load_platform(PLATFORM_FILE)
    plan = compile_bridge(platform, load_flows(FLOWS_FILE, platform))
    extranet, internet = str(platform.zones["extranet"].cidr), str(platform.zones["internet"].cidr)
    assert not [
        route for route in plan.routes if route.route_table == "internet-tgw-rt" and route.destination_cidr == extranet
    ]
    assert not [
        route for route in plan.routes if route.route_table == "extranet-tgw-rt" and route.destination_cidr == internet
    ]
    for rule in plan.security_group_rules:
        assert (rule.network, rule.cidr) not in (("extranet", internet), ("internet", extranet))
    for entry in plan.network_acl_entries:
        assert (entry.network_acl, entry.cidr) not in (
            ("extranet-flows-acl", internet),
            ("internet-flows-acl", extranet),
        )
    for line in plan.nftables.splitlines():
        assert not (
            f"ip saddr {internet} ip daddr {extranet}" in line or f"ip saddr {extranet} ip daddr {internet}" in line
        )


def test_zones_without_a_flow_between_them_get_no_route(plan: CompiledBridge) -> None:
    pairs = {frozenset((f["source"], f["destination"])) for f in FLOWS}
    for route in plan.routes:
        if route.route_table != "bridge-tgw-rt":
            assert frozenset((route.route_table.removesuffix("-tgw-rt"), route.destination)) in pairs
    tables = {route.route_table for route in plan.routes}
    assert "internet-tgw-rt" in tables
    assert not [
        route for route in plan.routes if {route.route_table, route.destination} == {"internet-tgw-rt", "management"}
    ]


def test_only_declared_flows_appear(plan: CompiledBridge) -> None:
    declared = {f["name"] for f in FLOWS}
    assert {rule.flow for rule in plan.security_group_rules if rule.flow is not None} == declared
    assert {entry.flow for entry in plan.network_acl_entries if entry.network_acl != "bridge-edge-acl"} <= declared
    assert {entry.flow for entry in plan.network_acl_entries if entry.network_acl == "bridge-edge-acl"} == {""}
    assert plan.nftables.count("ct state new counter accept") == len(FLOWS)


def test_no_flows_no_rules(platform: Platform) -> None:
    empty = compiled(platform, [])
    assert (empty.security_group_rules, empty.routes) == ((), ())
    # only the bridge edge ACL's zone entries, which no flow depends on
    assert {entry.network_acl for entry in empty.network_acl_entries} == {"bridge-edge-acl"}
    assert len(empty.security_groups) == 5  # the groups exist, empty: deny by default


# -- stability ---------------------------------------------------------------------------------------


def added_and_changed(before: CompiledBridge, after: CompiledBridge) -> tuple[list[str], list[str]]:
    old, new = before.resources(), after.resources()
    assert set(old) <= set(new), f"removed: {sorted(set(old) - set(new))}"
    changed = [name for name in old if old[name] != new[name]]
    return sorted(set(new) - set(old)), changed


def test_appending_a_flow_adds_exactly_its_resources(platform: Platform, plan: CompiledBridge) -> None:
    appended = compiled(platform, [*FLOWS, flow(6, "management-ssh-shared", "management", "shared", "tcp", 22)])
    added, changed = added_and_changed(plan, appended)
    assert changed == []
    assert added == [
        "bridge-flows-sg-out-shared-tcp-22",
        "bridge-inspection-acl-egress-61",
        "management-flows-acl-egress-61",
        "management-flows-acl-ingress-60",
        "management-flows-sg-out-management-ssh-shared-tcp-22",
        "shared-flows-acl-egress-60",
        "shared-flows-acl-ingress-61",
        "shared-flows-sg-in-management-ssh-shared-tcp-22",
    ]


def test_appending_a_flow_between_new_zones_adds_its_routes(platform: Platform, plan: CompiledBridge) -> None:
    appended = compiled(platform, [*FLOWS, flow(6, "management-ssh-internet", "management", "internet", "tcp", 22)])
    added, changed = added_and_changed(plan, appended)
    assert changed == []
    assert [name for name in added if "tgw" in name] == [
        "internet-tgw-rt-to-management",
        "management-tgw-rt-to-internet",
    ]
    new_lines = [line for line in appended.nftables.splitlines() if line not in plan.nftables.splitlines()]
    assert new_lines == [
        "\t\t# [6] management-ssh-internet: Purpose of management-ssh-internet (owner: Operations Centre)",
        "\t\tip saddr 10.40.0.0/16 ip daddr 10.30.0.0/16 tcp dport 22 ct state new counter accept "
        'comment "management-ssh-internet"',
    ]
    assert [line for line in appended.nftables.splitlines() if line not in new_lines] == plan.nftables.splitlines()


def test_renaming_a_flow_keeps_acl_entries_in_place(platform: Platform, plan: CompiledBridge) -> None:
    renamed = [dict(item) for item in FLOWS]
    renamed[3]["name"] = "bastion-ssh-extranet"
    after = compiled(platform, renamed)
    acl_names = {entry.name for entry in plan.network_acl_entries}
    assert {entry.name for entry in after.network_acl_entries} == acl_names
    moved = {entry.name for entry in after.network_acl_entries if entry.flow == "bastion-ssh-extranet"}
    assert moved == {entry.name for entry in plan.network_acl_entries if entry.flow == "management-ssh-extranet"}


def test_compiling_is_deterministic(platform: Platform, plan: CompiledBridge) -> None:
    shuffled = list(reversed(FLOWS))
    assert compiled(platform, shuffled) == plan


# -- refusals -------------------------------------------------------------------------------------


def test_hand_built_allowlist_cannot_bypass_isolation(platform: Platform) -> None:
    allowlist = FlowAllowlist.model_validate({"flows": [flow(1, "backdoor", "internet", "extranet", "tcp", 443)]})
    with pytest.raises(ConfigError) as caught:
        compile_bridge(platform, allowlist)
    assert [(problem.file, problem.field) for problem in caught.value.problems] == [("<flows>", "flows[0].source")]


def test_hand_built_platform_is_rechecked(platform: Platform) -> None:
    data = yaml.safe_load(PLATFORM_YAML)
    data["zones"]["shared"]["cidr"] = "10.20.0.0/16"
    broken = Platform.model_validate(data)
    with pytest.raises(ConfigError) as caught:
        compile_bridge(broken, FlowAllowlist(flows=()))
    assert "zones.shared.cidr" in [problem.field for problem in caught.value.problems]


def test_plans_that_exceed_the_acl_quota_are_refused(platform: Platform) -> None:
    many = [flow(i, f"api-{i}", "extranet", "shared", "tcp", 9000 + i) for i in range(1, 21)]
    with pytest.raises(ConfigError) as caught:
        compiled(platform, many)
    assert caught.value.problems[0] == Problem(
        "flows.yaml",
        "flows",
        "network ACL bridge-inspection-acl would hold 21 egress entries; the limit is 20",
        "merge flows that share zones and ports, or raise the cloud quota and the compiler's limit",
    )
    raised = compile_bridge(platform, validate_flows({"flows": many}, platform), acl_entry_limit=40)
    assert len(raised.network_acl_entries) > 20


def test_plan_is_frozen(plan: CompiledBridge) -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        plan.routes[0].destination_cidr = "0.0.0.0/0"  # type: ignore[misc]


# -- nftables ----------------------------------------------------------------------------------------

GOLDEN_NFTABLES = """\
#!/usr/sbin/nft -f
# Bridge gateway forward filter, compiled from the flow allowlist by infra.config.compiler.
# Generated: do not edit by hand. Anything not accepted below is logged and dropped.

# Replace only our table, atomically: create it if missing, then delete and redefine it.
table inet egov_bridge
delete table inet egov_bridge

table inet egov_bridge {
\tchain forward {
\t\ttype filter hook forward priority filter; policy drop;
\t\tct state established,related accept comment "replies of allowed flows"
\t\tct state invalid counter log prefix "egov-bridge invalid: " level warn drop comment "invalid state"
\t\t# [1] extranet-to-shared-api: Purpose of extranet-to-shared-api (owner: Operations Centre)
\t\tip saddr 10.20.0.0/16 ip daddr 10.50.0.0/16 tcp dport 443 ct state new counter accept \
comment "extranet-to-shared-api"
\t\t# [2] extranet-to-shared-dns: Purpose of extranet-to-shared-dns (owner: Operations Centre)
\t\tip saddr 10.20.0.0/16 ip daddr 10.50.0.0/16 udp dport 53 ct state new counter accept \
comment "extranet-to-shared-dns"
\t\t# [3] internet-to-shared-exchange: Purpose of internet-to-shared-exchange (owner: Operations Centre)
\t\tip saddr 10.30.0.0/16 ip daddr 10.50.0.0/16 tcp dport { 443, 8443-8444 } ct state new counter accept \
comment "internet-to-shared-exchange"
\t\t# [4] management-ssh-extranet: Purpose of management-ssh-extranet (owner: Operations Centre)
\t\tip saddr 10.40.0.0/16 ip daddr 10.20.0.0/16 tcp dport 22 ct state new counter accept \
comment "management-ssh-extranet"
\t\t# [5] management-ping-shared: Purpose of management-ping-shared (owner: Operations Centre)
\t\tip saddr 10.40.0.0/16 ip daddr 10.50.0.0/16 icmp type echo-request ct state new counter accept \
comment "management-ping-shared"
\t\tcounter log prefix "egov-bridge drop: " level warn drop comment "not in the flow allowlist"
\t}
}
"""


def test_nftables_golden(plan: CompiledBridge) -> None:
    assert plan.nftables == GOLDEN_NFTABLES


def test_nftables_parses_where_nft_is_installed(tmp_path: Path) -> None:
    """``nft -c`` checks syntax without applying anything; most machines lack nft, so this is optional."""
    nft = shutil.which("nft")
    if nft is None:
        pytest.skip("nft is not installed")
    platform = load_platform(PLATFORM_FILE)
    path = tmp_path / "bridge.nft"
    path.write_text(compile_bridge(platform, load_flows(FLOWS_FILE, platform)).nftables, encoding="utf-8")
    result = subprocess.run([nft, "-c", "-f", str(path)], capture_output=True, text=True, timeout=30, check=False)
    if "Operation not permitted" in result.stderr:
        pytest.skip("nft -c needs CAP_NET_ADMIN here")
    assert result.returncode == 0, result.stderr
