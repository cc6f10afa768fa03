"""The committed SDK is exactly what the engine's code generator makes of today's schema.

Regenerates with ``sdk/generate.py`` (as ``make sdk`` does: schema from the handlers' specs, then ``pulumi
package gen-sdk --language python`` through our language host) into a temporary directory and compares
every file with ``sdk/``. A handler spec changed without ``make sdk``, or a hand edit of a generated file,
fails here.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from infra.local.paths import REPO_ROOT

pytestmark = pytest.mark.integration

SDK = REPO_ROOT / "sdk"


def tree(root: Path) -> dict[str, bytes]:
    """Every file under root but what Python and the editable install leave there (the SDK's .gitignore)."""

    def built(path: Path) -> bool:
        return path.suffix == ".pyc" or any(p == "__pycache__" or p.endswith(".egg-info") for p in path.parts)

    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file() and not built(p)}


def test_committed_sdk_matches_a_fresh_generation(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, str(SDK / "generate.py"), "--out", str(tmp_path)],
        capture_output=True, text=True, timeout=300, check=False,
    )
    assert result.returncode == 0, result.stderr
    fresh = tree(tmp_path / "python")
    committed = tree(SDK / "python")
    assert "pulumi_egov/ec2/vpc.py" in fresh, sorted(fresh)  # the generator really ran
    assert sorted(fresh) == sorted(committed), "files differ: run `make sdk` and commit sdk/"
    changed = [name for name in fresh if fresh[name] != committed[name]]
    assert not changed, f"generated files differ from the committed ones: {changed}; run `make sdk`"
    assert (tmp_path / "schema.json").read_bytes() == (SDK / "schema.json").read_bytes()
