"""Item results, the estimated score, the conclusion and the gate, on hand-made findings."""

from __future__ import annotations

from compliance.catalog import CatalogEntry
from compliance.checks.registry import Finding
from compliance.scoring import (
    COMPLIANT,
    ERROR,
    NON_COMPLIANT,
    NOT_APPLICABLE,
    NOT_COLLECTED,
    NOT_JUDGED,
    PARTIAL,
    conclude,
    gate,
    judge_item,
)


def entry(entry_id: str = "BND-04", *, tier: str = "key", status: str = "automated", checks: tuple[str, ...] = ("c1",),
          hr: tuple[str, ...] = ("6.3.2.1",), sources: tuple[str, ...] = ("cloud",)) -> CatalogEntry:
    fields: dict[str, object] = {
        "id": entry_id, "standard": "GB/T 22239-2019", "clause": "8.1.3.2 a)", "family": "area-boundary",
        "title": {"zh": "访问控制 a)", "en": "Access control a)"}, "requirement": "Deny by default at borders.",
        "tier": tier, "severity": "high", "high_risk_cases": hr, "responsibility": "both", "sources": sources,
        "status": status, "checks": checks,
    }
    if status in ("partial", "manual"):
        fields["attestation"] = "signed rule review"
    if status == "manual":
        fields["checks"] = ()
    return CatalogEntry.model_validate(fields)


def finding(resource: str, status: str, check: str = "c1", severity: str = "high") -> Finding:
    return Finding(check, resource, status, "detail", severity)  # type: ignore[arg-type]


def test_per_object_results_are_averaged() -> None:
    item = judge_item(entry(checks=("c1", "c2")), [
        finding("sg-a", "pass"), finding("sg-a", "pass", "c2"),   # object a: compliant (1)
        finding("sg-b", "pass"), finding("sg-b", "fail", "c2"),   # object b: partial (0.5)
        finding("sg-c", "fail"),                                  # object c: non-compliant (0)
        finding("sg-z", "fail", "other"),                         # not this item's check
    ], {"cloud"})
    assert item.objects == {"sg-a": 1.0, "sg-b": 0.5, "sg-c": 0.0}
    assert item.score == 0.5 and item.result == PARTIAL
    assert all_pass(entry()) == COMPLIANT


def all_pass(e: CatalogEntry) -> str:
    return judge_item(e, [finding("sg-a", "pass")], {"cloud"}).result


def test_error_and_not_collected_are_never_a_pass() -> None:
    assert judge_item(entry(), [finding("sg-a", "pass"), finding("cloud:x", "error")], {"cloud"}).result == ERROR
    assert judge_item(entry(), [finding("cloud", "not collected")], set()).result == NOT_COLLECTED


def test_no_object_manual_and_partial_items() -> None:
    assert judge_item(entry(), [], {"cloud"}).result == NOT_APPLICABLE
    assert judge_item(entry(status="manual"), [], {"cloud"}).result == NOT_JUDGED
    partial = judge_item(entry(status="partial", sources=("cloud", "hosts")), [finding("sg-a", "pass")], {"cloud"})
    assert (partial.result, partial.score, partial.uncovered_sources) == (PARTIAL, 0.5, ("hosts",))


def test_one_high_risk_failure_makes_the_conclusion_poor_whatever_the_score() -> None:
    good = [judge_item(entry(f"CMP-{n:02d}", hr=()), [finding("r", "pass")], {"cloud"}) for n in range(1, 40)]
    bad = judge_item(entry("CLD-03", hr=("7.2.1.2",)), [finding("vpc-a", "fail")], {"cloud"})
    verdict = conclude([*good, bad])
    assert verdict.score is not None and verdict.score > 90
    assert verdict.level == "差" and [i.entry.id for i in verdict.high_risks] == ["CLD-03"]


def test_score_weights_and_levels() -> None:
    # key item (3) compliant, general item (1) non-compliant: 100 * 3 / 4 = 75 -> 中
    items = [judge_item(entry("A-01", hr=()), [finding("r", "pass")], {"cloud"}),
             judge_item(entry("A-02", tier="general", hr=()), [finding("r", "fail", severity="low")], {"cloud"})]
    verdict = conclude(items)
    assert (verdict.score, verdict.level) == (75.0, "中")
    assert verdict.control_points == {"GB/T 22239-2019 8.1.3.2": 7.5}
    assert conclude(items[:1]).level == "优"
    medium = [judge_item(entry(f"A-{n:02d}", hr=()), [finding("r", "pass")], {"cloud"}) for n in range(10, 40)]
    medium.append(judge_item(entry("A-99", tier="general", hr=()), [finding("r", "fail", severity="high")], {"cloud"}))
    assert conclude(medium).level == "良"  # >= 90 but a medium-level risk


def test_gate_thresholds_errors_waivers_and_expiry() -> None:
    low = finding("r1", "fail", severity="low")
    high = finding("r2", "fail", severity="high")
    assert gate([low], lambda f: False, "high", []).passed
    assert not gate([low], lambda f: False, "any", []).passed
    assert not gate([high], lambda f: False, "high", []).passed
    assert gate([high], lambda f: f is high, "high", []).passed
    assert not gate([finding("cloud:x", "error", severity="low")], lambda f: False, "high", []).passed
    assert gate([], lambda f: False, "high", ["W-1"]).reasons == ["waiver W-1 has expired"]
    assert NON_COMPLIANT == "不符合"
