"""The main job, end to end on the embedded cloud: what `make demo` shows a newcomer."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from infra.engine import Stack
from infra.local.environment import LocalEnvironment
from infra.recovery import recover

DEMO_STACK = "demo"


def demo_stack(env: LocalEnvironment) -> Stack:
    """The demo stack; its config file lives under .egov/ because it names this machine's OpenBao key."""
    config_file = env.paths.root / "stacks" / f"Pulumi.{DEMO_STACK}.yaml"
    return Stack(DEMO_STACK, env=env.env(), config_file=config_file)


def run_demo(env: LocalEnvironment, progress: Callable[[str], None]) -> dict[str, Any]:
    """Bring the environment up, deploy the foundation stack, return its outputs (secrets masked)."""
    env.up(progress)
    stack = demo_stack(env)
    (env.paths.root / "stacks").mkdir(parents=True, exist_ok=True)
    progress(f"initialising stack {DEMO_STACK} (secrets: {env.secrets_provider})")
    stack.init(env.secrets_provider)
    stack.set_config("kind", "foundation")
    stack.set_config("operatorContact", "ops@egov.example.cn", secret=True)
    recover(stack, progress=progress)  # a previous demo may have been interrupted
    progress("pulumi up (creates the VPC in the embedded cloud)")
    stack.up()
    return stack.outputs()
