"""Run the real Pulumi CLI with the environment this project needs.

Every caller (the `egov` CLI, the tests, the benchmarks) goes through here so that the engine always
finds our build in ``.tools/bin``, never tries to download a plugin or check for updates, and keeps its
home and state where we say.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from infra.local.paths import REPO_ROOT, tools_bin

PROJECT_DIR = REPO_ROOT


# The commands that read stack config and so accept --config-file (`stack ...` commands do not).
_TAKES_CONFIG_FILE = frozenset({"config", "up", "preview", "refresh", "destroy", "import"})


class EngineError(RuntimeError):
    """The Pulumi CLI failed; the message carries its command and output."""

    def __init__(self, command: Sequence[str], returncode: int, stdout: str, stderr: str) -> None:
        self.command = list(command)
        self.returncode = returncode
        self.stdout = stdout
        self.stderr = stderr
        detail = (stderr.strip() or stdout.strip())[-4000:]
        super().__init__(f"`{' '.join(command)}` failed with exit code {returncode}:\n{detail}")


def engine_settings(path: str | None = None) -> dict[str, str]:
    """What every engine run needs: our build first on PATH, no plugin downloads, no update checks.

    PULUMI_PARALLEL_DIFF: without it the engine's step generator waits for each resource's Diff round
    trip to the provider before it takes the next registration; our Diff is pure (no cloud calls), so
    overlapping them is safe and takes that serial latency off previews and updates (bench/RESULTS.md).
    """
    path = os.environ.get("PATH", "") if path is None else path
    return {
        "PATH": f"{tools_bin()}{os.pathsep}{path}",
        "PULUMI_SKIP_UPDATE_CHECK": "true",
        "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true",
        "PULUMI_PARALLEL_DIFF": "true",
    }


def engine_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The process environment for the Pulumi CLI: ours, the engine settings, then ``extra``."""
    return {**os.environ, **engine_settings(), **(extra or {})}


def pulumi_binary() -> str:
    candidate = tools_bin() / "pulumi"
    if candidate.exists():
        return str(candidate)
    found = shutil.which("pulumi")
    if found is None:
        raise FileNotFoundError("no Pulumi CLI: run `make setup` (it builds one into .tools/bin)")
    return found


@dataclass
class Stack:
    """One Pulumi stack of this project, driven through the CLI.

    ``config_file`` keeps stack configuration out of the repository root (the embedded environment keeps
    it under ``.egov/``; tests keep theirs in a temporary directory).
    """

    name: str
    env: Mapping[str, str]
    config_file: Path | None = None
    project_dir: Path = PROJECT_DIR

    def run(self, *args: str, check: bool = True, stack_flag: bool = True,
            input_text: str | None = None) -> subprocess.CompletedProcess[str]:
        command = [pulumi_binary(), *args, "--non-interactive"]
        if stack_flag:
            command += ["--stack", self.name]
            if self.config_file is not None and args and args[0] in _TAKES_CONFIG_FILE:
                command += ["--config-file", str(self.config_file)]
        # The CLI's display cuts long string values at a byte count, which can split a UTF-8 character
        # (e.g. a changed ``nftables`` output with Chinese owner names): never fail on decoding that.
        proc = subprocess.run(
            command, cwd=self.project_dir, env=engine_env(self.env), capture_output=True, text=True,
            encoding="utf-8", errors="replace", input=input_text, check=False,
        )
        if check and proc.returncode != 0:
            raise EngineError(command, proc.returncode, proc.stdout, proc.stderr)
        return proc

    def exists(self) -> bool:
        proc = self.run("stack", "ls", "--json", stack_flag=False)
        return any(s.get("name") == self.name for s in json.loads(proc.stdout or "[]"))

    def init(self, secrets_provider: str) -> None:
        """Create the stack if it is missing (idempotent)."""
        if self.exists():
            return
        self.run("stack", "init", self.name, "--secrets-provider", secrets_provider, stack_flag=False)
        if self.config_file is not None:
            self._adopt_default_config_file()

    def _adopt_default_config_file(self) -> None:
        """`stack init` has no --config-file flag and writes the secrets provider's encrypted data key to
        Pulumi.<stack>.yaml beside Pulumi.yaml; move those keys into our config file."""
        assert self.config_file is not None
        written = self.project_dir / f"Pulumi.{self.name}.yaml"
        if not written.exists():
            return
        settings = yaml.safe_load(written.read_text()) or {}
        existing = yaml.safe_load(self.config_file.read_text()) or {} if self.config_file.exists() else {}
        self.config_file.parent.mkdir(parents=True, exist_ok=True)
        self.config_file.write_text(yaml.safe_dump({**existing, **settings}, sort_keys=False))
        written.unlink()

    def set_config(self, key: str, value: str, *, secret: bool = False) -> None:
        args = ["config", "set", key, "--secret" if secret else "--plaintext"]
        # The value goes through stdin so that a secret never shows in the process list.
        self.run(*args, input_text=value)

    def up(self, *extra: str) -> subprocess.CompletedProcess[str]:
        return self.run("up", "--yes", "--skip-preview", *extra)

    def preview_json(self, *extra: str) -> dict[str, Any]:
        proc = self.run("preview", "--json", *extra)
        return dict(json.loads(proc.stdout))

    def refresh(self, *extra: str) -> subprocess.CompletedProcess[str]:
        return self.run("refresh", "--yes", "--skip-preview", *extra)

    def destroy(self, *extra: str) -> subprocess.CompletedProcess[str]:
        return self.run("destroy", "--yes", "--skip-preview", *extra)

    def outputs(self, *, show_secrets: bool = False) -> dict[str, Any]:
        args = ["stack", "output", "--json"] + (["--show-secrets"] if show_secrets else [])
        return dict(json.loads(self.run(*args).stdout or "{}"))

    def export(self) -> dict[str, Any]:
        return dict(json.loads(self.run("stack", "export").stdout))

    def remove(self) -> None:
        self.run("stack", "rm", "--yes", "--force", self.name, stack_flag=False, check=False)


def engine_version() -> str:
    proc = subprocess.run([pulumi_binary(), "version"], env=engine_env(), capture_output=True, text=True,
                          check=True)
    return proc.stdout.strip()
