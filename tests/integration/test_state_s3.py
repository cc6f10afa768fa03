"""Pulumi's state in the embedded cloud's object storage (`egov local up --backend s3`): real engine, real
OpenBao, real moto S3.

Everything here is checked from outside our code: the bucket's settings and objects through plain boto3,
the engine's behaviour through the real `pulumi` CLI run as separate processes, the choice through the
real `egov` CLI.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
import pytest

from compliance.evidence.state import StateCollector
from infra.engine import Stack, engine_env, pulumi_binary
from infra.local.backend import STATE_BUCKET, STATE_KEY_ALIAS
from infra.local.environment import LocalEnvironment
from infra.local.paths import LocalPaths
from infra.local.process import LocalEnvError
from infra.recovery import stack_lock_findings
from infra.repository import REPO_ROOT
from infra.stack_locks import Verdict

pytestmark = pytest.mark.integration

EGOV = str(Path(sys.executable).with_name("egov"))
PROJECT = "egov-cloud"
SECRET = "duty-officer-13800000000"  # a value that must never appear in the bucket in clear


@pytest.fixture(scope="module")
def s3_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalEnvironment]:
    env = LocalEnvironment(LocalPaths(tmp_path_factory.mktemp("egov-s3")))
    try:
        env.up(backend="s3")
        yield env
    finally:
        env.down()


@pytest.fixture(scope="module")
def aws(s3_env: LocalEnvironment) -> Callable[[str], Any]:
    e = s3_env.cloud.env()

    def client(service: str) -> Any:
        return boto3.client(service, endpoint_url=e["AWS_ENDPOINT_URL"], region_name=e["AWS_REGION"],
                            aws_access_key_id=e["AWS_ACCESS_KEY_ID"], aws_secret_access_key=e["AWS_SECRET_ACCESS_KEY"])

    return client


@pytest.fixture()
def s3_stack(s3_env: LocalEnvironment, tmp_path: Path) -> Iterator[Stack]:
    """A foundation stack (one VPC and a secret output) on the s3 backend; destroyed and removed afterwards."""
    stack = Stack(f"s{uuid.uuid4().hex[:8]}", env=s3_env.env(), config_file=tmp_path / "Pulumi.s3.yaml")
    stack.init(s3_env.secrets_provider)
    stack.set_config("kind", "foundation")
    stack.set_config("vpcCidr", "10.42.0.0/16")
    stack.set_config("operatorContact", SECRET, secret=True)
    yield stack
    stack.run("cancel", "--yes", check=False)
    stack.run("destroy", "--yes", "--skip-preview", check=False)
    stack.remove()


def egov(*args: str, home: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([EGOV, *args], env={**os.environ, "EGOV_HOME": str(home)}, capture_output=True,
                          text=True, timeout=300, stdin=subprocess.DEVNULL, check=False)


def lock_keys(s3: Any, stack: str) -> list[str]:
    prefix = f".pulumi/locks/organization/{PROJECT}/{stack}/"
    return [o["Key"] for o in s3.list_objects_v2(Bucket=STATE_BUCKET, Prefix=prefix).get("Contents", [])]


def start_up(stack: Stack) -> subprocess.Popen[str]:
    """`pulumi up` of the stack as its own process, exactly as a CI runner would start it."""
    assert stack.config_file is not None
    command = [pulumi_binary(), "up", "--yes", "--skip-preview", "--non-interactive", "--stack", stack.name,
               "--config-file", str(stack.config_file)]
    return subprocess.Popen(command, cwd=REPO_ROOT, env=engine_env(stack.env), stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)


def wait_for(what: str, check: Callable[[], Any], timeout: float = 120) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def our_vpcs(ec2: Any, stack: str) -> list[dict[str, Any]]:
    found = ec2.describe_vpcs(Filters=[{"Name": "tag:egov:stack", "Values": [stack]}])["Vpcs"]
    return [v for v in found if v.get("State") != "deleted"]


def test_the_state_bucket_is_versioned_encrypted_private_and_tls_only(s3_env: LocalEnvironment,
                                                                      aws: Callable[[str], Any]) -> None:
    s3, kms = aws("s3"), aws("kms")
    url = s3_env.env()["PULUMI_BACKEND_URL"]
    assert url.startswith(f"s3://{STATE_BUCKET}?") and "testing" not in url  # no credentials in the URL
    assert s3.get_bucket_versioning(Bucket=STATE_BUCKET)["Status"] == "Enabled"
    [rule] = s3.get_bucket_encryption(Bucket=STATE_BUCKET)["ServerSideEncryptionConfiguration"]["Rules"]
    default = rule["ApplyServerSideEncryptionByDefault"]
    assert default["SSEAlgorithm"] == "aws:kms"
    alias = next(a for a in kms.list_aliases()["Aliases"] if a["AliasName"] == STATE_KEY_ALIAS)
    key = kms.describe_key(KeyId=alias["TargetKeyId"])["KeyMetadata"]
    assert default["KMSMasterKeyID"] == key["Arn"]
    assert kms.get_key_rotation_status(KeyId=key["KeyId"])["KeyRotationEnabled"]
    block = s3.get_public_access_block(Bucket=STATE_BUCKET)["PublicAccessBlockConfiguration"]
    assert block == {"BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True,
                     "RestrictPublicBuckets": True}
    [statement] = json.loads(s3.get_bucket_policy(Bucket=STATE_BUCKET)["Policy"])["Statement"]
    assert (statement["Effect"], statement["Condition"]) == ("Deny", {"Bool": {"aws:SecureTransport": "false"}})
    [lifecycle] = s3.get_bucket_lifecycle_configuration(Bucket=STATE_BUCKET)["Rules"]
    assert lifecycle["Status"] == "Enabled" and lifecycle["NoncurrentVersionExpiration"]["NoncurrentDays"] == 180
    [backend] = [part for part in s3_env.status() if part.name == "pulumi backend"]
    assert backend.healthy and backend.address == url

    # Bringing the environment up again changes nothing and keeps the choice; hand-made drift is put back.
    s3.put_bucket_versioning(Bucket=STATE_BUCKET, VersioningConfiguration={"Status": "Suspended"})
    s3_env.up()
    assert s3.get_bucket_versioning(Bucket=STATE_BUCKET)["Status"] == "Enabled"
    assert s3_env.env()["PULUMI_BACKEND_URL"] == url
    assert [a["AliasName"] for a in kms.list_aliases()["Aliases"]].count(STATE_KEY_ALIAS) == 1


def test_two_runners_of_one_stack_are_serialised_by_the_lock(s3_stack: Stack, s3_env: LocalEnvironment,
                                                             aws: Callable[[str], Any]) -> None:
    s3, ec2 = aws("s3"), aws("ec2")
    s3_stack.set_config("vpcCount", "4")  # long enough an update for the second runner to meet the first
    first = start_up(s3_stack)
    try:
        # The second runner starts while the first holds the stack's lock object in the bucket.
        [held] = wait_for("the first runner's lock in the bucket", lambda: lock_keys(s3, s3_stack.name))
        lock = json.loads(s3.get_object(Bucket=STATE_BUCKET, Key=held)["Body"].read())
        assert lock["pid"] == first.pid
        # egov's lock reader sees the same holder in the bucket, alive on this host: never to be broken.
        findings = stack_lock_findings(s3_stack)
        assert [(f.verdict, f.lock.location) for f in findings] == [(Verdict.LIVE, f"s3://{STATE_BUCKET}/{held}")]
        second = start_up(s3_stack)
        second_out, _ = second.communicate(timeout=300)
        assert first.poll() is None, "the first runner ended before the second met its lock: make it longer"
    finally:
        first_out, _ = first.communicate(timeout=300)
    assert first.returncode == 0, first_out
    assert second.returncode != 0, second_out
    assert "the stack is currently locked by 1 lock(s)" in second_out
    assert f"(pid {first.pid})" in second_out and held in second_out  # names the holder and its lock object

    # Nothing corrupted: one VPC, recorded once, the lock gone, and the state agrees with the cloud.
    assert lock_keys(s3, s3_stack.name) == []
    vpcs = sorted(v["VpcId"] for v in our_vpcs(ec2, s3_stack.name))
    resources = s3_stack.export()["deployment"]["resources"]
    assert len(vpcs) == 4 and sorted(r["id"] for r in resources if r["type"] == "egov:ec2:Vpc") == vpcs
    s3_stack.run("preview", "--expect-no-changes")

    # The state object is in the bucket, encrypted at rest by the bucket's key, its secret by OpenBao transit.
    key = f".pulumi/stacks/{PROJECT}/{s3_stack.name}.json"
    state = s3.get_object(Bucket=STATE_BUCKET, Key=key)
    assert state["ServerSideEncryption"] == "aws:kms"
    body = state["Body"].read().decode()
    assert SECRET not in body
    checkpoint = json.loads(body)["checkpoint"]["latest"]
    assert checkpoint["secrets_providers"]["state"]["url"].startswith("hashivault://")
    [output] = [r["outputs"]["operatorContact"] for r in checkpoint["resources"] if r["type"] == "pulumi:pulumi:Stack"]
    assert output["4dabf18193072939515e22adb298388d"] == "1b47061264138c4ac30d75fd1eb44270"  # Pulumi's secret sig
    assert "ciphertext" in output and SECRET not in output["ciphertext"]
    assert s3_stack.outputs(show_secrets=True)["operatorContact"] == SECRET
    versions = s3.list_object_versions(Bucket=STATE_BUCKET, Prefix=key)["Versions"]
    assert len([v for v in versions if v["Key"] == key]) >= 2  # every checkpoint kept by versioning

    # The scanner's state collector reads the stack through the real CLI on this backend.
    collected = StateCollector(s3_env.env()).collect()
    assert collected["backend"].startswith(f"s3://{STATE_BUCKET}?")
    [mine] = [s for s in collected["global"]["stacks"] if s["name"] == s3_stack.name]
    assert mine["secrets_provider"]["url"].startswith("hashivault://") and mine["plaintext_secret_paths"] == []


def test_recover_reads_a_foreign_lock_in_the_bucket_and_breaks_it_only_when_told(
        s3_stack: Stack, s3_env: LocalEnvironment, aws: Callable[[str], Any]) -> None:
    s3 = aws("s3")
    key = f".pulumi/locks/organization/{PROJECT}/{s3_stack.name}/{uuid.uuid4()}.json"
    since = datetime.now(UTC).isoformat()
    s3.put_object(Bucket=STATE_BUCKET, Key=key, Body=json.dumps(
        {"pid": 4242, "username": "ci", "hostname": "runner-7.gov.example", "timestamp": since}).encode())
    home = s3_env.paths.root
    refused = egov("recover", "--stack", s3_stack.name, "--config-file", str(s3_stack.config_file), home=home)
    assert refused.returncode == 1, refused.stdout + refused.stderr
    assert "lock of ci@runner-7.gov.example (pid 4242) on another host" in refused.stderr
    assert f"egov recover --stack {s3_stack.name} --break-lock" in refused.stderr
    assert lock_keys(s3, s3_stack.name) == [key]

    broken = egov("recover", "--stack", s3_stack.name, "--config-file", str(s3_stack.config_file),
                  "--break-lock", "--yes", home=home)
    assert broken.returncode == 0, broken.stdout + broken.stderr
    assert lock_keys(s3, s3_stack.name) == []


def test_moving_an_environment_with_stacks_to_the_other_backend_is_refused(
        s3_stack: Stack, s3_env: LocalEnvironment) -> None:
    before = s3_env.env()["PULUMI_BACKEND_URL"]
    with pytest.raises(LocalEnvError) as refused:
        s3_env.up(backend="file")
    message = str(refused.value)
    assert f"keeps its Pulumi state in s3 ({before})" in message
    assert s3_stack.name in message and "switching to file would leave them behind" in message
    # and through the real CLI: exit 1, the same reason, the choice unchanged
    proc = egov("local", "up", "--backend", "file", home=s3_env.paths.root)
    assert proc.returncode == 1 and "switching to file would leave them behind" in proc.stderr
    assert s3_env.env()["PULUMI_BACKEND_URL"] == before


# -- the demo, end to end, on the s3 backend ------------------------------------------------------------

DEMO_STACKS = ("demo-core", "demo-bridge")


@pytest.fixture(scope="module")
def demo_s3_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """An environment of its own (its cloud holds only the demo and the state bucket); the repository's own
    demo config files are put back afterwards, since the demo writes them beside Pulumi.yaml."""
    home = tmp_path_factory.mktemp("egov-s3-demo")
    saved = {path: path.read_bytes() for stack in DEMO_STACKS
             if (path := REPO_ROOT / f"Pulumi.{stack}.yaml").exists()}
    for path in saved:
        path.unlink()
    try:
        yield home
    finally:
        env = LocalEnvironment(LocalPaths(home))
        if env.paths.backend_choice.exists():
            for stack in reversed(DEMO_STACKS):
                Stack(stack, env=env.env()).run("destroy", "--yes", "--skip-preview", check=False)
                Stack(stack, env=env.env()).remove()
        env.down()
        for stack in DEMO_STACKS:
            (REPO_ROOT / f"Pulumi.{stack}.yaml").unlink(missing_ok=True)
        for path, content in saved.items():
            path.write_bytes(content)


@pytest.mark.slow
def test_egov_demo_runs_on_the_s3_backend_and_passes_the_gate(demo_s3_home: Path) -> None:
    """About 2.5 min: the whole demo, with every state write going to the embedded cloud's S3."""
    up = egov("local", "up", "--backend", "s3", home=demo_s3_home)
    assert up.returncode == 0, up.stdout + up.stderr
    demo = subprocess.run([EGOV, "demo"], env={**os.environ, "EGOV_HOME": str(demo_s3_home)}, capture_output=True,
                          text=True, timeout=900, stdin=subprocess.DEVNULL, check=False)
    assert demo.returncode == 0, demo.stdout[-3000:] + demo.stderr[-3000:]
    assert "gate passed" in demo.stdout

    env = LocalEnvironment(LocalPaths(demo_s3_home))
    e = env.cloud.env()
    s3 = boto3.client("s3", endpoint_url=e["AWS_ENDPOINT_URL"], region_name=e["AWS_REGION"],
                      aws_access_key_id=e["AWS_ACCESS_KEY_ID"], aws_secret_access_key=e["AWS_SECRET_ACCESS_KEY"])
    keys = {o["Key"] for o in s3.list_objects_v2(Bucket=STATE_BUCKET, Prefix=".pulumi/stacks/")["Contents"]}
    assert {f".pulumi/stacks/{PROJECT}/{stack}.json" for stack in DEMO_STACKS} <= keys
    assert not (env.paths.pulumi_state / ".pulumi" / "stacks").exists()  # nothing went to the file backend
    assert not any(lock_keys(s3, stack) for stack in DEMO_STACKS)
    # `egov local status` names the bucket and its stacks
    status = egov("local", "status", home=demo_s3_home)
    assert status.returncode == 0, status.stdout + status.stderr
    [backend] = [part for part in env.status() if part.name == "pulumi backend"]
    assert backend.address.startswith(f"s3://{STATE_BUCKET}?") and "demo-bridge, demo-core" in backend.detail
