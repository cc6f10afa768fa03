"""Where the embedded environment keeps its state.

Everything lives under one directory (``.egov/`` at the repository root by default,
``EGOV_HOME`` to move it) so that ``rm -rf .egov`` is a full reset and nothing leaks
into the user's home directory.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from infra.repository import REPO_ROOT


@dataclass(frozen=True)
class LocalPaths:
    """The on-disk layout of the embedded environment."""

    root: Path

    @classmethod
    def default(cls) -> LocalPaths:
        return cls(Path(os.environ.get("EGOV_HOME", REPO_ROOT / ".egov")).resolve())

    @property
    def moto(self) -> Path:
        return self.root / "moto"

    @property
    def policy_records(self) -> Path:
        """The policy pack's verdict of every `up`/`preview` egov runs (infra/policy_record.py)."""
        return self.root / "evidence" / "pack"

    @property
    def openbao(self) -> Path:
        return self.root / "openbao"

    @property
    def pulumi_state(self) -> Path:
        """The Pulumi file backend (``file://`` URL points here)."""
        return self.root / "pulumi" / "state"

    @property
    def backend_choice(self) -> Path:
        """Which Pulumi backend this environment uses (file or s3), remembered by `egov local up --backend`."""
        return self.root / "pulumi" / "backend.json"

    @property
    def pulumi_home(self) -> Path:
        """PULUMI_HOME: keeps the engine's plugin cache and credentials out of ~/.pulumi."""
        return self.root / "pulumi" / "home"

    def ensure(self) -> None:
        for directory in (self.root, self.moto, self.openbao, self.pulumi_state, self.pulumi_home):
            directory.mkdir(parents=True, exist_ok=True)
        self.root.chmod(0o700)

