"""Stack locks: reading Pulumi's lock files and judging which may be removed (pure logic, real files).

Expected values come from Pulumi's own lock format (pkg/backend/diy/lock.go: pid, username, hostname,
timestamp as Go's RFC 3339 with nanoseconds) written by hand here, not from our reader.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from infra.stack_locks import (
    FileLockStore,
    LockError,
    S3LockStore,
    StackLock,
    Verdict,
    classify,
    holder_alive,
    inspect_locks,
    lock_store,
    parse_lock,
    refusal,
)

HOST = "vm"


def write_lock(backend: Path, project: str, stack: str, name: str, **content: object) -> Path:
    """A lock file where Pulumi's file backend puts it: .pulumi/locks/organization/<project>/<stack>/."""
    directory = backend / ".pulumi" / "locks" / "organization" / project / stack
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{name}.json"
    path.write_text(json.dumps(content))
    return path


def dead_pid() -> int:
    """The PID of a process that has exited and been reaped."""
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_reads_pulumi_lock_format_from_the_backend_layout(tmp_path: Path) -> None:
    write_lock(tmp_path, "egov-cloud", "demo-core", "6b1c0f3e", pid=24761, username="root", hostname=HOST,
               timestamp="2026-12-07T01:02:03.123456789Z")
    write_lock(tmp_path, "egov-cloud", "demo-bridge", "other", pid=1, username="root", hostname=HOST,
               timestamp="2026-12-07T01:02:03Z")
    [lock] = FileLockStore(tmp_path).read_locks("egov-cloud", "demo-core")
    assert lock.pid == 24761
    assert lock.username == "root"
    assert lock.hostname == HOST
    assert lock.timestamp == datetime(2026, 12, 7, 1, 2, 3, 123456, tzinfo=UTC)
    assert lock.location.endswith("/.pulumi/locks/organization/egov-cloud/demo-core/6b1c0f3e.json")
    assert FileLockStore(tmp_path).read_locks("egov-cloud", "no-such-stack") == []


def test_a_timestamp_with_an_offset_is_kept_exact() -> None:
    lock = parse_lock("x", b'{"pid": 7, "username": "u", "hostname": "h", "timestamp": "2026-12-07T09:00:00+08:00"}')
    assert lock.timestamp == datetime(2026, 12, 7, 1, 0, tzinfo=UTC)


@pytest.mark.parametrize("content", [b"", b"not json", b"[]", b'{"pid": "7", "hostname": "h", "timestamp": "x"}',
                                     b'{"pid": 0, "hostname": "h", "timestamp": "2026-12-07T01:00:00Z"}',
                                     b'{"pid": 7, "hostname": "h", "timestamp": "2026-12-07T01:00:00"}',
                                     b'{"pid": 7, "timestamp": "2026-12-07T01:00:00Z"}'])
def test_content_that_is_not_a_lock_is_unreadable_never_guessed(content: bytes) -> None:
    lock = parse_lock("/b/lock.json", content)
    assert lock.problem
    assert classify(lock, HOST) is Verdict.UNREADABLE
    assert "/b/lock.json" in lock.holder


def test_a_lock_of_a_dead_local_process_is_stale() -> None:
    lock = StackLock("l", dead_pid(), "root", HOST, datetime.now(UTC))
    assert classify(lock, HOST) is Verdict.STALE


def test_a_lock_of_a_running_local_process_is_live() -> None:
    lock = StackLock("l", os.getpid(), "root", HOST, datetime.now(UTC))
    assert classify(lock, HOST) is Verdict.LIVE


def test_a_pid_reused_by_a_process_younger_than_the_lock_is_stale() -> None:
    """The PID runs, but that process started a day after the lock was written: not the holder."""
    written = datetime.now(UTC) - timedelta(days=1)
    lock = StackLock("l", 4242, "root", HOST, written)
    assert holder_alive(lock, running=lambda _: True, started=lambda _: written + timedelta(minutes=5)) is False
    assert holder_alive(lock, running=lambda _: True, started=lambda _: written - timedelta(seconds=1)) is True
    # Our own process really did start before a lock stamped now.
    assert holder_alive(StackLock("l", os.getpid(), "root", HOST, datetime.now(UTC))) is True


