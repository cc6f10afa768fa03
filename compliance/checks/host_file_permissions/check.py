"""8.1.4.2 f) on every host: file_permissions_and_umask (tests/hosts, run over SSH)."""

from __future__ import annotations

from collections.abc import Iterator

from compliance.checks.base import Evidence, Result
from compliance.checks.hosts import judge_controls

CONTROLS = ("file_permissions_and_umask",)


def check(evidence: Evidence) -> Iterator[Result]:
    return judge_controls(evidence, CONTROLS)
