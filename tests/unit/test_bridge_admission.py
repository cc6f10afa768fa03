"""``open_tenant_flows`` / ``close_tenant_flows`` decisions, on a stand-in stack that records what it is asked to
do (the engine path is tests/integration/test_tenant_bridge_flows.py): when ``up`` runs, what the config becomes,
and that a refused entry writes nothing."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from dataclasses import dataclass, field
from ipaddress import IPv4Network
from pathlib import Path
from typing import Any, cast

import pytest

from infra.config import PLATFORM_FILE, ConfigError, load_platform
from infra.config.tenant_request import load_request
from infra.engine import PROJECT_DIR, Stack
from infra.files import UnsafeDirectory, private_directory
from infra.onboarding.bridge_admission import _lock_path, bridge_entry, close_tenant_flows, open_tenant_flows
from infra.onboarding.bridge_queue import CLOSE, OPEN, pending_change, pending_changes, queue_directory
from infra.repository import REPO_ROOT
from infra.tenants.allocation import Allocation
from infra.tenants.plan import TenantPlan, make_plan

PLATFORM = load_platform(PLATFORM_FILE)
ATTACHMENT = "tgw-attach-0123456789abcdef0"


@dataclass
class RecordingStack:
    """Answers `config --json` and `stack output` from memory; ``up`` applies the config to the outputs."""

    config_path: Path
    config: dict[str, str] = field(default_factory=dict)
    applied: dict[str, Any] = field(default_factory=dict)
    ups: int = 0
    fail_up: bool = False
    project_dir: Path = PROJECT_DIR
    policy_pack: Path | None = Path("pack")  # already gated: the stand-in is used as given

    def run(self, *args: str, **_: Any) -> subprocess.CompletedProcess[str]:
        assert args == ("config", "--json")
        answer = {f"egov-cloud:{key}": {"value": value, "secret": False} for key, value in self.config.items()}
        return subprocess.CompletedProcess(args, 0, json.dumps(answer), "")

    def set_config(self, key: str, value: str) -> None:
        self.config[key] = value

    def outputs(self) -> dict[str, Any]:
        return {"tenantFlows": self.applied}

    def up(self) -> None:
        self.ups += 1
        if self.fail_up:
            raise RuntimeError("engine failed")
        self.applied = json.loads(self.config.get("tenantFlows", "{}"))


def plan_of(tenant: str, cidr: str) -> TenantPlan:
    request = load_request(REPO_ROOT / "tenants" / f"{tenant}.yaml", PLATFORM)
    return make_plan(request, Allocation(tenant, IPv4Network(cidr), request.name_en, request.name_zh, "x@y.z",
                                         "2026-12-07T03:00:00+00:00", new=True), PLATFORM)


@pytest.fixture()
def bridge(tmp_path: Path) -> RecordingStack:
    return RecordingStack(tmp_path / "Pulumi.bridge.yaml")


def admit(stack: RecordingStack, tenant: str, cidr: str) -> None:
    open_tenant_flows(cast(Stack, stack), plan_of(tenant, cidr), attachment_id=ATTACHMENT)


def test_open_writes_the_entry_and_runs_up_once_then_never_again(bridge: RecordingStack) -> None:
    admit(bridge, "tax-bureau", "10.100.0.0/24")
    entries = json.loads(bridge.config["tenantFlows"])
    assert list(entries) == ["tax-bureau"] and entries["tax-bureau"]["slot"] == 0
    assert entries["tax-bureau"]["cidr"] == "10.100.0.0/24" and entries["tax-bureau"]["attachmentId"] == ATTACHMENT
    assert bridge.ups == 1
    admit(bridge, "tax-bureau", "10.100.0.0/24")
    assert bridge.ups == 1


def test_a_second_tenant_takes_the_next_slot_and_keeps_the_first(bridge: RecordingStack) -> None:
    bridge.config["aclEntryLimit"] = "40"
    admit(bridge, "tax-bureau", "10.100.0.0/24")
    first = json.loads(bridge.config["tenantFlows"])["tax-bureau"]
    admit(bridge, "health-comm", "10.100.2.0/23")
    entries = json.loads(bridge.config["tenantFlows"])
    assert entries["tax-bureau"] == first and entries["health-comm"]["slot"] == 1
    close_tenant_flows(cast(Stack, bridge), "tax-bureau")
    admit(bridge, "tax-bureau", "10.100.0.0/24")  # re-admitted: the lowest free slot, the other keeps its own
    entries = json.loads(bridge.config["tenantFlows"])
    assert (entries["tax-bureau"]["slot"], entries["health-comm"]["slot"]) == (0, 1)


def test_a_refused_tenant_writes_nothing_and_runs_nothing(bridge: RecordingStack) -> None:
    admit(bridge, "tax-bureau", "10.100.0.0/24")
    before = dict(bridge.config)
    with pytest.raises(ConfigError, match=r"tenantFlows\.health-comm"):  # over the default quota of 20
        admit(bridge, "health-comm", "10.100.2.0/23")
    with pytest.raises(ConfigError, match="outside the tenant pool"):
        admit(bridge, "health-comm", "10.20.2.0/24")
    assert bridge.config == before and bridge.ups == 1


def test_a_failed_up_is_retried_by_the_next_call(bridge: RecordingStack) -> None:
    bridge.fail_up = True
    with pytest.raises(RuntimeError):
        admit(bridge, "tax-bureau", "10.100.0.0/24")
    bridge.fail_up = False
    admit(bridge, "tax-bureau", "10.100.0.0/24")  # config already says so; the output does not: up again
    assert bridge.ups == 2 and list(bridge.applied) == ["tax-bureau"]


def test_close_removes_only_that_tenant_and_is_a_no_op_when_absent(bridge: RecordingStack) -> None:
    bridge.config["aclEntryLimit"] = "40"
    admit(bridge, "tax-bureau", "10.100.0.0/24")
    admit(bridge, "health-comm", "10.100.2.0/23")
    close_tenant_flows(cast(Stack, bridge), "tax-bureau")
    assert list(bridge.applied) == ["health-comm"] and bridge.ups == 3
    close_tenant_flows(cast(Stack, bridge), "tax-bureau")
    close_tenant_flows(cast(Stack, bridge), "never-admitted")
    assert bridge.ups == 3


# Several admissions at once: the changes waiting behind the lock ride on one `up` (infra/onboarding/bridge_queue.py).

def queue_of(stack: RecordingStack) -> Path:
    return queue_directory(_lock_path(cast(Stack, stack)))


def waiting(stack: RecordingStack, tenant: str, cidr: str) -> Any:
    """Another runner's change to open ``tenant``, published while it waits for the lock."""
    entry = bridge_entry(plan_of(tenant, cidr), 0, ATTACHMENT)
    del entry["slot"]
    return pending_change(queue_of(stack), tenant, OPEN, entry)


