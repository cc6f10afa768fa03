"""Pure logic of the test hosts: addressing, the inventory, the probe plan, the NFLOG ruleset, verify's report."""

from __future__ import annotations

import ipaddress
from pathlib import Path

import pytest
import yaml

from infra.config import FLOWS_FILE, PLATFORM_FILE, load_flows, load_platform, render_nftables
from infra.hosts.inventory import Host, inventory_document, platform_hosts
from infra.hosts.lab import gateway_leg, lab_prefix, mac_for, mgmt_network
from infra.hosts.probe import plan_probes
from infra.hosts.verify import ControlResult, parse_report


@pytest.fixture(scope="module")
def platform():  # type: ignore[no-untyped-def]
    return load_platform(PLATFORM_FILE)


def test_prefix_and_management_network_are_stable_and_private(tmp_path: Path) -> None:
    a, b = lab_prefix(tmp_path / "a"), lab_prefix(tmp_path / "b")
    assert a == lab_prefix(tmp_path / "a") and a != b
    for prefix in (a, b):
        network = mgmt_network(prefix)
        assert network.subnet_of(ipaddress.IPv4Network("100.64.0.0/10")) and network.prefixlen == 24


def test_mac_is_fixed_by_address_and_leg() -> None:
    assert mac_for("10.20.0.20", 0) == "02:00:0a:14:00:14"
    assert mac_for("10.20.0.20", 1) == "02:01:0a:14:00:14"


def test_gateway_leg_is_the_first_address_of_the_zone() -> None:
    assert str(gateway_leg(ipaddress.ip_network("10.20.0.0/16"))) == "10.20.0.1/16"


def test_platform_hosts_sit_in_their_zones(platform) -> None:  # type: ignore[no-untyped-def]
    hosts = platform_hosts(platform, workloads_per_zone=2)
    roles = sorted(h.role for h in hosts)
    assert roles == ["bastion", "gateway", "loghost"] + ["workload"] * 6
    networks = platform.networks()
    for host in hosts:
        assert ipaddress.ip_address(host.address) in ipaddress.ip_network(str(networks[host.zone].cidr))
    assert len({h.address for h in hosts}) == len(hosts)


def test_inventory_groups_by_zone_and_role() -> None:
    hosts = [Host("gw", "bridge", "gateway", "10.60.0.10", "100.64.0.10"),
             Host("b", "management", "bastion", "10.40.0.10", "100.64.0.11"),
             Host("l", "management", "loghost", "10.40.10.10", "100.64.0.12"),
             Host("x", "extranet", "workload", "10.20.0.20", "100.64.0.13")]
    document = inventory_document(hosts, Path("/k"), "100.64.0.0/24")
    children = document["all"]["children"]
    assert children["zone_management"]["hosts"] == {"b": None, "l": None}
    assert children["role_gateway"]["hosts"] == {"gw": None}
    variables = document["all"]["vars"]
    assert (variables["egov_time_source"], variables["egov_log_host"]) == ("100.64.0.11", "100.64.0.12")
    assert document["all"]["hosts"]["x"]["ansible_host"] == "100.64.0.13"
    assert variables["egov_real_host"] is False
    yaml.safe_dump(document)


def test_probe_plan_covers_every_flow_and_internet_to_extranet(platform) -> None:  # type: ignore[no-untyped-def]
    flows = load_flows(FLOWS_FILE, platform).by_id()
    hosts = platform_hosts(platform)
    probes = plan_probes(hosts, flows)
    raw = yaml.safe_load(FLOWS_FILE.read_text())["flows"]
    declared = [p for p in probes if p.kind == "declared"]
    assert {p.name for p in declared} == {f["name"] for f in raw}
    assert all(p.expected == "passed" for p in declared)
    assert all(p.expected == "dropped" for p in probes if p.kind != "declared")
    internet = [p for p in probes if p.kind == "internet-to-extranet"]
    assert internet and {p.source for p in internet} == {"internet-1"}
    assert {p.destination for p in internet} == {"extranet-1"}
    for p in probes:
        if p.kind == "undeclared":
            flow = next(f for f in raw if p.name.startswith(f["name"] + "-undeclared"))
            listed = flow["ports"] if isinstance(flow["ports"], list) else [flow["ports"]]
            assert str(p.port) not in [str(x) for x in listed]
    assert not any(p.source == "gateway" or p.destination == "gateway" for p in probes)


