"""8.1.4.2 d) on every host: sudo_logged (tests/hosts, run over SSH)."""

from __future__ import annotations

from collections.abc import Iterator

from compliance.checks.base import Evidence, Result
from compliance.checks.hosts import judge_controls

CONTROLS = ("sudo_logged",)


def check(evidence: Evidence) -> Iterator[Result]:
    return judge_controls(evidence, CONTROLS)
