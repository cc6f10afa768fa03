"""The mitigation evidence of each high-risk finding, collected from the same scan for the assessor.

For every high-risk case of an item that fails, the checks the case lists as evidence of its mitigations
(``mitigated_by`` in compliance/high_risk_cases.yaml) are looked up in this scan's findings: how many objects
pass, fail, error or were not collected. The conclusion does not change on this evidence alone: an item counts
as mitigated only when every case it fails under lists mitigations, every listed check passes on every object
it judged (at least one, nothing in error or not collected), and a valid attestation accepts each case's
mitigation (``accepts_mitigation`` in compliance/attestations.yaml).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from compliance.checks.registry import Finding
from compliance.high_risk import HighRiskCase
from compliance.scoring import ItemResult


def check_evidence(check_id: str, findings: Sequence[Finding]) -> dict[str, Any]:
    """One mitigating check's results in this scan: counts by status, the objects that do not pass, and
    whether it passes everywhere (at least one object, every one a pass)."""
    mine = [f for f in findings if f.check_id == check_id]
    counts = Counter(f.status for f in mine)
    return {"check": check_id, "results": dict(sorted(counts.items())),
            "not_passing": [f"{f.resource}: {f.status}: {f.detail}" for f in mine if f.status != "pass"][:20],
            "passes": bool(mine) and set(counts) == {"pass"}}


def assess(items: Iterable[ItemResult], findings: Sequence[Finding], cases: Mapping[str, HighRiskCase],
           acceptances: Mapping[tuple[str, str], Mapping[str, Any]]) -> None:
    """Fill ``mitigation`` (and ``mitigated``) of every item with a high-risk failure."""
    for item in items:
        if not item.high_risk_failure:
            continue
        evidence = []
        for number in item.entry.high_risk_cases:
            case = cases.get(number)
            checks = [check_evidence(c, findings) for c in (case.mitigated_by if case else ())]
            accepted = acceptances.get((item.entry.id, number))
            evidence.append({
                "case": number, "mitigations": case.mitigations if case else "",
                "mitigated_by": checks, "all_pass": bool(checks) and all(c["passes"] for c in checks),
                "accepted_by": dict(accepted) if accepted else None,
            })
        item.mitigation = evidence
        item.mitigated = bool(evidence) and all(e["all_pass"] and e["accepted_by"] for e in evidence)
