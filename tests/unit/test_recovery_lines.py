"""What `egov recover` (and the onboarding's stack step) says it did, one line per thing, in both modes."""

from __future__ import annotations

from datetime import UTC, datetime

from infra.recovery import Recovery
from infra.stack_locks import LockFinding, StackLock, Verdict


def recovery() -> Recovery:
    lock = StackLock("/s/.pulumi/locks/x.json", 4242, "root", "vm", datetime.now(UTC))
    return Recovery("t1", [LockFinding(lock, Verdict.STALE)], pending_creates=2, sidecars=["/s/t1.json.attrs"])


def test_each_thing_done_has_its_own_verb() -> None:
    lines = recovery().lines()
    assert lines[0] == "stack t1: deleted the broken state sidecar /s/t1.json.attrs (left empty by a killed run)"
    assert lines[1].startswith("stack t1: removed stale lock of pid 4242 (root@vm, no longer running)")
    assert lines[2] == "stack t1: cleared 2 pending create(s) from the state"


def test_a_dry_run_says_would() -> None:
    lines = recovery().lines(dry_run=True)
    assert [line.split(": ", 1)[1].split(" ")[:2] for line in lines] == [
        ["would", "delete"], ["would", "remove"], ["would", "clear"]]
