"""`egov tenant destroy`: offboarding a department.

Its network and compute go (the tenant stack is brought to ``offboarded=true``, which declares only the key,
its alias and the archive bucket, so ``up`` deletes the rest through the engine); the archive bucket and the
KMS key stay for the retention period of its request; in OpenBao its namespace turns decrypt/read-only (the
offboarded pipeline policy of `egov vault offboard`, the transit key kept and no longer rotated) and its
pipeline AppRole is revoked; its flows are closed on the bridge. The CIDR stays reserved in the ledger, so
the flow logs in the archive keep pointing at one department. Every step is idempotent: a failed run is
re-run.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from infra.onboarding.apply import write_plan
from infra.onboarding.bridge_admission import close_tenant_flows
from infra.onboarding.record import OFFBOARDED, OFFBOARDING, Record, Records, now
from infra.onboarding.settings import Settings
from infra.onboarding.steps import StepReporter, StepRunner
from infra.onboarding.vault_onboarding import apply_tenant, entry_from_document, revoke_pipeline
from infra.recovery import recover
from infra.tenants.plan import TenantPlan

OFFBOARD_STEPS = ("flows", "stack", "vault", "approle")


class NotOnboarded(Exception):
    """There is no onboarding record for the id."""


@dataclass(frozen=True)
class Remains:
    tenant: str
    until: str
    items: list[str]


def offboard(tenant: str, settings: Settings, records: Records, report: StepReporter,
             progress: Any = lambda _: None) -> Remains:
    record = records.get(tenant)
    if record is None or "plan" not in record:
        known = ", ".join(records.tenants()) or "none"
        raise NotOnboarded(f"no onboarded tenant '{tenant}' (tenants with a record: {known}); nothing was changed")
    plan = TenantPlan.from_json(record["plan"])
    entry = entry_from_document(record["vault_entry"], offboarded=True)
    runner = StepRunner(records, tenant, str(record.get("plan_digest", "")), report, field="offboarding_steps")
    if record.get("state") != OFFBOARDED:
        runner.update(lambda r: r.__setitem__("state", OFFBOARDING))
    stack = settings.tenant_stack(tenant)

    def stack_step() -> str:
        write_plan(settings.plan_file(tenant), plan)  # any runner: the plan comes from the record
        if not stack.exists():
            return f"stack {stack.name} does not exist here: nothing to remove"
        stack.set_config("offboarded", "true")
        for line in recover(stack, progress=progress).lines():
            progress(line)
        progress(f"pulumi up {stack.name} (offboarded: removing network and compute)")
        stack.up()
        return f"stack {stack.name}: network and compute removed; key, alias and archive bucket kept"

    def flows_step() -> str:
        close_tenant_flows(settings.bridge(), tenant)
        return "flows closed on the bridge"

    def approle_step() -> str:  # after vault, always: applying the entry declares the role again
        revoke_pipeline(settings.vault, entry)
        return f"AppRole {entry.namespace}/auth/approle/role/pipeline revoked, its tokens with it"

    runner.run("flows", flows_step)
    runner.run("stack", stack_step)
    runner.run("vault", lambda: f"OpenBao namespace {entry.namespace}: decrypt/read-only "
                                f"({apply_tenant(settings.vault, entry, settings.desired_file, progress)} change(s))")
    runner.run("approle", approle_step, always=True)
    started = (record.get("offboarded") or {}).get("at") or now()
    until = (datetime.fromisoformat(started) + timedelta(days=int(record.get("retention_days") or 0))).date()
    archive = next((bucket.name for bucket in plan.buckets if bucket.data_class == "archive"), "")
    items = [f"archive bucket {archive} (object lock, flow logs and archived data) until {until}",
             f"KMS key {plan.kms_key_alias} (decrypts the archive) until {until}",
             f"OpenBao transit key {plan.vault['transit_key']}: decryption only, encryption refused, until {until}",
             f"OpenBao KV {plan.vault['kv']}: read only, until {until}",
             f"CIDR {plan.cidr} stays reserved in the ledger (the flow logs name it)"]

    def finish(r: Record) -> None:
        r["state"] = OFFBOARDED
        r["offboarded"] = {"at": started, "retained_until": str(until), "remains": items}

    runner.update(finish)
    return Remains(tenant, str(until), items)


def retained_until(record: Record) -> str | None:
    return (record.get("offboarded") or {}).get("retained_until")
