"""The main job, end to end on the embedded cloud: what `make demo` shows a newcomer.

It deploys the core stack (zones, transit gateway, audit archive, keys) and the bridge stack (the one
controlled path between the extranet and the cloud), then summarises the topology from the same
config files the stacks were built from.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from infra.config import FLOWS_FILE, PLATFORM_FILE, load_flows, load_platform
from infra.engine import Stack
from infra.local.environment import LocalEnvironment
from infra.recovery import recover

CORE_STACK = "demo-core"
BRIDGE_STACK = "demo-bridge"


@dataclass(frozen=True)
class DemoResult:
    core_outputs: dict[str, Any]
    bridge_outputs: dict[str, Any]
    zones: list[tuple[str, str, str, str]]  # zone, CIDR, VPC id, description
    flows: list[tuple[str, str, str, str, str, str]]  # name, source, destination, protocol/ports, purpose, owner


def demo_stack(env: LocalEnvironment, name: str) -> Stack:
    """A demo stack; its config file lives under .egov/ because it names this machine's OpenBao key."""
    config_dir = env.paths.root / "stacks"
    config_dir.mkdir(parents=True, exist_ok=True)
    return Stack(name, env=env.env(), config_file=config_dir / f"Pulumi.{name}.yaml")


def _deploy(env: LocalEnvironment, name: str, config: dict[str, str], progress: Callable[[str], None],
            report: Callable[[str], None]) -> Stack:
    stack = demo_stack(env, name)
    progress(f"initialising stack {name} (secrets: {env.secrets_provider})")
    stack.init(env.secrets_provider)
    for key, value in config.items():
        stack.set_config(key, value)
    for line in recover(stack, progress=progress).lines():  # a previous demo may have been interrupted
        report(line)
    progress(f"pulumi up {name}")
    stack.up()
    return stack


def run_demo(env: LocalEnvironment, progress: Callable[[str], None],
             report: Callable[[str], None] = lambda _: None) -> DemoResult:
    """Bring the environment up, deploy core then bridge, return outputs and the topology summary.

    ``progress`` gets passing status; ``report`` what the operator must keep seeing (locks removed,
    leftovers of an interrupted run deleted)."""
    platform = load_platform(PLATFORM_FILE)  # fail on bad config before anything starts
    allowlist = load_flows(FLOWS_FILE, platform)
    env.up(progress)
    core = _deploy(env, CORE_STACK, {"kind": "core", "archiveForceDestroy": "true"}, progress, report)
    bridge = _deploy(env, BRIDGE_STACK, {"kind": "bridge", "coreStack": CORE_STACK}, progress, report)
    core_outputs, bridge_outputs = core.outputs(), bridge.outputs()
    vpc_ids = {**core_outputs.get("vpcIds", {}), "bridge": bridge_outputs.get("vpcId", "")}
    zones = [(name, str(net.cidr), str(vpc_ids.get(name, "")), net.description)
             for name, net in platform.networks().items()]
    flows = [(f.name, f.source, f.destination, f"{f.protocol} {','.join(str(p) for p in f.ports) or '-'}",
              f.purpose, f.owner) for f in allowlist.flows]
    return DemoResult(core_outputs, bridge_outputs, zones, flows)
