"""How an engine run ended: an error the engine explained, or an engine that died under us (pure logic).

The outputs below are shaped like Pulumi v3.274.1's own: a failed `up` prints its diagnostics
(``error: ...``) and a summary (``Resources:`` ... ``Duration:``); a refused one (locked stack, bad
passphrase) prints ``error: ...`` alone; a killed one stops mid-progress.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from infra.engine import DETAIL_CHARS, EngineDied, EngineError, _died
from infra.repository import REPO_ROOT

PROGRESS = ("Updating (demo-core):\n +  egov:ec2:Vpc core-shared creating (0s)\n"
            " +  egov:ec2:Vpc core-shared created (0.2s)\n")
SUMMARY = "Resources:\n    + 3 created\n    1 errored\n\nDuration: 4s\n"


def done(returncode: int, stdout: str = "", stderr: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.CompletedProcess(["pulumi"], returncode, stdout, stderr)


@pytest.mark.parametrize(("args", "proc", "died"), [
    (("up",), done(-9, PROGRESS), True),  # SIGKILL
    (("stack", "ls"), done(-15), True),  # a signal kills any command
    (("up",), done(2, PROGRESS, "panic: runtime error\ngoroutine 1 [running]:\n"), True),
    (("refresh",), done(1, PROGRESS), True),  # neither a summary nor an error
    (("up",), done(255, PROGRESS + "Diagnostics:\n  egov:ec2:Vpc (x):\n    error: boom\n\n" + SUMMARY), False),
    (("up",), done(255, "", "error: the stack is currently locked by 1 lock(s).\n"), False),
    (("preview",), done(255), False),  # not an operation that ends with a summary
    (("up",), done(0, PROGRESS + SUMMARY), False),
])
def test_died_only_when_the_engine_did_not_explain(args: tuple[str, ...], proc: subprocess.CompletedProcess[str],
                                                  died: bool) -> None:
    assert _died(args, proc) is died


def test_a_killed_run_is_described_in_one_line_with_stack_and_signal() -> None:
    exc = EngineDied("demo-core", ["/x/pulumi", "up", "--yes"], -9, PROGRESS, "")
    assert exc.what() == "the engine died: `pulumi up` of stack demo-core was killed by SIGKILL"
    assert "\n" not in str(exc)
    assert exc.last_output(1) == [" +  egov:ec2:Vpc core-shared created (0.2s)"]


def test_a_killed_stack_command_is_named_in_full() -> None:
    exc = EngineDied("demo-core", ["/x/pulumi", "stack", "export", "--non-interactive"], -15, "", "")
    assert exc.what() == "the engine died: `pulumi stack export` of stack demo-core was killed by SIGTERM"


def test_an_unexplained_exit_names_its_code() -> None:
    exc = EngineDied("demo-bridge", ["/x/pulumi", "refresh"], 3, "", "")
    assert exc.what() == ("the engine died: `pulumi refresh` of stack demo-bridge exited with code 3 "
                          "without a summary or an error")


def test_the_repository_root_is_computed_in_one_place() -> None:
    """Only infra/repository.py (and the plugin launcher, which runs before `infra` can be imported) find it."""
    assert (REPO_ROOT / "Pulumi.yaml").is_file()
    pattern = re.compile(r"parents\[|Path\(__file__\)|os\.path\.dirname\(")
    allowed = {REPO_ROOT / "infra" / "repository.py", REPO_ROOT / "infra" / "provider" / "__main__.py"}
    offenders = [str(path.relative_to(REPO_ROOT)) for folder in ("infra", "stacks", "compliance")
                 for path in sorted((REPO_ROOT / folder).rglob("*.py"))
                 if path not in allowed and pattern.search(path.read_text(encoding="utf-8"))]
    assert offenders == []


def test_the_root_helper_is_the_checkout_this_test_runs_from() -> None:
    assert Path(__file__).resolve().is_relative_to(REPO_ROOT)


RESOURCE_ERROR = ("error: egov:ec2:Vpc resource 'foundation': property cidrBlock value {10.10.0.1/16} has a problem: "
                  "cidrBlock '10.10.0.1/16' has host bits set (0.0.0.1)")


def test_the_resource_error_leads_when_an_interrupted_programs_traceback_fills_the_tail() -> None:
    # The shape of a real `pulumi up` on a loaded machine: the resource's error, then the program's traceback
    # from being stopped mid-way, longer than the tail the message keeps.
    traceback = "".join(f"    pulumi:pulumi:Stack creating (1s)   File \"x.py\", line {n}, in f\n" for n in range(200))
    stdout = (f"Updating (t1):\n    egov:ec2:Vpc foundation  {RESOURCE_ERROR}\n{traceback}KeyboardInterrupt\n"
              f"Diagnostics:\n  egov:ec2:Vpc (foundation):\n    {RESOURCE_ERROR}\n\n  pulumi:pulumi:Stack (t1):\n"
              f"{traceback}\nResources:\n    + 1 created\n    1 errored\n")
    message = str(EngineError(["pulumi", "up"], 255, stdout, ""))
    assert message.splitlines()[1] == RESOURCE_ERROR
    assert message.count(RESOURCE_ERROR) == 1  # named once, though the output names it twice
    assert message.rstrip().endswith("1 errored") and len(message) < DETAIL_CHARS + 1200


def test_a_short_output_is_kept_whole_and_not_repeated() -> None:
    stdout = f"Diagnostics:\n    {RESOURCE_ERROR}\nResources:\n    1 errored\n"
    message = str(EngineError(["pulumi", "up"], 255, stdout, ""))
    assert message.split(":\n", 1)[1] == stdout.strip()
