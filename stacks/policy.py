"""What the core and bridge kinds read before creating anything: the platform and flow files, validated
and compiled, and the region the provider will deploy to, checked against the platform's allowlist.

Any problem stops the program with a ``pulumi.RunError`` carrying the ``ConfigError`` text (file,
field, line, why and the fix), before a single resource is registered; whatever a hostile file does,
the engine shows that message, never a Python traceback.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import pulumi

from infra.config import (
    FLOWS_FILE,
    PLATFORM_FILE,
    POLICIES_DIR,
    CompiledBridge,
    ConfigError,
    FlowAllowlist,
    Platform,
    compile_bridge,
    load_flows,
    load_platform,
)
from infra.config.compiler import ACL_ENTRY_LIMIT
from infra.config.problems import unexpected_problem
from infra.config.tenant_flows import CONFIG_KEY as TENANT_FLOWS_KEY
from infra.config.tenant_flows import AdmittedTenant, parse_tenant_flows
from infra.config.tenant_request import PEER_ZONES

PROJECT_DIR = POLICIES_DIR.parent


@dataclass(frozen=True)
class Policy:
    platform: Platform
    flows: FlowAllowlist
    plan: CompiledBridge
    region: str
    tenants: tuple[AdmittedTenant, ...] = ()


ACL_ENTRY_LIMIT_KEY = "aclEntryLimit"
ACL_ENTRY_LIMIT_MAX = 40  # the cloud's default of 20 entries per direction can be raised to 40, not further


def acl_entry_limit(config: pulumi.Config) -> int:
    """``aclEntryLimit``: the entries per network ACL and direction the account's quota allows (default 20)."""
    raw = config.get(ACL_ENTRY_LIMIT_KEY)
    if raw is None:
        return ACL_ENTRY_LIMIT
    if not raw.strip().isdigit() or not ACL_ENTRY_LIMIT <= int(raw) <= ACL_ENTRY_LIMIT_MAX:
        raise pulumi.RunError(
            f"{ACL_ENTRY_LIMIT_KEY} {raw!r} is not a whole number in {ACL_ENTRY_LIMIT}-{ACL_ENTRY_LIMIT_MAX}: set it "
            "to the entries per network ACL and direction your account's quota allows; nothing was changed"
        )
    return int(raw)


def _path(config: pulumi.Config, key: str, default: Path) -> Path:
    value = config.get(key)
    if not value:
        return default
    path = Path(value)
    return path if path.is_absolute() else PROJECT_DIR / path


def deploy_region() -> str | None:
    """The region the egov provider deploys to: ``egov:region``, else the usual AWS variables."""
    return pulumi.Config("egov").get("region") or os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")


def load_policy(kind: str, *, with_tenants: bool = False) -> Policy:
    """The validated, compiled policy; ``with_tenants`` (the bridge) also compiles the admitted tenants' flows
    from the ``tenantFlows`` config and checks the quotas against ``aclEntryLimit``."""
    config = pulumi.Config()
    platform_file = _path(config, "platformFile", PLATFORM_FILE)
    flows_file = _path(config, "flowsFile", FLOWS_FILE)
    limit = acl_entry_limit(config) if with_tenants else ACL_ENTRY_LIMIT
    tenants: tuple[AdmittedTenant, ...] = ()
    try:
        platform = load_platform(platform_file)
        flows = load_flows(flows_file, platform)
        if with_tenants:
            tenants = parse_tenant_flows(config.get(TENANT_FLOWS_KEY) or "{}", platform)
        plan = compile_bridge(platform, flows, tenants=tenants, acl_entry_limit=limit)
    except ConfigError as exc:
        raise pulumi.RunError(f"the {kind} stack was not deployed; nothing was created.\n{exc}") from None
    except Exception as exc:  # the loaders raise only ConfigError; this keeps a missed case out of a traceback
        problem = unexpected_problem(f"{platform_file} and {flows_file}", exc)
        raise pulumi.RunError(f"the {kind} stack was not deployed; nothing was created.\n{problem}") from None
    region = deploy_region()
    if region is None:
        raise pulumi.RunError(
            f"the {kind} stack was not deployed: no region is configured; "
            f"set `pulumi config set egov:region {platform.region}` (the platform's region)"
        )
    if region not in platform.allowed_regions:
        raise pulumi.RunError(
            f"the {kind} stack was not deployed: region '{region}' is outside the allowed regions "
            f"({', '.join(platform.allowed_regions)}) of {platform.source}: data stays in the country"
        )
    if region != platform.region:
        raise pulumi.RunError(
            f"the {kind} stack was not deployed: the provider deploys to '{region}' but {platform.source} "
            f"declares region '{platform.region}'; make them agree (egov:region or the platform file)"
        )
    return Policy(platform=platform, flows=flows, plan=plan, region=region, tenants=tenants)


def peer_cidrs(plan: CompiledBridge, network: str) -> list[str]:
    """The CIDRs the network's transit-gateway table routes (what its VPC may send to the gateway)."""
    table = next(t.name for t in plan.route_tables if t.network == network)
    return sorted({route.destination_cidr for route in plan.routes if route.route_table == table})


def zone_route_cidrs(plan: CompiledBridge, platform: Platform, zone: str) -> list[str]:
    """What the zone's VPC routes to the transit gateway: its peers (``peer_cidrs``) and, for the zones
    departments exchange traffic with, the whole tenant pool. Which tenant block is reachable is the
    transit-gateway table's decision (the bridge stack routes only admitted tenants' blocks), so admitting a
    tenant never needs a change to the core stack."""
    cidrs = set(peer_cidrs(plan, zone))
    if platform.tenant_pool is not None and zone in PEER_ZONES:
        cidrs.add(str(platform.tenant_pool))
    return sorted(cidrs)
