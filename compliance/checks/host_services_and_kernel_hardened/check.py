"""8.1.4.4 b) on every host: only_needed_listeners, network_stack, kernel_hardening (tests/hosts, run over SSH)."""

from __future__ import annotations

from collections.abc import Iterator

from compliance.checks.base import Evidence, Result
from compliance.checks.hosts import judge_controls

CONTROLS = ("only_needed_listeners", "network_stack", "kernel_hardening")


def check(evidence: Evidence) -> Iterator[Result]:
    return judge_controls(evidence, CONTROLS)
