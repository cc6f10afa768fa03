"""Run the real Pulumi CLI with the environment this project needs.

Every caller (the `egov` CLI, the tests, the benchmarks) goes through here so that the engine always
finds our build in ``.tools/bin``, never tries to download a plugin or check for updates, and keeps its
home and state where we say.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from infra import policy_record
from infra.repository import REPO_ROOT

PROJECT_DIR = REPO_ROOT


# The commands that read stack config and so accept --config-file (`stack ...` commands do not).
_TAKES_CONFIG_FILE = frozenset({"config", "up", "preview", "refresh", "destroy", "import"})
_TAKES_POLICY_PACK = frozenset({"up", "preview"})
POLICY_PACK_DIR = PROJECT_DIR / "policies" / "pack"


_ERROR_LINE = re.compile(r"^[ \t]*error: .*$", re.MULTILINE)
DETAIL_CHARS = 4000


def failure_detail(stdout: str, stderr: str) -> str:
    """The end of the engine's output, led by its ``error:`` lines that the end does not hold. When a resource
    fails, the engine stops the program, and a program interrupted mid-way (more often on a loaded machine)
    prints tracebacks that push the resource's own error out of the tail."""
    tail = (stderr.strip() or stdout.strip())[-DETAIL_CHARS:]
    missing = dict.fromkeys(line.strip()[:1000] for line in _ERROR_LINE.findall(f"{stdout}\n{stderr}"))
    lead = [line for line in missing if line not in tail][:20]
    return "\n".join([*lead, "...", tail]) if lead else tail


class EngineError(RuntimeError):
    """The Pulumi CLI failed; the message carries its command and output."""

    def __init__(self, command: Sequence[str], returncode: int, stdout: str, stderr: str) -> None:
        self.command = list(command)
        self.returncode = returncode
        self.stdout = stdout
        self.stderr = stderr
        super().__init__(f"`{' '.join(command)}` failed with exit code {returncode}:\n{failure_detail(stdout, stderr)}")


# The commands that run the engine over the stack's resources and end with a summary (Resources:, Duration:).
_OPERATIONS = frozenset({"up", "refresh", "destroy", "import"})


class EngineDied(EngineError):
    """The engine went away without finishing: killed by a signal, or exited with neither a summary nor an
    error of its own. Its stack lock and any pending operations stay behind, for `egov recover`."""

    def __init__(self, stack: str, command: Sequence[str], returncode: int, stdout: str, stderr: str) -> None:
        super().__init__(command, returncode, stdout, stderr)
        self.stack = stack
        words = [word for word in command[1:3] if not word.startswith("-")]
        self.operation = " ".join(words[:1] if words[:1] != ["stack"] else words)  # "up", "stack export"
        self.args = (self.what(),)

    @property
    def signal_name(self) -> str | None:
        if self.returncode >= 0:
            return None
        try:
            return signal.Signals(-self.returncode).name
        except ValueError:
            return f"signal {-self.returncode}"

    def what(self) -> str:
        """What happened, in words: which command, which stack, which signal or exit code."""
        how = (f"was killed by {self.signal_name}" if self.signal_name
               else f"exited with code {self.returncode} without a summary or an error")
        return f"the engine died: `pulumi {self.operation}` of stack {self.stack} {how}"

    def last_output(self, lines: int = 5) -> list[str]:
        """The engine's last lines of output, to show where it stopped."""
        text = "\n".join(part for part in (self.stdout.rstrip(), self.stderr.rstrip()) if part)
        return [line for line in text.splitlines() if line.strip()][-lines:]


def _died(args: Sequence[str], proc: subprocess.CompletedProcess[str]) -> bool:
    """Killed by a signal, or an operation that ended with neither a summary nor an ``error:`` line."""
    if proc.returncode < 0:
        return True
    if proc.returncode == 0 or not args or args[0] not in _OPERATIONS:
        return False
    output = f"{proc.stdout}\n{proc.stderr}"
    summarised = "Duration:" in output or "\nResources:" in output
    explained = any(line.lstrip().startswith("error:") for line in output.splitlines())
    return not summarised and not explained


def tools_bin() -> Path:
    """Where ``make setup`` puts an engine it built from Go modules."""
    return REPO_ROOT / ".tools" / "bin"


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


