"""Onboarding's pure parts: the resumable step runner (over an in-memory stand-in of the KV records), the plan
fingerprint, the tenant's OpenBao entry derived from its request, and the offboarded component."""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import replace
from ipaddress import IPv4Network
from pathlib import Path
from typing import Any

import pytest

from infra.config import PLATFORM_FILE, load_platform
from infra.config.tenant_request import load_request
from infra.onboarding.apply import plan_digest
from infra.onboarding.steps import StepEvent, StepFailed, StepRunner
from infra.onboarding.vault_onboarding import entry_from_document, tenant_entry
from infra.repository import REPO_ROOT
from infra.tenants.allocation import Allocation
from infra.tenants.plan import make_plan
from infra.vault.errors import DesiredStateError
from infra.vault.policies import DEFAULT_DESIRED

PLATFORM = load_platform(PLATFORM_FILE)


class MemoryRecords:
    """The Records interface over a dict (the real one, KV v2 with CAS, is tested in tests/integration)."""

    def __init__(self) -> None:
        self.data: dict[str, dict[str, Any]] = {}

    def get(self, tenant: str) -> dict[str, Any] | None:
        return copy.deepcopy(self.data.get(tenant))

    def update(self, tenant: str, change: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
        record = copy.deepcopy(self.data.get(tenant) or {"tenant": tenant, "steps": {}})
        change(record)
        self.data[tenant] = record
        return copy.deepcopy(record)


def work(ran: list[str], step: str, outcome: str) -> Callable[[], str]:
    """A step's work that notes it ran."""
    def run() -> str:
        ran.append(step)
        return outcome
    return run


def runner(records: MemoryRecords, events: list[StepEvent], digest: str = "d1") -> StepRunner:
    return StepRunner(records, "tax-bureau", digest, events.append)  # type: ignore[arg-type]


def test_a_failed_step_is_named_recorded_and_stops_the_run() -> None:
    records, events, ran = MemoryRecords(), list[StepEvent](), list[str]()
    first = runner(records, events)
    first.run("stack", work(ran, "stack", "up"))

    def broken() -> str:
        raise RuntimeError("OpenBao sealed")

    with pytest.raises(StepFailed) as failed:
        first.run("vault", broken)
    assert failed.value.step == "vault" and "step 'vault' failed: OpenBao sealed" in str(failed.value)
    assert records.data["tax-bureau"]["steps"]["vault"]["status"] == "failed"
    assert [(e.step, e.status) for e in events] == [("stack", "running"), ("stack", "done"), ("vault", "running"),
                                                    ("vault", "failed")]


def test_a_rerun_resumes_at_the_failed_step() -> None:
    records, events, ran = MemoryRecords(), list[StepEvent](), list[str]()
    records.data["tax-bureau"] = {"steps": {"stack": {"status": "done", "plan": "d1", "at": "t", "detail": "up"},
                                            "vault": {"status": "failed", "plan": "d1", "at": "t"}}}
    again = runner(records, events)
    again.run("stack", work(ran, "stack", "up"))
    again.run("vault", work(ran, "vault", "applied"))
    assert ran == ["vault"]
    assert [(e.step, e.status) for e in events] == [("stack", "skipped"), ("vault", "running"), ("vault", "done")]
    assert records.data["tax-bureau"]["steps"]["vault"]["status"] == "done"


def test_a_changed_plan_runs_every_step_again_and_always_means_always() -> None:
    records, events, ran = MemoryRecords(), list[StepEvent](), list[str]()
    records.data["tax-bureau"] = {"steps": {"stack": {"status": "done", "plan": "d1", "at": "t"},
                                            "gate": {"status": "done", "plan": "d2", "at": "t"}}}
    changed = runner(records, events, digest="d2")
    changed.run("stack", work(ran, "stack", "up"))
    changed.run("gate", work(ran, "gate", "scanned"), always=True)
    assert ran == ["stack", "gate"]


def _plan(allocated_at: str, new: bool) -> Any:
    request = load_request(REPO_ROOT / "tenants" / "tax-bureau.yaml", PLATFORM)
    allocation = Allocation("tax-bureau", IPv4Network("10.100.0.0/24"), request.name_en, request.name_zh, "o@x.y",
                            allocated_at, new=new)
    return make_plan(request, allocation, PLATFORM)


def test_the_plan_fingerprint_ignores_when_the_block_was_found_but_not_what_is_built() -> None:
    first, found_again = _plan("2026-12-07T01:00:00+00:00", True), _plan("2026-12-07T01:00:00+00:00", False)
    assert plan_digest(first) == plan_digest(found_again)
    assert plan_digest(replace(first, cidr="10.100.1.0/24")) != plan_digest(first)


def test_the_openbao_entry_comes_from_the_request_and_round_trips() -> None:
    request = load_request(REPO_ROOT / "tenants" / "health-comm.yaml", PLATFORM)
    entry = tenant_entry(request, ["127.0.0.1/32"], DEFAULT_DESIRED)
    assert (entry.id, entry.domains, entry.pipeline_cidrs) == ("health-comm", ["health-comm.egov.example"],
                                                               ["127.0.0.1/32"])
    assert entry.department == "Municipal Health Commission (市卫生健康委员会)" and not entry.offboarded
    back = entry_from_document(entry.model_dump(mode="json"), offboarded=True)
    assert back.offboarded and back.model_dump(exclude={"offboarded"}) == entry.model_dump(exclude={"offboarded"})


def test_a_pipeline_cidr_outside_the_private_pools_is_refused() -> None:
    request = load_request(REPO_ROOT / "tenants" / "tax-bureau.yaml", PLATFORM)
    with pytest.raises((ValueError, DesiredStateError)):
        tenant_entry(request, ["0.0.0.0/0"], DEFAULT_DESIRED)


def test_a_tenant_stacks_state_findings_belong_to_that_tenant() -> None:
    """A tenant's scan judges its own stack, not another department's (found by the onboarding test: B's report
    listed A's stack as platform evidence)."""
    from compliance.checks.state_no_plaintext_secrets.check import check as plaintext
    from compliance.checks.state_secrets_provider_vault_transit.check import check as provider
    from compliance.evidence.state import stack_tenant

    tenant_stack = {"resources": [{"type": "pulumi:pulumi:Stack", "inputs": {}},
                                  {"type": "egov:ec2:Vpc", "inputs": {"tags": {"egov:tenant": "tax-bureau"}}}]}
    assert stack_tenant(tenant_stack) == "tax-bureau"
    assert stack_tenant({"resources": [{"type": "egov:ec2:Vpc", "inputs": {"tags": {"egov:zone": "shared"}}}]}) == ""
    stacks = [{"name": "tenant-tax-bureau", "tenant": "tax-bureau", "plaintext_secret_paths": [],
               "secrets_provider": {"url": "hashivault://pulumi-secrets"}},
              {"name": "core", "tenant": "", "plaintext_secret_paths": [],
               "secrets_provider": {"url": "hashivault://pulumi-secrets"}}]
    evidence = {"state": {"global": {"stacks": stacks}}}
    for check in (plaintext, provider):
        assert [(r.resource, r.tags) for r in check(evidence)] == [
            ("stack:tenant-tax-bureau", {"egov:tenant": "tax-bureau"}), ("stack:core", None)]


class FakeStack:
    """Just what admission uses of a Stack: its config, its outputs as its last `up` left them, and whether
    `up` ran (an `up` declares the extranet side as the config and the plan's flows say)."""

    name = "tenant-tax-bureau"

    def __init__(self, admitted: str, extranet_open: bool | None, extranet_flows: bool) -> None:
        self.config = {"admitted": admitted}
        self.deployed = {} if extranet_open is None else {"extranetOpen": extranet_open}
        self.extranet_flows = extranet_flows
        self.ups = 0

    def set_config(self, key: str, value: str) -> None:
        self.config[key] = value

    def outputs(self) -> dict[str, Any]:
        return dict(self.deployed)

    def up(self) -> None:
        self.ups += 1
        self.deployed["extranetOpen"] = self.extranet_flows and self.config["admitted"] == "true"


def _plan_without_extranet_flows() -> Any:
    plan = _plan("t", False)
    return replace(plan, flows=[flow for flow in plan.flows if flow.peer != "extranet"])


@pytest.mark.parametrize(("passed", "was", "deployed", "extranet_flows", "ups", "bridge", "state"), [
    (True, "false", False, True, 1, "open", "admitted"),     # first admission: extranet routes added, bridge opened
    (True, "true", True, True, 0, "open", "admitted"),       # re-admission: nothing to add to the stack
    (True, "true", False, True, 1, "open", "admitted"),      # killed after the config, before its `up`: `up` now
    (True, "true", None, True, 1, "open", "admitted"),       # a stack from before the output: `up` once
    (True, "false", False, False, 0, "open", "admitted"),    # no extranet flow: admission changes nothing there
    (False, "false", False, True, 0, "close", "not admitted"),  # never admitted: nothing opened, bridge kept closed
    (False, "true", True, True, 1, "close", "not admitted"),    # admitted before, failing now: extranet side removed
    (False, "false", True, True, 1, "close", "not admitted"),   # killed after the config, before its `up`: `up` now
    (False, "true", False, False, 0, "close", "not admitted"),  # no extranet flow: nothing to close in the stack
])
def test_admission_opens_the_bridge_only_after_the_gate_passed(monkeypatch: pytest.MonkeyPatch, passed: bool,
                                                                 was: str, deployed: bool | None,
                                                                 extranet_flows: bool, ups: int, bridge: str,
                                                                 state: str, tmp_path: Path) -> None:
    import infra.onboarding.apply as onboarding

    calls: list[str] = []
    def opened(_bridge: object, plan: Any) -> list[str]:
        calls.append(f"open {plan.tenant}")
        return [plan.tenant]

    monkeypatch.setattr(onboarding, "open_tenant_flows", opened)
    monkeypatch.setattr(onboarding, "close_tenant_flows", lambda _bridge, tenant: calls.append(f"close {tenant}"))
    stack = FakeStack(was, deployed, extranet_flows)
    monkeypatch.setattr(onboarding, "stack_config", lambda s: dict(s.config))
    settings = type("S", (), {"bridge": lambda self: "bridge", "state_dir": tmp_path})()  # no test hosts there
    records = MemoryRecords()
    steps = StepRunner(records, "tax-bureau", "d1", lambda _: None)  # type: ignore[arg-type]
    plan = _plan("t", False) if extranet_flows else _plan_without_extranet_flows()
    assert any(flow.peer == "extranet" for flow in plan.flows) == extranet_flows  # the sample request has one
    detail = onboarding._admission(settings, stack, plan, passed, steps, lambda _: None)  # type: ignore[arg-type]
    assert calls == [f"{bridge} tax-bureau"]
    assert (stack.ups, stack.config["admitted"]) == (ups, "true" if passed else "false")
    assert stack.deployed["extranetOpen"] is (passed and extranet_flows)  # what the stack now declares
    assert records.data["tax-bureau"]["state"] == state
    said = "no `up`" if ups == 0 else f"`up` {'opening' if passed else 'closing'} its extranet routes and rules"
    assert f"(tenant stack: {said}" in detail, detail


def test_the_gate_reads_the_state_again_only_after_a_checkpoint_read_mid_write(monkeypatch: pytest.MonkeyPatch) -> None:
    import infra.onboarding.apply as onboarding
    from compliance.evidence.cloud import SourceUnreachable

    answers: list[object] = [SourceUnreachable("state", "file:///s", "error: EOF"), "result"]

    def scan(_options: object, _progress: object) -> object:
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer

    monkeypatch.setattr(onboarding, "run_scan", scan)
    monkeypatch.setattr(onboarding.time, "sleep", lambda _: None)
    assert onboarding._scan(object(), lambda _: None) == "result"  # type: ignore[arg-type]
    answers[:] = [SourceUnreachable("vault", "https://127.0.0.1:8200", "sealed"), "result"]
    with pytest.raises(SourceUnreachable, match="vault"):  # anything else stands: no verdict without evidence
        onboarding._scan(object(), lambda _: None)  # type: ignore[arg-type]
    answers[:] = [SourceUnreachable("state", "file:///s", "error: EOF")] * 3
    with pytest.raises(SourceUnreachable, match="EOF"):
        onboarding._scan(object(), lambda _: None)  # type: ignore[arg-type]


def test_stack_listing_is_read_again_only_after_a_checkpoint_read_mid_write(monkeypatch: pytest.MonkeyPatch) -> None:
    import infra.onboarding.apply as onboarding
    from infra.engine import EngineError

    monkeypatch.setattr(onboarding.time, "sleep", lambda _: None)
    answers: list[object] = [EngineError(["pulumi", "stack", "ls"], 1, "", "error: EOF\n"), True]

    def listing() -> bool:
        answer = answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return bool(answer)

    assert onboarding._read_again_on_eof(listing, lambda _: None) is True
    answers[:] = [EngineError(["pulumi", "stack", "ls"], 1, "", "error: no such backend\n"), True]
    with pytest.raises(EngineError, match="no such backend"):
        onboarding._read_again_on_eof(listing, lambda _: None)


def test_hosts_step_lists_the_declared_hosts_and_what_to_run_only_with_a_lab() -> None:
    from infra.hosts.inventory import Host
    from infra.onboarding.tenant_hosts import hosts_detail

    host = Host("tax-bureau-1", "tenant-tax-bureau", "workload", "10.100.0.4", instance_id="i-1")
    stacks = {"core_stack": "demo-core", "bridge_stack": "demo-bridge"}
    assert hosts_detail("tenant-tax-bureau", [], None, **stacks) == (
        "no hosts declared in stack tenant-tax-bureau: no baseline to apply")
    without = hosts_detail("tenant-tax-bureau", [host], None, **stacks)
    assert "tax-bureau-1 (workload, zone tenant-tax-bureau, 10.100.0.4, i-1)" in without
    assert "no test hosts are up here" in without and "egov" not in without
    lacking = hosts_detail("tenant-tax-bureau", [host], ["gateway-a", "bastion"], **stacks)
    assert ("egov local hosts up --stack demo-core --stack demo-bridge --stack tenant-tax-bureau" in lacking
            and "egov hosts harden --limit tax-bureau-1" in lacking)
    inside = hosts_detail("tenant-tax-bureau", [host], ["gateway-a", "tax-bureau-1"], **stacks,
                          bridge_config_file="/x/Pulumi.b.yaml")
    assert "egov local hosts up" not in inside
    assert ("egov hosts harden --limit role_gateway --bridge-stack demo-bridge --bridge-config-file "
            "/x/Pulumi.b.yaml") in inside
