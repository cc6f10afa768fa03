"""Test hosts end to end: harden, idempotence, verify, drift put back, real packets through the gateway, and
bad input refused with nothing applied. One lab for the module (real namespaces, sshd, Ansible, testinfra).

Expected outcomes come from reading the inputs (flows.yaml, the hand alterations), not from the code.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from infra.config import FLOWS_FILE, PLATFORM_FILE, load_platform
from infra.hosts.connection import Connection
from infra.hosts.harden import harden
from infra.hosts.inventory import Host, platform_hosts
from infra.hosts.lab import Lab
from infra.hosts.probe import probe

pytestmark = pytest.mark.integration

if os.geteuid() != 0:
    pytest.skip("test hosts need root (network namespaces and mounts)", allow_module_level=True)

EGOV = str(Path(sys.executable).parent / "egov")


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("egov-hosts")


@pytest.fixture(scope="module")
def lab(home: Path) -> Iterator[Lab]:
    lab = Lab(home, load_platform(PLATFORM_FILE))
    try:
        lab.up(platform_hosts(lab.platform))
        yield lab
    finally:
        lab.down()


def egov(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, EGOV_HOME=str(home), COLUMNS="200")
    return subprocess.run([EGOV, *args], env=env, capture_output=True, text=True, timeout=900)


def ssh(lab: Lab, name: str, command: str) -> str:
    host = next(h for h in lab.hosts() if h.name == name)
    result = Connection.for_hosts_dir(lab.dir).ssh(host, command)
    assert result.returncode == 0, result.stderr
    return result.stdout


def gateway_ruleset(lab: Lab) -> str:
    return ssh(lab, "gateway", "nft list ruleset | sed -E 's/counter packets [0-9]+ bytes [0-9]+/counter/'")


def test_inventory_is_generated_with_groups_by_zone_and_role(lab: Lab) -> None:
    text = lab.inventory.read_text()
    assert text.startswith("# Generated")
    for group in ("zone_extranet", "zone_internet", "zone_shared", "zone_management", "role_gateway",
                  "role_bastion", "role_loghost", "role_workload"):
        assert f"{group}:" in text
    namespaces = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
    assert sum(line.startswith(lab.prefix + "-") for line in namespaces.splitlines()) == len(lab.hosts()) + 1


def test_harden_succeeds_then_changes_nothing_then_verify_passes(lab: Lab, home: Path) -> None:
    first = egov(home, "hosts", "harden")
    assert first.returncode == 0, first.stdout[-3000:] + first.stderr[-2000:]
    second = harden(lab.dir, home / "runs")
    assert second.succeeded
    assert {name: s.changed for name, s in second.summary.items()} == {h.name: 0 for h in lab.hosts()}
    verified = egov(home, "hosts", "verify")
    assert verified.returncode == 0, verified.stdout[-4000:] + verified.stderr[-2000:]
    assert "FAIL" not in verified.stdout and "ERROR" not in verified.stdout
    assert "n/e" in verified.stdout  # machine-wide keys reported, not passed


def test_packets_through_the_gateway(lab: Lab, home: Path) -> None:
    report = probe(lab, home / "evidence")
    flows_text = FLOWS_FILE.read_text()
    declared = [p for p in report.probes if p.kind == "declared"]
    assert {p.name for p in declared} == {line.split(":", 1)[1].strip() for line in flows_text.splitlines()
                                          if line.strip().startswith("name:")}
    assert all(p.observed.startswith("passed") for p in declared), [(p.name, p.observed) for p in declared]
    undeclared = [p for p in report.probes if p.kind == "undeclared"]
    assert undeclared and all(p.observed == "dropped" for p in undeclared)
    assert all(p.nflog for p in undeclared), "every undeclared drop is logged on NFLOG"
    internet = [p for p in report.probes if p.kind == "internet-to-extranet"]
    assert internet and all(p.observed == "dropped" and p.nflog for p in internet)
    lateral = [p for p in report.probes if p.kind == "management-segment"]
    assert {p.destination for p in lateral} == {"internet-1", "bastion", "loghost"}
    assert all(p.observed == "dropped" for p in lateral), [(p.name, p.observed) for p in lateral]
    assert report.counters["not in the flow allowlist"] >= len(undeclared) + len(internet)
    evidence = json.loads((report.evidence / "probes.json").read_text())
    assert len(evidence["probes"]) == len(report.probes)


def test_drift_fails_verify_with_the_control_named_and_harden_restores(lab: Lab, home: Path) -> None:
    ssh(lab, "extranet-1", "sed -i 's/^PermitRootLogin no/PermitRootLogin yes/' /etc/ssh/sshd_config")
    ssh(lab, "shared-1", "passwd -d root >/dev/null")
    ssh(lab, "gateway", "nft insert rule inet egov_bridge forward tcp dport 3306 accept")
    verified = egov(home, "hosts", "verify")
    assert verified.returncode == 1
    failures = {line.split(" ", 2)[1] + " " + line.split(" ", 2)[2].split(":")[0]
                for line in verified.stderr.splitlines() if line.startswith("fail ")}
    assert failures == {"extranet-1 8.1.4.2 b) root login management only", "shared-1 8.1.4.1 a) no empty password",
                        "gateway 8.1.3.2 a) bridge default deny"}, verified.stderr

    checked = harden(lab.dir, home / "runs", check=True, limit="extranet-1,shared-1,gateway")
    assert checked.succeeded and all(checked.summary[n].changed for n in ("extranet-1", "shared-1", "gateway"))
    assert "3306" in gateway_ruleset(lab), "--check changed the gateway"

    restored = egov(home, "hosts", "harden", "--limit", "extranet-1,shared-1,gateway")
    assert restored.returncode == 0, restored.stdout[-3000:]
    assert "3306" not in gateway_ruleset(lab)
    assert egov(home, "hosts", "verify").returncode == 0


def test_flow_file_with_an_error_is_refused_before_any_host(lab: Lab, home: Path, tmp_path: Path) -> None:
    bad = tmp_path / "flows.yaml"
    bad.write_text(FLOWS_FILE.read_text().replace("ports: 443\n", "ports: 70000\n", 1))
    before = gateway_ruleset(lab)
    runs_before = set((home / "runs").iterdir())
    result = egov(home, "hosts", "harden", "--flows-file", str(bad))
    assert result.returncode == 1
    assert str(bad) in result.stderr and "70000" in result.stderr
    assert "Traceback" not in result.stderr
    assert gateway_ruleset(lab) == before
    assert set((home / "runs").iterdir()) == runs_before, "no run was started"


def test_unreachable_host_refused_and_nothing_applied(lab: Lab, home: Path) -> None:
    # whether or not an earlier test hardened it: the line is ours to find again below (top: the global section)
    ssh(lab, "shared-1", "sed -i '/^PermitRootLogin /d; 1i PermitRootLogin yes' /etc/ssh/sshd_config")
    subprocess.run(["ip", "-n", lab.netns("internet-1"), "link", "set", "mgmt0", "down"], check=True)
    try:
        result = egov(home, "hosts", "harden")
    finally:
        subprocess.run(["ip", "-n", lab.netns("internet-1"), "link", "set", "mgmt0", "up"], check=True)
    assert result.returncode == 1
    assert "internet-1" in result.stderr and "nothing was changed" in result.stderr
    assert "PermitRootLogin yes" in ssh(lab, "shared-1", "cat /etc/ssh/sshd_config"), "a reachable host was changed"
    assert egov(home, "hosts", "harden", "--limit", "shared-1").returncode == 0


def test_wrong_key_refused(lab: Lab, home: Path, tmp_path: Path) -> None:
    key = lab.key
    saved = tmp_path / "saved"
    saved.mkdir()
    shutil.copy2(key, saved / "key")
    shutil.copy2(key.with_suffix(".pub"), saved / "key.pub")
    key.unlink()
    key.with_suffix(".pub").unlink()
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True)
    Connection.for_hosts_dir(lab.dir).close()  # a persistent connection would still carry the old key
    try:
        result = egov(home, "hosts", "harden")
    finally:
        shutil.copy2(saved / "key", key)
        shutil.copy2(saved / "key.pub", key.with_suffix(".pub"))
    assert result.returncode == 1
    assert "Permission denied" in result.stderr and "nothing was changed" in result.stderr


def test_appended_flow_opens_exactly_that_flow(lab: Lab, home: Path, tmp_path: Path) -> None:
    if not (lab.dir / "run").exists():
        pytest.skip("needs the module's lab")
    flows = tmp_path / "flows.yaml"
    flows.write_text(FLOWS_FILE.read_text().rstrip() + """

  - id: 11
    name: internet-to-shared-status
    source: internet
    destination: shared
    protocol: tcp
    ports: 9443
    purpose: Public status page reads the shared status endpoint
    owner: Provincial Government Services and Data Administration
