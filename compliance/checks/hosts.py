"""Host checks: each judges one catalog item from the results of the testinfra controls (tests/hosts) that
decide it, one test object per host.

The controls ran on the live hosts before the checks (``compliance.evidence.hosts``); a check only reads
their outcomes: ``pass`` passes, ``fail`` fails, ``error`` (not checkable, host unreachable) is an error and
``not enforced here`` (a machine-wide setting on a test host) stays that, never a pass. A control that the
suite did not report for any host is an error too: a renamed or dropped test must not read as compliance.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from compliance.checks.base import Evidence, Result


def host_controls(evidence: Evidence) -> list[Mapping[str, Any]]:
    hosts = evidence.get("hosts")
    if not isinstance(hosts, Mapping):
        return []
    return list((hosts.get("global") or {}).get("controls") or ())


def judge_controls(evidence: Evidence, controls: Iterable[str], roles_only: bool = False) -> Iterator[Result]:
    """One result per host and control among ``controls`` (test names without ``test_``'s clause prefix,
    e.g. ``password_complexity``). ``roles_only``: the control runs on some roles only, so hosts without it
    are not missing it."""
    wanted = tuple(controls)
    records = host_controls(evidence)
    seen = set()
    for record in records:
        name = _short_name(str(record.get("control", "")))
        if name not in wanted:
            continue
        seen.add(name)
        host, clause, outcome = str(record.get("host")), str(record.get("clause", "")), str(record.get("outcome"))
        what = f"{clause} {name.replace('_', ' ')}".strip()
        detail = str(record.get("detail") or "")
        text = f"host {host}: {what}: {outcome}" + (f" ({detail})" if detail else "")
        yield Result(host, {"pass": True, "fail": False}.get(outcome), text, resource_type="Host", tags=None,
                     not_enforced=outcome == "not enforced here")
    hosts = sorted({str(r.get("host")) for r in records})
    for name in wanted:
        if name not in seen and hosts and not roles_only:
            yield Result("host-suite", None, f"control {name} was not reported for any host "
                         f"({', '.join(hosts)}): the host suite no longer checks it", resource_type="Host")


def _short_name(control: str) -> str:
    """``test_8_1_4_1_a_password_complexity`` -> ``password_complexity``."""
    parts = control.removeprefix("test_").split("_")
    index = 0
    while index < len(parts) and parts[index].isdigit():
        index += 1
    if index and index < len(parts) and len(parts[index]) == 1 and parts[index].isalpha():
        index += 1
    return "_".join(parts[index:])
