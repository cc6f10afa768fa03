"""The helpers that find the Internet zone admitted to the extranet (compliance/checks/admission.py and the
egov_extranet_isolation check's two paths). Expected values are worked out by hand from the rules below and
from policies/platform.yaml (internet 10.30.0.0/16, extranet 10.20.0.0/16) and policies/flows.yaml."""

from __future__ import annotations

from typing import Any

from compliance.checks.admission import Admission, acl_admissions, acls_of, group_admissions, overlaps, same_traffic
from compliance.checks.egov_extranet_isolation.check import (
    allowlisted_internet_traffic,
    explained,
    forwarded_by_bridge,
    internet_admitted,
)
from compliance.checks.network import networks

INTERNET = "10.30.0.0/16"
EXTRANET = "10.20.0.0/16"


def entry(number: int, cidr: str, action: str = "allow", protocol: str = "-1", ports: tuple[int, int] | None = None,
          egress: bool = False) -> dict[str, Any]:
    found: dict[str, Any] = {"RuleNumber": number, "CidrBlock": cidr, "RuleAction": action, "Protocol": protocol,
                             "Egress": egress}
    if ports:
        found["PortRange"] = {"From": ports[0], "To": ports[1]}
    return found


def permission(protocol: str, cidr: str, ports: tuple[int, int] | None = None) -> dict[str, Any]:
    found: dict[str, Any] = {"IpProtocol": protocol, "IpRanges": [{"CidrIp": cidr}]}
    if ports:
        found.update(FromPort=ports[0], ToPort=ports[1])
    return found


def test_overlap_is_by_address_not_by_string() -> None:
    assert overlaps("10.0.0.0/8", INTERNET)  # contains the zone
    assert overlaps("10.30.7.0/24", INTERNET)  # inside the zone
    assert overlaps("10.30.0.0/16", INTERNET)
    assert overlaps("0.0.0.0/0", INTERNET)
    assert not overlaps("10.31.0.0/16", INTERNET)  # the next /16
    assert not overlaps("10.29.255.0/24", INTERNET)
    assert not overlaps("::/0", INTERNET)  # another family
    assert not overlaps("not-a-cidr", INTERNET)


def test_group_rules_from_the_zone_are_found_whatever_their_spelling() -> None:
    group = {"IpPermissions": [permission("tcp", "10.30.0.0/16", (443, 443)), permission("-1", "10.0.0.0/8"),
                               permission("tcp", "10.31.0.0/16", (22, 22)), permission("udp", "10.30.9.0/24", (53, 53)),
                               {"IpProtocol": "-1", "Ipv6Ranges": [{"CidrIpv6": "::/0"}]}],
             "IpPermissionsEgress": [permission("tcp", EXTRANET, (22, 22))]}
    assert group_admissions(group, INTERNET) == [Admission("tcp", 443, 443, "10.30.0.0/16"),
                                                 Admission("all", 0, 65535, "10.0.0.0/8"),
                                                 Admission("udp", 53, 53, "10.30.9.0/24")]
    assert group_admissions(group, EXTRANET, True) == [Admission("tcp", 22, 22, EXTRANET)]
    assert group_admissions(group, EXTRANET) == [Admission("all", 0, 65535, "10.0.0.0/8")]


def test_an_earlier_deny_for_the_whole_zone_shadows_a_later_allow() -> None:
    acl = {"Entries": [entry(50, INTERNET, "deny"), entry(100, "10.0.0.0/8"), entry(32767, "0.0.0.0/0", "deny")]}
    assert acl_admissions(acl, INTERNET) == []


def test_entries_are_judged_in_rule_number_order_not_list_order() -> None:
    acl = {"Entries": [entry(20, INTERNET, "deny"), entry(10, INTERNET, ports=(443, 443), protocol="6")]}
    assert acl_admissions(acl, INTERNET) == [Admission("tcp", 443, 443, INTERNET, 10, True)]


