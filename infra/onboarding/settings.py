"""Where onboarding runs: the engine's environment, the OpenBao connection and the platform's stacks.

The CLI builds this (it knows the embedded environment); the steps below only obey it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from compliance.rules.pack import load_config
from infra.config import PLATFORM_FILE
from infra.engine import POLICY_PACK_DIR, Stack
from infra.vault.live import Connection
from infra.vault.policies import DEFAULT_DESIRED

REPORT_FORMATS = ("json", "html", "pdf")


@dataclass(frozen=True)
class Settings:
    env: Mapping[str, str]
    """The engine's and the scanner's environment (cloud endpoint and keys, PULUMI_BACKEND_URL, VAULT_ADDR)."""
    vault: Connection
    """The platform's OpenBao connection: onboarding records, the tenant's namespace, the scan's reads."""
    secrets_provider: str
    state_dir: Path
    """Where a runner keeps its working files: plans, stack config, scan folders and reports."""
    core_stack: str = "demo-core"
    bridge_stack: str = "demo-bridge"
    bridge_config_file: Path | None = None
    account_id: str = ""
    pipeline_cidrs: tuple[str, ...] = ("127.0.0.1/32",)
    platform_file: Path = PLATFORM_FILE
    desired_file: Path = DEFAULT_DESIRED
    report_formats: tuple[str, ...] = REPORT_FORMATS
    extra_config: Mapping[str, str] = field(default_factory=dict)

    def plan_file(self, tenant: str) -> Path:
        return self.state_dir / "tenant-plans" / f"{tenant}.json"

    def tenant_dir(self, tenant: str) -> Path:
        return self.state_dir / "onboarding" / tenant

    def tenant_stack(self, tenant: str) -> Stack:
        """``tenant-<id>`` (the id was checked against the request pattern), gated by the egov policy pack."""
        name = stack_name(tenant)
        return Stack(name, env=self.env, config_file=self.state_dir / "stacks" / f"Pulumi.{name}.yaml",
                     policy_pack=POLICY_PACK_DIR, policy_config_check=load_config)

    def bridge(self) -> Stack:
        return Stack(self.bridge_stack, env=self.env, config_file=self.bridge_config_file,
                     policy_pack=POLICY_PACK_DIR, policy_config_check=load_config)


def stack_name(tenant: str) -> str:
    return f"tenant-{tenant}"


def digest(document: object) -> str:
    """A short fingerprint of a plan: a step done for another plan is done again."""
    return hashlib.sha256(json.dumps(document, sort_keys=True).encode()).hexdigest()[:16]
