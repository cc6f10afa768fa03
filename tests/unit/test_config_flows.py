"""The flow allowlist: every validation rule, with the exact problem an operator sees."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from infra.config import (
    FLOWS_FILE,
    PLATFORM_FILE,
    ConfigError,
    FlowAllowlist,
    Platform,
    PortRange,
    Problem,
    load_flows,
    load_platform,
    validate_flows,
)

FILE = "policies/flows.yaml"
ISOLATION = "the national e-government extranet must stay logically isolated from the Internet (EGV-01)"
KNOWN = "known zones: extranet, internet, management, shared"


@pytest.fixture(scope="module")
def platform() -> Platform:
    return load_platform(PLATFORM_FILE)


def flow(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "id": 1,
        "name": "extranet-to-shared-api",
        "source": "extranet",
        "destination": "shared",
        "protocol": "tcp",
        "ports": 443,
        "purpose": "Online government services data exchange",
        "owner": "Government Services and Data Administration",
    }
    base.update(changes)
    return {key: value for key, value in base.items() if value is not None}


def problems_of(platform: Platform, *flows: dict[str, Any]) -> list[Problem]:
    with pytest.raises(ConfigError) as caught:
        validate_flows({"flows": list(flows)}, platform, FILE)
    return list(caught.value.problems)


def only_problem(platform: Platform, *flows: dict[str, Any]) -> Problem:
    found = problems_of(platform, *flows)
    assert len(found) == 1, "\n".join(map(str, found))
    return found[0]


def ports_problem(platform: Platform, ports: Any) -> Problem:
    return only_problem(platform, flow(ports=ports))


# -- what is accepted ----------------------------------------------------------------------------


def test_committed_sample_loads(platform: Platform) -> None:
    allowlist = load_flows(FLOWS_FILE, platform)
    assert len(allowlist.flows) >= 5
    assert allowlist.source == str(FLOWS_FILE)
    names = {item.name for item in allowlist.flows}
    assert {"extranet-to-shared-api", "extranet-to-shared-dns", "shared-to-extranet-callbacks"} <= names
    assert all(item.purpose and item.owner for item in allowlist.flows)
    ids = [item.id for item in allowlist.flows]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)


@pytest.mark.parametrize(
    ("ports", "expected"),
    [
        (443, (PortRange(443, 443),)),
        ("8443-8444", (PortRange(8443, 8444),)),
        ("8443 - 8444", (PortRange(8443, 8444),)),
        ([8443, "80-81", 443], (PortRange(80, 81), PortRange(443, 443), PortRange(8443, 8443))),
    ],
)
def test_port_forms(platform: Platform, ports: Any, expected: tuple[PortRange, ...]) -> None:
    allowlist = validate_flows({"flows": [flow(ports=ports)]}, platform, FILE)
    assert allowlist.flows[0].ports == expected


def test_icmp_flow_has_no_ports(platform: Platform) -> None:
    allowlist = validate_flows({"flows": [flow(protocol="icmp", ports=None)]}, platform, FILE)
    assert allowlist.flows[0].ports == ()
    assert allowlist.flows[0].protocol == "icmp"


def test_protocol_is_case_insensitive(platform: Platform) -> None:
    assert validate_flows({"flows": [flow(protocol="UDP", ports=53)]}, platform).flows[0].protocol == "udp"


def test_empty_allowlist_is_valid(platform: Platform) -> None:
    allowlist = validate_flows({"flows": []}, platform, FILE)
    assert isinstance(allowlist, FlowAllowlist)
    assert allowlist.flows == ()


# -- zones ----------------------------------------------------------------------------------------


def test_unknown_zone_lists_the_known_ones(platform: Platform) -> None:
    assert only_problem(platform, flow(source="dmz")) == Problem(
        FILE,
        "flows[0].source",
        f"unknown zone 'dmz'; {KNOWN}",
        "use one of the known zones, or declare the zone under zones: in the platform file",
    )


def test_address_range_is_not_a_zone(platform: Platform) -> None:
    assert only_problem(platform, flow(source="10.0.0.0/8", destination="shared")) == Problem(
        FILE,
        "flows[0].source",
        f"'10.0.0.0/8' is an address range, not a zone; {KNOWN}",
        "name the zone that holds these addresses; traffic from outside the platform does not cross the bridge",
    )


def test_flow_inside_one_zone(platform: Platform) -> None:
    assert only_problem(platform, flow(source="shared")) == Problem(
        FILE,
        "flows[0].destination",
        "source and destination are both 'shared'; traffic inside a zone does not cross the bridge",
        "remove the flow; traffic inside a zone is governed by the zone's own security groups",
    )


# -- extranet isolation (EGV-01) ---------------------------------------------------------------------


def test_internet_zone_into_extranet_is_forbidden(platform: Platform) -> None:
    assert only_problem(platform, flow(name="portal-backend", source="internet", destination="extranet")) == Problem(
        FILE,
        "flows[0].source",
        f"flow 'portal-backend' would let the internet zone into the extranet; {ISOLATION}",
        "exchange data through the shared zone instead (internet -> shared, extranet -> shared)",
    )


@pytest.mark.parametrize("source", ["0.0.0.0/0", "any", "*"])
def test_any_address_into_extranet_is_forbidden(platform: Platform, source: str) -> None:
    assert only_problem(platform, flow(name="open", source=source, destination="extranet")) == Problem(
        FILE,
        "flows[0].source",
        f"flow 'open' would let any address ({source}) into the extranet; {ISOLATION}",
        "name the zone the traffic comes from: one of management, shared",
    )


def test_any_address_range_into_extranet_is_forbidden(platform: Platform) -> None:
    assert only_problem(platform, flow(name="partner", source="203.0.113.0/24", destination="extranet")) == Problem(
        FILE,
        "flows[0].source",
        f"flow 'partner' would let the address range 203.0.113.0/24 (which may be on the Internet) into the "
        f"extranet; {ISOLATION}",
        "name the zone the traffic comes from: one of management, shared",
    )


def test_extranet_to_internet_zone_is_forbidden(platform: Platform) -> None:
    assert only_problem(platform, flow(name="push", source="extranet", destination="internet")) == Problem(
        FILE,
        "flows[0].destination",
        f"flow 'push' would connect the extranet to the internet zone, whose return route would lead back into "
        f"the extranet; {ISOLATION}",
        "exchange data through the shared zone instead (extranet -> shared, internet -> shared)",
    )


def test_extranet_to_any_address_is_forbidden(platform: Platform) -> None:
    assert only_problem(platform, flow(name="egress", source="extranet", destination="0.0.0.0/0")) == Problem(
        FILE,
        "flows[0].destination",
        f"flow 'egress' would let the extranet reach any address (0.0.0.0/0); {ISOLATION}",
        "name the zone the traffic goes to: one of management, shared",
    )


def test_isolation_problem_names_the_flow_by_index_when_unnamed(platform: Platform) -> None:
    found = problems_of(platform, flow(id=1, name=None, source="internet", destination="extranet"))
    assert [(problem.field, problem.message) for problem in found] == [
        ("flows[0].name", "required field is missing"),
        ("flows[0].source", f"flow flows[0] would let the internet zone into the extranet; {ISOLATION}"),
    ]


# -- names and ids --------------------------------------------------------------------------------


def test_duplicate_flow_names(platform: Platform) -> None:
    assert only_problem(platform, flow(), flow(id=2, protocol="udp", ports=53)) == Problem(
        FILE,
        "flows[1].name",
        "flow name 'extranet-to-shared-api' is already used by flows[0]",
        "give each flow its own name",
    )


def test_duplicate_ids(platform: Platform) -> None:
    assert only_problem(platform, flow(), flow(name="dns", protocol="udp", ports=53)) == Problem(
        FILE,
        "flows[1].id",
        "id 1 is already used by flows[0] ('extranet-to-shared-api')",
        "use a free id, e.g. 2",
    )


def test_id_out_of_range(platform: Platform) -> None:
    assert only_problem(platform, flow(id=4000)) == Problem(
        FILE,
        "flows[0].id",
        "id 4000 is outside 1-3000; NACL rule numbers are id*10 + slot and must stay below 32767",
        "use the next free id",
    )


def test_id_must_be_a_number(platform: Platform) -> None:
    assert only_problem(platform, flow(id="7")) == Problem(
        FILE, "flows[0].id", "expected a whole number id, got '7'", "write the id as a number, e.g. 7"
    )


def test_bad_flow_name(platform: Platform) -> None:
    assert only_problem(platform, flow(name="Extranet API")) == Problem(
        FILE,
        "flows[0].name",
        "flow name 'Extranet API' must be lower-case letters, digits and dashes, start with a letter and be at most "
        "48 characters: it is part of resource names",
        "rename it, e.g. 'extranet-api'",
    )


# -- protocol and ports -------------------------------------------------------------------------------


def test_protocol_all_is_refused(platform: Platform) -> None:
    assert only_problem(platform, flow(protocol="all")) == Problem(
        FILE,
        "flows[0].protocol",
        "'all' is not an allowed protocol; a flow names exactly one of tcp, udp or icmp (BND-06)",
        "use tcp, udp or icmp; for several protocols declare one flow each",
    )


def test_range_that_runs_backwards(platform: Platform) -> None:
    assert ports_problem(platform, "8444-8443") == Problem(
        FILE, "flows[0].ports", "range '8444-8443' runs backwards", "write the lower port first: 8443-8444"
    )


@pytest.mark.parametrize("ports", [0, 70000, "443-70000", [443, 65536]])
def test_port_outside_the_valid_range(platform: Platform, ports: Any) -> None:
    problem = ports_problem(platform, ports)
    assert problem.field == "flows[0].ports"
    assert problem.message in (
        "port 0 is outside 1-65535",
        "port 70000 is outside 1-65535",
        "port 65536 is outside 1-65535",
    )
    assert problem.hint == "use ports from 1 to 65535"


def test_port_that_is_not_a_number(platform: Platform) -> None:
    assert ports_problem(platform, "https") == Problem(
        FILE,
        "flows[0].ports",
        "'https' is not a port or a range like 8443-8444",
        "write ports as numbers, e.g. ports: [443, 8443-8444]",
    )


def test_port_of_wrong_type(platform: Platform) -> None:
    assert ports_problem(platform, True) == Problem(
        FILE,
        "flows[0].ports",
        "expected a port (443), a range ('8443-8444') or a list of them, got True",
        "write ports as numbers, e.g. ports: [443, 8443-8444]",
    )


def test_every_port_is_refused(platform: Platform) -> None:
    assert ports_problem(platform, "1-65535") == Problem(
        FILE,
        "flows[0].ports",
        "'1-65535' opens every port; a flow names the ports its service listens on (BND-06)",
        "list the service's ports, e.g. 443",
    )


def test_overlapping_ports_in_one_flow(platform: Platform) -> None:
    assert ports_problem(platform, ["8000-8100", 8080]) == Problem(
        FILE, "flows[0].ports", "'8080' overlaps '8000-8100'", "list each port once"
    )


def test_empty_port_list(platform: Platform) -> None:
    assert ports_problem(platform, []) == Problem(
        FILE, "flows[0].ports", "no ports listed", "name at least one port, e.g. 443"
    )


def test_too_many_port_entries(platform: Platform) -> None:
    assert ports_problem(platform, list(range(8000, 8010))) == Problem(
        FILE,
        "flows[0].ports",
        "10 port entries; a flow may have at most 9",
        "use a range such as 8000-8010, or split the flow in two",
    )


def test_tcp_flow_without_ports(platform: Platform) -> None:
    assert only_problem(platform, flow(ports=None)) == Problem(
        FILE, "flows[0].ports", "tcp flows must name their ports", "add e.g. ports: 443"
    )


def test_icmp_flow_with_ports(platform: Platform) -> None:
    assert only_problem(platform, flow(protocol="icmp")) == Problem(
        FILE,
        "flows[0].ports",
        "icmp has no ports; an icmp flow allows echo requests (ping) and their replies",
        "remove ports",
    )


def test_flow_already_allowed_by_another(platform: Platform) -> None:
    first = flow(ports=[443, "8443-8444"])
    second = flow(id=2, name="api-again", ports=[8444, 9000], owner="Another Department")
    assert only_problem(platform, first, second) == Problem(
        FILE,
        "flows[1].ports",
        "tcp 8444 from extranet to shared is already allowed by flow 'extranet-to-shared-api' (flows[0])",
        "merge the two flows or drop the duplicate: every rule has one owner",
    )


def test_same_ports_on_another_protocol_or_direction_are_distinct(platform: Platform) -> None:
    flows = [
        flow(),
        flow(id=2, name="dns", protocol="udp", ports=443),
        flow(id=3, name="back", source="shared", destination="extranet"),
    ]
    assert len(validate_flows({"flows": flows}, platform, FILE).flows) == 3


# -- purpose, owner, structure ------------------------------------------------------------------------


def test_purpose_must_fit_a_security_group_description(platform: Platform) -> None:
    assert only_problem(platform, flow(purpose="数据交换 data exchange")) == Problem(
        FILE,
        "flows[0].purpose",
        "purpose contains characters a security-group rule description cannot hold: '数据交换'",
        "write the purpose with ASCII letters, digits, spaces and ._-:/()#,@[]+=&;{}!$* (owner may be Chinese)",
    )


def test_purpose_and_owner_are_required(platform: Platform) -> None:
    assert problems_of(platform, flow(purpose="  ", owner="")) == [
        Problem(FILE, "flows[0].purpose", "purpose is empty", "say what the flow is for; auditors read it"),
        Problem(FILE, "flows[0].owner", "owner is empty", "name the department accountable for the flow"),
    ]


def test_owner_may_be_chinese(platform: Platform) -> None:
    allowlist = validate_flows({"flows": [flow(owner="省政务服务和数据管理局")]}, platform, FILE)
    assert allowlist.flows[0].owner == "省政务服务和数据管理局"


def test_unknown_field_lists_the_allowed_ones(platform: Platform) -> None:
    assert only_problem(platform, flow(port=443)) == Problem(
        FILE,
        "flows[0].port",
        "unknown field 'port'",
        "remove it or fix the spelling; allowed here: id, name, source, destination, protocol, ports, purpose, owner",
    )


def test_every_problem_is_reported_at_once(platform: Platform) -> None:
    flows = [
        flow(source="internet", destination="extranet"),
        flow(name="b", source="dmz", ports="99999"),
        flow(id=3, name="b", protocol="gre"),
    ]
    assert [problem.field for problem in problems_of(platform, *flows)] == [
        "flows[1].ports",
        "flows[2].protocol",
        "flows[0].source",
        "flows[1].id",
        "flows[1].source",
        "flows[2].name",
    ]


def test_problems_from_a_file_carry_lines(tmp_path: Path, platform: Platform) -> None:
    path = tmp_path / "flows.yaml"
    path.write_text(
        "flows:\n"
        "  - id: 1\n"
        "    name: portal-to-backend\n"
        "    source: internet\n"
        "    destination: extranet\n"
        "    protocol: tcp\n"
        "    ports: 443\n"
        "    purpose: Portal calls the back-end directly\n"
        "    owner: Portal team\n",
        encoding="utf-8",
    )
    with pytest.raises(ConfigError) as caught:
        load_flows(path, platform)
    assert caught.value.problems == (
        Problem(
            str(path),
            "flows[0].source",
            f"flow 'portal-to-backend' would let the internet zone into the extranet; {ISOLATION}",
            "exchange data through the shared zone instead (internet -> shared, extranet -> shared)",
            4,
        ),
    )


# -- hostile values ---------------------------------------------------------------------------------------------


def test_flow_name_with_a_trailing_newline(tmp_path: Path, platform: Platform) -> None:
    # A newline in the name would end the nftables comment it is written into (`nft -c` then fails).
    path = tmp_path / "flows.yaml"
    path.write_text(
        "flows:\n"
        "  - id: 1\n"
        '    name: "extranet-to-shared-api\\n"\n'
        "    source: extranet\n"
        "    destination: shared\n"
        "    protocol: tcp\n"
        "    ports: 443\n"
        "    purpose: Online government services data exchange\n"
        "    owner: Government Services and Data Administration\n",
        encoding="utf-8",
    )
    with pytest.raises(ConfigError) as caught:
        load_flows(path, platform)
    assert caught.value.problems == (
        Problem(
            str(path),
            "flows[0].name",
            "flow name 'extranet-to-shared-api\\n' must be lower-case letters, digits and dashes, start with a letter "
            "and be at most 48 characters: it is part of resource names",
            "rename it, e.g. 'extranet-to-shared-api'",
            3,
        ),
    )


def test_zone_reference_with_a_trailing_newline_is_unknown(platform: Platform) -> None:
    assert only_problem(platform, flow(destination="shared\n")) == Problem(
        FILE, "flows[0].destination", f"unknown zone 'shared\\n'; {KNOWN}",
        "use one of the known zones, or declare the zone under zones: in the platform file",
    )


@pytest.mark.parametrize(("source", "destination", "field"), [
    ("0.0.0.0/1", "extranet", "source"),
    ("128.0.0.0/1", "extranet", "source"),
    ("extranet", "0.0.0.0/1", "destination"),
])
def test_half_of_the_internet_is_no_way_around_isolation(
    platform: Platform, source: str, destination: str, field: str
) -> None:
    found = only_problem(platform, flow(name="half", source=source, destination=destination))
    assert (found.field, found.message) == (
        f"flows[0].{field}",
        f"flow 'half' would let the address range {source} (which may be on the Internet) into the extranet; "
        f"{ISOLATION}" if field == "source" else
        f"flow 'half' would let the extranet reach the address range {destination} (which may be on the "
        f"Internet); {ISOLATION}",
    )


def test_half_ranges_between_other_zones_are_still_not_zones(platform: Platform) -> None:
    assert only_problem(platform, flow(source="0.0.0.0/1", destination="shared")) == Problem(
        FILE, "flows[0].source", f"'0.0.0.0/1' is an address range, not a zone; {KNOWN}",
        "name the zone that holds these addresses; traffic from outside the platform does not cross the bridge",
    )


def test_a_huge_value_is_shown_cut_short(platform: Platform) -> None:
    found = only_problem(platform, flow(protocol="x" * 1_000_000))
    assert found.message.startswith("'" + "x" * 60 + "'... (1,000,000 characters) is not an allowed protocol")
    assert len(found.message) < 300


# -- the duplicate check is indexed: same answers as comparing every pair ----------------------------------------


def test_duplicates_among_many_flows_name_the_flow_that_already_allows_the_port(platform: Platform) -> None:
    flows = [flow(id=i + 1, name=f"f{i}", ports=1000 + i) for i in range(500)]
    flows.append(flow(id=501, name="wide", ports="1200-1299"))
    flows.append(flow(id=502, name="inside-wide", ports=[1250, 2000]))
    flows.append(flow(id=503, name="after-wide", ports="1600-1602"))
    found = problems_of(platform, *flows)
    assert [(problem.field, problem.message) for problem in found] == [
        ("flows[500].ports", "tcp 1200-1299 from extranet to shared is already allowed by flow 'f200' (flows[200])"),
        ("flows[501].ports", "tcp 1250 from extranet to shared is already allowed by flow 'f250' (flows[250])"),
    ]
