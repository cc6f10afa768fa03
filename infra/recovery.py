"""Bring a stack back in line with the cloud after an interrupted or failed run.

First the state itself: a ``file://`` store written before egov asked fileblob for ``metadata=skip`` can
hold a sidecar a killed run left empty, which makes the stack unreadable (``error: EOF``); it is deleted
(see ``infra.state_backend.FileBackend``).

Then the stack's lock: a run killed outright (SIGKILL, a cancelled CI job, a reboot) leaves its lock
behind, and every later command of the stack stops on it. A lock of a process of this host that no longer
runs is removed; any other lock is left alone and named (see ``infra.stack_locks``).

Then two kinds of debris: pending creates the engine recorded but never confirmed (cleared with the
engine's own `refresh --clear-pending-creates`), and resources the cloud made whose create
response never arrived (found by the provider's owner tag and deleted). KMS keys are the exception:
a key is never deleted by a sweep (it may already protect data), so a key tagged with the URN of a
pending create is imported into that resource (`refresh --import-pending-creates`) instead of being
left behind as a twin. A KMS alias carries no tags: one is swept when a pending create of the stack
names it and it points at a key of the stack. Afterwards `pulumi up` creates whatever is missing exactly
once.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field

import boto3

from infra.engine import Stack
from infra.provider.clients import ClientFactory, ProviderConfig
from infra.provider.kms import ALIAS_TYPE, KEY_TYPE
from infra.provider.kms import GONE_STATES as KEY_GONE_STATES
from infra.provider.recovery import Leftover, delete_leftovers, find_leftovers
from infra.provider.tags import OWNER_TAG
from infra.stack_locks import LockError, LockFinding, UnsupportedBackend, inspect_locks, lock_store, refusal
from infra.state_backend import BackendURLError, FileBackend, parse_backend_url


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


def broken_state_sidecars(stack: Stack) -> list[str]:
    """The file backend's broken sidecars (none for another backend, or without a backend URL)."""
    try:
        backend = parse_backend_url(stack.backend_url or "")
    except BackendURLError:
        return []
    return [str(path) for path in backend.broken_sidecars()] if isinstance(backend, FileBackend) else []


def stack_lock_findings(stack: Stack) -> list[LockFinding]:
    """The stack's locks, each judged stale, live, foreign or unreadable."""
    url = stack.backend_url
    if url is None:
        raise LockError("no PULUMI_BACKEND_URL to read the stack's locks from: run `egov local up`, or set it "
                        "to your state backend")
    return inspect_locks(lock_store(url, {**os.environ, **stack.env}), stack.project_name, stack.name)


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
    imported: list[str] = field(default_factory=list)  # resources whose lost create was completed by import
    notes: list[str] = field(default_factory=list)  # what could not be checked
    sidecars: list[str] = field(default_factory=list)  # broken fileblob sidecars (paths) that made the state unreadable

    def lines(self, *, dry_run: bool = False) -> list[str]:
        """One line per thing done, for the operator."""
        found = [f"stack {self.stack}: {note}" for note in self.notes]
        found += [f"stack {self.stack}: {'would delete' if dry_run else 'deleted'} the broken state sidecar {path}"
                  " (left empty by a killed run)" for path in self.sidecars]
        verb = "would remove" if dry_run else "removed"
        found += [f"stack {self.stack}: {verb} {finding.describe()}" for finding in self.locks]
        if self.pending_creates:
            found.append(f"stack {self.stack}: {'would clear' if dry_run else 'cleared'} "
                         f"{self.pending_creates} pending create(s) from the state")
        verb = "would import" if dry_run else "imported"
        found += [f"stack {self.stack}: {verb} {resource} into the state" for resource in self.imported]
        verb = "would delete" if dry_run else "deleted"
        found += [f"stack {self.stack}: {verb} leftover {leftover}" for leftover in self.leftovers]
        return found


def adoptable_keys(clients: ClientFactory, pending_urns: set[str]) -> dict[str, str]:
    """The KMS key (id) made for each of these URNs, where exactly one usable key carries it as owner."""
    kms = clients.client("kms")
    found: dict[str, list[str]] = {}
    for page in kms.get_paginator("list_keys").paginate():
        for key in page.get("Keys", []):
            key_id = str(key["KeyId"])
            meta = kms.describe_key(KeyId=key_id)["KeyMetadata"]
            if meta.get("KeyManager") == "AWS" or meta.get("KeyState") in KEY_GONE_STATES:
                continue
            tags = kms.list_resource_tags(KeyId=key_id).get("Tags", [])
            urn = next((str(t.get("TagValue", "")) for t in tags if t.get("TagKey") == OWNER_TAG), "")
            if urn in pending_urns:
                found.setdefault(urn, []).append(key_id)
    return {urn: ids[0] for urn, ids in found.items() if len(ids) == 1}