def test_nflog_ruleset_rate_limits_and_counts_every_drop(platform) -> None:  # type: ignore[no-untyped-def]
    flows = load_flows(FLOWS_FILE, platform).by_id()
    cidr = {name: str(n.cidr) for name, n in platform.networks().items()}
    text = render_nftables(flows, cidr, nflog_group=7, log_rate="5/second")
    assert "level warn" not in text  # no kernel log
    assert 'limit rate 5/second log group 7 prefix "egov-bridge drop: "' in text
    lines = [line.strip() for line in text.splitlines()]
    assert lines[lines.index("}") - 1] == 'counter drop comment "not in the flow allowlist"'
    assert render_nftables(flows, cidr) != text  # the default (kernel log) is unchanged for other callers


def test_verify_report_never_turns_a_skip_or_error_into_a_pass(tmp_path: Path) -> None:
    report = tmp_path / "r.xml"
    report.write_text(
        '<testsuites><testsuite>'
        '<testcase name="test_8_1_4_1_a_password_complexity[h1]"/>'
        '<testcase name="test_8_1_4_3_a_audit_daemon[h1]"><skipped message="Skipped: not enforced here: x"/>'
        '</testcase>'
        '<testcase name="test_8_1_4_4_b_only_needed_listeners[h1]"><skipped message="other reason"/></testcase>'
        '<testcase name="test_8_1_3_1_forwarding_by_role[h1]"><error message="ssh: connect failed"/></testcase>'
        '<testcase name="test_8_1_4_2_b_root_login_management_only[h2]"><failure message="root login"/></testcase>'
        '<testcase name="test_8_1_3_2_a_bridge_default_deny[NOTSET]"><skipped message="got empty parameter set"/>'
        '</testcase>'
        '</testsuite></testsuites>')
    results = {(r.control, r.host): r for r in parse_report(report)}
    assert results[("test_8_1_4_1_a_password_complexity", "h1")].outcome == "pass"
    assert results[("test_8_1_4_3_a_audit_daemon", "h1")].outcome == "not enforced here"
    assert results[("test_8_1_4_4_b_only_needed_listeners", "h1")].outcome == "error"
    assert results[("test_8_1_3_1_forwarding_by_role", "h1")].outcome == "error"
    assert results[("test_8_1_4_2_b_root_login_management_only", "h2")].outcome == "fail"
    assert len(results) == 5  # a role's control with no host of that role selected is not a result


def test_control_names_read_as_clauses() -> None:
    result = ControlResult("h", "test_8_1_4_2_b_root_login_management_only", "pass")
    assert (result.clause, result.title) == ("8.1.4.2 b)", "root login management only")
    assert ControlResult("h", "test_8_1_3_1_forwarding_by_role", "pass").clause == "8.1.3.1"


def test_hosts_from_stack_outputs() -> None:
    from infra.hosts.inventory import hosts_from_outputs

    outputs = {"hosts": [{"name": "gateway-a", "zone": "bridge", "role": "gateway", "privateIp": "10.60.0.37"},
                         {"name": "web", "zone": "internet", "role": "workload", "privateIp": "10.30.0.12"}]}
    assert [(h.name, h.address) for h in hosts_from_outputs(outputs)] == [("gateway-a", "10.60.0.37"),
                                                                          ("web", "10.30.0.12")]
    with pytest.raises(ValueError, match="no `hosts` output"):
        hosts_from_outputs({})
    with pytest.raises(ValueError, match=r"hosts\[0\] lacks privateIp"):
        hosts_from_outputs({"hosts": [{"name": "x", "zone": "shared", "role": "workload"}]})
    with pytest.raises(ValueError, match="role 'db'"):
        hosts_from_outputs({"hosts": [{"name": "x", "zone": "shared", "role": "db", "privateIp": "10.50.0.1"}]})
    with pytest.raises(ValueError, match="privateIp 'ten' is not an IPv4 address"):
        hosts_from_outputs({"hosts": [{"name": "x", "zone": "shared", "role": "workload", "privateIp": "ten"}]})


