"""tools/pulumi/setup.sh: reuse an installed engine, build one, or say plainly how to get one."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from infra.engine import tools_bin
from infra.repository import REPO_ROOT

pytestmark = pytest.mark.integration

BARE_PATH = "/usr/bin:/bin"


def scratch_repo(tmp_path: Path) -> Path:
    """A copy of tools/pulumi in an empty repo, so nothing is cached in its .tools/."""
    repo = tmp_path / "repo"
    shutil.copytree(REPO_ROOT / "tools" / "pulumi", repo / "tools" / "pulumi")
    return repo


def run_setup(repo: Path, path: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PATH": path}
    return subprocess.run(["bash", str(repo / "tools" / "pulumi" / "setup.sh")], env=env,
                          capture_output=True, text=True, check=False)


def test_no_go_and_no_pulumi_says_how_to_install(tmp_path: Path) -> None:
    if shutil.which("go", path=BARE_PATH) or shutil.which("pulumi", path=BARE_PATH):
        pytest.skip("this machine has go or pulumi in /usr/bin")
    repo = scratch_repo(tmp_path)
    proc = run_setup(repo, BARE_PATH)
    assert proc.returncode == 3
    assert "no Pulumi CLI >= 3.274.1 on PATH, and no Go toolchain" in proc.stderr
    assert "install the Pulumi CLI" in proc.stderr
    assert not (repo / ".tools" / "bin" / "pulumi").exists()


def test_an_installed_pulumi_at_the_pin_is_reused(tmp_path: Path) -> None:
    built = tools_bin() / "pulumi"
    if not built.exists() or built.is_symlink():
        pytest.skip("needs the engine built by make setup")
    installed = tmp_path / "installed-bin"
    installed.mkdir()
    (installed / "pulumi").symlink_to(built)
    repo = scratch_repo(tmp_path)
    proc = run_setup(repo, f"{installed}:{BARE_PATH}")
    assert proc.returncode == 0, proc.stderr
    linked = repo / ".tools" / "bin" / "pulumi"
    assert linked.is_symlink() and Path(os.readlink(linked)) == installed / "pulumi"
    assert "using the installed pulumi 3.274.1" in proc.stderr
