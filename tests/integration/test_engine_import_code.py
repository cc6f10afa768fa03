"""``pulumi import`` as a platform engineer types it: the engine adopts a VPC made outside Pulumi and prints
program code (our language host's GenerateProgram, upstream's Python generator) that, run as a program of
the same stack, asks for no change."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from infra.engine import Stack
from infra.local.paths import REPO_ROOT

pytestmark = pytest.mark.integration

# What the CLI prints before the generated code, ending with a blank line (cmd/pulumi/operations/import.go).
CODE_INTRO = "Please copy the following code into your Pulumi application."


def printed_code(stdout: str) -> str:
    assert CODE_INTRO in stdout, stdout
    return stdout.split(CODE_INTRO, 1)[1].split("\n\n", 1)[1].strip() + "\n"


def program_project(directory: Path, code: str) -> Path:
    """A Pulumi project of the same name (so the same stack) whose program is ``code``."""
    directory.mkdir()
    (directory / "__main__.py").write_text(code)
    (directory / "Pulumi.yaml").write_text(yaml.safe_dump({
        "name": yaml.safe_load((REPO_ROOT / "Pulumi.yaml").read_text())["name"],
        "runtime": {"name": "python", "options": {"toolchain": "pip", "virtualenv": str(REPO_ROOT / ".venv")}},
        "plugins": {"providers": [{"name": "egov", "path": str(REPO_ROOT / "infra" / "provider")}]},
    }))
    return directory


def test_import_prints_code_that_runs_without_changes(
    stack_factory: Callable[..., Stack], ec2: Any, tmp_path: Path
) -> None:
    stack = stack_factory()
    tags = [{"Key": "egov:stack", "Value": stack.name}, {"Key": "Owner", "Value": "dept-x"}]
    vpc_id = ec2.create_vpc(CidrBlock="10.78.0.0/16", TagSpecifications=[{"ResourceType": "vpc", "Tags": tags}])[
        "Vpc"]["VpcId"]
    try:
        proc = stack.run("import", "egov:ec2:Vpc", "adopted", vpc_id, "--yes", "--protect=false")
        code = printed_code(proc.stdout)
        # Upstream's Python generator: the SDK imported under the package name, the resource with the
        # inputs the provider read from the cloud.
        assert "import pulumi_egov as egov" in code, code
        assert 'egov.ec2.Vpc("adopted"' in code, code
        assert '"10.78.0.0/16"' in code and '"dept-x"' in code, code
        compile(code, "generated", "exec")

        program = Stack(stack.name, env=stack.env, config_file=stack.config_file,
                        project_dir=program_project(tmp_path / "imported", code))
        preview = program.preview_json("--expect-no-changes")
        # The stack and the adopted VPC, both unchanged (--expect-no-changes already fails on any change).
        assert preview["changeSummary"] == {"same": 2}, preview["changeSummary"]
    finally:
        stack.run("state", "delete", f"urn:pulumi:{stack.name}::egov-cloud::egov:ec2:Vpc::adopted", "--yes",
                  "--force", check=False)
        ec2.delete_vpc(VpcId=vpc_id)


def test_sdk_resources_make_the_engine_download_nothing(stack_factory: Callable[..., Stack]) -> None:
    """With automatic plugin acquisition on, as on a new user's machine, the SDK's resources (which carry
    the SDK's version) resolve to the plugin Pulumi.yaml declares: nothing is downloaded (here, with no
    route to a plugin server, an attempt would fail the preview)."""
    stack = stack_factory()
    eager = Stack(stack.name, env={**stack.env, "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "false"},
                  config_file=stack.config_file)
    proc = eager.run("preview", "--diff", "-v=7", "--logtostderr", "--logflow")
    assert "egov:ec2:Vpc" in proc.stdout  # the SDK's Vpc was registered
    log = proc.stderr.lower()
    assert "downloading plugin" not in log and "installing plugin" not in log
