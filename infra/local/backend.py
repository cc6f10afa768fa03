"""The Pulumi file backend of the embedded environment."""

from __future__ import annotations

import subprocess

from infra.engine import engine_version
from infra.local.paths import LocalPaths
from infra.local.status import PartStatus


def backend_url(paths: LocalPaths) -> str:
    return f"file://{paths.pulumi_state}"


def backend_status(paths: LocalPaths) -> PartStatus:
    """The backend is a directory: healthy when it exists and the engine that reads it runs."""
    stacks_dir = paths.pulumi_state / ".pulumi" / "stacks"
    stacks = sorted(p.stem for p in stacks_dir.rglob("*.json")) if stacks_dir.exists() else []
    try:
        version = engine_version()
        engine_ok = True
    except (OSError, subprocess.CalledProcessError) as exc:
        version, engine_ok = f"unavailable ({exc})", False
    exists = paths.pulumi_state.is_dir()
    return PartStatus(
        name="pulumi backend",
        running=exists,
        healthy=exists and engine_ok,
        address=backend_url(paths),
        version=version,
        detail=f"{len(stacks)} stack(s): {', '.join(stacks)}" if stacks else "no stacks yet",
    )
