"""The tenant plan, worked out from the sample request and a block given by hand (no OpenBao here: pure)."""

from __future__ import annotations

from ipaddress import IPv4Network

from infra.config import PLATFORM_FILE, load_platform
from infra.config.tenant_request import load_request
from infra.repository import REPO_ROOT
from infra.tenants.allocation import Allocation
from infra.tenants.plan import make_plan, render_lines

PLATFORM = load_platform(PLATFORM_FILE)


def plan_of(tenant: str, cidr: str):  # type: ignore[no-untyped-def]
    request = load_request(REPO_ROOT / "tenants" / f"{tenant}.yaml", PLATFORM)
    allocation = Allocation(tenant, IPv4Network(cidr), request.name_en, request.name_zh, "x@y.z",
                            "2026-12-07T03:00:00+00:00", new=True)
    return make_plan(request, allocation, PLATFORM)


def test_subnets_cut_the_block_into_two_tiers_in_two_zones() -> None:
    plan = plan_of("tax-bureau", "10.100.7.0/24")
    assert [(s.name, s.cidr) for s in plan.subnets] == [
        ("tax-bureau-app-a", "10.100.7.0/26"), ("tax-bureau-app-b", "10.100.7.64/26"),
        ("tax-bureau-data-a", "10.100.7.128/26"), ("tax-bureau-data-b", "10.100.7.192/26")]


def test_routes_only_to_the_zones_the_flows_name() -> None:
    plan = plan_of("tax-bureau", "10.100.7.0/24")
    assert [(r["zone"], r["destination"]) for r in plan.routes] == [("extranet", "10.20.0.0/16"),
                                                                    ("shared", "10.50.0.0/16")]


def test_extranet_flows_stay_closed_until_admitted() -> None:
    plan = plan_of("tax-bureau", "10.100.7.0/24")
    assert [(f.direction, f.peer, f.state) for f in plan.flows] == [
        ("inbound", "extranet", "closed until admitted"), ("outbound", "shared", "open after apply"),
        ("outbound", "shared", "open after apply")]


def test_security_groups_admit_only_the_flows_to_their_service() -> None:
    plan = plan_of("tax-bureau", "10.100.7.0/24")
    assert [(g["name"], g["ingress"]) for g in plan.security_groups] == [
        ("tax-bureau-tax-portal-api", [{"from": "extranet", "protocol": "tcp", "ports": [8443]}]),
        ("tax-bureau-tax-db", [])]
    assert plan.warnings == []


def test_hosts_buckets_keys_and_vault_paths_derive_from_the_id() -> None:
    plan = plan_of("health-comm", "10.100.8.0/23")
    assert [(h.name, h.availability_zone) for h in plan.hosts] == [
        ("health-comm-ehr-api-1", "cn-north-1a"), ("health-comm-ehr-api-2", "cn-north-1b"),
        ("health-comm-ehr-db-1", "cn-north-1a"), ("health-comm-ehr-db-2", "cn-north-1b")]
    assert [(b.name, b.retention_days) for b in plan.buckets] == [
        ("egov-health-comm-general", 3650), ("egov-health-comm-personal-sensitive", 3650),
        ("egov-health-comm-core", 3650), ("egov-health-comm-archive", 3650)]
    assert {b.encrypted_with for b in plan.buckets} == {"alias/egov-tenant-health-comm"}
    assert plan.vault["namespace"] == "tenants/health-comm"


def test_rendered_plan_names_the_network_flows_keys_and_hosts() -> None:
    text = "\n".join(render_lines(plan_of("tax-bureau", "10.100.7.0/24")))
    for expected in ("network: 10.100.7.0/24 (newly allocated", "routes only to extranet 10.20.0.0/16, shared "
                     "10.50.0.0/16; no route to any other tenant", "in  extranet  tcp/8443",
                     "KMS key alias/egov-tenant-tax-bureau", "tax-bureau-tax-db-1 (tax-db)"):
        assert expected in text