def test_a_lock_of_another_host_is_foreign_even_with_a_dead_pid() -> None:
    lock = StackLock("l", dead_pid(), "root", "ci-runner-7", datetime.now(UTC))
    assert classify(lock, HOST) is Verdict.FOREIGN


def test_inspect_judges_each_lock(tmp_path: Path) -> None:
    now = datetime.now(UTC).isoformat()
    write_lock(tmp_path, "p", "s", "a", pid=dead_pid(), username="root", hostname=HOST, timestamp=now)
    write_lock(tmp_path, "p", "s", "b", pid=os.getpid(), username="root", hostname=HOST, timestamp=now)
    write_lock(tmp_path, "p", "s", "c", pid=99, username="ops", hostname="elsewhere", timestamp=now)
    verdicts = [f.verdict for f in inspect_locks(FileLockStore(tmp_path), "p", "s", host=HOST)]
    assert verdicts == [Verdict.STALE, Verdict.LIVE, Verdict.FOREIGN]


def _findings(tmp_path: Path, **content: object) -> list:  # type: ignore[type-arg]
    write_lock(tmp_path, "p", "demo-core", "x", **content)
    return inspect_locks(FileLockStore(tmp_path), "p", "demo-core", host=HOST)


def test_a_live_local_lock_is_refused_even_with_break_lock(tmp_path: Path) -> None:
    stamp = datetime.now(UTC)  # not earlier: this process would be younger than its lock, so not its holder
    findings = _findings(tmp_path, pid=os.getpid(), username="root", hostname=HOST, timestamp=stamp.isoformat())
    for break_lock in (False, True):
        message = refusal("demo-core", findings, break_lock=break_lock)
        assert f"root@{HOST} (pid {os.getpid()})" in message
        assert f"{stamp:%Y-%m-%d %H:%M:%S} UTC" in message
        assert "never broken" in message


def test_another_hosts_lock_names_holder_since_and_the_command(tmp_path: Path) -> None:
    findings = _findings(tmp_path, pid=31337, username="ops", hostname="ci-runner-7",
                         timestamp="2026-12-07T01:02:03Z")
    message = refusal("demo-core", findings, break_lock=False)
    assert "ops@ci-runner-7 (pid 31337)" in message
    assert "2026-12-07 01:02:03 UTC" in message
    assert "`egov recover --stack demo-core --break-lock`" in message
    assert refusal("demo-core", findings, break_lock=True) == ""


def test_a_stale_lock_may_go_and_says_pid_and_age(tmp_path: Path) -> None:
    pid = dead_pid()
    stamp = datetime.now(UTC) - timedelta(minutes=7, seconds=5)
    [finding] = _findings(tmp_path, pid=pid, username="root", hostname=HOST, timestamp=stamp.isoformat())
    assert refusal("demo-core", [finding], break_lock=False) == ""
    assert f"pid {pid}" in finding.describe()
    assert "7m0" in finding.describe()  # 7m05s, give or take the test's own run time


def test_file_and_s3_backends_are_read_and_others_say_so(tmp_path: Path) -> None:
    assert lock_store(f"file://{tmp_path}") == FileLockStore(tmp_path)
    store = lock_store("s3://state-bucket/team?endpoint=http://127.0.0.1:9&s3ForcePathStyle=true&region=cn-north-1",
                       {"AWS_ACCESS_KEY_ID": "a", "AWS_SECRET_ACCESS_KEY": "b"})
    assert isinstance(store, S3LockStore)
    assert store.lock_prefix("egov-cloud", "demo-core") == "team/.pulumi/locks/organization/egov-cloud/demo-core/"
    with pytest.raises(LockError, match="egov reads file:// and s3:// backends, not gs://"):
        lock_store("gs://bucket/state")
