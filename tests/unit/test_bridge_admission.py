"""``open_tenant_flows`` / ``close_tenant_flows`` decisions, on a stand-in stack that records what it is asked to
do (the engine path is tests/integration/test_tenant_bridge_flows.py): when ``up`` runs, what the config becomes,
and that a refused entry writes nothing."""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass, field
from ipaddress import IPv4Network
from pathlib import Path
from typing import Any, cast

import pytest

from infra.config import PLATFORM_FILE, ConfigError, load_platform
from infra.config.tenant_request import load_request
from infra.engine import PROJECT_DIR, Stack
from infra.onboarding.bridge_admission import close_tenant_flows, open_tenant_flows
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