def test_a_deny_for_part_of_the_zone_or_of_the_ports_does_not_shadow() -> None:
    partial_block = {"Entries": [entry(5, "10.30.1.0/24", "deny"), entry(10, INTERNET)]}
    assert acl_admissions(partial_block, INTERNET) == [Admission("all", 0, 65535, INTERNET, 10, True)]
    partial_ports = {"Entries": [entry(5, INTERNET, "deny", "6", (22, 22)), entry(10, INTERNET, protocol="6",
                                                                                      ports=(20, 30))]}
    assert acl_admissions(partial_ports, INTERNET) == [Admission("tcp", 20, 30, INTERNET, 10, True)]
    # a deny of everything from 10.0.0.0/8 covers the /24 the allow names
    wide_deny = {"Entries": [entry(5, "10.0.0.0/8", "deny"), entry(10, "10.30.4.0/24", protocol="17", ports=(53, 53))]}
    assert acl_admissions(wide_deny, INTERNET) == []


def test_acl_direction_is_kept_apart() -> None:
    acl = {"Entries": [entry(10, INTERNET, egress=True), entry(11, EXTRANET, protocol="6", ports=(22, 22),
                                                                egress=True)]}
    assert acl_admissions(acl, INTERNET) == []
    assert acl_admissions(acl, EXTRANET, True) == [Admission("tcp", 22, 22, EXTRANET, 11, True)]


def test_same_traffic_needs_a_common_protocol_and_port() -> None:
    assert same_traffic(Admission("all", 0, 65535, INTERNET), Admission("tcp", 22, 22, EXTRANET))
    assert same_traffic(Admission("tcp", 20, 30, INTERNET), Admission("tcp", 22, 22, EXTRANET))
    assert not same_traffic(Admission("tcp", 22, 22, INTERNET), Admission("udp", 22, 22, EXTRANET))
    assert not same_traffic(Admission("tcp", 1024, 65535, INTERNET), Admission("tcp", 443, 443, EXTRANET))


def test_acls_of_keeps_the_acls_of_the_given_subnets() -> None:
    acls: list[dict[str, Any]] = [{"NetworkAclId": "a", "Associations": [{"SubnetId": "s1"}]},
                                  {"NetworkAclId": "b", "Associations": []}]
    assert [a["NetworkAclId"] for a in acls_of(acls, {"s1"})] == ["a"]


def test_the_allowlist_explains_only_the_internet_zones_flows_and_their_replies() -> None:
    """flows.yaml: internet-to-shared-exchange (tcp 443, 8443-8444) and the replies of management-ssh-internet
    (tcp ephemeral 1024-65535) are all the Internet zone may send into the bridge."""
    allowed = allowlisted_internet_traffic()
    assert explained(Admission("tcp", 443, 443, INTERNET), allowed)
    assert explained(Admission("tcp", 8443, 8444, INTERNET), allowed)
    assert explained(Admission("tcp", 1024, 65535, INTERNET, 60), allowed)
    assert explained(Admission("tcp", 443, 443, "10.30.5.0/24"), allowed)  # narrower than the zone
    assert not explained(Admission("tcp", 443, 443, "10.0.0.0/8"), allowed)  # wider than the zone
    assert not explained(Admission("tcp", 22, 22, INTERNET), allowed)
    assert not explained(Admission("udp", 1024, 65535, INTERNET), allowed)
    assert not explained(Admission("all", 0, 65535, INTERNET), allowed)


def region(groups: list[dict[str, Any]], acls: list[dict[str, Any]]) -> Any:
    vpcs = [{"VpcId": vpc, "CidrBlock": cidr, "Tags": [{"Key": "egov:zone", "Value": zone}]}
            for vpc, cidr, zone in (("vpc-ext", EXTRANET, "extranet"), ("vpc-int", INTERNET, "internet"),
                                    ("vpc-br", "10.60.0.0/20", "bridge"))]
    subnets = [{"SubnetId": "sub-ext", "VpcId": "vpc-ext"},
               {"SubnetId": "sub-insp", "VpcId": "vpc-br", "Tags": [{"Key": "egov:tier", "Value": "inspection"}]},
               {"SubnetId": "sub-att", "VpcId": "vpc-br", "Tags": [{"Key": "egov:tier", "Value": "attachment"}]}]
    evidence = {"cloud": {"regions": {"r": {"vpcs": vpcs, "subnets": subnets, "security_groups": groups,
                                            "network_acls": acls}}}}
    return networks(evidence)["r"]