def lost_aliases(clients: ClientFactory, pending: dict[str, str], urn_prefix: str) -> list[Leftover]:
    """Aliases a killed run created but never recorded: named by a pending create of this stack (alias name ->
    URN) and pointing at a key this stack's provider made. An alias carries no tags, so both are needed
    before one is deleted; the next `up` creates it again, and without this it fails with AlreadyExists."""
    kms = clients.client("kms")
    lost = []
    for page in kms.get_paginator("list_aliases").paginate():
        for alias in page.get("Aliases", []):
            name, target = str(alias.get("AliasName", "")), alias.get("TargetKeyId")
            if name not in pending or not target:
                continue
            tags = kms.list_resource_tags(KeyId=target).get("Tags", [])
            owner = next((str(t.get("TagValue", "")) for t in tags if t.get("TagKey") == OWNER_TAG), "")
            if owner.startswith(urn_prefix):
                lost.append(Leftover(ALIAS_TYPE, name, pending[name]))
    return lost


def _complete_creates(stack: Stack, ids: dict[str, str]) -> None:
    """Record pending creates as created with the given ids (URN -> id); the refresh that follows reads
    their outputs from the cloud, and the next `up` brings their settings in line with the program.

    This is what `refresh --import-pending-creates` promises, but in v3.274.1 it only relabels the pending
    operation, which the next `up` then drops. Nothing in the state can depend on a pending create (its
    id never reached the engine), so the resource goes last.
    """
    exported = stack.export()
    deployment = exported["deployment"]
    still_pending = []
    for op in deployment.get("pending_operations") or []:
        urn = op.get("resource", {}).get("urn")
        if op.get("type") == "creating" and urn in ids:
            deployment.setdefault("resources", []).append({**op["resource"], "id": ids[urn]})
        else:
            still_pending.append(op)
    deployment["pending_operations"] = still_pending
    stack.run("stack", "import", input_text=json.dumps(exported))


def recover(stack: Stack, *, dry_run: bool = False, break_lock: bool = False,
            progress: Callable[[str], None] = lambda _: None) -> Recovery:
    """Remove broken state sidecars and stale locks, settle pending creates and delete leftovers; says what it
    found."""
    notes: list[str] = []
    sidecars = broken_state_sidecars(stack)
    if not dry_run:
        for sidecar in sidecars:
            os.unlink(sidecar)
    try:
        locks = clear_stale_locks(stack, break_lock=break_lock, dry_run=dry_run, progress=progress)
    except UnsupportedBackend as exc:
        locks, notes = [], [str(exc)]
    deployment = stack.export().get("deployment", {})
    pending = [op for op in deployment.get("pending_operations") or [] if op.get("type") == "creating"]
    clients = _clients(stack)
    project = stack.project_name
    pending_keys = {str(op["resource"]["urn"]) for op in pending if op.get("resource", {}).get("type") == KEY_TYPE}
    adopted = adoptable_keys(clients, pending_keys) if pending_keys else {}
    pending_aliases = {str((op["resource"].get("inputs") or {}).get("name")): str(op["resource"]["urn"])
                       for op in pending if op.get("resource", {}).get("type") == ALIAS_TYPE}
    aliases = lost_aliases(clients, pending_aliases, f"urn:pulumi:{stack.name}::{project}::") if pending_aliases \
        else []
    if pending and not dry_run:
        progress(f"settling {len(pending)} pending create(s) in the state")
        if adopted:
            _complete_creates(stack, adopted)
        stack.run("refresh", "--yes", "--skip-preview", "--clear-pending-creates")
        deployment = stack.export().get("deployment", {})
    known = {str(r["id"]) for r in deployment.get("resources") or [] if r.get("id")}
    leftovers = find_leftovers(f"urn:pulumi:{stack.name}::{project}::", known, clients) + aliases
    if leftovers and not dry_run:
        delete_leftovers(leftovers, clients, progress)
    return Recovery(stack.name, locks, len(pending) - len(adopted), leftovers,
                    [f"{KEY_TYPE} {key_id} (created for {urn})" for urn, key_id in sorted(adopted.items())], notes,
                    [str(path) for path in sidecars])
