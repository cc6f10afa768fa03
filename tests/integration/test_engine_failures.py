"""Failures give clear errors and leave nothing broken: OpenBao sealed or stopped, moto gone mid-run."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable
from typing import Any

import pytest

from infra.engine import EngineError, Stack, engine_env, pulumi_binary
from infra.local.environment import LocalEnvironment, diagnose
from infra.recovery import recover
from tests.integration.cloud_walk import stack_vpcs

pytestmark = pytest.mark.integration


def our_vpcs(ec2: Any, stack: Stack) -> list[dict[str, Any]]:
    return stack_vpcs(ec2, [stack.name])


def test_sealed_openbao_is_named_with_the_fix(stack_factory: Callable[..., Stack],
                                              local_env: LocalEnvironment) -> None:
    stack = stack_factory()
    stack.set_config("operatorContact", "x@example.cn", secret=True)
    local_env.vault.client().sys.seal()
    try:
        with pytest.raises(EngineError) as caught:
            stack.up()
        assert "Vault is sealed" in str(caught.value)
        hint = diagnose(caught.value, local_env)
        assert f"OpenBao at {local_env.vault.address} is sealed" in hint
        assert "egov local up" in hint
    finally:
        local_env.up()
    stack.up()  # converges once unsealed


def test_stopped_openbao_is_named_with_the_fix(stack_factory: Callable[..., Stack],
                                               local_env: LocalEnvironment) -> None:
    stack = stack_factory()
    stack.set_config("operatorContact", "x@example.cn", secret=True)
    local_env.vault.down()
    try:
        with pytest.raises(EngineError) as caught:
            stack.up()
        hint = diagnose(caught.value, local_env)
        assert f"OpenBao at {local_env.vault.address} is not reachable" in hint
    finally:
        local_env.up()
    stack.up()


def test_moto_killed_mid_run_then_rerun_converges(stack_factory: Callable[..., Stack], ec2: Any,
                                                  local_env: LocalEnvironment) -> None:
    stack = stack_factory()
    stack.set_config("vpcCount", "8")
    command = [pulumi_binary(), "up", "--yes", "--skip-preview", "--non-interactive", "--stack", stack.name,
               "--config-file", str(stack.config_file), "--parallel", "1"]
    proc = subprocess.Popen(command, cwd=stack.project_dir, env=engine_env(stack.env), text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while len(seen := our_vpcs(ec2, stack)) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        local_env.cloud.down()
        output, _ = proc.communicate(timeout=300)
    finally:
        if proc.poll() is None:
            proc.kill()
        local_env.up()  # whatever happened here: the session's other tests need their cloud back
    # The scenario happened: the cloud went away mid-run, with some VPCs made and not all of them.
    assert 2 <= len(seen) < 8, f"the cloud was stopped after {len(seen)} of 8 VPCs; the run was not interrupted"
    assert proc.returncode != 0, output
    assert local_env.cloud.endpoint in output, "the error should name the endpoint that went away"

    assert {v["VpcId"] for v in seen} <= {v["VpcId"] for v in our_vpcs(ec2, stack)}, "the cloud lost VPCs"
    leftovers = recover(stack).leftovers
    assert [leftover.type_token for leftover in leftovers if leftover.type_token != "egov:ec2:Vpc"] == []
    assert recover(stack, dry_run=True).leftovers == []
    stack.up()
    vpcs = our_vpcs(ec2, stack)
    assert len(vpcs) == 8, [v["VpcId"] for v in vpcs]
    stack.run("up", "--yes", "--skip-preview", "--expect-no-changes")
    stack.destroy()
    assert our_vpcs(ec2, stack) == []