def test_hosts_from_both_stacks_gateways_first_and_names_unique() -> None:
    from infra.hosts.inventory import hosts_from_stacks

    core = {"hosts": [{"name": "bastion", "zone": "management", "role": "bastion", "privateIp": "10.40.0.4",
                       "instanceId": "i-1", "availabilityZone": "cn-north-1a"}]}
    bridge = {"hosts": [{"name": "gateway-a", "zone": "bridge", "role": "gateway", "privateIp": "10.60.0.4"},
                        {"name": "gateway-b", "zone": "bridge", "role": "gateway", "privateIp": "10.60.1.4"}]}
    hosts = hosts_from_stacks({"core": core, "bridge": bridge})
    assert [h.name for h in hosts] == ["gateway-a", "gateway-b", "bastion"]
    assert (hosts[2].instance_id, hosts[2].availability_zone) == ("i-1", "cn-north-1a")
    with pytest.raises(ValueError, match="stack bridge exports no `hosts` output"):
        hosts_from_stacks({"core": core, "bridge": {}})
    with pytest.raises(ValueError, match="host bastion is exported by both stack core and stack again"):
        hosts_from_stacks({"core": core, "again": core})


def test_a_tenant_host_carries_its_network_into_the_inventory(tmp_path: Path) -> None:
    from infra.hosts.inventory import hosts_from_outputs, read_hosts, write_inventory

    outputs = {"hosts": [{"name": "tax-bureau-1", "zone": "tenant-tax-bureau", "role": "workload",
                          "privateIp": "10.100.0.4", "network": "10.100.0.0/24"}]}
    [host] = hosts_from_outputs(outputs)
    assert (host.zone, host.network) == ("tenant-tax-bureau", "10.100.0.0/24")
    placed = Host(host.name, host.zone, host.role, host.address, "100.64.0.10", network=host.network)
    inventory = write_inventory(tmp_path / "inventory.yml", [placed], tmp_path / "key", "100.64.0.0/24")
    document = yaml.safe_load(inventory.read_text())
    assert "zone_tenant_tax_bureau" in document["all"]["children"]  # Ansible group names take no dashes
    assert document["all"]["hosts"]["tax-bureau-1"]["egov_network"] == "10.100.0.0/24"
    assert read_hosts(inventory) == [placed]
    with pytest.raises(ValueError, match=r"network '10.100.0.1/24' is not an IPv4 network"):
        hosts_from_outputs({"hosts": [{**outputs["hosts"][0], "network": "10.100.0.1/24"}]})


