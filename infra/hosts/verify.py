"""`egov hosts verify`: the testinfra suite in tests/hosts against the live hosts, as a per-host, per-control table.

A control that could not be checked (no connection, an exception) is an error, never a pass; a machine-wide
setting on a test host is "not enforced here", never a pass either.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

from infra.hosts.harden import HostsError, _new_run_dir
from infra.repository import REPO_ROOT

SUITE = REPO_ROOT / "tests" / "hosts"
NOT_ENFORCED = "not enforced here"


@dataclass(frozen=True)
class ControlResult:
    host: str
    control: str  # the test name: its MLPS clause and what it checks
    outcome: str  # pass, fail, error, not enforced here
    detail: str = ""

    @property
    def clause(self) -> str:
        """``test_8_1_4_1_a_password_complexity`` -> ``8.1.4.1 a)``."""
        match = re.match(r"test_((?:\d+_)+)(?:([a-z])_)?", self.control)
        if not match:
            return ""
        number = match.group(1).strip("_").replace("_", ".")
        return f"{number} {match.group(2)})" if match.group(2) else number

    @property
    def title(self) -> str:
        match = re.match(r"test_(?:\d+_)+(?:[a-z]_)?(.*)", self.control)
        return (match.group(1) if match else self.control).replace("_", " ")


def verify(hosts_dir: Path, runs_dir: Path, limit: str | None = None) -> tuple[list[ControlResult], Path]:
    inventory = hosts_dir / "inventory.yml"
    if not inventory.exists():
        raise HostsError(f"no inventory at {inventory}: bring the hosts up first (`egov local hosts up`)")
    run_dir = _new_run_dir(runs_dir, "verify")
    report = run_dir / "verify.xml"
    env = dict(os.environ, EGOV_HOSTS_INVENTORY=str(inventory), EGOV_HOSTS_SSH_CONFIG=str(hosts_dir / "ssh" / "config"))
    if limit:
        env["EGOV_HOSTS_LIMIT"] = limit
    command = [sys.executable, "-m", "pytest", str(SUITE), "-q", "-p", "no:cacheprovider", "-o", "addopts=",
               f"--junitxml={report}", "--rootdir", str(REPO_ROOT)]
    result = subprocess.run(command, env=env, capture_output=True, text=True, cwd=REPO_ROOT)
    (run_dir / "pytest.log").write_text(result.stdout + result.stderr)
    if not report.exists():
        raise HostsError(f"the host suite did not run (exit {result.returncode}): {result.stderr.strip()[-400:]}")
    return parse_report(report), run_dir


def parse_report(report: Path) -> list[ControlResult]:
    results = []
    for case in ET.parse(report).getroot().iter("testcase"):
        name = case.get("name", "")
        control, _, host = name.partition("[")
        host = host.rstrip("]") or "-"
        if host == "NOTSET":
            continue  # a role's control and no host of that role selected (--limit): nothing to check
        outcome, detail = "pass", ""
        for child in case:
            message = (child.get("message") or child.text or "").strip()
            if child.tag == "skipped":
                enforced = NOT_ENFORCED in message
                outcome = NOT_ENFORCED if enforced else "error"
                detail = message.split(NOT_ENFORCED, 1)[-1].lstrip(" :") if enforced else message
            elif child.tag == "failure":
                outcome, detail = "fail", message
            elif child.tag == "error":
                outcome, detail = "error", message
        results.append(ControlResult(host, control, outcome, detail.splitlines()[0][:200] if detail else ""))
    return results
