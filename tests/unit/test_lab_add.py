"""``Lab.add`` refusals: everything it refuses is refused before any namespace, link or process is made (the
path that wires hosts runs in tests/integration/test_tenant_onboarding.py, as root on real namespaces)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from infra.config import PLATFORM_FILE, load_platform
from infra.hosts.inventory import Host
from infra.hosts.lab import Lab, LabState
from infra.local.process import LocalEnvError

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="Lab.add asks for root before anything else")

PLATFORM = load_platform(PLATFORM_FILE)
GATEWAY = Host("gw-a", "bridge", "gateway", "10.60.0.10", "")
TENANT = Host("tax-bureau-1", "tenant-tax-bureau", "workload", "10.100.0.4", "", network="10.100.0.0/24")


def lab_with(tmp_path: Path, hosts: list[Host]) -> Lab:
    """A lab whose state file lists ``hosts`` (nothing running: the refusals must not need anything)."""
    lab = Lab(tmp_path, PLATFORM)
    lab.dir.mkdir(parents=True)
    placed = [Host(h.name, h.zone, h.role, h.address, str(lab.mgmt.network_address + 10 + i), network=h.network)
              for i, h in enumerate(hosts)]
    LabState(lab.prefix, str(lab.mgmt), lab.root_link, hosts=[h.to_dict() for h in placed]).save(lab.state_file)
    return lab


def namespaces() -> str:
    return subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout


def test_without_a_lab_nothing_is_added(tmp_path: Path) -> None:
    with pytest.raises(LocalEnvError, match="no test hosts are up"):
        Lab(tmp_path, PLATFORM).add([TENANT])


@pytest.mark.parametrize("host", [
    Host("shared-2", "shared", "workload", "10.30.0.20", ""),  # a platform zone: only `hosts up` builds those
    Host("gw-c", "tenant-tax-bureau", "gateway", "10.100.0.5", "", network="10.100.0.0/24"),  # a gateway
])
def test_platform_hosts_are_not_added_to_a_running_lab(tmp_path: Path, host: Host) -> None:
    lab = lab_with(tmp_path, [GATEWAY])
    before = lab.state_file.read_text()
    with pytest.raises(LocalEnvError, match="is a platform host"):
        lab.add([host])
    assert lab.state_file.read_text() == before and lab.prefix not in namespaces()


def test_a_tenant_block_outside_the_pool_is_refused(tmp_path: Path) -> None:
    lab = lab_with(tmp_path, [GATEWAY])
    stray = Host("stray-1", "tenant-stray", "workload", "10.20.0.4", "", network="10.20.0.0/24")
    with pytest.raises(LocalEnvError, match="outside the platform's tenant_pool"):
        lab.add([stray])
    assert lab.prefix not in namespaces()


def test_a_host_already_there_with_another_address_asks_for_a_rebuild(tmp_path: Path) -> None:
    lab = lab_with(tmp_path, [GATEWAY, TENANT])
    moved = Host(TENANT.name, TENANT.zone, TENANT.role, "10.100.0.9", "", network=TENANT.network)
    with pytest.raises(LocalEnvError, match="rebuild the lab"):
        lab.add([moved])
    assert lab.add([TENANT]) == []  # the same host again: nothing to do