def test_lab_networks_admit_tenants_only_inside_the_pool_and_apart(platform) -> None:  # type: ignore[no-untyped-def]
    from infra.hosts.lab_networks import lab_networks
    from infra.local.process import LocalEnvError

    # policies/platform.yaml: tenant_pool 10.100.0.0/16, shared 10.50.0.0/16
    pool = ipaddress.ip_network("10.100.0.0/16")
    assert ipaddress.ip_network(str(platform.tenant_pool)) == pool
    shared = Host("shared-1", "shared", "workload", "10.50.0.4")
    tax = Host("tax-bureau-1", "tenant-tax-bureau", "workload", "10.100.0.4", network="10.100.0.0/24")
    health = Host("health-comm-1", "tenant-health-comm", "workload", "10.100.2.4", network="10.100.2.0/23")
    networks = lab_networks(platform, [shared, tax, health])
    assert networks["tenant-tax-bureau"] == ipaddress.ip_network("10.100.0.0/24")
    assert networks["tenant-health-comm"] == ipaddress.ip_network("10.100.2.0/23")
    assert networks["shared"] == ipaddress.ip_network("10.50.0.0/16")

    def refused(host: Host, match: str, *others: Host) -> None:
        with pytest.raises(LocalEnvError, match=match):
            lab_networks(platform, [*others, host])

    def xyz(address: str, network: str = "") -> Host:
        return Host("xyz-1", "tenant-xyz", "workload", address, network=network)

    refused(xyz("10.100.9.4"), "comes without its network")
    refused(xyz("10.99.0.4", "10.99.0.0/24"), "outside the platform's tenant_pool")
    refused(xyz("10.100.1.4", "10.100.0.0/24"), r"10.100.1.4 is outside zone")
    refused(xyz("10.100.0.8", "10.100.0.0/23"), "overlaps tenant-tax-bureau", tax)
    refused(Host("tax-bureau-2", "tenant-tax-bureau", "workload", "10.100.1.4", network="10.100.1.0/24"),
            "one tenant has one block", tax)
    refused(Host("x-1", "intranet", "workload", "10.100.0.4", network="10.100.0.0/24"), "not in platform.yaml")
    refused(Host("x-1", "shared", "workload", "10.50.0.4", network="10.100.0.0/24"), "not zone shared's block")
    refused(Host("x-1", "shared", "workload", "10.100.0.4"), r"10.100.0.4 is outside zone shared")


def test_tenant_segments_get_distinct_link_names(tmp_path: Path, platform) -> None:  # type: ignore[no-untyped-def]
    from infra.hosts.lab import Lab

    lab = Lab(tmp_path, platform, image_dir=tmp_path / "image")
    names = {lab.segment(zone) for zone in ("extranet", "tenant-tax-bureau", "tenant-tax-bureaux", "mgmt")}
    assert len(names) == 4 and all(len(name) <= 15 for name in names)
    assert lab.segment("extranet") == "br-extranet"


def test_probe_plan_sends_tenant_flows_and_tries_each_tenant_from_the_other(platform) -> None:  # type: ignore[no-untyped-def]
    from infra.config.tenant_flows import parse_tenant_flows

    # as tenants/tax-bureau.yaml and health-comm.yaml declare them (read by hand)
    tenants = parse_tenant_flows({
        "tax-bureau": {"slot": 0, "cidr": "10.100.0.0/24", "flows": [
            {"direction": "inbound", "peer": "extranet", "protocol": "tcp", "ports": [8443], "purpose": "filing"},
            {"direction": "outbound", "peer": "shared", "protocol": "tcp", "ports": [443], "purpose": "exchange"}]},
        "health-comm": {"slot": 1, "cidr": "10.100.2.0/23", "flows": [
            {"direction": "outbound", "peer": "shared", "protocol": "tcp", "ports": [443], "purpose": "exchange"}]},
    }, platform)
    hosts = [*platform_hosts(platform),
             Host("tax-bureau-1", "tenant-tax-bureau", "workload", "10.100.0.4", network="10.100.0.0/24"),
             Host("health-comm-1", "tenant-health-comm", "workload", "10.100.2.4", network="10.100.2.0/23")]
    probes = plan_probes(hosts, load_flows(FLOWS_FILE, platform).by_id(), tenants)
    declared = {(p.source, p.destination, p.port) for p in probes
                if p.kind == "declared" and p.name.startswith("tenant.")}
    assert declared == {("extranet-1", "tax-bureau-1", 8443), ("tax-bureau-1", "shared-1", 443),
                        ("health-comm-1", "shared-1", 443)}
    across = {(p.source, p.destination, p.port, p.expected) for p in probes if p.kind == "tenant-to-tenant"}
    assert across == {(src, dst, port, "dropped") for src, dst in (("tax-bureau-1", "health-comm-1"),
                                                                   ("health-comm-1", "tax-bureau-1"))
                      for port in (22, 443, 8443)}
    assert {p.port for p in probes if p.kind == "undeclared" and p.source == "tax-bureau-1"} == {8081}
