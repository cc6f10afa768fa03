"""`egov tenant apply`: a department's request in, a provisioned, scanned environment and its report out.

Steps, in order (each named in progress and on failure; a re-run resumes, see ``steps.py``):

validate -> allocate (CIDR ledger) -> stack (tenant stack ``up`` with the policy pack) -> vault (the tenant's
namespace, transit key, KV, PKI role, AppRole) -> hosts (the hosts its stack declares; with test hosts up,
what to run for them) -> flows (which of its flows are open and which wait for admission) -> gate (the
tenant-scoped compliance scan) -> report (JSON, HTML, PDF) -> admission.

A tenant that fails the gate stays provisioned but "not admitted": its stack keeps ``admitted=false`` and its
flows stay closed on the bridge (``close_tenant_flows``), so nothing reaches it from the extranet, and a re-run
scans again. A tenant that passes gets ``admitted=true`` (one more ``up`` of its stack: its extranet routes
and rules) and its flows opened on the bridge (``open_tenant_flows``, which serves admitted tenants only).
"""

from __future__ import annotations

import functools
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from compliance.evidence.cloud import SourceUnreachable
from compliance.reports import render
from compliance.scan import ScanOptions, ScanResult, run_scan, write_folder
from infra.config import load_platform
from infra.config.tenant_request import TenantRequest, load_request
from infra.engine import EngineError, Stack
from infra.hosts.inventory import Host, hosts_from_outputs
from infra.hosts.lab import lab_host_names
from infra.onboarding.bridge_admission import close_tenant_flows, open_tenant_flows
from infra.onboarding.record import ADMITTED, NOT_ADMITTED, OFFBOARDED, PROVISIONING, Record, Records, now
from infra.onboarding.settings import Settings, digest, stack_name
from infra.onboarding.steps import StepEvent, StepFailed, StepReporter, StepRunner
from infra.onboarding.tenant_hosts import (
    baseline_in_lab,
    can_harden_here,
    gateways_for_admitted,
    hosts_detail,
    lab_lacks,
    tenant_in_lab,
)
from infra.onboarding.tenant_stack import configure, stack_config
from infra.onboarding.vault_onboarding import apply_tenant, entry_document, tenant_entry
from infra.recovery import recover
from infra.tenants.ledger import Ledger, LedgerError
from infra.tenants.plan import EXTRANET, TenantPlan, make_plan, open_peers

T = TypeVar("T")
STEPS = ("validate", "allocate", "stack", "vault", "hosts", "flows", "gate", "report", "admission")


class NotAdmitted(Exception):
    """The gate failed: the tenant is provisioned but not admitted (its extranet flows stay closed); ``outcome``
    says where its report is, which lists what to fix."""

    def __init__(self, message: str, outcome: Outcome) -> None:
        super().__init__(message)
        self.outcome = outcome


@dataclass(frozen=True)
class Outcome:
    tenant: str
    state: str
    cidr: str
    report_dir: Path | None
    record: Record


def plan_digest(plan: TenantPlan) -> str:
    document = plan.to_json()
    for moving in ("allocation_new", "allocated_at"):  # the same plan, whether just allocated or found again
        document.pop(moving, None)
    return digest(document)