def test_one_up_carries_the_changes_waiting_behind_the_lock(bridge: RecordingStack) -> None:
    bridge.config["aclEntryLimit"] = "40"
    with waiting(bridge, "health-comm", "10.100.2.0/23"):
        carried = open_tenant_flows(cast(Stack, bridge), plan_of("tax-bureau", "10.100.0.0/24"),
                                    attachment_id=ATTACHMENT)
        assert carried == ["tax-bureau", "health-comm"] and bridge.ups == 1
        assert sorted(bridge.applied) == ["health-comm", "tax-bureau"]
        assert bridge.applied["health-comm"]["cidr"] == "10.100.2.0/23"
        assert {entry["slot"] for entry in bridge.applied.values()} == {0, 1}
        # the waiting runner gets the lock: its change is there, no `up` of its own
        assert open_tenant_flows(cast(Stack, bridge), plan_of("health-comm", "10.100.2.0/23"),
                                 attachment_id=ATTACHMENT) == []
    assert bridge.ups == 1 and not list(queue_of(bridge).glob("*.json"))  # withdrawn when its caller returned


def test_a_waiting_change_over_the_quota_is_left_to_its_own_caller(bridge: RecordingStack) -> None:
    with waiting(bridge, "health-comm", "10.100.2.0/23"):  # with tax-bureau, over the default quota of 20
        assert open_tenant_flows(cast(Stack, bridge), plan_of("tax-bureau", "10.100.0.0/24"),
                                 attachment_id=ATTACHMENT) == ["tax-bureau"]
        assert list(bridge.applied) == ["tax-bureau"]
        with pytest.raises(ConfigError, match=r"tenantFlows\.health-comm"):  # its caller hears why
            admit(bridge, "health-comm", "10.100.2.0/23")
    assert bridge.ups == 1


