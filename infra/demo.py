"""The main job, end to end on the embedded cloud: what `make demo` shows a newcomer.

It deploys the core stack (zones, transit gateway, audit archive, keys) and the bridge stack (the one
controlled path between the extranet and the cloud), brings OpenBao to the desired state of
``policies/vault/tenants.yaml`` (as ``egov vault apply`` does), then summarises the topology from the same
config files the stacks were built from. The CLI then runs the scan that gates migration.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import yaml

from compliance.rules.pack import load_config
from infra.config import FLOWS_FILE, PLATFORM_FILE, load_flows, load_platform
from infra.engine import POLICY_PACK_DIR, Stack
from infra.local.environment import LocalEnvironment
from infra.recovery import recover
from infra.vault.apply import apply_plan, make_plan
from infra.vault.model import load_desired
from infra.vault.policies import DEFAULT_DESIRED, kept_rendered_dir

CORE_STACK = "demo-core"
BRIDGE_STACK = "demo-bridge"
BRIDGE_ACL_QUOTA = 40


@dataclass(frozen=True)
class DemoResult:
    core_outputs: dict[str, Any]
    bridge_outputs: dict[str, Any]
    vault_changes: int  # what `egov vault apply` changed in OpenBao (0 on a re-run)
    zones: list[tuple[str, str, str, str]]  # zone, CIDR, VPC id, description
    flows: list[tuple[str, str, str, str, str, str]]  # name, source, destination, protocol/ports, purpose, owner


def demo_stack(env: LocalEnvironment, name: str) -> Stack:
    """A demo stack; its config is Pulumi.<name>.yaml beside Pulumi.yaml, where `pulumi` finds it.

    The file names this machine's OpenBao key, so git ignores it (``Pulumi.demo-*.yaml``). Demos made
    before kept it under .egov/stacks/; such a file is moved here once.
    """
    # every demo `up` passes the egov pack, its per-stack config checked by the pack's own validator
    stack = Stack(name, env=env.env(), policy_pack=POLICY_PACK_DIR, policy_config_check=load_config,
                  policy_records=env.paths.policy_records)
    earlier = env.paths.root / "stacks" / stack.config_path.name
    if earlier.is_file() and not stack.config_path.exists():
        shutil.move(earlier, stack.config_path)
    return stack


# The keys by which a stack's config file names its secrets provider and that provider's data key.
_SECRETS_KEYS = ("secretsprovider", "encryptedkey", "encryptionsalt")


def _forget_secrets_of_a_gone_stack(stack: Stack) -> None:
    """A demo config file whose stack is not in this backend (``.egov`` was reset, or another EGOV_HOME
    made it) carries a data key sealed by another OpenBao, which `stack init` would reuse and fail on."""
    if not stack.config_path.is_file():
        return
    settings = yaml.safe_load(stack.config_path.read_text()) or {}
    if isinstance(settings, dict) and any(key in settings for key in _SECRETS_KEYS):
        kept = {key: value for key, value in settings.items() if key not in _SECRETS_KEYS}
        stack.config_path.write_text(yaml.safe_dump(kept, sort_keys=False) if kept else "")


def _deploy(env: LocalEnvironment, name: str, config: dict[str, str], progress: Callable[[str], None],
            report: Callable[[str], None]) -> Stack:
    stack = demo_stack(env, name)
    progress(f"initialising stack {name} (secrets: {env.secrets_provider})")
    if not stack.exists():
        _forget_secrets_of_a_gone_stack(stack)
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
    # The embedded cloud stands for an account whose network-ACL quota was raised to the cloud's maximum (40
    # entries per direction): at the default 20, flows.yaml leaves room for about one department's flows.
    bridge_config = {"kind": "bridge", "coreStack": CORE_STACK, "aclEntryLimit": str(BRIDGE_ACL_QUOTA)}
    bridge = _deploy(env, BRIDGE_STACK, bridge_config, progress, report)
    vault_changes = _apply_vault(env, progress)
    core_outputs, bridge_outputs = core.outputs(), bridge.outputs()
    vpc_ids = {**core_outputs.get("vpcIds", {}), "bridge": bridge_outputs.get("vpcId", "")}
    zones = [(name, str(net.cidr), str(vpc_ids.get(name, "")), net.description)
             for name, net in platform.networks().items()]
    flows = [(f.name, f.source, f.destination, f"{f.protocol} {','.join(str(p) for p in f.ports) or '-'}",
              f.purpose, f.owner) for f in allowlist.flows]
    return DemoResult(core_outputs, bridge_outputs, vault_changes, zones, flows)


def _apply_vault(env: LocalEnvironment, progress: Callable[[str], None]) -> int:
    """`egov vault apply --yes` on the embedded OpenBao: the root token of its init file does the break-glass
    actions (tenant namespaces, CAs, AppRoles), exactly as the CLI does there. Returns how many changes it made."""
    conn = env.vault.root_connection()
    state = load_desired(DEFAULT_DESIRED)
    rendered = kept_rendered_dir(DEFAULT_DESIRED)
    plan = make_plan(conn, state, rendered)
    if plan.empty:
        return 0
    progress(f"OpenBao: applying {len(plan.actions)} changes from {DEFAULT_DESIRED.name}")
    return len(apply_plan(conn, state, plan, progress=progress, rendered_dir=rendered).applied)
