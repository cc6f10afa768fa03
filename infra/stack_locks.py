"""Stack locks of Pulumi's DIY backends, read so that a dead run's lock can be told from a live one.

Pulumi's DIY backends (file, s3, ...) lock a stack by writing one JSON object per running command
under ``.pulumi/locks/organization/<project>/<stack>/<uuid>.json`` in the backend's bucket, with the
command's PID, user, host and start time (``lockContent`` in pkg/backend/diy/lock.go, v3.274.1). A
command killed with SIGKILL never deletes its lock, and every later command of that stack then stops
with "the stack is currently locked". Only ``pulumi cancel`` (which deletes every lock of the stack)
clears it; this module decides when that is safe.

Reading goes through :class:`LockStore`: :class:`FileLockStore` for a ``file://`` backend, and
:class:`S3LockStore` for an ``s3://`` bucket (the same keys, listed and read with boto3).
"""

from __future__ import annotations

import enum
import json
import os
import socket
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

from infra.state_backend import BackendURLError, FileBackend, S3Backend, parse_backend_url

# Pulumi's DIY backends put project-scoped stacks under this organisation name.
DIY_ORGANIZATION = "organization"
# The lock's timestamp is taken after the process started; allow for coarse clocks (/proc/stat's btime
# has one-second resolution) before calling a process younger than its lock a stranger that reused the PID.
_START_TIME_SLACK = timedelta(seconds=2)


class LockError(RuntimeError):
    """A stack is locked and the lock may not be removed automatically; the message says by whom and what to do."""


class UnsupportedBackend(LockError):
    """No lock reader for this kind of backend yet."""


@dataclass(frozen=True)
class StackLock:
    """One lock file: where it is and what the locking command wrote into it."""

    location: str  # the lock's path or URL, as an operator would look for it
    pid: int | None
    username: str
    hostname: str
    timestamp: datetime | None
    problem: str = ""  # why the content could not be read, if it could not

    @property
    def holder(self) -> str:
        if self.problem:
            return f"unreadable lock {self.location} ({self.problem})"
        return f"{self.username}@{self.hostname} (pid {self.pid})"

    def age(self, now: datetime | None = None) -> timedelta | None:
        if self.timestamp is None:
            return None
        return (now or datetime.now(UTC)) - self.timestamp

    def since(self) -> str:
        if self.timestamp is None:
            return "an unknown time"
        return f"{self.timestamp.astimezone(UTC):%Y-%m-%d %H:%M:%S} UTC ({format_age(self.age())} ago)"


def format_age(age: timedelta | None) -> str:
    if age is None:
        return "unknown age"
    seconds = max(0, int(age.total_seconds()))
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    if hours:
        return f"{hours}h{minutes:02d}m"
    if minutes:
        return f"{minutes}m{seconds:02d}s"
    return f"{seconds}s"


def parse_lock(location: str, content: bytes) -> StackLock:
    """A lock as Pulumi wrote it; content that is not a lock is kept with the reason, never guessed at."""
    try:
        data = json.loads(content)
        if not isinstance(data, dict):
            raise ValueError("not a JSON object")
        pid = data["pid"]
        if not isinstance(pid, int) or isinstance(pid, bool) or pid <= 0:
            raise ValueError(f"pid {pid!r} is not a process id")
        timestamp = datetime.fromisoformat(str(data["timestamp"]))
        if timestamp.tzinfo is None:
            raise ValueError("timestamp has no time zone")
        return StackLock(location, pid, str(data.get("username", "")), str(data["hostname"]), timestamp)
    except (ValueError, KeyError, TypeError) as exc:  # json.JSONDecodeError is a ValueError
        return StackLock(location, None, "", "", None, problem=f"{type(exc).__name__}: {exc}")


class LockStore(Protocol):
    """Where a backend keeps its locks."""

    def read_locks(self, project: str, stack: str) -> list[StackLock]:
        """Every lock of the stack, in a stable order."""
        ...


@dataclass(frozen=True)
class FileLockStore:
    """The locks of a ``file://`` backend, under the backend directory."""

    root: Path

    def lock_dir(self, project: str, stack: str) -> Path:
        return self.root / ".pulumi" / "locks" / DIY_ORGANIZATION / project / stack

    def read_locks(self, project: str, stack: str) -> list[StackLock]:
        directory = self.lock_dir(project, stack)
        if not directory.is_dir():
            return []
        found = []
        for path in sorted(directory.glob("*.json")):
            try:
                content = path.read_bytes()
            except FileNotFoundError:  # its command finished while we looked
                continue
            found.append(parse_lock(str(path), content))
        return found


@dataclass(frozen=True)
class S3LockStore:
    """The locks of an ``s3://`` backend: the same keys as on disk, under the bucket's prefix."""

    backend: S3Backend
    client: Any  # a boto3 S3 client for the backend's endpoint (S3Backend.client)

    def lock_prefix(self, project: str, stack: str) -> str:
        return self.backend.key(".pulumi", "locks", DIY_ORGANIZATION, project, stack) + "/"

    def read_locks(self, project: str, stack: str) -> list[StackLock]:
        from botocore.exceptions import ClientError

        keys: list[str] = []
        paginator = self.client.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self.backend.bucket, Prefix=self.lock_prefix(project, stack)):
            keys += [entry["Key"] for entry in page.get("Contents", []) if entry["Key"].endswith(".json")]
        found = []
        for key in sorted(keys):
            try:
                content = self.client.get_object(Bucket=self.backend.bucket, Key=key)["Body"].read()
            except ClientError as exc:
                if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
                    continue  # its command finished while we looked
                raise
            found.append(parse_lock(self.backend.location(key), content))
        return found


