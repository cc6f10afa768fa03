"""Host evidence: what a host-evidence source must give the scan, and how it becomes the ``hosts`` bundle.

The scanner may not reach hosts itself (the layering keeps ``infra.hosts`` out of ``compliance``): the CLI
passes a ``HostEvidenceSource`` built on ``egov hosts verify`` (the testinfra suite in ``tests/hosts``), and
this module only fixes its contract. Every control result keeps the four outcomes of that suite:
``pass``, ``fail``, ``error`` (the control could not be checked, e.g. the host did not answer) and
``not enforced here`` (a machine-wide setting on a test host), so an error or an unenforced setting can never
turn into a pass on the way.

Evidence shape (``evidence["hosts"]``)::

    {"collected_at": "...Z", "report": {"path": ..., "sha256": ...},
     "global": {"hosts": ["gateway", ...], "unreachable": {"host": "reason"},
                "controls": [{"host", "control", "clause", "outcome", "detail"}, ...]},
     "errors": {}}
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol

OUTCOMES = ("pass", "fail", "error", "not enforced here")


@dataclass(frozen=True)
class HostControlResult:
    """One control (a test of tests/hosts, named by its clause) on one host."""

    host: str
    control: str
    clause: str
    outcome: str
    detail: str = ""


@dataclass(frozen=True)
class HostEvidence:
    """What one run of the host suite found."""

    controls: list[HostControlResult]
    hosts: list[str]
    unreachable: dict[str, str] = field(default_factory=dict)
    """Hosts that did not answer over SSH, with the reason: their controls are errors and the scan exits 2."""
    report_path: str = ""
    report_sha256: str = ""


class HostEvidenceSource(Protocol):
    """What runs the host controls. ``missing`` says why there is nothing to run them on ("" when there is,
    e.g. no inventory because the test hosts are not up, with what to run); ``collect`` runs them."""

    def missing(self) -> str: ...

    def collect(self, progress: Callable[[str], None]) -> HostEvidence: ...


def collect_hosts(source: HostEvidenceSource, progress: Callable[[str], None]) -> dict[str, Any]:
    """The ``hosts`` evidence from one run of ``source``; an outcome outside the suite's four is refused."""
    progress("hosts: running the host controls over SSH")
    found = source.collect(progress)
    for result in found.controls:
        if result.outcome not in OUTCOMES:
            raise ValueError(f"host control {result.control} on {result.host}: unknown outcome {result.outcome!r} "
                             f"(one of {', '.join(OUTCOMES)})")
    controls = []
    for result in found.controls:
        record = asdict(result)
        reason = found.unreachable.get(result.host)
        if reason:
            record.update(outcome="error", detail=f"host unreachable over SSH: {reason}")
        controls.append(record)
    collected_at = dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")
    return {"collected_at": collected_at, "report": {"path": found.report_path, "sha256": found.report_sha256},
            "global": {"hosts": sorted(found.hosts), "unreachable": dict(sorted(found.unreachable.items())),
                       "controls": controls},
            "errors": {}}
