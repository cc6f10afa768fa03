"""Two audit devices on a real OpenBao: with one of them failing, requests go on and are recorded by the
other; only when both fail does OpenBao refuse requests.

A device is made to fail the way a disk or an operator would: its file is moved aside and a directory
put in its place, then SIGHUP makes OpenBao reopen its audit files (which now fails). Running as root,
chmod alone would not stop the server from writing, so the tests do not rely on it.
"""

from __future__ import annotations

import contextlib
import os
import signal
import uuid
from collections.abc import Iterator
from pathlib import Path

import hvac
import hvac.exceptions
import pytest

from infra.local.openbao import AUDIT_PATH, AUDIT_SECONDARY_PATH, OpenBao
from infra.local.process import wait_until

pytestmark = pytest.mark.integration


def _request(client: hvac.Client) -> str:
    """An audited request whose path carries a unique marker; returns the marker."""
    marker = f"audit-probe-{uuid.uuid4().hex[:12]}"
    client.secrets.transit.create_key(marker, mount_point=OpenBao.TRANSIT_MOUNT)
    return marker


def _recorded(path: Path, marker: str) -> bool:
    return path.is_file() and marker in path.read_text(errors="replace")


def _reopen(bao: OpenBao) -> None:
    pid = bao.pid()
    assert pid is not None
    os.kill(pid, signal.SIGHUP)


@contextlib.contextmanager
def _broken(bao: OpenBao, *paths: Path) -> Iterator[list[Path]]:
    """Each audit file moved aside (returned) and replaced by a directory, so reopening it fails."""
    moved = []
    for path in paths:
        aside = path.with_name(path.name + ".aside")
        path.rename(aside)
        path.mkdir()
        moved.append(aside)
    _reopen(bao)
    try:
        yield moved
    finally:
        for path, aside in zip(paths, moved, strict=True):
            path.rmdir()
            aside.rename(path)
        _reopen(bao)


def test_up_declares_and_verifies_two_file_devices(bao: OpenBao) -> None:
    devices = bao.client().sys.list_enabled_audit_devices()["data"]
    assert devices[f"{AUDIT_PATH}/"]["options"]["file_path"] == str(bao.audit_log)
    assert devices[f"{AUDIT_SECONDARY_PATH}/"]["options"]["file_path"] == str(bao.audit_secondary_log)
    assert devices[f"{AUDIT_SECONDARY_PATH}/"]["type"] == "file"
    marker = _request(bao.client())
    assert _recorded(bao.audit_log, marker) and _recorded(bao.audit_secondary_log, marker)
    assert oct(bao.audit_secondary_log.stat().st_mode & 0o777) == "0o600"
    assert not [w for w in bao.status().warnings if "audit device" in w]


def _wait_reopened(bao: OpenBao, aside: Path) -> None:
    """SIGHUP is handled asynchronously: until the reload, the old descriptor still writes to the moved
    file. Wait until a request no longer lands there."""
    client = bao.client()
    wait_until(lambda: not _recorded(aside, _request(client)), 10, "OpenBao reopening its audit files after SIGHUP")


def test_failing_secondary_does_not_block_and_the_primary_records(bao: OpenBao) -> None:
    with _broken(bao, bao.audit_secondary_log) as (aside,):
        _wait_reopened(bao, aside)
        marker = _request(bao.client())  # succeeds although one device cannot write
        assert _recorded(bao.audit_log, marker)
        assert not _recorded(aside, marker)
        status = bao.status()
        assert status.healthy
        assert any(f"{AUDIT_SECONDARY_PATH}/ cannot record" in w for w in status.warnings), status.warnings
        assert bao.up().healthy  # up() still verifies both devices are enabled, and does not trip over this
    marker = _request(bao.client())
    assert _recorded(bao.audit_log, marker) and _recorded(bao.audit_secondary_log, marker)


def test_failing_primary_does_not_block_and_the_secondary_records(bao: OpenBao) -> None:
    with _broken(bao, bao.audit_log) as (aside,):
        _wait_reopened(bao, aside)
        marker = _request(bao.client())
        assert _recorded(bao.audit_secondary_log, marker)
        assert not _recorded(aside, marker)
    marker = _request(bao.client())
    assert _recorded(bao.audit_log, marker) and _recorded(bao.audit_secondary_log, marker)


def test_requests_are_refused_only_when_every_device_fails(bao: OpenBao) -> None:
    client = bao.client()
    with _broken(bao, bao.audit_log, bao.audit_secondary_log) as moved:
        refused: list[hvac.exceptions.VaultError] = []

        def blocked() -> bool:
            try:
                marker = _request(client)
            except hvac.exceptions.VaultError as exc:
                refused.append(exc)
                return True
            assert any(_recorded(aside, marker) for aside in moved)  # served only while the old files were open
            return False

        wait_until(blocked, 10, "OpenBao refusing requests with both audit devices failing")
        with pytest.raises(hvac.exceptions.VaultError):
            _request(client)
    wait_until(lambda: bool(_request(bao.client())), 10, "requests to succeed again after restoring the audit files")
    marker = _request(bao.client())
    assert _recorded(bao.audit_log, marker) and _recorded(bao.audit_secondary_log, marker)


def test_up_gives_a_server_started_with_one_device_its_second(bao: OpenBao) -> None:
    """A server started before the second device existed: up() rewrites its config and reloads it (SIGHUP)."""
    config = bao.config_path.read_text()
    start = config.index(f'audit "file" "{AUDIT_SECONDARY_PATH}"')
    bao.config_path.write_text(config[:start])  # the config an older checkout wrote
    _reopen(bao)  # the server drops the device it no longer finds in its config
    client = bao.client()
    wait_until(lambda: f"{AUDIT_SECONDARY_PATH}/" not in client.sys.list_enabled_audit_devices()["data"], 10,
               "OpenBao removing the undeclared audit device")
    pid = bao.pid()

    messages: list[str] = []
    assert bao.up(messages.append).healthy
    assert any("older config" in m for m in messages), messages
    assert bao.pid() == pid  # reloaded, not restarted
    assert bao.config_path.read_text() == config
    devices = client.sys.list_enabled_audit_devices()["data"]
    assert {f"{AUDIT_PATH}/", f"{AUDIT_SECONDARY_PATH}/"} <= set(devices)
    marker = _request(client)
    assert _recorded(bao.audit_log, marker) and _recorded(bao.audit_secondary_log, marker)