HISTORY_PAGE = 1_000_000


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

    Stack configuration lives where Pulumi and its users look for it, ``Pulumi.<stack>.yaml`` beside
    ``Pulumi.yaml``, so that every ``pulumi`` command works as typed. ``config_file`` moves it elsewhere
    (tests keep their throwaway stacks' config in a temporary directory).
    """

    name: str
    env: Mapping[str, str]
    config_file: Path | None = None
    project_dir: Path = PROJECT_DIR
    policy_pack: Path | None = None
    """A policy pack that gates every `up` and `preview` (the egov pack: POLICY_PACK_DIR). Its per-stack
    config, ``policy_config`` or else ``<pack>/stacks/<stack>.json`` (pulumi's --policy-pack-config), is
    validated first by ``policy_config_check``."""
    policy_config: Path | None = None
    policy_config_check: Callable[[Path], object] | None = None
    """The pack's own validator of its config (the engine ignores unknown policy names, so a typo would silently
    leave a policy at its default); passed in by the caller, since the pack's rules live above this layer."""
    policy_records: Path | None = None
    """Where the pack's verdict of every `up`/`preview` is kept (``<dir>/<stack>/<time>-<command>.json``, from
    the engine's ``--event-log``; infra/policy_record.py); None: not kept. The scan puts the newest per stack
    into the evidence bundles of the clauses the policies cite."""

    @property
    def config_path(self) -> Path:
        """The stack's config file: ``config_file``, else Pulumi's own ``Pulumi.<stack>.yaml``."""
        return self.config_file or self.project_dir / f"Pulumi.{self.name}.yaml"

    @property
    def project_name(self) -> str:
        return str(yaml.safe_load((self.project_dir / "Pulumi.yaml").read_text())["name"])

    @property
    def backend_url(self) -> str | None:
        """The state backend the engine uses for this stack (PULUMI_BACKEND_URL), if one is set."""
        return self.env.get("PULUMI_BACKEND_URL") or os.environ.get("PULUMI_BACKEND_URL") or None

    def run(self, *args: str, check: bool = True, stack_flag: bool = True,
            input_text: str | None = None) -> subprocess.CompletedProcess[str]:
        command = [pulumi_binary(), *args, "--non-interactive"]
        if stack_flag:
            command += ["--stack", self.name]
            if self.config_file is not None and args and args[0] in _TAKES_CONFIG_FILE:
                command += ["--config-file", str(self.config_file)]
        recording = self.policy_pack is not None and self.policy_records is not None and bool(args) \
            and args[0] in _TAKES_POLICY_PACK
        if self.policy_pack is not None and args and args[0] in _TAKES_POLICY_PACK:
            command += self.policy_pack_flags()
        if recording:
            proc = self._run_recording_policy(command, args[0], input_text)
        else:
            proc = self._spawn(command, input_text)
        if check and _died(args, proc):
            raise EngineDied(self.name, command, proc.returncode, proc.stdout, proc.stderr)
        if check and proc.returncode != 0:
            raise EngineError(command, proc.returncode, proc.stdout, proc.stderr)
        return proc

    def _spawn(self, command: list[str], input_text: str | None,
               extra_env: Mapping[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        # The CLI's display cuts long string values at a byte count, which can split a UTF-8 character
        # (e.g. a changed ``nftables`` output with Chinese owner names): never fail on decoding that.
        return subprocess.run(
            command, cwd=self.project_dir, env=engine_env({**self.env, **(extra_env or {})}), capture_output=True,
            text=True, encoding="utf-8", errors="replace", input=input_text, check=False,
        )

    def _run_recording_policy(self, command: list[str], operation: str,
                              input_text: str | None) -> subprocess.CompletedProcess[str]:
        """The run with ``--event-log``, then the pack's verdict kept under ``policy_records`` whatever the exit
        code (a mandatory violation is exactly what must be kept). v3.274.1 registers --event-log only with
        PULUMI_DEBUG_COMMANDS set (cmd/pulumi/operations/preview.go)."""
        assert self.policy_records is not None and self.policy_pack is not None
        with tempfile.TemporaryDirectory(prefix="egov-events-") as events_dir:
            event_log = Path(events_dir) / "events.jsonl"
            started = policy_record.now()
            proc = self._spawn([*command, "--event-log", str(event_log)], input_text,
                               {"PULUMI_DEBUG_COMMANDS": "true"})
            policy_record.write_record(self.policy_records, stack=self.name, command=operation,
                                       exit_code=proc.returncode, started=started, pack=self.policy_pack,
                                       config=self._policy_config_used(), event_log=event_log)
        return proc

    def policy_pack_flags(self) -> list[str]:
        """``--policy-pack`` and, when the stack has one, a validated ``--policy-pack-config``: the engine
        itself ignores unknown policy names, so a typo would silently leave a policy at its default."""
        assert self.policy_pack is not None
        flags = ["--policy-pack", str(self.policy_pack)]
        config = self.policy_config or self.policy_pack / "stacks" / f"{self.name}.json"
        if self.policy_config is not None or config.exists():
            if self.policy_config_check is not None:
                self.policy_config_check(config)
            flags += ["--policy-pack-config", str(config)]
        return flags

    def _policy_config_used(self) -> Path | None:
        config = self.policy_config or (self.policy_pack / "stacks" / f"{self.name}.json" if self.policy_pack else None)
        return config if config is not None and config.exists() else None

    def exists(self) -> bool:
        return self.name in self.backend_stacks()

    def backend_stacks(self) -> set[str]:
        """The names of the project's stacks in this stack's backend (one `stack ls`, which reads them all)."""
        proc = self.run("stack", "ls", "--json", stack_flag=False)
        return {str(s.get("name")) for s in json.loads(proc.stdout or "[]")}

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
        """`pulumi up`. With a policy pack the preview is kept: a mandatory violation then stops the update
        before any resource is created, rather than half-way through it."""
        skip = () if self.policy_pack is not None else ("--skip-preview",)
        return self.run("up", "--yes", *skip, *extra)

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

    def update_count(self) -> int:
        """How many updates the stack's history holds (`stack history` shows 10 unless asked for more)."""
        return len(json.loads(self.run("stack", "history", "--json", "--page-size", str(HISTORY_PAGE)).stdout
                              or "[]"))

    def remove(self) -> None:
        self.run("stack", "rm", "--yes", "--force", self.name, stack_flag=False, check=False)


def engine_version() -> str:
    proc = subprocess.run([pulumi_binary(), "version"], env=engine_env(), capture_output=True, text=True,
                          check=True)
    return proc.stdout.strip()
