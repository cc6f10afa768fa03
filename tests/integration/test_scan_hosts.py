"""`egov scan --source hosts` against the live test hosts (real namespaces, sshd, Ansible, testinfra over SSH).

Hardened hosts pass; root login re-enabled on one host fails exactly that control on that host; a stopped sshd
makes that host's controls errors (with the reason) and the scan exit 2. Expected outcomes come from the hand
alterations made here, not from the scanner.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from infra.config import PLATFORM_FILE, load_platform
from infra.hosts.connection import Connection
from infra.hosts.harden import harden
from infra.hosts.inventory import platform_hosts
from infra.hosts.lab import Lab

pytestmark = pytest.mark.integration

if os.geteuid() != 0:
    pytest.skip("test hosts need root (network namespaces and mounts)", allow_module_level=True)

EGOV = str(Path(sys.executable).parent / "egov")


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("egov-scan-hosts")


@pytest.fixture(scope="module")
def lab(home: Path) -> Iterator[Lab]:
    lab = Lab(home, load_platform(PLATFORM_FILE))
    try:
        lab.up(platform_hosts(lab.platform))
        hardened = harden(lab.dir, home / "runs")
        assert hardened.succeeded, hardened.error or hardened.summary
        yield lab
    finally:
        lab.down()


def scan(home: Path, out: Path) -> tuple[subprocess.CompletedProcess[str], dict[str, Any]]:
    env = {k: v for k, v in os.environ.items()
           if k not in ("AWS_ENDPOINT_URL", "VAULT_ADDR", "PULUMI_BACKEND_URL", "EGOV_TLS_ENDPOINTS")}
    env.update(EGOV_HOME=str(home), COLUMNS="200")
    result = subprocess.run([EGOV, "scan", "--source", "hosts", "--format", "json", "--out", str(out)], env=env,
                            capture_output=True, text=True, timeout=900)
    folders = list(out.iterdir()) if out.exists() else []
    assert len(folders) == 1, result.stdout[-3000:] + result.stderr[-3000:]
    return result, json.loads((folders[0] / "report.json").read_text())


def host_findings(report: dict[str, Any]) -> list[dict[str, Any]]:
    return [f for f in report["findings"] if f["check"].startswith("host_")]


def ssh(lab: Lab, name: str, command: str) -> str:
    host = next(h for h in lab.hosts() if h.name == name)
    result = Connection.for_hosts_dir(lab.dir).ssh(host, command)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_hardened_hosts_pass_every_host_control(lab: Lab, home: Path, tmp_path: Path) -> None:
    result, report = scan(home, tmp_path / "scans")
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    findings = host_findings(report)
    assert {f["resource"] for f in findings} == {h.name for h in lab.hosts()}
    assert {f["status"] for f in findings} == {"pass", "not enforced here"}  # machine-wide keys: never a pass
    assert "hosts" in report["sources"]["collected"] and "hosts" not in report["sources"]["not_collected"]
    evidence = json.loads((next((tmp_path / "scans").iterdir()) / "evidence.json").read_text())["hosts"]
    assert evidence["report"]["sha256"] and evidence["collected_at"] and evidence["global"]["unreachable"] == {}


def test_root_login_re_enabled_fails_exactly_that_control_on_that_host(lab: Lab, home: Path, tmp_path: Path) -> None:
    config = "/etc/ssh/sshd_config"
    ssh(lab, "extranet-1", f"sed -i 's/^PermitRootLogin no/PermitRootLogin yes/' {config}")
    try:
        result, report = scan(home, tmp_path / "scans")
    finally:
        ssh(lab, "extranet-1", f"sed -i 's/^PermitRootLogin yes/PermitRootLogin no/' {config}")
    assert result.returncode == 1, result.stdout[-4000:] + result.stderr[-2000:]
    bad = {(f["check"], f["resource"]) for f in host_findings(report) if f["status"] in ("fail", "error")}
    assert bad == {("host_root_login_restricted", "extranet-1")}
    items = {item["id"]: item for item in report["items"]}
    assert items["CMP-06"]["result"] in ("不符合", "部分符合")


def test_stopped_sshd_gives_errors_for_that_host_and_exit_2(lab: Lab, home: Path, tmp_path: Path) -> None:
    """Runs last: the host does not come back (its sshd is its namespace's init)."""
    state = json.loads(lab.state_file.read_text())
    unshare = int(state["pids"]["shared-1"])
    [sshd] = Path(f"/proc/{unshare}/task/{unshare}/children").read_text().split()  # the lab's own child
    os.kill(int(sshd), signal.SIGTERM)
    result, report = scan(home, tmp_path / "scans")
    assert result.returncode == 2, result.stdout[-4000:] + result.stderr[-2000:]
    assert "hosts:shared-1 did not answer" in " ".join(result.stderr.split())
    findings = host_findings(report)
    on_stopped = [f for f in findings if f["resource"] == "shared-1"]
    assert on_stopped and {f["status"] for f in on_stopped} == {"error"}
    assert all("host unreachable over SSH" in f["detail"] for f in on_stopped)
    others = {f["status"] for f in findings if f["resource"] != "shared-1"}
    assert others == {"pass", "not enforced here"}
