"""8.1.4.3 b) on every host: time_source (tests/hosts, run over SSH)."""

from __future__ import annotations

from collections.abc import Iterator

from compliance.checks.base import Evidence, Result
from compliance.checks.hosts import judge_controls

CONTROLS = ("time_source",)


def check(evidence: Evidence) -> Iterator[Result]:
    return judge_controls(evidence, CONTROLS)
