"""The stacks' instances become the test hosts, and appending a flow opens exactly that flow.

Core and bridge are deployed through the real engine on the embedded cloud; `egov local hosts up` (the real
CLI) builds the lab from their `hosts` outputs; the addresses are checked against boto3's own
describe_instances, not against the code under test. Then a flow is appended to a copy of
policies/flows.yaml, the bridge stack is updated with it and the gateway hardened with it, and real packets
show that flow open and every flow probed before behaving exactly as before.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from infra.config import FLOWS_FILE, PLATFORM_FILE, load_platform
from infra.engine import Stack
from infra.hosts.inventory import read_hosts
from infra.hosts.lab import Lab
from infra.hosts.probe import probe
from infra.local.environment import LocalEnvironment

pytestmark = pytest.mark.integration

if os.geteuid() != 0:
    pytest.skip("test hosts need root (network namespaces and mounts)", allow_module_level=True)

EGOV = str(Path(sys.executable).parent / "egov")
NEW_FLOW = """

  - id: 12
    name: management-to-shared-metrics
    source: management
    destination: shared
    protocol: tcp
    ports: 9100
    purpose: Metrics scraping of shared services by the monitoring system
    owner: E-Government Cloud Operations Centre
"""


def egov(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, EGOV_HOME=str(home), COLUMNS="200")
    return subprocess.run([EGOV, *args], env=env, capture_output=True, text=True, timeout=900)


def cloud_hosts(ec2: Any, stacks: list[str]) -> dict[str, tuple[str, str, str]]:
    """Running instances of the stacks, by their egov:host tag: (private IP, zone tag, role tag), from boto3."""
    found = {}
    pages = ec2.get_paginator("describe_instances").paginate(Filters=[
        {"Name": "tag:egov:stack", "Values": stacks},
        {"Name": "instance-state-name", "Values": ["pending", "running"]},
    ])
    for page in pages:
        for reservation in page["Reservations"]:
            for item in reservation["Instances"]:
                tags = {t["Key"]: t["Value"] for t in item.get("Tags", [])}
                found[tags["egov:host"]] = (item["PrivateIpAddress"], tags["egov:zone"], tags["egov:role"])
    return found


def test_undeployed_stacks_are_refused_with_what_to_run(local_env: LocalEnvironment) -> None:
    result = egov(local_env.paths.root, "local", "hosts", "up", "--stack", "never-deployed")
    assert result.returncode == 1
    assert "stack never-deployed does not exist" in result.stderr and "egov demo" in result.stderr
    assert not (local_env.paths.root / "hosts" / "lab.json").exists()


def test_lab_from_stack_outputs_and_an_appended_flow_opens_exactly_that_flow(
    deployed: tuple[Stack, Stack], local_env: LocalEnvironment, ec2: Any, tmp_path: Path
) -> None:
    core, bridge = deployed
    home = local_env.paths.root
    names = [core.name, bridge.name]
    expected = cloud_hosts(ec2, names)
    platform = load_platform(PLATFORM_FILE)
    # What the issue asks the stacks to declare: bastion and log host, a workload per zone, a gateway per AZ.
    roles = sorted(role for _, _, role in expected.values())
    assert roles == sorted(["bastion", "loghost", "workload", "workload", "workload",
                            *["gateway"] * len(platform.availability_zones)])
    assert {zone for _, zone, role in expected.values() if role == "workload"} == {"extranet", "shared", "internet"}

    up = egov(home, "local", "hosts", "up", "--stack", core.name, "--stack", bridge.name)
    assert up.returncode == 0, up.stderr[-3000:]
    lab = Lab(home, platform)
    try:
        inventory = {h.name: (h.address, h.zone, h.role) for h in read_hosts(lab.inventory)}
        assert inventory == expected
        for host in lab.hosts():  # each test host answers at the instance's address, in its own namespace
            shown = subprocess.run(["ip", "-n", lab.netns(host.name), "-4", "-o", "addr", "show", "eth0"],
                                   capture_output=True, text=True, check=True).stdout
            assert f" {expected[host.name][0]}/" in shown, (host.name, shown)
        gateway = next(h.name for h in lab.hosts() if h.role == "gateway")

        hardened = egov(home, "hosts", "harden", "--limit", gateway)
        assert hardened.returncode == 0, hardened.stdout[-3000:]
        before = probe(lab, home / "evidence")
        # Through the gateway the lab at the cloud's addresses behaves as declared. (SSH to the management hosts
        # over the management segment is closed by the baseline on those hosts, which only the gateway got here;
        # test_hosts_lab.py hardens every host and proves that part.)
        assert before.probes
        assert [p for p in before.unexpected if p.kind != "management-segment"] == []
        baseline = {(p.kind, p.name, p.source, p.port): p.observed for p in before.probes}

        flows = tmp_path / "flows.yaml"  # a copy: the real allowlist is never edited by a test
        flows.write_text(FLOWS_FILE.read_text().rstrip() + NEW_FLOW)
        hosts_before = bridge.outputs()["hosts"]
        bridge.set_config("flowsFile", str(flows))
        bridge.up()
        assert bridge.outputs()["hosts"] == hosts_before, "updating the flows must not touch the gateways"
        opened = egov(home, "hosts", "harden", "--limit", gateway, "--flows-file", str(flows))
        assert opened.returncode == 0, opened.stdout[-3000:]

        after = probe(lab, home / "evidence", flows_file=flows)
        new = [p for p in after.probes if p.name == "management-to-shared-metrics"]
        assert [(p.kind, p.port, p.observed) for p in new if p.kind == "declared"] == [("declared", 9100, "passed")]
        assert {(p.kind, p.name, p.source, p.port): p.observed for p in after.probes
                if (p.kind, p.name, p.source, p.port) in baseline} == baseline
        # The new port stays closed from every zone the flow does not name.
        shared = next(h for h in lab.hosts() if h.zone == "shared" and h.role == "workload")
        for source in ("extranet-1", "internet-1"):
            other = subprocess.run(["ip", "netns", "exec", lab.netns(source), sys.executable, "-m",
                                    "infra.hosts.netprobe", "connect", "tcp", shared.address, "9100"],
                                   cwd=Path(__file__).resolve().parents[2])
            assert other.returncode == 1, f"the new flow opened 9100 from {source}, which it does not name"
    finally:
        down = egov(home, "local", "hosts", "down")
        assert down.returncode == 0, down.stderr
