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
from infra.config.problems import unexpected_problem

PROJECT_DIR = POLICIES_DIR.parent


@dataclass(frozen=True)
class Policy:
    platform: Platform
    flows: FlowAllowlist
    plan: CompiledBridge
    region: str


def _path(config: pulumi.Config, key: str, default: Path) -> Path:
    value = config.get(key)
    if not value:
        return default
    path = Path(value)
    return path if path.is_absolute() else PROJECT_DIR / path


def deploy_region() -> str | None:
    """The region the egov provider deploys to: ``egov:region``, else the usual AWS variables."""
    return pulumi.Config("egov").get("region") or os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")


def load_policy(kind: str) -> Policy:
    config = pulumi.Config()
    platform_file = _path(config, "platformFile", PLATFORM_FILE)
    flows_file = _path(config, "flowsFile", FLOWS_FILE)
    try:
        platform = load_platform(platform_file)
        flows = load_flows(flows_file, platform)
        plan = compile_bridge(platform, flows)
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
    return Policy(platform=platform, flows=flows, plan=plan, region=region)


def peer_cidrs(plan: CompiledBridge, network: str) -> list[str]:
    """The CIDRs the network's transit-gateway table routes (what its VPC may send to the gateway)."""
    table = next(t.name for t in plan.route_tables if t.network == network)
    return sorted({route.destination_cidr for route in plan.routes if route.route_table == table})
