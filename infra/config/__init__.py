"""Models of every input file, their validation, and the flow compiler (no service calls here).

Typical use::

    platform = load_platform(PLATFORM_FILE)
    flows = load_flows(FLOWS_FILE, platform)
    plan = compile_bridge(platform, flows)

Every loader raises one ``ConfigError`` listing every ``Problem`` it found, and nothing else. Any new
input file (tenant requests, catalogs, waivers, attestations) is read with ``read_yaml``: size cap, no
anchors or aliases, depth and value caps, duplicate keys refused (see ``infra/config/yamlfile.py``).
"""

from __future__ import annotations

from infra.config.compiler import (
    CompiledBridge,
    NetworkAcl,
    NetworkAclEntry,
    RouteTable,
    SecurityGroup,
    SecurityGroupRule,
    TransitGatewayRoute,
    compile_bridge,
    render_nftables,
)
from infra.config.fields import PortRange
from infra.config.flows import Flow, FlowAllowlist, load_flows, validate_flows
from infra.config.platform import Bridge, Network, Platform, Zone, load_platform, validate_platform
from infra.config.problems import ConfigError, Problem
from infra.config.yamlfile import DEFAULT_LIMITS, Limits, parse_yaml, read_yaml
from infra.repository import REPO_ROOT

POLICIES_DIR = REPO_ROOT / "policies"
PLATFORM_FILE = POLICIES_DIR / "platform.yaml"
FLOWS_FILE = POLICIES_DIR / "flows.yaml"

__all__ = [
    "DEFAULT_LIMITS",
    "FLOWS_FILE",
    "PLATFORM_FILE",
    "POLICIES_DIR",
    "Bridge",
    "CompiledBridge",
    "ConfigError",
    "Flow",
    "FlowAllowlist",
    "Limits",
    "Network",
    "NetworkAcl",
    "NetworkAclEntry",
    "Platform",
    "PortRange",
    "Problem",
    "RouteTable",
    "SecurityGroup",
    "SecurityGroupRule",
    "TransitGatewayRoute",
    "Zone",
    "compile_bridge",
    "load_flows",
    "load_platform",
    "parse_yaml",
    "read_yaml",
    "render_nftables",
    "validate_flows",
    "validate_platform",
]
