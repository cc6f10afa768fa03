"""From findings to an assessor's view: item results, control-point scores, the estimated score and the
conclusion (优/良/中/差), and the gate.

Item results per test object follow the testing agencies' practice (符合 / 部分符合 / 不符合 / 不适用, objects
averaged). The composite score is an **estimate** in the spirit of the 2021 report template's deficit
deduction (key / important / general items weigh 3 / 2 / 1); the official constants are not public.
Any unmitigated high-risk finding makes the conclusion 差. Mitigation evidence is never used to downgrade
a high-risk finding here: it is listed for the assessor, who decides.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from compliance.catalog import CatalogEntry, Status
from compliance.checks.registry import SEVERITY_RANK, Finding

COMPLIANT, PARTIAL, NON_COMPLIANT, NOT_APPLICABLE = "符合", "部分符合", "不符合", "不适用"
NOT_JUDGED, ERROR, NOT_COLLECTED = "未判定", "错误", "未采集"
RESULT_EN = {COMPLIANT: "compliant", PARTIAL: "partially compliant", NON_COMPLIANT: "non-compliant",
             NOT_APPLICABLE: "not applicable", NOT_JUDGED: "not judged (needs attestation)",
             ERROR: "error (evidence unreadable)", NOT_COLLECTED: "not collected"}
TIER_WEIGHT = {"key": 3, "important": 2, "general": 1}
SCORE_NOTE = ("Estimate: the 2021 MLPS report template's deficit-deduction constants and attention coefficient "
              "are not public. Items weigh key 3 / important 2 / general 1, compliant 1 / partial 0.5 / "
              "non-compliant 0, over the items this scan could judge; the assessor's overall analysis may "
              "correct item results.")

NOT_ENFORCED = "not enforced here"
"""A finding's status for a setting deliberately not enforced where it was read (machine-wide, test host)."""

FailOn = Literal["high", "medium", "any"]
FAIL_ON_RANK = {"high": SEVERITY_RANK["high"], "medium": SEVERITY_RANK["medium"], "any": SEVERITY_RANK["low"]}


@dataclass
class ItemResult:
    entry: CatalogEntry
    result: str
    score: float | None
    objects: dict[str, float] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)
    note: str = ""
    uncovered_sources: tuple[str, ...] = ()
    attestation: Mapping[str, Any] | None = None
    mitigation: list[dict[str, Any]] = field(default_factory=list)
    """Per high-risk case: the mitigating checks' results in this scan and any accepting attestation
    (compliance/mitigation.py)."""
    mitigated: bool = False
    """Every case's mitigation passed and was accepted by a signed attestation: then, and only then, the
    high-risk failure no longer forces 差."""

    @property
    def judged(self) -> bool:
        return self.score is not None

    @property
    def high_risk_failure(self) -> bool:
        """A failure on an item with a high-risk case, mitigated or not."""
        return self.entry.is_high_risk and self.result in (NON_COMPLIANT, PARTIAL) and any(
            f.status == "fail" for f in self.findings)

    @property
    def high_risk(self) -> bool:
        """An unmitigated high-risk finding (forces 差)."""
        return self.high_risk_failure and not self.mitigated


ATTESTED = {"compliant": 1.0, "partially compliant": 0.5, "non-compliant": 0.0}


