"""The platform file: every validation rule, with the exact problem an operator sees."""

from __future__ import annotations

import copy
from collections.abc import Callable
from ipaddress import IPv4Network
from pathlib import Path
from typing import Any

import pytest

from infra.config import PLATFORM_FILE, ConfigError, Platform, Problem, load_platform, validate_platform

FILE = "policies/platform.yaml"

BASE: dict[str, Any] = {
    "region": "cn-north-1",
    "availability_zones": ["cn-north-1a", "cn-north-1b"],
    "zones": {
        "extranet": {
            "cidr": "10.20.0.0/16",
            "subnets": {
                "app": {"cn-north-1a": "10.20.0.0/24", "cn-north-1b": "10.20.1.0/24"},
                "data": {"cn-north-1a": "10.20.10.0/24", "cn-north-1b": "10.20.11.0/24"},
            },
        },
        "internet": {
            "cidr": "10.30.0.0/16",
            "internet_gateway": True,
            "subnets": {"web": {"cn-north-1a": "10.30.0.0/24", "cn-north-1b": "10.30.1.0/24"}},
        },
        "management": {
            "cidr": "10.40.0.0/16",
            "subnets": {"admin": {"cn-north-1a": "10.40.0.0/24", "cn-north-1b": "10.40.1.0/24"}},
        },
        "shared": {
            "cidr": "10.50.0.0/16",
            "subnets": {"app": {"cn-north-1a": "10.50.0.0/24", "cn-north-1b": "10.50.1.0/24"}},
        },
    },
    "bridge": {
        "cidr": "10.60.0.0/20",
        "subnets": {"inspection": {"cn-north-1a": "10.60.0.0/24", "cn-north-1b": "10.60.1.0/24"}},
    },
}


def doc(change: Callable[[dict[str, Any]], None] | None = None) -> dict[str, Any]:
    data = copy.deepcopy(BASE)
    if change is not None:
        change(data)
    return data


def problems_of(data: Any) -> list[Problem]:
    with pytest.raises(ConfigError) as caught:
        validate_platform(data, FILE)
    return list(caught.value.problems)


def only_problem(data: Any) -> Problem:
    found = problems_of(data)
    assert len(found) == 1, "\n".join(map(str, found))
    return found[0]


