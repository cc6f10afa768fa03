"""No network ACL in use lets all traffic (every port) in from 0.0.0.0/0 or ::/0: access control at the
border denies by default and allows only what policy names (GB/T 22239 8.1.3.2 a), c), d); 8.2.3.1 a)).
See compliance/checks/nacl.py."""

from __future__ import annotations

from collections.abc import Iterator

from compliance.checks.base import Evidence, Result
from compliance.checks.nacl import judge
from compliance.text import text


def check(evidence: Evidence) -> Iterator[Result]:
    return judge(evidence, "all", None, text("every port", "所有端口"))
