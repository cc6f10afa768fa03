"""Hostile input files through the real entry points: the `egov` command in its own process and
`pulumi preview` of the core stack (real engine, our language host, moto server and OpenBao).

Each must end with the loader's exact message, a non-zero exit, no Python traceback and nothing created,
within a generous time bound (a refusal, not a benchmark). Before the hardened loader, the anchor bomb ran
for minutes into gigabytes and the deep nesting printed a 208 KB traceback from `pulumi preview`.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from infra.engine import Stack
from tests.integration import cloud_walk

pytestmark = pytest.mark.integration

EGOV = Path(sys.executable).with_name("egov")
ANCHORS = "anchors and aliases are not accepted in input files (a few lines of them can expand to gigabytes)"
BOMB_LINES = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol","lol"]'] + [
    f"{chr(98 + i)}: &{chr(98 + i)} [{','.join([f'*{chr(97 + i)}'] * 10)}]" for i in range(8)
]
BOUND_S = 60.0  # the CLI or the engine start-up dominates; expanding the bomb took minutes and gigabytes


def egov(*args: str) -> tuple[subprocess.CompletedProcess[str], float]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("VAULT_")}
    start = time.perf_counter()
    proc = subprocess.run([str(EGOV), *args], env={**env, "COLUMNS": "400", "NO_COLOR": "1"},
                          capture_output=True, text=True, timeout=120, check=False)
    return proc, time.perf_counter() - start


def test_egov_vault_plan_refuses_an_alias_bomb(tmp_path: Path) -> None:
    path = tmp_path / "tenants.yaml"
    path.write_text("version: 1\nx:\n" + "".join(f"  {line}\n" for line in BOMB_LINES) + "tenants: [*i]\n",
                    encoding="utf-8")
    proc, elapsed = egov("vault", "plan", "-f", str(path))
    assert proc.returncode == 1, proc.stderr
    assert proc.stderr.strip() == (
        "error: invalid desired state (1 problem); nothing was changed:\n"
        f"  - {path}: x.a (line 3): YAML anchor '&a' refused: {ANCHORS}; remove the anchor and write the value out "
        "in full where it is used"
    )
    assert proc.stdout == ""
    assert elapsed < BOUND_S


def test_egov_vault_plan_refuses_20000_deep_nesting(tmp_path: Path) -> None:
    path = tmp_path / "tenants.yaml"
    path.write_text("version: 1\ntenants:\n  " + "- " * 20_000 + "x\n", encoding="utf-8")
    proc, elapsed = egov("vault", "plan", "-f", str(path))
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr and "RecursionError" not in proc.stderr
    assert proc.stderr.strip() == (
        "error: invalid desired state (1 problem); nothing was changed:\n"
        f"  - {path}: tenants[0][0][0][0][0]... (64 levels down) (line 3): nested more than 64 levels deep; "
        "flatten the structure; no input file needs this much nesting"
    )
    assert elapsed < BOUND_S


def _preview(stack: Stack) -> tuple[subprocess.CompletedProcess[str], float]:
    start = time.perf_counter()
    proc = stack.run("preview", check=False)
    return proc, time.perf_counter() - start


def _normalized(text: str) -> str:
    """The engine indents program output; strip it so a multi-line message can be found verbatim."""
    return "\n".join(line.strip() for line in text.splitlines())


@pytest.mark.parametrize("case", ["anchor-bomb", "deep-nesting"])
def test_pulumi_preview_refuses_hostile_platform_files(
    case: str, stack_factory: Callable[..., Stack], tmp_path: Path, ec2: object
) -> None:
    path = tmp_path / "platform.yaml"
    if case == "anchor-bomb":
        path.write_text("region: cn-north-1\n" + "".join(f"{line}\n" for line in BOMB_LINES), encoding="utf-8")
        expected = (f"- {path}:2: a: YAML anchor '&a' refused: {ANCHORS}\n"
                    "hint: remove the anchor and write the value out in full where it is used")
    else:
        path.write_text("zones: " + "[" * 20_000, encoding="utf-8")
        expected = (f"- {path}:1: not valid YAML at line 1, column 1007: exceeded maximum nesting depth (while "
                    "increasing flow level that starts at line 1)\n"
                    "hint: flatten the structure; no input file needs this much nesting")
    stack = stack_factory(kind="core")
    stack.set_config("platformFile", str(path))
    proc, elapsed = _preview(stack)
    output = f"{proc.stdout}\n{proc.stderr}"
    assert proc.returncode != 0
    assert "the core stack was not deployed; nothing was created.\n1 configuration problem:\n" + expected in (
        _normalized(output)), output[-3000:]
    assert "Traceback" not in output and "RecursionError" not in output
    assert len(output) < 20_000, f"{len(output)} characters of output"
    assert elapsed < BOUND_S
    assert cloud_walk.stack_vpcs(ec2, [stack.name]) == []