def test_a_waiting_change_outside_the_pool_is_never_applied(bridge: RecordingStack) -> None:
    bridge.config["aclEntryLimit"] = "40"
    with waiting(bridge, "health-comm", "10.20.2.0/24"):
        admit(bridge, "tax-bureau", "10.100.0.0/24")
    assert list(bridge.applied) == ["tax-bureau"]


def test_a_change_whose_writer_died_is_dropped_not_applied(bridge: RecordingStack) -> None:
    bridge.config["aclEntryLimit"] = "40"
    dead = subprocess.run(["sh", "-c", "echo $$"], capture_output=True, text=True, check=True).stdout.strip()
    queue = private_directory(queue_of(bridge))
    orphan = queue / f"health-comm--{dead}-00000000.json"
    orphan.write_text(json.dumps({"tenant": "health-comm", "action": OPEN, "entry": {"cidr": "10.100.2.0/23",
                                                                                       "flows": []}}))
    admit(bridge, "tax-bureau", "10.100.0.0/24")
    assert list(bridge.applied) == ["tax-bureau"] and not orphan.exists()


def test_a_change_naming_another_tenant_than_its_file_is_ignored(bridge: RecordingStack) -> None:
    bridge.config["aclEntryLimit"] = "40"
    queue = private_directory(queue_of(bridge))
    forged = queue / f"tax-bureau--{os.getpid()}-00000000.json"
    forged.write_text(json.dumps({"tenant": "health-comm", "action": OPEN, "entry": {"cidr": "10.100.2.0/23",
                                                                                       "flows": []}}))
    try:
        assert pending_changes(queue) == []
    finally:
        forged.unlink()


def test_the_newest_change_of_a_tenant_wins(bridge: RecordingStack) -> None:
    queue = queue_of(bridge)
    with waiting(bridge, "health-comm", "10.100.2.0/23") as opened, \
            pending_change(queue, "health-comm", CLOSE, None) as closed:
        os.utime(opened, ns=(1, 1))  # the open is the older one
        assert [(c.tenant, c.action, c.path) for c in pending_changes(queue)] == [("health-comm", CLOSE, closed)]


@pytest.mark.parametrize("spoil", ["world-writable", "someone-else's"])
def test_a_queue_others_could_write_to_is_refused_and_nothing_runs(bridge: RecordingStack, spoil: str) -> None:
    queue = private_directory(queue_of(bridge))
    try:
        if spoil == "world-writable":
            queue.chmod(0o777)
        else:
            if os.geteuid() != 0:
                pytest.skip("giving the directory to another user needs root")
            os.chown(queue, 65534, 65534)
        with pytest.raises(UnsafeDirectory, match="egov will not use it"):
            admit(bridge, "tax-bureau", "10.100.0.0/24")
        assert bridge.ups == 0 and "tenantFlows" not in bridge.config
    finally:
        shutil.rmtree(queue)


def test_a_symbolic_link_in_place_of_the_queue_is_refused(bridge: RecordingStack, tmp_path: Path) -> None:
    queue = queue_of(bridge)
    target = tmp_path / "elsewhere"
    target.mkdir(mode=0o700)
    queue.parent.mkdir(mode=0o700, exist_ok=True)
    queue.symlink_to(target)
    try:
        with pytest.raises(UnsafeDirectory, match="not a directory"):
            admit(bridge, "tax-bureau", "10.100.0.0/24")
        assert bridge.ups == 0
    finally:
        queue.unlink()