def lock_store(backend_url: str, environ: Mapping[str, str] | None = None) -> LockStore:
    """The lock reader for a backend URL; ``environ`` holds the credentials an s3 backend is read with."""
    try:
        backend = parse_backend_url(backend_url)
    except BackendURLError as exc:
        raise UnsupportedBackend(
            f"stack locks were not inspected: {exc}; if the engine reports the stack locked, check the lock's "
            "holder with your backend's tools and clear it with `pulumi cancel` once that holder is gone") from exc
    if isinstance(backend, FileBackend):
        return FileLockStore(backend.root)
    return S3LockStore(backend, backend.client(os.environ if environ is None else environ))


class Verdict(enum.Enum):
    STALE = "stale"  # this host, and its process is gone
    LIVE = "live"  # this host, and its process still runs
    FOREIGN = "foreign"  # another host: we cannot see its process
    UNREADABLE = "unreadable"  # not a lock we understand


def this_host() -> str:
    """The host name as Go's os.Hostname() gives it to Pulumi on Linux (the kernel's node name)."""
    return socket.gethostname()


def _boot_time() -> datetime | None:
    try:
        for line in Path("/proc/stat").read_text().splitlines():
            if line.startswith("btime "):
                return datetime.fromtimestamp(int(line.split()[1]), UTC)
    except OSError:
        pass
    return None


def process_start(pid: int) -> datetime | None:
    """When process ``pid`` started (Linux /proc), or None where that cannot be read."""
    boot = _boot_time()
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    if boot is None:
        return None
    # Field 22 (starttime, in clock ticks since boot) counts from after the parenthesised command name.
    fields = stat[stat.rindex(")") + 2:].split()
    ticks = int(fields[19])
    return boot + timedelta(seconds=ticks / os.sysconf("SC_CLK_TCK"))


def process_running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # it exists, owned by someone else
        return True
    return True


def holder_alive(lock: StackLock, *, running: Callable[[int], bool] = process_running,
                 started: Callable[[int], datetime | None] = process_start) -> bool:
    """Whether the process that wrote ``lock`` on this host still runs.

    A PID alone can mislead: after the holder died the number may be reused by an unrelated process. A
    process that started after the lock was written cannot have written it.
    """
    assert lock.pid is not None
    if not running(lock.pid):
        return False
    start = started(lock.pid)
    return not (start is not None and lock.timestamp is not None and start > lock.timestamp + _START_TIME_SLACK)


def classify(lock: StackLock, host: str, *, alive: Callable[[StackLock], bool] = holder_alive) -> Verdict:
    if lock.problem or lock.pid is None:
        return Verdict.UNREADABLE
    if lock.hostname != host:
        return Verdict.FOREIGN
    return Verdict.LIVE if alive(lock) else Verdict.STALE


@dataclass(frozen=True)
class LockFinding:
    lock: StackLock
    verdict: Verdict

    def describe(self) -> str:
        lock = self.lock
        if self.verdict is Verdict.STALE:
            return (f"stale lock of pid {lock.pid} ({lock.username}@{lock.hostname}, no longer running), "
                    f"{format_age(lock.age())} old")
        if self.verdict is Verdict.LIVE:
            return f"lock of {lock.holder}, still running on this host, since {lock.since()}"
        if self.verdict is Verdict.FOREIGN:
            return f"lock of {lock.holder} on another host, since {lock.since()}"
        return lock.holder


def inspect_locks(store: LockStore, project: str, stack: str, *, host: str | None = None,
                  alive: Callable[[StackLock], bool] = holder_alive) -> list[LockFinding]:
    host = this_host() if host is None else host
    return [LockFinding(lock, classify(lock, host, alive=alive)) for lock in store.read_locks(project, stack)]


def refusal(stack: str, findings: list[LockFinding], *, break_lock: bool) -> str:
    """Why the stack's locks may not be removed now, or "" when they may.

    Stale locks may always go. A live local process's lock never goes, not even with ``--break-lock``. A
    lock of another host (or one we cannot read) goes only with ``--break-lock``, after its holder is
    known to be gone.
    """
    live = [f for f in findings if f.verdict is Verdict.LIVE]
    if live:
        return (f"stack {stack} is locked by a running process: "
                + "; ".join(f.describe() for f in live)
                + ". Wait for it to finish; its lock is never broken while it runs, not even with --break-lock.")
    unknown = [f for f in findings if f.verdict in (Verdict.FOREIGN, Verdict.UNREADABLE)]
    if unknown and not break_lock:
        return (f"stack {stack} is locked: " + "; ".join(f.describe() for f in unknown)
                + f". Once that holder is known to be gone, clear it with `egov recover --stack {stack} --break-lock`.")
    return ""