""")
    assert egov(home, "hosts", "harden", "--limit", "gateway").returncode == 0  # the lab runs flows.yaml
    baseline = {(p.kind, p.name, p.source, p.port): p.observed for p in probe(lab, home / "evidence").probes}
    opened = egov(home, "hosts", "harden", "--limit", "gateway", "--flows-file", str(flows))
    assert opened.returncode == 0, opened.stdout[-2000:]
    try:
        after = probe(lab, home / "evidence", flows_file=flows)
        new = [p for p in after.probes if p.name == "internet-to-shared-status"]
        assert [(p.port, p.observed) for p in new] == [(9443, "passed")]
        # Everything probed before behaves exactly as before; port 9443 from elsewhere stays dropped.
        assert baseline == {
            (p.kind, p.name, p.source, p.port): p.observed for p in after.probes
            if (p.kind, p.name, p.source, p.port) in baseline}
        assert "9443" in ssh(lab, "gateway", "nft list table inet egov_bridge")
        other = subprocess.run(["ip", "netns", "exec", lab.netns("extranet-1"), sys.executable, "-m",
                                "infra.hosts.netprobe", "connect", "tcp", "10.50.0.20", "9443"],
                               cwd=Path(__file__).resolve().parents[2])
        assert other.returncode == 1, "the new flow opened 9443 for a zone it does not name"
    finally:
        assert egov(home, "hosts", "harden", "--limit", "gateway").returncode == 0


def test_down_removes_exactly_what_up_made(lab: Lab) -> None:
    hosts: list[Host] = lab.hosts()
    assert hosts
    lab.down()
    namespaces = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
    assert not [line for line in namespaces.splitlines() if line.startswith(lab.prefix + "-")]
    assert subprocess.run(["ip", "link", "show", lab.root_link], capture_output=True).returncode != 0
    assert not lab.inventory.exists() and not (lab.dir / "run").exists()
    assert lab.key.exists(), "the environment's key outlives the lab"
    assert not Connection.for_hosts_dir(lab.dir).control_dir.exists()
