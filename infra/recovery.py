"""Bring a stack back in line with the cloud after an interrupted or failed run.

First the stack's lock: a run killed outright (SIGKILL, a cancelled CI job, a reboot) leaves its lock
behind, and every later command of the stack stops on it. A lock of a process of this host that no longer
runs is removed; any other lock is left alone and named (see ``infra.stack_locks``).

Then two kinds of debris: pending creates the engine recorded but never confirmed (cleared with the
engine's own `refresh --clear-pending-creates`), and resources the cloud made whose create
response never arrived (found by the provider's owner tag and deleted). Afterwards `pulumi up`
creates whatever is missing exactly once.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field

import boto3

from infra.engine import Stack
from infra.provider.clients import ClientFactory, ProviderConfig
from infra.provider.recovery import Leftover, delete_leftovers, find_leftovers
from infra.stack_locks import LockError, LockFinding, inspect_locks, lock_store, refusal


def _clients(stack: Stack) -> ClientFactory:
    """Clients as the stack's provider would build them: its config, then the stack's environment."""
    config = json.loads(stack.run("config", "--json").stdout or "{}")
    resolved = ProviderConfig.resolve(
        endpoint=(config.get("egov:endpoint") or {}).get("value"),
        region=(config.get("egov:region") or {}).get("value"),
        environ=stack.env,
    )
    session = boto3.session.Session(
        aws_access_key_id=stack.env.get("AWS_ACCESS_KEY_ID"),
        aws_secret_access_key=stack.env.get("AWS_SECRET_ACCESS_KEY"),
        aws_session_token=stack.env.get("AWS_SESSION_TOKEN"),
        profile_name=stack.env.get("AWS_PROFILE"),
    )
    return ClientFactory(resolved, session=session)


def stack_lock_findings(stack: Stack) -> list[LockFinding]:
    """The stack's locks, each judged stale, live, foreign or unreadable."""
    url = stack.backend_url
    if url is None:
        raise LockError("no PULUMI_BACKEND_URL to read the stack's locks from: run `egov local up`, or set it "
                        "to your state backend")
    return inspect_locks(lock_store(url), stack.project_name, stack.name)


def clear_stale_locks(stack: Stack, *, break_lock: bool = False, dry_run: bool = False,
                      progress: Callable[[str], None] = lambda _: None) -> list[LockFinding]:
    """Remove the stack's locks through `pulumi cancel` when every one may go; returns those removed.

    `pulumi cancel` deletes every lock of the stack, so it runs only when none is held by a live process
    (never) or, without ``break_lock``, by another host; and only if the locks are still those judged, so
    that a command which locked the stack meanwhile keeps its lock. Raises LockError otherwise.
    """
    findings = stack_lock_findings(stack)
    if not findings:
        return []
    reason = refusal(stack.name, findings, break_lock=break_lock)
    if reason:
        raise LockError(reason)
    if dry_run:
        return findings
    if [f.lock for f in stack_lock_findings(stack)] != [f.lock for f in findings]:
        raise LockError(f"the locks of stack {stack.name} changed while they were checked (another command "
                        f"started?): run `egov recover --stack {stack.name}` again")
    progress(f"removing {len(findings)} lock(s) of stack {stack.name} with `pulumi cancel`")
    stack.run("cancel", "--yes")
    return findings


@dataclass(frozen=True)
class Recovery:
    """What a recovery found (and, unless it was a dry run, removed)."""

    stack: str
    locks: list[LockFinding] = field(default_factory=list)
    pending_creates: int = 0
    leftovers: list[Leftover] = field(default_factory=list)

    def lines(self, *, dry_run: bool = False) -> list[str]:
        """One line per thing done, for the operator."""
        verb = "would remove" if dry_run else "removed"
        found = [f"stack {self.stack}: {verb} {finding.describe()}" for finding in self.locks]
        if self.pending_creates:
            found.append(f"stack {self.stack}: {'would clear' if dry_run else 'cleared'} "
                         f"{self.pending_creates} pending create(s) from the state")
        verb = "would delete" if dry_run else "deleted"
        found += [f"stack {self.stack}: {verb} leftover {leftover}" for leftover in self.leftovers]
        return found


def recover(stack: Stack, *, dry_run: bool = False, break_lock: bool = False,
            progress: Callable[[str], None] = lambda _: None) -> Recovery:
    """Remove stale locks, clear pending creates and delete leftovers; says what it found."""
    locks = clear_stale_locks(stack, break_lock=break_lock, dry_run=dry_run, progress=progress)
    deployment = stack.export().get("deployment", {})
    pending = [op for op in deployment.get("pending_operations") or [] if op.get("type") == "creating"]
    if pending and not dry_run:
        progress(f"clearing {len(pending)} pending create(s) from the state")
        stack.run("refresh", "--yes", "--skip-preview", "--clear-pending-creates")
        deployment = stack.export().get("deployment", {})
    project = stack.project_name
    known = {str(r["id"]) for r in deployment.get("resources") or [] if r.get("id")}
    clients = _clients(stack)
    leftovers = find_leftovers(f"urn:pulumi:{stack.name}::{project}::", known, clients)
    if leftovers and not dry_run:
        delete_leftovers(leftovers, clients, progress)
    return Recovery(stack.name, locks, len(pending), leftovers)
