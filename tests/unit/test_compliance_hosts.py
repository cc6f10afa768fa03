"""The host layer of the scan, on a stand-in host source (pure logic; the live hosts are in
tests/integration/test_scan_hosts.py): outcomes kept as the suite gave them, an unreachable host an error,
"not enforced here" never a pass, a known failure never hidden behind a source that was not collected."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from compliance.catalog import load_catalog
from compliance.checks.registry import Finding, load_checks
from compliance.evidence.hosts import HostControlResult, HostEvidence, collect_hosts
from compliance.scan import ScanInputError, ScanOptions, default_sources, run_scan
from compliance.scoring import COMPLIANT, NON_COMPLIANT, NOT_COLLECTED, NOT_JUDGED, PARTIAL, judge_item

CHECKS = load_checks()
CATALOG = load_catalog().entries
HOSTS = ("extranet-1", "shared-1")


def control(name: str, host: str, outcome: str = "pass", detail: str = "") -> HostControlResult:
    return HostControlResult(host, name, "", outcome, detail)


def suite(overrides: dict[tuple[str, str], str] | None = None) -> list[HostControlResult]:
    """Every control of tests/hosts/test_controls.py on both hosts, passing unless overridden."""
    names = [line.split("(")[0].removeprefix("def ") for line in
             (Path(__file__).parents[1] / "hosts" / "test_controls.py").read_text().splitlines()
             if line.startswith("def test_")]
    assert len(names) >= 18
    return [control(name, host, (overrides or {}).get((host, name), "pass")) for host in HOSTS for name in names]


@dataclass
class FakeHosts:
    controls: list[HostControlResult]
    unreachable: dict[str, str] = field(default_factory=dict)
    why_missing: str = ""

    def missing(self) -> str:
        return self.why_missing

    def collect(self, progress: Callable[[str], None]) -> HostEvidence:
        return HostEvidence(self.controls, list(HOSTS), self.unreachable, "verify.xml", "0" * 64)


def scan(source: FakeHosts, tmp_path: Path, **kwargs: object) -> dict[str, list[Finding]]:
    options = ScanOptions(sources=["hosts"], host_source=source, out_dir=tmp_path, tenants_file=None,
                          attestations_file=tmp_path / "none.yaml", **kwargs)  # type: ignore[arg-type]
    result = run_scan(options)
    by_check: dict[str, list[Finding]] = {}
    for finding in result.findings:
        by_check.setdefault(finding.check_id, []).append(finding)
    return by_check


def test_every_host_check_reads_a_control_the_suite_has() -> None:
    """A check naming a control that tests/hosts does not run would only ever error: catch the typo here."""
    evidence = {"hosts": collect_hosts(FakeHosts(suite()), lambda _: None)}
    for check_id in (c for c in CHECKS if c.startswith("host_")):
        findings = CHECKS[check_id].run(evidence)
        assert findings and all(f.status == "pass" for f in findings), (check_id, findings)


def test_hardened_hosts_pass_and_one_failure_fails_that_host_only(tmp_path: Path) -> None:
    name = "test_8_1_4_2_b_root_login_management_only"
    findings = scan(FakeHosts(suite({("extranet-1", name): "fail"})), tmp_path)
    failing = {(f.check_id, f.resource) for check, fs in findings.items() if check.startswith("host_")
               for f in fs if f.status != "pass"}
    assert failing == {("host_root_login_restricted", "extranet-1")}
    assert all(f.status == "not collected" for check, fs in findings.items() if not check.startswith("host_")
               for f in fs)


def test_unreachable_host_is_an_error_on_every_control_of_that_host(tmp_path: Path) -> None:
    source = FakeHosts(suite(), unreachable={"shared-1": "10.99.0.3: Connection refused"})
    options = ScanOptions(sources=["hosts"], host_source=source, out_dir=tmp_path, tenants_file=None)
    result = run_scan(options)
    host_findings = [f for f in result.findings if f.check_id.startswith("host_")]
    assert {f.status for f in host_findings if f.resource == "shared-1"} == {"error"}
    assert all("Connection refused" in f.detail for f in host_findings if f.resource == "shared-1")
    assert {f.status for f in host_findings if f.resource == "extranet-1"} <= {"pass", "not enforced here"}
    assert result.unreachable == {"hosts:shared-1": "10.99.0.3: Connection refused"}
    assert not result.gate.passed


def test_not_enforced_here_is_never_a_pass(tmp_path: Path) -> None:
    name = "test_8_1_4_4_kernel_hardening"
    findings = scan(FakeHosts(suite({(h, name): "not enforced here" for h in HOSTS})), tmp_path)
    statuses = {f.status for f in findings["host_services_and_kernel_hardened"] if "kernel" in f.detail}
    assert statuses == {"not enforced here"}
    entry = CATALOG["CMP-15"]
    unenforced = [Finding("host_services_and_kernel_hardened", h, "not enforced here", "kernel keys", "high")
                  for h in HOSTS]
    assert judge_item(entry, unenforced, {"hosts"}).result == NOT_JUDGED
    passing = [Finding("host_services_and_kernel_hardened", h, "pass", "listeners", "high") for h in HOSTS]
    signed = {"item": "CMP-15", "result": "compliant", "signed_by": "Zhang Min", "role": "x", "date": "2026-10-02",
              "expires": "2027-10-01", "evidence": "reviewed"}
    assert judge_item(entry, passing, {"hosts"}, signed).result == COMPLIANT
    assert judge_item(entry, passing + unenforced, {"hosts"}, signed).result == PARTIAL


def test_a_seen_failure_is_not_hidden_behind_a_source_not_collected() -> None:
    entry = CATALOG["CMP-15"]
    missing = Finding("host_services_and_kernel_hardened", "hosts", "not collected", "no host inventory", "high")
    failing = Finding("ec2_securitygroup_allow_ingress_from_internet_to_high_risk_ports", "sg-1", "fail", "22 open",
                      "high")
    judged = judge_item(entry, [missing, failing], {"cloud"})
    assert judged.result == NON_COMPLIANT and "no host inventory" in judged.note
    assert judge_item(entry, [missing], {"cloud"}).result == NOT_COLLECTED


def test_unknown_outcome_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown outcome 'skipped'"):
        collect_hosts(FakeHosts([control("test_8_1_4_1_c_ssh_hardened", "extranet-1", "skipped")]), lambda _: None)


def test_hosts_are_a_default_source_only_when_there_is_an_inventory(tmp_path: Path) -> None:
    ready = ScanOptions(host_source=FakeHosts(suite()), attestations_file=tmp_path / "none.yaml")
    assert "hosts" in default_sources(ready, {})
    absent = FakeHosts([], why_missing="no host inventory at X: bring the hosts up (`egov local hosts up`)")
    assert "hosts" not in default_sources(ScanOptions(host_source=absent, attestations_file=tmp_path / "n"), {})
    with pytest.raises(ScanInputError, match="source hosts cannot be collected: no host inventory at X"):
        run_scan(ScanOptions(sources=["hosts"], host_source=absent, out_dir=tmp_path, tenants_file=None))


def test_re_judging_a_saved_scan_keeps_the_errors_but_reaches_nothing(tmp_path: Path) -> None:
    """`egov scan --evidence DIR` re-judges what an earlier scan saw: the unreachable host's controls are still
    errors, but this run reached nothing, so it does not report an unreachable source (exit 2) itself."""
    import json

    source = FakeHosts(suite(), unreachable={"shared-1": "10.99.0.3: Connection refused"})
    saved = tmp_path / "saved"
    saved.mkdir()
    evidence = {"hosts": collect_hosts(source, lambda _: None), "_not_collected": {}}
    (saved / "evidence.json").write_text(json.dumps(evidence))
    result = run_scan(ScanOptions(evidence_dir=saved, out_dir=tmp_path, tenants_file=None))
    assert result.unreachable == {}
    assert {f.status for f in result.findings if f.check_id.startswith("host_") and f.resource == "shared-1"} == {
        "error"}