def test_the_extranets_own_filters_admitting_the_zone_are_named() -> None:
    net = region([{"GroupId": "sg-1", "VpcId": "vpc-ext",
                   "IpPermissions": [permission("tcp", "10.0.0.0/8", (80, 80))]}],
                 [{"NetworkAclId": "acl-1", "VpcId": "vpc-ext", "Associations": [{"SubnetId": "sub-ext"}],
                   "Entries": [entry(10, "10.30.2.0/24", protocol="6", ports=(443, 443))]},
                  {"NetworkAclId": "acl-unused", "VpcId": "vpc-ext", "Associations": [],
                   "Entries": [entry(10, "0.0.0.0/0")]}])
    assert [str(t) for t in internet_admitted(net, "vpc-ext")] == [
        "security group sg-1 admits the Internet zone (10.30.0.0/16): tcp 80-80 from 10.0.0.0/8",
        "network ACL acl-1 admits the Internet zone (10.30.0.0/16): rule 10 allows tcp 443-443 with 10.30.2.0/24"]


def test_the_bridge_as_compiled_forwards_nothing_from_the_internet_zone() -> None:
    """The deployed shape: Internet flow ports in, other flows' ports out towards the extranet (tcp 443 both)."""
    bridge = {"GroupId": "sg-br", "VpcId": "vpc-br", "IpPermissions": [permission("tcp", INTERNET, (443, 443))],
              "IpPermissionsEgress": [permission("tcp", EXTRANET, (443, 443))]}
    acl = {"NetworkAclId": "acl-br", "VpcId": "vpc-br", "Associations": [{"SubnetId": "sub-insp"}],
           "Entries": [entry(41, INTERNET, protocol="6", ports=(443, 443)),
                       entry(60, INTERNET, protocol="6", ports=(1024, 65535)),
                       entry(10, EXTRANET, protocol="6", ports=(1024, 65535), egress=True)]}
    # the attachment tier's edge ACL admits every zone, but it is not the inspection tier
    edge = {"NetworkAclId": "acl-edge", "VpcId": "vpc-br", "Associations": [{"SubnetId": "sub-att"}],
            "Entries": [entry(30030, INTERNET), entry(30010, EXTRANET, egress=True)]}
    net = region([bridge], [acl, edge])
    assert forwarded_by_bridge(net, [EXTRANET], allowlisted_internet_traffic()) == []


def test_the_bridge_forwarding_what_the_allowlist_does_not_explain_is_named() -> None:
    bridge = {"GroupId": "sg-br", "VpcId": "vpc-br", "IpPermissions": [permission("tcp", INTERNET, (22, 22))],
              "IpPermissionsEgress": [permission("tcp", EXTRANET, (22, 22)),
                                      permission("tcp", "10.50.0.0/16", (80, 80))]}
    acl = {"NetworkAclId": "acl-br", "VpcId": "vpc-br", "Associations": [{"SubnetId": "sub-insp"}],
           "Entries": [entry(7, INTERNET, protocol="17", ports=(53, 53)),
                       entry(8, INTERNET, protocol="6", ports=(80, 80)),
                       entry(9, EXTRANET, protocol="17", ports=(1, 100), egress=True)]}
    net = region([bridge], [acl])
    assert [str(t) for t in forwarded_by_bridge(net, [EXTRANET], allowlisted_internet_traffic())] == [
        "bridge inspection security group sg-br admits the Internet zone (10.30.0.0/16) towards the extranet: "
        "in tcp 22-22 from 10.30.0.0/16, out tcp 22-22 to 10.20.0.0/16",
        "bridge inspection network ACL acl-br admits the Internet zone (10.30.0.0/16) towards the extranet: "
        "in rule 7 allows udp 53-53 with 10.30.0.0/16, out rule 9 allows udp 1-100 with 10.20.0.0/16"]
    # towards another extranet block nothing goes out
    assert forwarded_by_bridge(net, ["10.21.0.0/16"], allowlisted_internet_traffic()) == []
