"""Named, resumable steps: each records its outcome in the tenant's onboarding record.

A step recorded ``done`` for the same plan (its digest) is not run again, so a re-run continues from the
step that failed or was interrupted; a changed request (another plan) runs every step again, and every step
is idempotent anyway. A failure stops the run with the step named (``StepFailed``).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from infra.onboarding.record import Record, Records, now


class StepFailed(Exception):
    """A step failed; ``step`` names it, the message says why."""

    def __init__(self, step: str, error: BaseException) -> None:
        self.step = step
        self.error = error
        super().__init__(f"step '{step}' failed: {error}")


@dataclass(frozen=True)
class StepEvent:
    step: str
    status: str  # "running", "done", "skipped" (done earlier), "failed"
    detail: str = ""
    seconds: float = 0.0


StepReporter = Callable[[StepEvent], None]


class StepRunner:
    """Runs steps for one tenant against its record."""

    def __init__(self, records: Records | None, tenant: str, plan_digest: str, report: StepReporter,
                 *, field: str = "steps") -> None:
        self.records = records
        self.tenant = tenant
        self.plan_digest = plan_digest
        self.report = report
        self.field = field
        self.record: Record = (records.get(tenant) if records else None) or {}

    def done_earlier(self, step: str) -> bool:
        entry = (self.record.get(self.field) or {}).get(step) or {}
        return bool(entry.get("status") == "done" and entry.get("plan") == self.plan_digest)

    def run(self, step: str, work: Callable[[], str], *, always: bool = False) -> None:
        """``work`` returns a one-line outcome; it runs unless done earlier for this plan (or ``always``)."""
        if not always and self.done_earlier(step):
            entry = self.record[self.field][step]
            self.report(StepEvent(step, "skipped", f"done earlier ({entry.get('at')}): {entry.get('detail', '')}"))
            return
        self.report(StepEvent(step, "running"))
        started = time.monotonic()
        try:
            detail = work()
        except Exception as exc:  # any failure: recorded and named, then stop
            self._record(step, {"status": "failed", "at": now(), "error": str(exc)[-2000:], "plan": self.plan_digest})
            self.report(StepEvent(step, "failed", str(exc), time.monotonic() - started))
            raise StepFailed(step, exc) from exc
        self._record(step, {"status": "done", "at": now(), "detail": detail, "plan": self.plan_digest})
        self.report(StepEvent(step, "done", detail, time.monotonic() - started))

    def update(self, change: Callable[[Record], None]) -> None:
        if self.records is None:
            return
        self.record = self.records.update(self.tenant, change)

    def _record(self, step: str, entry: dict[str, object]) -> None:
        def change(record: Record) -> None:
            record.setdefault(self.field, {})[step] = entry

        self.update(change)
