"""8.1.4.1 a) on every host: password_complexity, password_ageing, no_empty_password (tests/hosts, run over SSH)."""

from __future__ import annotations

from collections.abc import Iterator

from compliance.checks.base import Evidence, Result
from compliance.checks.hosts import judge_controls

CONTROLS = ("password_complexity", "password_ageing", "no_empty_password")


def check(evidence: Evidence) -> Iterator[Result]:
    return judge_controls(evidence, CONTROLS)
