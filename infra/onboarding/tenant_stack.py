"""The tenant stack made ready for the engine: created if missing, its config set from the settings and the
plan file. Shared by `egov tenant plan` (a preview with the policy pack) and `egov tenant apply` (its `up`), so
the plan previews exactly the stack apply brings up."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from infra.engine import Stack
from infra.onboarding.settings import Settings


def configure(stack: Stack, settings: Settings, plan_file: Path, init: Callable[[Callable[[], Any]], Any]) -> None:
    """``init`` runs the stack's creation (apply reads again when a listing met another runner's write)."""
    init(lambda: stack.init(settings.secrets_provider))  # `stack init` unless it exists
    current = stack_config(stack)
    wanted = {"kind": "tenant", "planFile": str(plan_file), "coreStack": settings.core_stack,
              "bridgeStack": settings.bridge_stack, "accountId": settings.account_id,
              "platformFile": str(settings.platform_file), **settings.extra_config}
    if "admitted" not in current:
        wanted["admitted"] = "false"  # until the gate passes
    changed = {key: value for key, value in wanted.items() if current.get(key) != value}
    if changed:
        stack.run("config", "set-all", *(arg for key, value in changed.items()
                                         for arg in ("--plaintext", f"{key}={value}")))


def stack_config(stack: Stack) -> dict[str, str]:
    """The stack's config without the project prefix, booleans as `true`/`false`; {} when it has none."""
    proc = stack.run("config", "--json", check=False)
    if proc.returncode != 0:
        return {}
    values = json.loads(proc.stdout or "{}")
    return {key.split(":", 1)[-1]: str(item.get("value", "")).lower() if isinstance(item.get("value"), bool)
            else str(item.get("value", "")) for key, item in values.items()}
