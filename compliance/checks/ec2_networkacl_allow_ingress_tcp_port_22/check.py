"""No network ACL in use lets ssh (tcp 22) in from 0.0.0.0/0 or ::/0: no high-risk port open to the
Internet, management reachable only from the management zone (GB/T 22239 8.1.4.4 b), c); CIS AWS 5.1).
See compliance/checks/nacl.py."""

from __future__ import annotations

from collections.abc import Iterator

from compliance.checks.base import Evidence, Result
from compliance.checks.nacl import judge
from compliance.text import text


def check(evidence: Evidence) -> Iterator[Result]:
    return judge(evidence, "tcp", 22, text("ssh (tcp 22)", "ssh (TCP 22)"))