def judge_item(entry: CatalogEntry, findings: Sequence[Finding], collected: set[str],
               attestation: Mapping[str, Any] | None = None) -> ItemResult:
    """One catalog entry's result from its checks' findings (already filtered to the scan's scope) and, for
    manual and partial items, the valid attestation signed for it."""
    uncovered = tuple(s for s in entry.sources if s not in collected and s != "attestations")
    signed = (f"attested {attestation['result']} by {attestation['signed_by']} ({attestation['role']}) on "
              f"{attestation['date']}, valid until {attestation['expires']}: {attestation['evidence']}"
              if attestation else "")
    if entry.status is Status.NOT_APPLICABLE:
        return ItemResult(entry, NOT_APPLICABLE, None, note=entry.justification)
    if entry.status is Status.INHERENTLY_MET:
        return ItemResult(entry, COMPLIANT, 1.0, note=entry.justification)
    if entry.status is Status.MANUAL:
        if attestation:
            score = ATTESTED[attestation["result"]]
            result = COMPLIANT if score == 1.0 else NON_COMPLIANT if score == 0.0 else PARTIAL
            return ItemResult(entry, result, score, note=signed, attestation=attestation)
        return ItemResult(entry, NOT_JUDGED, None, note=f"needs an attestation: {entry.attestation}",
                          uncovered_sources=uncovered)
    mine = [f for f in findings if f.check_id in entry.checks]
    if any(f.status == "error" for f in mine):
        reasons = sorted({f.detail for f in mine if f.status == "error"})
        return ItemResult(entry, ERROR, None, findings=mine, note="; ".join(reasons))
    missing = sorted({f.detail for f in mine if f.status == "not collected"})
    if missing and not any(f.status == "fail" for f in mine):
        return ItemResult(entry, NOT_COLLECTED, None, findings=mine, note="; ".join(missing))
    # A failure already seen is never hidden behind a source that was not collected: the item is judged on
    # what was collected (it cannot reach compliant, one object fails), and the note says what is missing.
    unenforced = sorted({f"{f.resource}: {f.detail}" for f in mine if f.status == NOT_ENFORCED})
    per_object: dict[str, list[bool]] = defaultdict(list)
    for finding in mine:
        if finding.status in ("pass", "fail"):
            per_object[finding.resource].append(finding.status == "pass")
    if not per_object and unenforced:
        return ItemResult(entry, NOT_JUDGED, None, findings=mine,
                          note="not enforced here (never a pass): " + "; ".join(unenforced))
    if not per_object:
        return ItemResult(entry, NOT_APPLICABLE, None, findings=mine,
                          note="no test object: the scan found no resource these checks apply to")
    objects = {name: 1.0 if all(v) else 0.0 if not any(v) else 0.5 for name, v in per_object.items()}
    score = sum(objects.values()) / len(objects)
    note = ""
    if entry.status is Status.PARTIAL and attestation:
        score = min(score, ATTESTED[attestation["result"]])
        note = signed
    elif entry.status is Status.PARTIAL and score > 0.5:
        score = 0.5
        note = "checks cover part of the item; the rest needs an attestation, so at most partially compliant"
    if missing:
        note = "; ".join(filter(None, [note, "not collected: " + "; ".join(missing)]))
    if unenforced and score > 0.5:
        score = 0.5
        note = "; ".join(filter(None, [note, "part of the item is not enforced here, so at most partially "
                                             "compliant: " + "; ".join(unenforced)]))
    result = COMPLIANT if score == 1.0 else NON_COMPLIANT if score == 0.0 else PARTIAL
    return ItemResult(entry, result, score, objects, mine, note, uncovered, attestation)


@dataclass(frozen=True)
class Conclusion:
    score: float | None
    level: str
    control_points: dict[str, float]
    high_risks: list[ItemResult]
    medium_risks: list[ItemResult]
    judged: int
    applicable: int
    reason: str
    note: str = SCORE_NOTE


def conclude(items: Iterable[ItemResult]) -> Conclusion:
    """Control-point scores (0-10), the estimated composite score (0-100) and 优/良/中/差."""
    items = list(items)
    judged = [i for i in items if i.judged]
    applicable = [i for i in items if i.result != NOT_APPLICABLE]
    points: dict[str, list[ItemResult]] = defaultdict(list)
    for item in judged:
        points[f"{item.entry.standard} {item.entry.control_point}"].append(item)
    control_points = {
        name: round(10 * sum(TIER_WEIGHT[i.entry.tier] * (i.score or 0) for i in group)
                    / sum(TIER_WEIGHT[i.entry.tier] for i in group), 2)
        for name, group in sorted(points.items())
    }
    weight = sum(TIER_WEIGHT[i.entry.tier] for i in judged)
    score = round(100 * sum(TIER_WEIGHT[i.entry.tier] * (i.score or 0) for i in judged) / weight, 1) if weight else None
    high = [i for i in items if i.high_risk]
    medium = [i for i in items if not i.high_risk and i.result in (NON_COMPLIANT, PARTIAL)
              and any(f.status == "fail" and SEVERITY_RANK[f.severity] >= SEVERITY_RANK["high"] for f in i.findings)]
    if high:
        level, reason = "差", f"{len(high)} item(s) with an unmitigated high-risk finding (high-risk case)"
    elif score is None:
        level, reason = "未定", "no item could be judged"
    elif score < 70:
        level, reason = "差", f"estimated score {score} < 70"
    elif score < 80:
        level, reason = "中", f"estimated score {score} in [70, 80), no high risk"
    elif score < 90 or medium:
        level = "良"
        reason = (f"estimated score {score} >= 90 but {len(medium)} medium-level risk(s)" if score >= 90
                  else f"estimated score {score} in [80, 90), no high risk")
    else:
        level, reason = "优", f"estimated score {score} >= 90, no medium or high risk"
    return Conclusion(score, level, control_points, high, medium, len(judged), len(applicable), reason)


@dataclass(frozen=True)
class Gate:
    passed: bool
    reasons: list[str]


def gate(findings: Iterable[Finding], is_hidden: Callable[[Finding], bool], fail_on: FailOn,
         expired_waivers: Sequence[str]) -> Gate:
    """The migration gate: no unwaived failure at or above ``fail_on``, no check in error, no lapsed waiver."""
    threshold = FAIL_ON_RANK[fail_on]
    reasons = []
    for finding in findings:
        if finding.status == "error":
            reasons.append(f"{finding.check_id}: error on {finding.resource}: {finding.detail}")
        elif (finding.status == "fail" and not is_hidden(finding)
              and SEVERITY_RANK[finding.severity] >= threshold):
            reasons.append(f"{finding.check_id} ({finding.severity}) failed on {finding.resource}: {finding.detail}")
    reasons += [f"waiver {name} has expired" for name in expired_waivers]
    return Gate(not reasons, reasons)
