"""The zones' VPC route tables reach the tenant pool only where departments exchange traffic (extranet,
shared); expected values read from policies/platform.yaml by hand, not from the compiler."""

from __future__ import annotations

from infra.config import FLOWS_FILE, PLATFORM_FILE, compile_bridge, load_flows, load_platform
from stacks.policy import peer_cidrs, zone_route_cidrs

POOL = "10.100.0.0/16"  # tenant_pool in policies/platform.yaml


def test_tenant_pool_routed_from_the_peer_zones_only() -> None:
    platform = load_platform(PLATFORM_FILE)
    plan = compile_bridge(platform, load_flows(FLOWS_FILE, platform))
    for zone in ("extranet", "shared"):
        routed = zone_route_cidrs(plan, platform, zone)
        assert POOL in routed
        assert set(routed) - {POOL} == set(peer_cidrs(plan, zone))
    for zone in ("internet", "management"):
        assert POOL not in zone_route_cidrs(plan, platform, zone)
        assert zone_route_cidrs(plan, platform, zone) == peer_cidrs(plan, zone)