def write_plan(target: Path, plan: TenantPlan) -> None:
    """Written whole or not at all (the tenant stack reads it)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.partial")
    partial.write_text(json.dumps(plan.to_json(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    partial.replace(target)


def onboard(request_file: Path, settings: Settings, ledger: Ledger, records: Records,
            report: StepReporter, progress: Any = lambda _: None) -> Outcome:
    """Run every step for one request; ``StepFailed`` names the step that stopped it, ``NotAdmitted`` when
    the gate failed (everything else done)."""
    report(StepEvent("validate", "running"))
    try:
        platform = load_platform(settings.platform_file)
        request = load_request(request_file, platform)
        if platform.tenant_pool is None:
            raise LedgerError(f"{settings.platform_file} declares no tenant_pool: the platform team must add the "
                              "block department networks are allocated from")
        entry = tenant_entry(request, settings.pipeline_cidrs, settings.desired_file)
    except Exception as exc:
        report(StepEvent("validate", "failed", str(exc)))
        raise StepFailed("validate", exc) from exc
    report(StepEvent("validate", "done", f"{request_file}: department {request.id} ({request.name_en})"))
    existing = records.get(request.id)
    if existing and existing.get("state") == OFFBOARDED:
        error = LedgerError(f"department {request.id} was offboarded on {existing.get('offboarded', {}).get('at')}; "
                            "its archive and keys are kept for the retention period: a returning department "
                            "submits a request under a new id")
        report(StepEvent("allocate", "failed", str(error)))
        raise StepFailed("allocate", error)

    report(StepEvent("allocate", "running"))
    try:
        allocation = ledger.allocate(request)
    except Exception as exc:
        report(StepEvent("allocate", "failed", str(exc)))
        raise StepFailed("allocate", exc) from exc
    plan = make_plan(request, allocation, platform)
    write_plan(settings.plan_file(request.id), plan)
    fingerprint = plan_digest(plan)
    runner = StepRunner(records, request.id, fingerprint, report)

    def start(record: Record) -> None:
        record.update(tenant=request.id, names=plan.names, cidr=plan.cidr, stack=stack_name(request.id),
                      request=str(request_file), retention_days=request.retention_days, plan=plan.to_json(),
                      vault_entry=entry_document(entry))
        if record.get("state") not in (ADMITTED, NOT_ADMITTED) or record.get("plan_digest") != fingerprint:
            record["state"] = PROVISIONING
        record["plan_digest"] = fingerprint
        steps = record.setdefault("steps", {})
        steps["validate"] = {"status": "done", "at": now(), "detail": str(request_file), "plan": fingerprint}
        steps["allocate"] = {"status": "done", "at": now(), "plan": fingerprint,
                             "detail": f"{plan.cidr} ({'newly allocated' if allocation.new else 'allocated'} "
                                       f"{allocation.allocated_at})"}

    runner.update(start)
    report(StepEvent("allocate", "done", runner.record["steps"]["allocate"]["detail"]))

    stack = settings.tenant_stack(request.id)
    runner.run("stack", lambda: _stack_up(stack, settings, request, progress))
    runner.run("vault", lambda: _vault(settings, entry, progress))
    already_admitted = runner.record.get("state") == ADMITTED
    declared = functools.cache(lambda: _declared_hosts(stack, progress))  # one `stack output` for both uses
    runner.run("hosts", lambda: _hosts(settings, stack, declared(), already_admitted, progress),
               always=_lab_lacks_hosts(settings, stack, declared))
    runner.run("flows", lambda: _flows(settings, plan))
    scan: dict[str, ScanResult] = {}
    runner.run("gate", lambda: _gate(settings, request, scan, runner, records, progress),
               always=runner.record.get("state") != ADMITTED)
    runner.run("report", lambda: _report(settings, plan, scan, runner, progress),
               always="gate" in scan)
    passed = bool((runner.record.get("last_scan") or {}).get("passed"))
    runner.run("admission", lambda: _admission(settings, stack, plan, passed, runner, progress),
               always="gate" in scan)
    report_dir = (runner.record.get("last_scan") or {}).get("folder")
    outcome = Outcome(request.id, str(runner.record.get("state")), plan.cidr,
                      Path(report_dir) if report_dir else None, runner.record)
    if not passed:
        reasons = (runner.record.get("last_scan") or {}).get("reasons") or []
        raise NotAdmitted(f"tenant {request.id} is provisioned but NOT admitted: the compliance gate failed ("
                          f"{len(reasons)} reasons: {'; '.join(reasons[:5])}); its flows to and from the extranet "
                          "stay closed. Fix the findings and run `egov tenant apply` again: it scans again", outcome)
    return outcome


def _stack_up(stack: Stack, settings: Settings, request: TenantRequest, progress: Any) -> str:
    # its `stack ls` reads every stack's checkpoint, so may meet another runner's write: read again then
    configure(stack, settings, settings.plan_file(request.id), lambda init: _read_again_on_eof(init, progress))
    notes = recover(stack, progress=progress).lines()  # a run killed mid-way leaves a lock and pending creates
    progress(f"pulumi up {stack.name}")
    stack.up()
    return f"stack {stack.name} is up" + (f" ({'; '.join(notes)})" if notes else "")


def _vault(settings: Settings, entry: Any, progress: Any) -> str:
    changes = apply_tenant(settings.vault, entry, settings.desired_file, progress)
    return (f"OpenBao namespace {entry.namespace}: {changes} change(s) (transit key, KV, PKI role, AppRole)"
            if changes else f"OpenBao namespace {entry.namespace}: as declared (no changes)")


def _hosts(settings: Settings, stack: Stack, hosts: list[Host], admitted: bool, progress: Any) -> str:
    """The hosts the tenant's stack exports. With this environment's lab up and root: into the lab with the
    baseline, and the gateways' ruleset again when the tenant was admitted before (admission does it otherwise);
    else what to run for them (``tenant_hosts``)."""
    if hosts and can_harden_here(settings.state_dir):
        detail = baseline_in_lab(settings.state_dir, stack.name, hosts, progress)
        if admitted:
            detail += "; " + gateways_for_admitted(settings.state_dir, settings.bridge(), progress)
        return detail
    return hosts_detail(stack.name, hosts, lab_host_names(settings.state_dir), core_stack=settings.core_stack,
                        bridge_stack=settings.bridge_stack,
                        bridge_config_file=str(settings.bridge_config_file) if settings.bridge_config_file else None)


def _declared_hosts(stack: Stack, progress: Any) -> list[Host]:
    """The hosts the stack exports (one `stack output` call, read again if it met another runner's write)."""
    outputs = _read_again_on_eof(stack.outputs, progress)
    return hosts_from_outputs(outputs, f"stack {stack.name}") if outputs.get("hosts") else []


def _lab_lacks_hosts(settings: Settings, stack: Stack, declared: Callable[[], list[Host]]) -> bool:
    """The hosts step runs again, though done, when a lab is up here and lacks the tenant's hosts (a lab built
    after the first run); no engine call without a lab."""
    if not can_harden_here(settings.state_dir) or not stack.config_path.exists():
        return False
    try:
        return lab_lacks(settings.state_dir, declared())
    except EngineError:  # no stack yet: its step comes first
        return False


def _flows(settings: Settings, plan: TenantPlan) -> str:
    # Within the platform (shared zone) the tenant stack opened them; the extranet's wait for the gate.
    waiting = [flow for flow in plan.flows if flow.peer == EXTRANET]
    return (f"{len(plan.flows) - len(waiting)} flow(s) open through the transit gateway; {len(waiting)} to or from "
            f"the extranet wait for admission (bridge {settings.bridge_stack})")


def _gate(settings: Settings, request: TenantRequest, scan: dict[str, ScanResult], runner: StepRunner,
          records: Records, progress: Any) -> str:
    others = frozenset(stack_name(tenant) for tenant in records.tenants() if tenant != request.id) - {
        settings.core_stack, settings.bridge_stack}  # the platform's are read whatever they are called
    options = ScanOptions(tenant=request.id, tenants_file=None, out_dir=settings.tenant_dir(request.id) / "scans",
                          endpoint=settings.env.get("AWS_ENDPOINT_URL"), platform_file=settings.platform_file,
                          vault_token=settings.vault.token, other_tenant_stacks=others)
    result = _scan(options, progress)
    scan["gate"] = result
    folder = write_folder(result, render(result, ["json"]))
    result.folder = folder

    def change(record: Record) -> None:
        record["last_scan"] = {"at": result.finished, "folder": str(folder), "passed": result.gate.passed,
                               "reasons": list(result.gate.reasons), "conclusion": result.conclusion.level,
                               "score": result.conclusion.score}

    runner.update(change)
    verdict = "passed" if result.gate.passed else f"FAILED ({len(result.gate.reasons)} reasons)"
    return f"tenant scan: gate {verdict}, conclusion {result.conclusion.level}; evidence in {folder}"


STATE_READ_ATTEMPTS = 3


def _mid_write(output: str) -> bool:
    """The file backend's answers when a listing meets another runner's checkpoint write: its fileblob sidecar
    read while rewritten in place ("error: EOF"; only with a ``file://`` URL of the operator's own without
    ``metadata=skip``, see ``infra.state_backend.FileBackend``), or its temporary file gone between the
    listing and the lstat."""
    return "error: EOF" in output or ("list bucket" in output and ".tmp: no such file or directory" in output)


def _read_again_on_eof(read: Callable[[], T], progress: Any) -> T:
    """``read`` again when it met a checkpoint another runner was rewriting (see ``_mid_write``); a few attempts,
    then the error stands."""
    for attempt in range(1, STATE_READ_ATTEMPTS + 1):
        try:
            return read()
        except EngineError as exc:
            if attempt == STATE_READ_ATTEMPTS or not _mid_write(f"{exc.stdout}\n{exc.stderr}"):
                raise
            progress("a stack's state was being written by another run; reading again")
            time.sleep(2 * attempt)
    raise AssertionError("unreachable")


def _scan(options: ScanOptions, progress: Any) -> ScanResult:
    """The scan, read again when the state source met a checkpoint another runner was writing at that moment
    (see ``_mid_write``: `stack export` of another tenant's stack can meet that tenant's `up` writing): a few
    attempts, then the error stands and the gate reaches no verdict."""
    for attempt in range(1, STATE_READ_ATTEMPTS + 1):
        try:
            return run_scan(options, progress)
        except SourceUnreachable as exc:
            if attempt == STATE_READ_ATTEMPTS or exc.source != "state" or not _mid_write(exc.reason):
                raise
            progress(f"the state was being written by another run ({exc}); reading again")
            time.sleep(2 * attempt)
    raise AssertionError("unreachable")


def _report(settings: Settings, plan: TenantPlan, scan: dict[str, ScanResult], runner: StepRunner,
            progress: Any) -> str:
    from compliance.report import write_reports

    last = runner.record.get("last_scan") or {}
    folder = Path(str(last.get("folder")))
    written: list[Path] = []
    rendered = [fmt for fmt in settings.report_formats if fmt in ("html", "pdf")]
    if rendered:
        progress("rendering the onboarding report")
        written = write_reports(folder, rendered)
    document = {
        "tenant": plan.tenant, "names": plan.names, "mlps_level": plan.mlps_level, "cidr": plan.cidr,
        "stack": stack_name(plan.tenant), "vault": plan.vault, "flows": [flow.__dict__ for flow in plan.flows],
        "steps": {name: {key: value for key, value in entry.items() if key != "plan"}
                  for name, entry in (runner.record.get("steps") or {}).items()},
        "gate": {"passed": last.get("passed"), "reasons": last.get("reasons")},
        "conclusion": {"level": last.get("conclusion"), "estimated_score": last.get("score")},
        "admitted": bool(last.get("passed")),
        "scan_report": str(folder / "report.json"),
    }
    target = folder / "onboarding.json"
    target.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    files = [target, *written]
    runner.update(lambda record: record.__setitem__("report", [str(path) for path in files]))
    return "onboarding report: " + ", ".join(path.name for path in files) + f" in {folder}"


def _admission(settings: Settings, stack: Stack, plan: TenantPlan, passed: bool, runner: StepRunner,
               progress: Any) -> str:
    if not passed:
        progress(f"closing the flows of {plan.tenant} on the bridge")
        close_tenant_flows(settings.bridge(), plan.tenant)
        tenant_side = _set_admitted(stack, plan, False, progress)  # admitted before, failing now: closes too
        runner.update(lambda record: record.__setitem__("state", NOT_ADMITTED))
        return (f"not admitted: admitted=false, no flow to or from the extranet is open (tenant stack: "
                f"{tenant_side}; bridge: closed)" + _gateways(settings, plan, progress))
    tenant_side = _set_admitted(stack, plan, True, progress)
    progress(f"opening the flows of {plan.tenant} on the bridge")
    carried = open_tenant_flows(settings.bridge(), plan)
    runner.update(lambda record: record.__setitem__("state", ADMITTED))
    opened = ": its flows to and from the extranet are open" if any(f.peer == EXTRANET for f in plan.flows) else ""
    return (f"admitted{opened} (tenant stack: {tenant_side}; bridge" + _bridge_note(carried) + ")"
            + _gateways(settings, plan, progress))


def _set_admitted(stack: Stack, plan: TenantPlan, admitted: bool, progress: Any) -> str:
    """The tenant stack's ``admitted`` config, then an `up` only when the stack's extranet side must change;
    says which. Its ``extranetOpen`` output says what the last `up` declared, so a run killed between the
    config and the `up` still gets its `up` when run again; a department with no flow to or from the
    extranet needs none (``open_peers``: nothing else in the stack depends on admission)."""
    value = "true" if admitted else "false"
    if stack_config(stack).get("admitted") != value:
        stack.set_config("admitted", value)
    wanted = EXTRANET in open_peers(plan, admitted)
    if _read_again_on_eof(stack.outputs, progress).get("extranetOpen") == wanted:
        return ("no `up`, it has no flow to or from the extranet" if not any(f.peer == EXTRANET for f in plan.flows)
                else f"no `up`, its extranet routes and rules were already {'open' if wanted else 'closed'}")
    action = "opening" if wanted else "closing"
    progress(f"pulumi up {stack.name} (admitted={value}: {action} its extranet routes and rules)")
    stack.up()
    return f"`up` {action} its extranet routes and rules"


def _gateways(settings: Settings, plan: TenantPlan, progress: Any = lambda _m: None) -> str:
    """The lab's gateways get the bridge's admitted tenants again when the tenant's hosts are in the lab."""
    if not can_harden_here(settings.state_dir) or not tenant_in_lab(settings.state_dir, plan.tenant):
        return ""
    return "; " + gateways_for_admitted(settings.state_dir, settings.bridge(), progress)


def _bridge_note(carried: list[str]) -> str:
    """Which departments the bridge `up` run here carried; none ran when another run's `up` already had it."""
    if not carried:
        return ": it already had them, no `up` here"
    others = carried[1:]
    return f": one `up` also carried {', '.join(others)}" if others else ": `up`"
