"""The engine killed under `egov`, and the stack locks it leaves: real engine, real OpenBao, real moto, real CLI.

Locks are read here by hand where Pulumi's file backend writes them
(``.pulumi/locks/organization/<project>/<stack>/*.json``), and the cloud through plain boto3 describe
calls (moto keeps the tags of deleted resources, so tags alone would not prove anything is gone).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shlex
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from infra.engine import Stack, engine_env, pulumi_binary
from infra.local.environment import LocalEnvironment
from infra.local.paths import LocalPaths
from infra.repository import REPO_ROOT

pytestmark = pytest.mark.integration

EGOV = str(Path(sys.executable).with_name("egov"))
PROJECT = "egov-cloud"
DEMO_STACKS = ("demo-core", "demo-bridge")


# -- helpers ---------------------------------------------------------------------------------------


def egov(*args: str, home: Path, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "EGOV_HOME": str(home)}
    return subprocess.run([EGOV, *args], env=env, capture_output=True, text=True, timeout=timeout,
                          stdin=subprocess.DEVNULL, check=False)


def lock_files(home: Path, stack: str) -> list[Path]:
    directory = LocalPaths(home).pulumi_state / ".pulumi" / "locks" / "organization" / PROJECT / stack
    return sorted(directory.glob("*.json")) if directory.is_dir() else []


def kill_engine(engine: int, request: pytest.FixtureRequest) -> None:
    """SIGKILL the engine. Its plugins (language host, provider, analyzer) outlive it, as they would after a real
    crash, and may still finish what they were doing: the test's subject. They are this test's processes, so
    they are stopped when the test ends (by PID, while the PID still runs the same program)."""
    plugins = children(engine)
    os.kill(engine, signal.SIGKILL)

    def stop_plugins() -> None:
        for pid, cmdline in plugins:
            try:
                current = [part.decode() for part in Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0") if part]
            except OSError:
                continue
            if current == cmdline:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)

    request.addfinalizer(stop_plugins)


def children(pid: int) -> list[tuple[int, list[str]]]:
    """The processes whose parent is ``pid``, with their command lines (from /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if int(stat[stat.rindex(")") + 2:].split()[1]) == pid:
            found.append((int(entry.name), [part.decode() for part in cmdline if part]))
    return found


def wait_for(what: str, check: Callable[[], Any], timeout: float = 180, every: float = 0.05) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def last_line(text: str) -> str:
    lines = [line for line in text.splitlines() if line.strip()]
    return lines[-1] if lines else ""


def cloud_inventory(client: Callable[[str], Any]) -> Counter[tuple[str, str]]:
    """Every resource of the kinds the demo makes, read with describe calls; moto's own defaults left out."""
    ec2, found = client("ec2"), Counter[tuple[str, str]]()
    default_vpcs = {v["VpcId"] for v in ec2.describe_vpcs()["Vpcs"] if v.get("IsDefault")}
    for vpc in ec2.describe_vpcs()["Vpcs"]:
        if vpc["VpcId"] not in default_vpcs:
            found["egov:ec2:Vpc", vpc["VpcId"]] += 1
    for subnet in ec2.describe_subnets()["Subnets"]:
        if subnet["VpcId"] not in default_vpcs:
            found["egov:ec2:Subnet", subnet["SubnetId"]] += 1
    for group in ec2.describe_security_groups()["SecurityGroups"]:
        if group["VpcId"] not in default_vpcs and group["GroupName"] != "default":
            found["egov:ec2:SecurityGroup", group["GroupId"]] += 1
    for table in ec2.describe_route_tables()["RouteTables"]:
        if table["VpcId"] not in default_vpcs and not any(a.get("Main") for a in table.get("Associations", [])):
            found["egov:ec2:RouteTable", table["RouteTableId"]] += 1
    for tgw in ec2.describe_transit_gateways()["TransitGateways"]:
        if tgw["State"] not in ("deleted", "deleting"):
            found["egov:ec2:TransitGateway", tgw["TransitGatewayId"]] += 1
    for att in ec2.describe_transit_gateway_vpc_attachments()["TransitGatewayVpcAttachments"]:
        if att["State"] not in ("deleted", "deleting"):
            found["egov:ec2:TransitGatewayVpcAttachment", att["TransitGatewayAttachmentId"]] += 1
    for table in ec2.describe_transit_gateway_route_tables()["TransitGatewayRouteTables"]:
        if table["State"] not in ("deleted", "deleting") and not table.get("DefaultAssociationRouteTable"):
            found["egov:ec2:TransitGatewayRouteTable", table["TransitGatewayRouteTableId"]] += 1
    for log in ec2.describe_flow_logs()["FlowLogs"]:
        found["egov:ec2:FlowLog", log["FlowLogId"]] += 1
    kms = client("kms")
    for key in kms.list_keys()["Keys"]:
        if kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"]["KeyState"] != "PendingDeletion":
            found["egov:kms:Key", key["KeyId"]] += 1
    for bucket in client("s3").list_buckets()["Buckets"]:
        found["egov:s3:Bucket", bucket["Name"]] += 1
    return found


def state_inventory(stack: Stack, kinds: set[str]) -> Counter[tuple[str, str]]:
    """The stack's resources of those kinds as its state records them (type, id), and no pending operation."""
    deployment = stack.export()["deployment"]
    assert not deployment.get("pending_operations"), deployment.get("pending_operations")
    resources = deployment.get("resources") or []
    urns = Counter(r["urn"] for r in resources)
    assert [urn for urn, n in urns.items() if n > 1] == []
    return Counter((r["type"], str(r["id"])) for r in resources if r["type"] in kinds)


# -- fixtures --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def demo_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """An embedded environment of this module's own (so its cloud holds nothing but what the demo makes);
    the repository's own demo config files are put back afterwards."""
    home = tmp_path_factory.mktemp("egov-demo-home")
    saved = {path: path.read_bytes() for stack in DEMO_STACKS
             if (path := REPO_ROOT / f"Pulumi.{stack}.yaml").exists()}
    for path in saved:
        path.unlink()
    env = LocalEnvironment(LocalPaths(home))
    try:
        env.up()
        yield home
    finally:
        for stack in reversed(DEMO_STACKS):
            Stack(stack, env=env.env()).run("destroy", "--yes", "--skip-preview", check=False)
            Stack(stack, env=env.env()).remove()
        env.down()
        for stack in DEMO_STACKS:
            (REPO_ROOT / f"Pulumi.{stack}.yaml").unlink(missing_ok=True)
        for path, content in saved.items():
            path.write_bytes(content)


@pytest.fixture()
def demo_aws(demo_home: Path) -> Callable[[str], Any]:
    e = LocalEnvironment(LocalPaths(demo_home)).env()

    def client(service: str) -> Any:
        return boto3.client(service, endpoint_url=e["AWS_ENDPOINT_URL"], region_name=e["AWS_DEFAULT_REGION"],
                            aws_access_key_id=e["AWS_ACCESS_KEY_ID"], aws_secret_access_key=e["AWS_SECRET_ACCESS_KEY"])

    return client


# -- the scenario: SIGKILL the engine under `egov demo` --------------------------------------


def test_engine_killed_under_egov_demo_then_demo_converges(demo_home: Path, demo_aws: Callable[[str], Any],
                                                           request: pytest.FixtureRequest) -> None:
    kms = demo_aws("kms")
    env = {**os.environ, "EGOV_HOME": str(demo_home)}
    with (demo_home / "first-demo.out").open("w") as stdout, (demo_home / "first-demo.err").open("w") as stderr:
        demo = subprocess.Popen([EGOV, "demo"], env=env, stdout=stdout, stderr=stderr, stdin=subprocess.DEVNULL)
        try:
            def engine_up() -> int | None:
                for pid, cmdline in children(demo.pid):
                    if cmdline and Path(cmdline[0]).name == "pulumi" and "up" in cmdline and "demo-core" in cmdline:
                        return pid
                assert demo.poll() is None, "egov demo ended before its engine ran `pulumi up`"
                return None

            engine = wait_for("egov's `pulumi up` of demo-core", engine_up)

            def created() -> bool:
                # A key as soon as KMS has it: its create is still running in the provider (rotation, read
                # back), so the engine has not recorded it, the hardest case for the next run.
                return bool(kms.list_keys()["Keys"])

            wait_for("the first KMS key of demo-core", created, every=0.01)
            kill_engine(engine, request)
            returncode = demo.wait(timeout=120)
        finally:
            if demo.poll() is None:
                demo.kill()
                demo.wait()
    out = (demo_home / "first-demo.err").read_text()
    assert returncode != 0
    assert last_line(out).startswith(
        "error: the engine died: `pulumi up` of stack demo-core was killed by SIGKILL"), out
    assert "run `egov demo` again" in last_line(out)

    # The scenario happened: the killed engine left its lock, naming its own PID, and some of its resources.
    [lock_path] = lock_files(demo_home, "demo-core")
    lock = json.loads(lock_path.read_text())
    assert lock["pid"] == engine
    assert kms.list_keys()["Keys"]

    again = egov("demo", home=demo_home)
    assert again.returncode == 0, again.stderr
    assert "gate passed" in again.stdout, again.stdout  # the demo ends with the migration gate of `egov scan`
    assert re.search(rf"stack demo-core: removed stale lock of pid {engine} \(\S+@\S+, no longer running\), "
                     r"\d+s old", again.stdout + again.stderr), again.stdout + again.stderr
    assert lock_files(demo_home, "demo-core") == []

    local = LocalEnvironment(LocalPaths(demo_home))
    stacks = [Stack(name, env=local.env()) for name in DEMO_STACKS]
    cloud = cloud_inventory(demo_aws)
    kinds = {kind for kind, _ in cloud}
    state = sum((state_inventory(stack, kinds) for stack in stacks), Counter[tuple[str, str]]())
    assert {"egov:ec2:Vpc", "egov:ec2:TransitGateway", "egov:kms:Key", "egov:s3:Bucket"} <= kinds
    assert max(cloud.values()) == 1
    recovered = [line for line in again.stderr.splitlines() if line.startswith("stack ")]
    extra = {key: kms.list_resource_tags(KeyId=key[1])["Tags"] for key in cloud - state if key[0] == "egov:kms:Key"}
    assert cloud == state, "\n".join([*recovered, *map(str, extra.items())])
    for stack in stacks:
        stack.run("preview", "--expect-no-changes")


# -- locks of live processes and of other hosts --------------------------------------------------------


def start_up(stack: Stack) -> subprocess.Popen[bytes]:
    command = [pulumi_binary(), "up", "--yes", "--skip-preview", "--non-interactive", "--stack", stack.name,
               "--config-file", str(stack.config_file), "--parallel", "1"]
    return subprocess.Popen(command, cwd=stack.project_dir, env=engine_env(stack.env),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def home_of(local_env: LocalEnvironment) -> Path:
    return local_env.paths.root


def test_a_live_processes_lock_is_never_broken(stack_factory: Callable[..., Stack],
                                                local_env: LocalEnvironment) -> None:
    stack = stack_factory()
    stack.set_config("vpcCount", "3")
    home = home_of(local_env)
    engine = start_up(stack)
    try:
        wait_for("the running engine's lock", lambda: lock_files(home, stack.name))
        engine.send_signal(signal.SIGSTOP)  # alive, holding its lock, for as long as the test needs
        recover_args = ("recover", "--stack", stack.name, "--config-file", str(stack.config_file))
        for extra in ((), ("--break-lock", "--yes")):
            proc = egov(*recover_args, *extra, home=home)
            assert proc.returncode == 1, proc.stdout + proc.stderr
            message = proc.stderr
            assert f"(pid {engine.pid}), still running on this host, since" in message
            assert "never broken" in message
            assert [json.loads(p.read_text())["pid"] for p in lock_files(home, stack.name)] == [engine.pid]
    finally:
        engine.send_signal(signal.SIGCONT)
        try:
            engine.wait(timeout=300)
        except subprocess.TimeoutExpired:
            engine.kill()
            engine.wait()
    if lock_files(home, stack.name):  # the engine could not finish after its plugins gave up on it
        egov("recover", "--stack", stack.name, "--config-file", str(stack.config_file), home=home)
    stack.up()
    assert lock_files(home, stack.name) == []


def test_another_hosts_lock_is_broken_only_with_break_lock(stack_factory: Callable[..., Stack],
                                                           local_env: LocalEnvironment, ec2: Any) -> None:
    stack = stack_factory()
    stack.set_config("vpcCount", "3")
    home = home_of(local_env)
    engine = start_up(stack)
    try:
        wait_for("the running engine's lock", lambda: lock_files(home, stack.name))
    finally:
        engine.kill()  # a real lock, left behind as a killed run leaves it
        engine.wait()
    [lock_path] = lock_files(home, stack.name)
    lock = json.loads(lock_path.read_text())
    lock.update(hostname="ci-runner-7", username="ops")  # ... but claimed by a CI runner
    lock_path.write_text(json.dumps(lock))
    recover_args = ("recover", "--stack", stack.name, "--config-file", str(stack.config_file))

    refused = egov(*recover_args, home=home)
    assert refused.returncode == 1
    assert f"ops@ci-runner-7 (pid {engine.pid}) on another host, since" in refused.stderr
    assert f"`egov recover --stack {stack.name} --break-lock`" in refused.stderr
    assert lock_files(home, stack.name) == [lock_path]

    unconfirmed = egov(*recover_args, "--break-lock", home=home)  # no terminal to ask, no --yes
    assert unconfirmed.returncode == 1
    assert "needs confirmation" in unconfirmed.stderr
    assert lock_files(home, stack.name) == [lock_path]

    # At a terminal it asks, and a "no" keeps the lock (util-linux `script` gives the CLI a terminal).
    asked = subprocess.run(["script", "-qec", shlex.join([EGOV, *recover_args, "--break-lock"]), "/dev/null"],
                           env={**os.environ, "EGOV_HOME": str(home)}, input="n\n", capture_output=True,
                           text=True, timeout=300, check=False)
    assert "Break 1 lock(s) of stack" in asked.stdout, asked.stdout
    assert asked.returncode == 1, asked.stdout
    assert lock_files(home, stack.name) == [lock_path]

    broken = egov(*recover_args, "--break-lock", "--yes", home=home)
    assert broken.returncode == 0, broken.stderr
    assert f"removed lock of ops@ci-runner-7 (pid {engine.pid}) on another host" in broken.stdout
    assert lock_files(home, stack.name) == []
    stack.up()
    assert len(ec2.describe_vpcs(Filters=[{"Name": "tag:egov:stack", "Values": [stack.name]}])["Vpcs"]) == 3


def test_a_state_sidecar_left_empty_is_deleted_by_recover_and_egov_writes_none(
        stack_factory: Callable[..., Stack], local_env: LocalEnvironment) -> None:
    stack = stack_factory()
    stack.up()
    state = local_env.paths.pulumi_state / ".pulumi"
    assert list(state.rglob("*.attrs")) == []  # metadata=skip: no sidecar is rewritten in place
    [checkpoint] = state.rglob(f"stacks/*/{stack.name}.json")
    sidecar = checkpoint.with_name(checkpoint.name + ".attrs")
    sidecar.write_bytes(b"")  # as fileblob's default leaves it when killed between its Create and its JSON
    unreadable = stack.run("stack", "output", "--json", check=False)
    assert unreadable.returncode != 0 and "failed to load checkpoint: EOF" in unreadable.stderr

    home = home_of(local_env)
    recovered = egov("recover", "--stack", stack.name, "--config-file", str(stack.config_file), home=home)
    assert recovered.returncode == 0, recovered.stdout + recovered.stderr
    assert f"deleted the broken state sidecar {sidecar}" in " ".join(recovered.stdout.split())
    assert not sidecar.exists()
    stack.run("up", "--yes", "--skip-preview", "--expect-no-changes")


# -- stack config where Pulumi looks for it ----------------------------------------------------------


def test_pulumi_commands_work_as_typed_after_egov_local_env(demo_home: Path) -> None:
    """A platform engineer's first commands, in a shell, from the repository root: no flags of ours."""
    if not (REPO_ROOT / "Pulumi.demo-core.yaml").exists():
        made = egov("demo", home=demo_home)
        assert made.returncode == 0, made.stderr
    script = """set -e
eval "$(egov local env)"
pulumi stack ls
pulumi config --stack demo-core
pulumi config --stack demo-bridge
pulumi preview --stack demo-core --expect-no-changes
pulumi preview --stack demo-bridge --expect-no-changes
"""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("PULUMI_", "VAULT_", "AWS_"))}
    env = {**clean, "EGOV_HOME": str(demo_home), "PATH": f"{Path(EGOV).parent}{os.pathsep}{clean['PATH']}"}
    proc = subprocess.run(["bash", "-c", script], cwd=REPO_ROOT, env=env, capture_output=True, text=True,
                          timeout=600, stdin=subprocess.DEVNULL, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    listed = {line.split()[0].rstrip("*") for line in proc.stdout.splitlines()[1:] if line.strip()}
    assert set(DEMO_STACKS) <= listed, proc.stdout
    assert re.search(r"^kind\s+core\s*$", proc.stdout, re.M), proc.stdout
    assert re.search(r"^kind\s+bridge\s*$", proc.stdout, re.M), proc.stdout
    assert "passphrase" not in proc.stderr
    for stack in DEMO_STACKS:  # the file Pulumi found is the one beside Pulumi.yaml, naming our OpenBao key
        assert "hashivault://" in (REPO_ROOT / f"Pulumi.{stack}.yaml").read_text()
