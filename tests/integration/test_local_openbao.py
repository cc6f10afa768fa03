"""The embedded OpenBao against a real `bao server` (raft, TLS, Shamir): no mocks.

One server is shared by the tests that only need "a running OpenBao"; the order of those
tests is part of the scenario (seal, kill -9, down) and each leaves the server up again.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import signal
import socket
import stat
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import hvac
import pytest
from cryptography import x509

from infra.local.openbao import OpenBao, find_bao
from infra.local.paths import LocalPaths
from infra.local.process import DaemonRecord, LocalEnvError, pid_alive, port_is_free, wait_until
from tests.integration.openbao_server import stop_openbao

pytestmark = pytest.mark.integration


@pytest.fixture
def fresh_paths(tmp_path: Path) -> LocalPaths:
    return LocalPaths(tmp_path / "egov")


def _record(bao: OpenBao) -> DaemonRecord:
    record = DaemonRecord.load(bao.record_path)
    assert record is not None, f"no server record at {bao.record_path}"
    return record


def _encrypt(client: hvac.Client, text: str) -> str:
    plaintext = base64.b64encode(text.encode()).decode()
    response = client.secrets.transit.encrypt_data(
        OpenBao.PULUMI_KEY, plaintext, mount_point=OpenBao.TRANSIT_MOUNT
    )
    return str(response["data"]["ciphertext"])


def _decrypt(client: hvac.Client, ciphertext: str) -> str:
    response = client.secrets.transit.decrypt_data(
        OpenBao.PULUMI_KEY, ciphertext, mount_point=OpenBao.TRANSIT_MOUNT
    )
    return base64.b64decode(response["data"]["plaintext"]).decode()


# ------------------------------------------------------------------ shared server


def test_fresh_up_is_unsealed_audited_and_has_the_transit_key(bao: OpenBao) -> None:
    status = bao.status()
    assert status.running and status.healthy, status
    assert status.address == f"https://127.0.0.1:{bao.port}"
    assert status.version.startswith("2."), status.version
    assert any("init.json" in warning for warning in status.warnings)

    client = bao.client()
    assert client.is_authenticated()
    assert not client.sys.is_sealed()

    devices = client.sys.list_enabled_audit_devices()["data"]
    assert devices["file/"]["type"] == "file"
    assert devices["file/"]["options"]["file_path"] == str(bao.audit_log)
    assert bao.audit_log.stat().st_size > 0

    key = client.secrets.transit.read_key(OpenBao.PULUMI_KEY, mount_point=OpenBao.TRANSIT_MOUNT)["data"]
    assert key["type"] == "aes256-gcm96"
    assert key["exportable"] is False
    assert key["deletion_allowed"] is False
    assert key["auto_rotate_period"] == 2160 * 3600  # platform.pulumi_key_rotation_period in policies/vault
    assert _decrypt(client, _encrypt(client, "state secret")) == "state secret"
    assert bao.secrets_provider_url == "hashivault://pulumi-secrets"


def test_secret_material_is_owner_only(bao: OpenBao) -> None:
    for private in (bao.init_path, bao.tls_dir / "server-key.pem"):
        assert stat.S_IMODE(private.stat().st_mode) == 0o600, private
    assert not (bao.tls_dir / "ca-key.pem").exists()  # not kept once the server certificate is issued
    material = json.loads(bao.init_path.read_text())
    assert len(material["unseal_keys_b64"]) == 5
    assert material["unseal_threshold"] == 3
    assert material["root_token"] == bao.root_env()["VAULT_TOKEN"]
    assert material["root_token"] != bao.env()["VAULT_TOKEN"]  # exported for shells and Pulumi: never root
    assert stat.S_IMODE(bao.pulumi.path.stat().st_mode) == 0o600

    cert = x509.load_pem_x509_certificate((bao.tls_dir / "server.pem").read_bytes())
    sans = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert [str(ip) for ip in sans.get_values_for_type(x509.IPAddress)] == ["127.0.0.1"]
    assert sans.get_values_for_type(x509.DNSName) == ["localhost"]


def test_second_up_is_a_fast_no_op(bao: OpenBao, within: Callable[..., Any]) -> None:
    before = _record(bao)
    messages: list[str] = []
    status = within(60, lambda: bao.up(messages.append))  # a wait, not a timing: speed is in bench/
    assert status.healthy
    assert messages == []
    after = _record(bao)
    assert (after.pid, after.started_at) == (before.pid, before.started_at)


def test_env_drives_the_bao_cli(bao: OpenBao) -> None:
    env = {**os.environ, **bao.root_env()}
    assert env["VAULT_ADDR"] == f"https://127.0.0.1:{bao.port}"
    result = subprocess.run(
        [str(find_bao()), "read", "-format=json", f"{OpenBao.TRANSIT_MOUNT}/keys/{OpenBao.PULUMI_KEY}"],
        env=env, capture_output=True, text=True, timeout=30, check=False,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["data"]["type"] == "aes256-gcm96"


def test_up_unseals_a_sealed_server(bao: OpenBao) -> None:
    pid = _record(bao).pid
    bao.client().sys.seal()
    assert bao.client().sys.is_sealed()
    assert not bao.status().healthy
    assert "sealed" in bao.status().detail

    status = bao.up()
    assert status.healthy, status
    assert not bao.client().sys.is_sealed()
    assert _record(bao).pid == pid


def test_up_after_kill_9_restarts_with_the_same_data(bao: OpenBao) -> None:
    ciphertext = _encrypt(bao.client(), "survives kill -9")
    old = _record(bao)
    os.kill(old.pid, signal.SIGKILL)
    wait_until(lambda: not pid_alive(old.pid), 10, "killed bao server")
    with contextlib.suppress(ChildProcessError):
        os.waitpid(old.pid, 0)  # the server is our child in tests; reap it
    status = bao.status()
    assert not status.running and "not running" in status.detail

    messages: list[str] = []
    status = bao.up(messages.append)
    assert status.healthy, status
    new = _record(bao)
    assert new.pid != old.pid and new.port == old.port
    assert any("unseal" in message for message in messages)
    assert not any("initializ" in message for message in messages)
    assert _decrypt(bao.client(), ciphertext) == "survives kill -9"


def test_down_stops_only_our_server_and_keeps_the_data(bao: OpenBao) -> None:
    ciphertext = _encrypt(bao.client(), "survives down")
    bystander = subprocess.Popen(["sleep", "300"])
    try:
        ours = _record(bao)
        bao.down()
        assert not pid_alive(ours.pid)
        assert bystander.poll() is None
        assert port_is_free(ours.port)
        assert not bao.record_path.exists()
        assert bao.init_path.exists() and any(bao.data_dir.iterdir())

        status = bao.status()
        assert not status.running and not status.healthy
        assert "not running" in status.detail and "egov local up" in status.detail

        # A stale record pointing at a PID that is not our server: down() must leave it alone.
        DaemonRecord(pid=bystander.pid, port=ours.port, command=ours.command, started_at=0).save(
            bao.record_path
        )
        bao.down()
        assert bystander.poll() is None
    finally:
        bystander.kill()
        bystander.wait()

    # The persisted port is now taken by someone else: refuse, name the port and the way out.
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as squatter:
        squatter.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # ignore TIME_WAIT leftovers
        squatter.bind(("127.0.0.1", ours.port))
        squatter.listen()
        with pytest.raises(LocalEnvError, match=rf"127\.0\.0\.1:{ours.port}\b") as caught:
            bao.up()
        assert str(bao.ports_path) in str(caught.value)

    assert bao.up().healthy
    assert bao.port == ours.port
    assert _decrypt(bao.client(), ciphertext) == "survives down"


def test_initialized_data_without_init_json_is_refused_and_not_left_running(bao: OpenBao) -> None:
    bao.down()
    hidden = bao.init_path.with_name("init.json.hidden")
    bao.init_path.rename(hidden)
    try:
        with pytest.raises(LocalEnvError, match="cannot be unsealed") as caught:
            bao.up()
        assert str(bao.dir) in str(caught.value)
        assert not bao.status().running  # the server up() started for nothing was stopped again
    finally:
        hidden.rename(bao.init_path)
    assert bao.up().healthy


# ------------------------------------------------------------- no shared server


def test_status_before_first_up_says_not_running(fresh_paths: LocalPaths) -> None:
    status = OpenBao(fresh_paths).status()
    assert not status.running and not status.healthy
    assert "not running" in status.detail and "egov local up" in status.detail
    assert status.warnings


def test_port_taken_on_first_up_is_a_precise_error(fresh_paths: LocalPaths) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        bao = OpenBao(fresh_paths, port=port)
        try:
            with pytest.raises(LocalEnvError, match=rf"127\.0\.0\.1:{port}\b"):
                bao.up()
        finally:
            stop_openbao(bao)
        assert DaemonRecord.load(bao.record_path) is None
        assert not bao.ports_path.exists()  # a port that failed is not remembered for the next up


def test_renew_tls_makes_a_new_ca_the_running_server_presents(bao: OpenBao) -> None:
    old_ca = bao.ca_cert.read_bytes()
    pid = bao.pid()
    assert bao.up(renew_tls=True).healthy
    assert bao.pid() == pid  # reloaded (SIGHUP), not restarted
    assert bao.ca_cert.read_bytes() != old_ca
    assert not (bao.tls_dir / "ca-key.pem").exists()
    ca = x509.load_pem_x509_certificate(bao.ca_cert.read_bytes())
    assert ca.extensions.get_extension_for_class(x509.NameConstraints).critical
    # The server now presents a certificate of the new CA: a client trusting only the new CA file gets in.
    assert bao.client().sys.read_health_status(method="GET")["initialized"] is True
