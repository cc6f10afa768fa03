"""`egov tenant plan`'s preview: the tenant stack, configured exactly as `egov tenant apply` will bring it up,
previewed by the engine with the egov policy pack. Nothing is created in the cloud; the stack itself is created
(empty) in the backend, and apply continues with it; an onboarded department's live stack keeps its config, the
preview reading a configured copy. The pack's verdict comes from the engine's event log
(``infra.policy_record``), kept with the other pack records for the scanner."""

from __future__ import annotations

import dataclasses
import json
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from infra.engine import Stack
from infra.onboarding.settings import Settings
from infra.onboarding.tenant_stack import configure


class PreviewError(Exception):
    """The preview could not run or the pack refused the plan; the message says which and what to do."""


@dataclass(frozen=True)
class PreviewVerdict:
    stack: str
    changes: dict[str, int]
    """Planned resources per operation (a new stack: create; an onboarded one: update, replace, delete too)."""
    violations: list[dict[str, Any]] = field(default_factory=list)
    packs: dict[str, str] = field(default_factory=dict)
    record: Path | None = None

    def lines(self) -> list[str]:
        ops = ", ".join(f"{count} to {op}" for op, count in sorted(self.changes.items())) or "no change"
        packs = ", ".join(f"{name} {version}".strip() for name, version in self.packs.items()) or "egov"
        said = [f"preview of stack {self.stack} with the policy pack ({packs}): {ops}"]
        if not self.violations:
            said.append("  policy pack: no violation")
        for violation in self.violations:
            said.append(f"  policy pack, {violation['enforcement']}: {violation['policy']} on "
                        f"{violation['urn'].rsplit('::', 1)[-1]}: {violation['message']}")
        if self.record is not None:
            said.append(f"  the pack's verdict is kept in {self.record}")
        return said


def preview_plan(settings: Settings, tenant: str, plan_file: Path, records: Path) -> PreviewVerdict:
    """Preview the tenant stack built from ``plan_file``; ``PreviewError`` when the platform's stacks are not
    there, or the engine or a mandatory policy refuses the plan."""
    stack = settings.tenant_stack(tenant)
    listed = stack.backend_stacks()  # one listing for the platform's stacks and the tenant's
    missing = [name for name in (settings.core_stack, settings.bridge_stack) if name not in listed]
    if missing:
        raise PreviewError(f"the platform's stack(s) {', '.join(missing)} are not deployed in this backend, so the "
                           "tenant stack cannot be previewed: deploy the platform (or name its stacks with "
                           "--core-stack/--bridge-stack), or plan with --no-preview")
    stack.policy_records = records
    if stack.config_path.exists() and stack.name in listed:
        # A department already onboarded: its live stack's config stays as apply left it until the change is
        # approved and applied; the preview reads a copy configured with the new plan.
        with tempfile.TemporaryDirectory(prefix="egov-plan-preview-") as temp:
            copy = Path(temp) / stack.config_path.name
            shutil.copy2(stack.config_path, copy)
            proc = _preview(dataclasses.replace(stack, config_file=copy), settings, plan_file, created=True)
    else:  # a new stack: created and configured, empty until apply
        proc = _preview(stack, settings, plan_file, created=False)
    newest = sorted((records / stack.name).glob("*-preview*.json"))
    record = json.loads(newest[-1].read_text(encoding="utf-8")) if newest else {}
    violations = list(record.get("violations") or ())
    if proc.returncode != 0:
        refused = [v for v in violations if v.get("enforcement") == "mandatory"]
        why = "; ".join(f"{v['policy']}: {v['message']}" for v in refused) or _last_error(proc.stdout + proc.stderr)
        raise PreviewError(f"the preview of stack {stack.name} failed: {why}")
    changes: dict[str, int] = {}
    for resource in record.get("planned_resources") or ():
        if resource.get("op") not in ("same", "read", ""):
            changes[str(resource["op"])] = changes.get(str(resource["op"]), 0) + 1
    return PreviewVerdict(stack.name, changes, violations, dict(record.get("packs") or {}),
                          newest[-1] if newest else None)


def _preview(stack: Stack, settings: Settings, plan_file: Path, *, created: bool) -> subprocess.CompletedProcess[str]:
    configure(stack, settings, plan_file, lambda init: None if created else init())
    return stack.run("preview", check=False)


def _last_error(output: str) -> str:
    errors = [line.strip() for line in output.splitlines() if line.strip().startswith("error:")]
    return errors[-1] if errors else output.strip()[-500:]
