"""The embedded cloud against a real moto server: lifecycle, and state (ids included) across restarts."""

from __future__ import annotations

import json
import os
import signal
import socket
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import boto3
import pytest

from infra.local.moto import MotoCloud
from infra.local.paths import LocalPaths
from infra.local.process import LOOPBACK, DaemonRecord, LocalEnvError, free_port, pid_alive

pytestmark = pytest.mark.integration

TAGS = [{"Key": "Name", "Value": "egov-core"}, {"Key": "mlps-level", "Value": "3"}]


@pytest.fixture
def cloud(tmp_path: Path) -> Iterator[MotoCloud]:
    instance = MotoCloud(LocalPaths(tmp_path / "egov"))
    try:
        yield instance
    finally:
        instance.down()


def ec2_client(cloud: MotoCloud) -> Any:
    return boto3.client("ec2", endpoint_url=cloud.endpoint, region_name=MotoCloud.REGION,
                        aws_access_key_id="testing", aws_secret_access_key="testing")


def create_vpc(cloud: MotoCloud, cidr: str = "10.10.0.0/16") -> str:
    spec = [{"ResourceType": "vpc", "Tags": TAGS}]
    vpc = ec2_client(cloud).create_vpc(CidrBlock=cidr, TagSpecifications=spec)
    return str(vpc["Vpc"]["VpcId"])


def vpc_tags(cloud: MotoCloud, vpc_id: str) -> list[dict[str, str]]:
    vpcs = ec2_client(cloud).describe_vpcs(VpcIds=[vpc_id])["Vpcs"]
    assert [v["VpcId"] for v in vpcs] == [vpc_id]
    return sorted(vpcs[0].get("Tags", []), key=lambda tag: tag["Key"])


def server_pid(cloud: MotoCloud) -> int:
    record = DaemonRecord.load(cloud.paths.moto / "server.json")
    assert record is not None
    return record.pid


def test_up_is_healthy_and_serves_ec2_in_cn_north_1(cloud: MotoCloud) -> None:
    messages: list[str] = []
    status = cloud.up(messages.append)
    assert status.running and status.healthy, status
    assert status.address == cloud.endpoint.rstrip("/")
    assert cloud.endpoint.startswith(f"http://{LOOPBACK}:")
    assert status.version.count(".") == 2
    assert messages and "starting" in messages[0]

    vpc_id = create_vpc(cloud)
    assert vpc_id.startswith("vpc-")
    assert vpc_tags(cloud, vpc_id) == TAGS
    env = cloud.env()
    assert env["AWS_ENDPOINT_URL"] == cloud.endpoint
    assert env["AWS_REGION"] == env["AWS_DEFAULT_REGION"] == "cn-north-1"
    assert env["AWS_ACCESS_KEY_ID"] == env["AWS_SECRET_ACCESS_KEY"] == "testing"


def test_second_up_is_a_no_op(cloud: MotoCloud) -> None:
    cloud.up()
    pid = server_pid(cloud)
    status = cloud.up()
    assert status.healthy
    assert server_pid(cloud) == pid


def test_state_survives_down_and_up(cloud: MotoCloud) -> None:
    cloud.up()
    vpc_id = create_vpc(cloud)
    port = cloud.port
    cloud.down()

    stopped = cloud.status()
    assert not stopped.running and not stopped.healthy
    assert "not running" in stopped.detail and "egov local up" in stopped.detail

    status = cloud.up()
    assert status.healthy and not status.warnings, status
    assert cloud.port == port  # the port is persisted
    assert vpc_tags(cloud, vpc_id) == TAGS
    assert "verified" in status.detail, status.detail


def test_state_survives_kill_9(cloud: MotoCloud) -> None:
    cloud.up()
    vpc_id = create_vpc(cloud)
    pid = server_pid(cloud)
    os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 5
    while pid_alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)

    crashed = cloud.status()
    assert not crashed.running and "exited unexpectedly" in crashed.detail

    status = cloud.up()
    assert status.healthy and not status.warnings, status
    assert server_pid(cloud) != pid
    assert vpc_tags(cloud, vpc_id) == TAGS


