"""Host hardening cost: `harden` (first run and the no-change re-run) and `verify` wall time for 1, 5 and 10 hosts.

Run: `.venv/bin/python bench/hosts.py` (root; the image is built first if missing). One lab of 3 management and
gateway hosts plus 18 workloads in a temporary EGOV_HOME; each size hardens and verifies N fresh workload hosts
(--limit), forks 10, SSH pipelining and ControlPersist on. Writes the `## Hosts` section of bench/RESULTS.md.
"""

from __future__ import annotations

import os
import re
import tempfile
import time
from pathlib import Path

from infra.config import PLATFORM_FILE, load_platform
from infra.hosts.harden import harden
from infra.hosts.inventory import platform_hosts
from infra.hosts.lab import Lab
from infra.hosts.verify import verify

RESULTS = Path(__file__).with_name("RESULTS.md")
SIZES = (1, 5, 10)


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="egov-bench-") as home:
        lab = Lab(Path(home), load_platform(PLATFORM_FILE))
        try:
            started = time.monotonic()
            hosts = lab.up(platform_hosts(lab.platform, workloads_per_zone=6))
            up_seconds = time.monotonic() - started
            workloads = [h.name for h in hosts if h.role == "workload"]
            assert len(workloads) >= sum(SIZES), "every size gets fresh hosts"
            rows = []
            offset = 0
            for size in SIZES:
                names = workloads[offset:offset + size]  # fresh hosts for each size
                assert len(names) == size
                offset += size
                limit = ",".join(names)
                runs = Path(home) / "runs"
                t0 = time.monotonic()
                first = harden(lab.dir, runs, limit=limit, playbook="baseline.yml")
                t1 = time.monotonic()
                again = harden(lab.dir, runs, limit=limit, playbook="baseline.yml")
                t2 = time.monotonic()
                results, _ = verify(lab.dir, runs, limit=limit)
                t3 = time.monotonic()
                assert first.succeeded and again.succeeded, (first.status, again.status)
                assert not any(s.changed for s in again.summary.values()), "re-run changed something"
                bad = [r for r in results if r.outcome in ("fail", "error")]
                assert not bad, bad[:3]
                rows.append((size, t1 - t0, t2 - t1, t3 - t2, len(results)))
                print(f"{size} hosts: harden {t1 - t0:.1f}s, again {t2 - t1:.1f}s, verify {t3 - t2:.1f}s")
        finally:
            lab.down()
    write_results(rows, up_seconds, len(hosts))


def write_results(rows: list[tuple[int, float, float, float, int]], up_seconds: float, lab_size: int) -> None:
    base = rows[0]
    load = os.getloadavg()[0]
    lines = [
        "## Hosts: harden and verify wall time (bench/hosts.py)",
        "",
        f"Test hosts (network namespace + overlay root + sshd) on this machine; `baseline.yml` through ansible-runner "
        f"(forks 10, pipelining, ControlPersist 60 s), `verify` = the testinfra suite in tests/hosts over SSH. "
        f"Lab of {lab_size} hosts up in {up_seconds:.1f} s (image cached). Measured {time.strftime('%Y-%m-%d')} in "
        f"one run on this machine (2 cores shared with other work; load average {load:.1f} at the end), so absolute "
        f"times are inflated; the ratios are the point.",
        "",
        "| hosts | harden, first run (s) | harden, no-change re-run (s) | verify (s) | checks | harden vs 1 host "
        "| verify vs 1 host |",
        "|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for size, first, again, check, count in rows:
        lines.append(f"| {size} | {first:.1f} | {again:.1f} | {check:.1f} | {count} | {first / base[1]:.2f}x "
                     f"| {check / base[3]:.2f}x |")
    section = "\n".join(lines) + "\n"
    text = RESULTS.read_text() if RESULTS.exists() else "# Benchmark results\n\n"
    pattern = re.compile(r"## Hosts: .*?(?=\n## |\Z)", re.S)
    text = pattern.sub(lambda _: section, text) if pattern.search(text) else text.rstrip() + "\n\n" + section
    RESULTS.write_text(text)


if __name__ == "__main__":
    main()