def zone(name: str, data: dict[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = data["zones"][name]
    return result


# -- what is accepted ----------------------------------------------------------------------------


def test_committed_sample_loads() -> None:
    platform = load_platform(PLATFORM_FILE)
    assert platform.region == "cn-north-1"
    assert platform.availability_zones == ("cn-north-1a", "cn-north-1b")
    assert set(platform.zones) == {"extranet", "internet", "management", "shared"}
    assert platform.zones["internet"].internet_gateway is True
    assert not any(z.internet_gateway for name, z in platform.zones.items() if name != "internet")
    assert "inspection" in platform.bridge.subnets
    assert platform.source == str(PLATFORM_FILE)


def test_valid_document_becomes_typed_model() -> None:
    platform = validate_platform(doc(), FILE)
    assert isinstance(platform, Platform)
    assert platform.allowed_regions == ("cn-north-1", "cn-northwest-1")
    assert platform.zones["extranet"].cidr == IPv4Network("10.20.0.0/16")
    assert platform.networks()["bridge"].subnets["inspection"]["cn-north-1b"] == IPv4Network("10.60.1.0/24")
    assert platform.zones["extranet"].subnet_list()[0] == ("app", "cn-north-1a", IPv4Network("10.20.0.0/24"))
    assert platform.source == FILE


def test_extra_zones_are_allowed() -> None:
    def add(d: dict[str, Any]) -> None:
        d["zones"]["dept-health"] = {
            "cidr": "10.70.0.0/16",
            "subnets": {"app": {"cn-north-1a": "10.70.0.0/24", "cn-north-1b": "10.70.1.0/24"}},
        }

    assert "dept-health" in validate_platform(doc(add), FILE).zones


# -- CIDRs ----------------------------------------------------------------------------------------


def test_malformed_cidr() -> None:
    assert only_problem(doc(lambda d: zone("extranet", d).update(cidr="10.300.0.0/16"))) == Problem(
        FILE,
        "zones.extranet.cidr",
        "'10.300.0.0/16' is not a valid IPv4 CIDR",
        "write four numbers 0-255 and a prefix length, e.g. 10.20.0.0/16",
    )


def test_cidr_without_prefix() -> None:
    assert only_problem(doc(lambda d: zone("shared", d).update(cidr="10.50.0.0"))) == Problem(
        FILE,
        "zones.shared.cidr",
        "'10.50.0.0' has no prefix length",
        "write the network and prefix length, e.g. 10.50.0.0/16",
    )


def test_cidr_with_host_bits() -> None:
    assert only_problem(doc(lambda d: zone("shared", d).update(cidr="10.50.1.0/16"))) == Problem(
        FILE, "zones.shared.cidr", "'10.50.1.0/16' has host bits set", "did you mean 10.50.0.0/16?"
    )


def test_cidr_prefix_outside_vpc_limits() -> None:
    def change(d: dict[str, Any]) -> None:
        zone("shared", d)["cidr"] = "10.0.0.0/8"
        zone("shared", d)["subnets"]["app"] = {"cn-north-1a": "10.50.0.0/24", "cn-north-1b": "10.50.1.0/30"}

    assert problems_of(doc(change)) == [
        Problem(
            FILE,
            "zones.shared.cidr",
            "'10.0.0.0/8' is a /8; VPC and subnet blocks must be between /16 and /28",
            "use a block from /16 to /28 (the cloud's limits)",
        ),
        Problem(
            FILE,
            "zones.shared.subnets.app.cn-north-1b",
            "'10.50.1.0/30' is a /30; VPC and subnet blocks must be between /16 and /28",
            "use a block from /16 to /28 (the cloud's limits)",
        ),
    ]


def test_ipv6_cidr() -> None:
    assert only_problem(doc(lambda d: zone("shared", d).update(cidr="fd00::/48"))) == Problem(
        FILE,
        "zones.shared.cidr",
        "'fd00::/48' is IPv6; the address plan is IPv4 only",
        "use an IPv4 block such as 10.20.0.0/16",
    )


def test_cidr_of_wrong_type() -> None:
    assert only_problem(doc(lambda d: zone("shared", d).update(cidr=42))) == Problem(
        FILE,
        "zones.shared.cidr",
        "expected a CIDR such as 10.20.0.0/16, got 42",
        "write the network and prefix length: a.b.c.d/n",
    )


def test_overlapping_zones_name_both_zones_and_cidrs() -> None:
    def change(d: dict[str, Any]) -> None:
        zone("shared", d)["cidr"] = "10.20.128.0/17"
        zone("shared", d)["subnets"]["app"] = {"cn-north-1a": "10.20.128.0/24", "cn-north-1b": "10.20.129.0/24"}

    assert only_problem(doc(change)) == Problem(
        FILE,
        "zones.shared.cidr",
        "zone 'shared' (10.20.128.0/17) overlaps zone 'extranet' (10.20.0.0/16); VPCs attached to one transit "
        "gateway need distinct address space",
        "move zone 'shared' to a block that overlaps no other VPC",
    )


def test_bridge_overlapping_a_zone() -> None:
    def change(d: dict[str, Any]) -> None:
        d["bridge"]["cidr"] = "10.50.0.0/20"
        d["bridge"]["subnets"]["inspection"] = {"cn-north-1a": "10.50.8.0/24", "cn-north-1b": "10.50.9.0/24"}

    assert only_problem(doc(change)) == Problem(
        FILE,
        "bridge.cidr",
        "the bridge (10.50.0.0/20) overlaps zone 'shared' (10.50.0.0/16); VPCs attached to one transit gateway "
        "need distinct address space",
        "move the bridge to a block that overlaps no other VPC",
    )


def test_subnet_outside_its_vpc() -> None:
    def change(d: dict[str, Any]) -> None:
        zone("extranet", d)["subnets"]["data"]["cn-north-1b"] = "10.21.11.0/24"

    assert only_problem(doc(change)) == Problem(
        FILE,
        "zones.extranet.subnets.data.cn-north-1b",
        "subnet 10.21.11.0/24 is outside the VPC CIDR 10.20.0.0/16 of zone 'extranet'",
        "pick a block inside 10.20.0.0/16",
    )


def test_bridge_subnet_outside_its_vpc() -> None:
    def change(d: dict[str, Any]) -> None:
        d["bridge"]["subnets"]["inspection"]["cn-north-1a"] = "10.60.16.0/24"

    assert only_problem(doc(change)) == Problem(
        FILE,
        "bridge.subnets.inspection.cn-north-1a",
        "subnet 10.60.16.0/24 is outside the VPC CIDR 10.60.0.0/20 of the bridge",
        "pick a block inside 10.60.0.0/20",
    )


def test_overlapping_subnets_in_one_vpc() -> None:
    def change(d: dict[str, Any]) -> None:
        zone("extranet", d)["subnets"]["data"]["cn-north-1a"] = "10.20.0.128/25"

    assert only_problem(doc(change)) == Problem(
        FILE,
        "zones.extranet.subnets.data.cn-north-1a",
        "subnet 10.20.0.128/25 overlaps zones.extranet.subnets.app.cn-north-1a (10.20.0.0/24)",
        "give each subnet its own block",
    )


def test_tier_missing_an_availability_zone() -> None:
    def change(d: dict[str, Any]) -> None:
        del zone("shared", d)["subnets"]["app"]["cn-north-1b"]

    assert only_problem(doc(change)) == Problem(
        FILE,
        "zones.shared.subnets.app",
        "tier 'app' has no subnet in cn-north-1b; every tier spans all availability zones (cn-north-1a, cn-north-1b)",
        "add cn-north-1b: <a block inside 10.50.0.0/16>",
    )


def test_subnet_in_undeclared_availability_zone() -> None:
    def change(d: dict[str, Any]) -> None:
        zone("shared", d)["subnets"]["app"]["cn-north-1c"] = "10.50.2.0/24"

    assert only_problem(doc(change)) == Problem(
        FILE,
        "zones.shared.subnets.app.cn-north-1c",
        "'cn-north-1c' is not one of the platform's availability zones (cn-north-1a, cn-north-1b)",
        "use one of them, or add it to availability_zones",
    )


def test_zone_without_subnets() -> None:
    assert only_problem(doc(lambda d: zone("shared", d).update(subnets={}))) == Problem(
        FILE,
        "zones.shared.subnets",
        "no subnets declared",
        "declare at least one tier, e.g. app: {cn-north-1a: <cidr>, cn-north-1b: <cidr>}",
    )


def test_bad_tier_name() -> None:
    def change(d: dict[str, Any]) -> None:
        zone("shared", d)["subnets"]["App Tier"] = zone("shared", d)["subnets"].pop("app")

    assert only_problem(doc(change)) == Problem(
        FILE,
        "zones.shared.subnets.App Tier",
        "tier name 'App Tier' must be lower-case letters, digits and dashes, start with a letter and be at most "
        "20 characters: it is part of resource names",
        "rename it, e.g. 'app-tier'",
    )


# -- region and availability zones -----------------------------------------------------------------


def test_region_outside_the_allowlist() -> None:
    def change(d: dict[str, Any]) -> None:
        d["region"] = "us-east-1"
        d["availability_zones"] = ["us-east-1a", "us-east-1b"]

    assert problems_of(doc(change))[0] == Problem(
        FILE,
        "region",
        "region 'us-east-1' is outside the allowed regions (cn-north-1, cn-northwest-1): data stays in the country",
        "set region to one of: cn-north-1, cn-northwest-1",
    )


def test_allowlist_may_only_name_mainland_china_regions() -> None:
    def change(d: dict[str, Any]) -> None:
        d["allowed_regions"] = ["cn-north-1", "ap-east-1"]
        d["region"] = "ap-east-1"

    assert problems_of(doc(change))[:2] == [
        Problem(
            FILE,
            "allowed_regions[1]",
            "'ap-east-1' is not a mainland-China region; personal and government data must stay in the country "
            "(PIPL art. 36)",
            "remove it; allowed regions look like cn-north-1",
        ),
        Problem(
            FILE,
            "region",
            "region 'ap-east-1' is outside the allowed regions (cn-north-1): data stays in the country",
            "set region to one of: cn-north-1",
        ),
    ]


def test_empty_allowlist() -> None:
    assert only_problem(doc(lambda d: d.update(allowed_regions=[]))) == Problem(
        FILE,
        "allowed_regions",
        "no mainland-China region is allowed",
        "list at least one, e.g. [cn-north-1, cn-northwest-1]",
    )


def test_narrower_allowlist_is_honoured() -> None:
    assert only_problem(doc(lambda d: d.update(allowed_regions=["cn-northwest-1"]))) == Problem(
        FILE,
        "region",
        "region 'cn-north-1' is outside the allowed regions (cn-northwest-1): data stays in the country",
        "set region to one of: cn-northwest-1",
    )


def test_one_availability_zone_is_not_enough() -> None:
    def change(d: dict[str, Any]) -> None:
        d["availability_zones"] = ["cn-north-1a"]
        for network in (*d["zones"].values(), d["bridge"]):
            for by_az in network["subnets"].values():
                by_az.pop("cn-north-1b")

    assert only_problem(doc(change)) == Problem(
        FILE,
        "availability_zones",
        "1 availability zone(s); every tier needs subnets in at least 2 for redundancy (NET-04)",
        "list two or more, e.g. cn-north-1a, cn-north-1b",
    )


def test_availability_zone_of_another_region() -> None:
    found = problems_of(doc(lambda d: d.update(availability_zones=["cn-north-1a", "cn-northwest-1b"])))
    assert found[0] == Problem(
        FILE,
        "availability_zones[1]",
        "'cn-northwest-1b' is not an availability zone of region cn-north-1",
        "use names like cn-north-1a, cn-north-1b",
    )


def test_duplicate_availability_zone() -> None:
    found = problems_of(doc(lambda d: d.update(availability_zones=["cn-north-1a", "cn-north-1a"])))
    assert found[0] == Problem(
        FILE, "availability_zones[1]", "'cn-north-1a' is listed twice", "list each availability zone once"
    )


# -- zones --------------------------------------------------------------------------------------


def test_missing_required_zone() -> None:
    assert only_problem(doc(lambda d: d["zones"].pop("management"))) == Problem(
        FILE,
        "zones",
        "missing zone 'management'; the platform needs extranet, internet, management and shared",
        "add zones.management with its cidr and subnets",
    )


def test_zone_named_bridge_is_reserved() -> None:
    def change(d: dict[str, Any]) -> None:
        d["zones"]["bridge"] = copy.deepcopy(d["bridge"])
        d["bridge"]["cidr"] = "10.61.0.0/20"
        d["bridge"]["subnets"]["inspection"] = {"cn-north-1a": "10.61.0.0/24", "cn-north-1b": "10.61.1.0/24"}

    assert only_problem(doc(change)) == Problem(
        FILE,
        "zones.bridge",
        "'bridge' is reserved for the bridge VPC",
        "declare the bridge under the top-level bridge: key",
    )


@pytest.mark.parametrize(("name", "message", "hint"), [
    ("Dept_Health", "zone name 'Dept_Health' must be lower-case letters, digits and dashes, start with a letter and "
     "be at most 20 characters: it is part of resource names", "rename it, e.g. 'dept-health'"),
    ("tenant-tax", "zone names starting 'tenant-' are reserved: a department's hosts are in zone "
     "'tenant-<tenant id>', so this zone's hosts and a tenant's would share a segment", "rename it, e.g. 'tax-zone'"),
])
def test_bad_zone_name(name: str, message: str, hint: str) -> None:
    def change(d: dict[str, Any]) -> None:
        d["zones"][name] = {
            "cidr": "10.70.0.0/16",
            "subnets": {"app": {"cn-north-1a": "10.70.0.0/24", "cn-north-1b": "10.70.1.0/24"}},
        }

    assert only_problem(doc(change)) == Problem(FILE, f"zones.{name}", message, hint)


def test_internet_gateway_only_in_the_internet_zone() -> None:
    assert only_problem(doc(lambda d: zone("extranet", d).update(internet_gateway=True))) == Problem(
        FILE,
        "zones.extranet.internet_gateway",
        "only the internet zone may have an internet gateway; zone 'extranet' reaches other zones through the bridge",
        "remove internet_gateway or set it to false",
    )


def test_internet_gateway_must_be_a_boolean() -> None:
    assert only_problem(doc(lambda d: zone("internet", d).update(internet_gateway="yes"))) == Problem(
        FILE,
        "zones.internet.internet_gateway",
        "expected true or false, got 'yes'",
        "write true or false without quotes",
    )


def test_bridge_needs_an_inspection_tier() -> None:
    def change(d: dict[str, Any]) -> None:
        d["bridge"]["subnets"] = {"attachment": d["bridge"]["subnets"].pop("inspection")}

    assert only_problem(doc(change)) == Problem(
        FILE,
        "bridge.subnets",
        "the bridge has no inspection tier; the gateway's inspection subnets live there",
        "add bridge.subnets.inspection with a subnet in each availability zone",
    )


# -- structure ----------------------------------------------------------------------------------


def test_unknown_field_lists_the_allowed_ones() -> None:
    assert only_problem(doc(lambda d: zone("shared", d).update(igw=True))) == Problem(
        FILE,
        "zones.shared.igw",
        "unknown field 'igw'",
        "remove it or fix the spelling; allowed here: description, cidr, subnets, internet_gateway",
    )


def test_missing_field() -> None:
    assert only_problem(doc(lambda d: zone("shared", d).pop("cidr"))) == Problem(
        FILE, "zones.shared.cidr", "required field is missing", "add `cidr` (see the comment at the top of the file)"
    )


def test_document_must_be_a_mapping() -> None:
    assert only_problem(["region", "cn-north-1"]) == Problem(
        FILE, "", "expected a mapping of fields, got a list", "see the comment at the top of the file"
    )


def test_all_problems_are_reported_at_once() -> None:
    def change(d: dict[str, Any]) -> None:
        d["region"] = "us-west-2"
        zone("extranet", d)["cidr"] = "10.20.0.0/33"
        zone("internet", d)["subnets"]["web"]["cn-north-1a"] = "10.31.0.0/24"
        zone("management", d)["cidr"] = "10.50.0.0/16"
        zone("management", d)["subnets"]["admin"] = {"cn-north-1a": "10.50.100.0/24", "cn-north-1b": "10.50.101.0/24"}
        zone("shared", d)["internet_gateway"] = True

    fields = [problem.field for problem in problems_of(doc(change))]
    assert fields == [
        "zones.extranet.cidr",
        "region",
        "zones.shared.internet_gateway",
        "zones.internet.subnets.web.cn-north-1a",
        "zones.shared.cidr",
    ]


# -- from a file: lines ---------------------------------------------------------------------------


PLATFORM_YAML = """\
region: cn-north-1
availability_zones: [cn-north-1a, cn-north-1b]
zones:
  extranet:
    cidr: 10.20.0.0/16
    subnets:
      app: {cn-north-1a: 10.20.0.0/24, cn-north-1b: 10.20.1.0/24}
  internet:
    cidr: 10.30.0.0/16
    internet_gateway: true
    subnets:
      web: {cn-north-1a: 10.30.0.0/24, cn-north-1b: 10.30.1.0/24}
  management:
    cidr: 10.20.0.0/16
    subnets:
      admin: {cn-north-1a: 10.20.100.0/24, cn-north-1b: 10.20.101.0/24}
  shared:
    cidr: 10.50.0.0/16
    subnets:
      app:
        cn-north-1a: 10.50.0.0/24
        cn-north-1b: 10.5.1.0/24
bridge:
  cidr: 10.60.0.0/20
  subnets:
    inspection: {cn-north-1a: 10.60.0.0/24, cn-north-1b: 10.60.1.0/24}
"""


def test_problems_from_a_file_carry_lines(tmp_path: Path) -> None:
    path = tmp_path / "platform.yaml"
    path.write_text(PLATFORM_YAML, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_platform(path)
    assert list(caught.value.problems) == [
        Problem(
            str(path),
            "zones.management.cidr",
            "zone 'management' (10.20.0.0/16) overlaps zone 'extranet' (10.20.0.0/16); VPCs attached to one transit "
            "gateway need distinct address space",
            "move zone 'management' to a block that overlaps no other VPC",
            14,
        ),
        Problem(
            str(path),
            "zones.shared.subnets.app.cn-north-1b",
            "subnet 10.5.1.0/24 is outside the VPC CIDR 10.50.0.0/16 of zone 'shared'",
            "pick a block inside 10.50.0.0/16",
            22,
        ),
    ]


# -- names end where they end: a trailing newline is not a name ------------------------------------------------


def _rename_zone(old: str, new: str) -> Callable[[dict[str, Any]], None]:
    def change(d: dict[str, Any]) -> None:
        d["zones"] = {(new if name == old else name): value for name, value in d["zones"].items()}

    return change


def test_zone_name_with_a_trailing_newline(tmp_path: Path) -> None:
    # Written as YAML, the way it reaches us: a double-quoted key with an escaped newline.
    path = tmp_path / "platform.yaml"
    text = PLATFORM_FILE.read_text(encoding="utf-8").replace("\n  shared:\n", '\n  "shared\\n":\n')
    path.write_text(text, encoding="utf-8")
    line = text.splitlines().index('  "shared\\n":') + 1
    zones_line = text.splitlines().index("zones:") + 1
    with pytest.raises(ConfigError) as caught:
        load_platform(path)
    assert caught.value.problems == (
        Problem(str(path), "zones", "missing zone 'shared'; the platform needs extranet, internet, management and "
                "shared", "add zones.shared with its cidr and subnets", zones_line),
        Problem(str(path), "zones['shared\\n']", "zone name 'shared\\n' must be lower-case letters, digits and dashes, "
                "start with a letter and be at most 20 characters: it is part of resource names",
                "rename it, e.g. 'shared'", line),
    )


def test_extra_zone_named_with_a_trailing_newline() -> None:
    def change(d: dict[str, Any]) -> None:
        d["zones"]["extra\n"] = {
            "cidr": "10.70.0.0/16",
            "subnets": {"app": {"cn-north-1a": "10.70.0.0/24", "cn-north-1b": "10.70.1.0/24"}},
        }

    assert only_problem(doc(change)) == Problem(
        FILE,
        "zones['extra\\n']",
        "zone name 'extra\\n' must be lower-case letters, digits and dashes, start with a letter and be at most "
        "20 characters: it is part of resource names",
        "rename it, e.g. 'extra'",
    )


def test_tier_name_with_a_trailing_newline() -> None:
    def change(d: dict[str, Any]) -> None:
        zone("shared", d)["subnets"]["app\n"] = zone("shared", d)["subnets"].pop("app")

    assert only_problem(doc(change)) == Problem(
        FILE,
        "zones.shared.subnets['app\\n']",
        "tier name 'app\\n' must be lower-case letters, digits and dashes, start with a letter and be at most "
        "20 characters: it is part of resource names",
        "rename it, e.g. 'app'",
    )


def test_region_names_with_a_trailing_newline() -> None:
    def change(d: dict[str, Any]) -> None:
        d["allowed_regions"] = ["cn-north-1\n"]
        d["region"] = "cn-north-1\n"

    assert problems_of(doc(change)) == [
        Problem(FILE, "allowed_regions[0]", "'cn-north-1\\n' is not a mainland-China region; personal and government "
                "data must stay in the country (PIPL art. 36)", "remove it; allowed regions look like cn-north-1"),
        Problem(FILE, "allowed_regions", "no mainland-China region is allowed",
                "list at least one, e.g. [cn-north-1, cn-northwest-1]"),
    ]


def test_availability_zone_with_a_trailing_newline() -> None:
    def change(d: dict[str, Any]) -> None:
        d["availability_zones"] = ["cn-north-1a", "cn-north-1b\n"]

    found = problems_of(doc(change))
    assert found[0] == Problem(FILE, "availability_zones[1]", "'cn-north-1b\\n' is not an availability zone of region "
                               "cn-north-1", "use names like cn-north-1a, cn-north-1b")
    # Every subnet in cn-north-1b is then outside the declared zones: each is reported, none accepted.
    assert all(problem.field.endswith(("cn-north-1b", "app", "data", "web", "admin", "inspection"))
               for problem in found[1:])


# -- address pools: VPC and subnet blocks are private --------------------------------------------------------------


@pytest.mark.parametrize("cidr", ["8.8.0.0/16", "100.64.0.0/16", "192.0.2.0/24", "11.0.0.0/16"])
def test_public_vpc_block_is_refused(cidr: str) -> None:
    network = IPv4Network(cidr)
    subnets = [str(net) for net in list(network.subnets(prefixlen_diff=2))[:2]]

    def change(d: dict[str, Any]) -> None:
        d["zones"]["extra"] = {"cidr": cidr, "subnets": {"app": {"cn-north-1a": subnets[0],
                                                                 "cn-north-1b": subnets[1]}}}

    def refused(block: str, field: str) -> Problem:
        return Problem(
            FILE,
            field,
            f"'{block}' is not inside the platform's private address pools (10.0.0.0/8, 172.16.0.0/12, "
            "192.168.0.0/16); a public block would collide with the Internet the extranet must stay isolated from",
            "use a block from the private pools, e.g. 10.70.0.0/16",
        )

    assert problems_of(doc(change)) == [
        refused(cidr, "zones.extra.cidr"),
        refused(subnets[0], "zones.extra.subnets.app.cn-north-1a"),
        refused(subnets[1], "zones.extra.subnets.app.cn-north-1b"),
    ]


@pytest.mark.parametrize("cidr", ["172.16.0.0/16", "192.168.0.0/16", "10.255.0.0/16"])
def test_every_private_pool_is_usable(cidr: str) -> None:
    network = IPv4Network(cidr)
    subnets = list(network.subnets(new_prefix=24))[:2]

    def change(d: dict[str, Any]) -> None:
        d["zones"]["extra"] = {"cidr": cidr, "subnets": {"app": {"cn-north-1a": str(subnets[0]),
                                                                 "cn-north-1b": str(subnets[1])}}}

    assert validate_platform(doc(change), FILE).zones["extra"].cidr == network