def test_ids_survive_restart_after_parallel_creation(cloud: MotoCloud) -> None:
    """Pulumi creates resources in parallel; replay must still give every VPC its own id back."""
    cloud.up()
    with ThreadPoolExecutor(8) as pool:
        created = dict(pool.map(lambda i: (i, create_vpc(cloud, f"10.{i}.0.0/16")), range(24)))
    cloud.down()
    status = cloud.up()
    assert status.healthy and not status.warnings, status
    cidrs = {v["VpcId"]: v["CidrBlock"] for v in ec2_client(cloud).describe_vpcs()["Vpcs"]}
    assert {i: cidrs.get(vpc_id) for i, vpc_id in created.items()} == {i: f"10.{i}.0.0/16" for i in created}


def test_status_says_reset_when_the_recording_was_lost(cloud: MotoCloud) -> None:
    cloud.up()
    create_vpc(cloud)
    cloud.down()
    (cloud.paths.moto / "recording.jsonl").unlink()

    status = cloud.up()
    assert status.healthy
    assert any("reset" in w and "pulumi refresh" in w for w in status.warnings), status.warnings
    cloud.down()
    assert any("pulumi refresh" in w for w in cloud.status().warnings)  # the marker persists

    cloud.clear_reset_marker()
    assert not cloud.status().warnings


def test_status_when_never_started(cloud: MotoCloud) -> None:
    status = cloud.status()
    assert not status.running and not status.healthy
    assert "not running" in status.detail and "egov local up" in status.detail


def test_port_taken_by_another_program(tmp_path: Path) -> None:
    port = free_port()
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as squatter:
        squatter.bind((LOOPBACK, port))
        squatter.listen()
        cloud = MotoCloud(LocalPaths(tmp_path / "egov"), port=port)
        try:
            with pytest.raises(LocalEnvError, match=rf"port {port}\b.*in use"):
                cloud.up()
            assert not cloud.status().running
        finally:
            cloud.down()


def last_checkpoint_line(cloud: MotoCloud) -> dict[str, Any]:
    lines = (cloud.paths.moto / "checkpoints.jsonl").read_bytes().splitlines()
    entry = json.loads(lines[-1])
    assert isinstance(entry, dict)
    return entry


def test_every_request_is_checkpointed_and_a_torn_last_entry_is_ignored(cloud: MotoCloud) -> None:
    """A kill can cut the checkpoint entry being appended; the replay must fall back to the one before."""
    cloud.up()
    vpc_id = create_vpc(cloud)
    recording = cloud.paths.moto / "recording.jsonl"
    assert last_checkpoint_line(cloud)["size"] == recording.stat().st_size  # written before the answer
    pid = server_pid(cloud)
    os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 5
    while pid_alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    with (cloud.paths.moto / "checkpoints.jsonl").open("ab") as log:
        log.write(json.dumps({"size": recording.stat().st_size, "rng": "cut-short"}).encode())  # no newline

    status = cloud.up()
    assert status.healthy and not status.warnings, status
    assert "verified" in status.detail, status.detail
    assert vpc_tags(cloud, vpc_id) == TAGS


def test_checkpoint_file_of_an_earlier_version_still_verifies(cloud: MotoCloud) -> None:
    """Earlier versions kept one rewritten checkpoint.json; state recorded by them must not look diverged."""
    cloud.up()
    vpc_id = create_vpc(cloud)
    cloud.down()
    log = cloud.paths.moto / "checkpoints.jsonl"
    legacy = cloud.paths.moto / "checkpoint.json"
    legacy.write_text(json.dumps(last_checkpoint_line(cloud)))
    log.unlink()

    status = cloud.up()
    assert status.healthy and not status.warnings, status
    assert "verified" in status.detail, status.detail
    assert vpc_tags(cloud, vpc_id) == TAGS
    assert log.exists() and not legacy.exists()
