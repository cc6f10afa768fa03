"""Changes to the bridge's admitted tenants that wait for its lock, so one ``up`` can carry several.

Every bridge ``up`` (with the policy pack) costs seconds of engine time and runs under one lock, so when
several departments are admitted at once their ``up``s queued one behind the other. Now each caller first
publishes what it wants (a *pending change*: open this entry, or close this tenant) in a directory next to the
lock, then takes the lock; whoever holds it applies its own change together with every other pending change
that still passes validation and the quotas, in one ``up``. A caller that then gets the lock finds its change
already applied and returns without an ``up``.

A change is one file ``<tenant>--<pid>-<token>.json`` written whole (``write_private_file``). Its writer
removes it when it returns or fails, so a change whose writer gave up is never applied later; one whose
writer died without removing it (SIGKILL) is ignored and removed by the next reader. For a tenant with
several pending changes the newest wins. The directory must be this user's alone (``private_directory``):
a planted change would open a department's flows that never passed the gate. Like the lock, the queue is
per host: runners on other hosts are serialised by Pulumi's stack lock and each applies its own change.
"""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from infra.files import private_directory, write_private_file
from infra.local.process import pid_alive

OPEN = "open"
CLOSE = "close"


@dataclass(frozen=True)
class PendingChange:
    """One caller's wish: ``open`` with the tenant's entry (its slot given when applied), or ``close``."""

    tenant: str
    action: str
    entry: dict[str, Any] | None
    path: Path


@contextmanager
def pending_change(directory: Path, tenant: str, action: str, entry: dict[str, Any] | None) -> Iterator[Path]:
    """Publish the change for as long as the block runs, then withdraw it (applied or not)."""
    private_directory(directory)
    path = directory / f"{tenant}--{os.getpid()}-{secrets.token_hex(4)}.json"
    write_private_file(path, json.dumps({"tenant": tenant, "action": action, "entry": entry}, sort_keys=True).encode())
    try:
        yield path
    finally:
        path.unlink(missing_ok=True)


def pending_changes(directory: Path) -> list[PendingChange]:
    """The newest live change per tenant, oldest first. Changes of processes that no longer run are removed;
    an unreadable file is skipped (its writer is still writing or wrote something else: not ours to apply)."""
    if not directory.exists():
        return []
    private_directory(directory)  # what is in it decides what the bridge admits: this user's alone
    found: dict[str, tuple[int, PendingChange]] = {}
    for path in sorted(directory.glob("*--*.json")):
        if not _writer_alive(path):
            path.unlink(missing_ok=True)
            continue
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            stamp = path.stat().st_mtime_ns
        except (OSError, ValueError):
            continue
        change = _parse(data, path)
        if change is None:
            continue
        if change.tenant not in found or stamp >= found[change.tenant][0]:
            found[change.tenant] = (stamp, change)
    return [change for _, change in sorted(found.values(), key=lambda item: (item[0], item[1].tenant))]


def queue_directory(lock_path: Path) -> Path:
    """The pending changes of the bridge whose lock file is ``lock_path``."""
    return lock_path.with_suffix(".pending")


def _parse(data: Any, path: Path) -> PendingChange | None:
    if not isinstance(data, dict) or data.get("action") not in (OPEN, CLOSE):
        return None
    tenant, entry = data.get("tenant"), data.get("entry")
    if not isinstance(tenant, str) or not path.name.startswith(f"{tenant}--"):
        return None
    if data["action"] == OPEN and not isinstance(entry, dict):
        return None
    return PendingChange(tenant, data["action"], entry if isinstance(entry, dict) else None, path)


def _writer_alive(path: Path) -> bool:
    try:
        pid = int(path.name.rsplit("--", 1)[1].split("-", 1)[0])
    except (IndexError, ValueError):
        return False
    return pid_alive(pid)
