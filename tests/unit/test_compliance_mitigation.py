"""High-risk mitigation evidence: collected from the scan's own findings for every case, shown for the assessor,
and the conclusion unchanged unless every listed mitigation passes AND a signed attestation accepts it."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import pytest

from compliance import mitigation
from compliance.checks.registry import Finding
from compliance.evidence.attestations import load_attestations, mitigation_acceptances, valid_attestations
from compliance.high_risk import load_high_risk_cases
from compliance.library import load_library
from compliance.scoring import conclude, judge_item
from infra.config import ConfigError

LIBRARY = load_library()
CASES = load_high_risk_cases()
TODAY = dt.date(2026, 12, 7)
ITEM = "CMP-06"  # 8.1.4.2 b) default accounts; case 6.4.2.1
CASE = "6.4.2.1"
ACCEPTANCE = f"""\
attestations:
  - item: {ITEM}
    accepts_mitigation: "{CASE}"
    evidence: root logs in from the management network only, by key; reviewed on every host
    signed_by: Zhang Min
    role: Assessor
    date: 2026-11-02
    expires: 2027-11-01
"""


def finding(check: str, resource: str, status: str = "pass") -> Finding:
    return Finding(check, resource, status, f"{check} on {resource}: {status}", "high")  # type: ignore[arg-type]


def mitigating_checks() -> tuple[str, ...]:
    checks = CASES[CASE].mitigated_by
    assert len(checks) >= 2, "the case lists the checks that evidence its mitigations"
    return checks


def scenario(tmp_path: Path, *, mitigations: str = "pass", accepted: bool = True) -> tuple[list, list]:  # type: ignore[type-arg]
    """A root login failure on one host (high risk on CMP-06), the mitigating checks all at ``mitigations``
    (one of them at that status, the others passing), and optionally the assessor's acceptance."""
    findings = [finding("host_root_login_restricted", "extranet-1", "fail"),
                finding("iam_no_root_access_key", "account", "pass")]
    first, *rest = mitigating_checks()
    findings.append(finding(first, "bastion", mitigations))
    findings += [finding(check, "bastion") for check in rest]
    path = tmp_path / "attestations.yaml"
    path.write_text(ACCEPTANCE if accepted else "attestations: []\n")
    evidence = {"attestations": load_attestations(path, LIBRARY.catalog, TODAY)}
    entry = LIBRARY.catalog.entries[ITEM]
    items = [judge_item(entry, findings, {"hosts", "cloud"}, valid_attestations(evidence, None).get(ITEM))]
    mitigation.assess(items, findings, CASES, mitigation_acceptances(evidence, None))
    return items, findings


def test_every_mitigating_check_exists() -> None:
    for number, case in CASES.items():
        assert set(case.mitigated_by) <= set(LIBRARY.checks), number


def test_the_evidence_is_collected_and_shown_but_changes_nothing_without_acceptance(tmp_path: Path) -> None:
    items, _ = scenario(tmp_path, accepted=False)
    [item] = items
    [case] = item.mitigation
    assert case["case"] == CASE and case["all_pass"] and case["accepted_by"] is None
    assert [c["check"] for c in case["mitigated_by"]] == list(mitigating_checks())
    assert all(c["passes"] and c["results"] == {"pass": 1} for c in case["mitigated_by"])
    assert item.high_risk and conclude(items).level == "差"


@pytest.mark.parametrize("status", ["fail", "error", "not collected"])
def test_a_mitigation_that_does_not_pass_keeps_the_high_risk_even_when_accepted(tmp_path: Path, status: str) -> None:
    items, _ = scenario(tmp_path, mitigations=status)
    [item] = items
    assert not item.mitigation[0]["all_pass"] and item.mitigation[0]["accepted_by"] is not None
    assert item.high_risk and conclude(items).level == "差"


def test_every_mitigation_passing_and_accepted_lifts_the_forced_poor(tmp_path: Path) -> None:
    items, _ = scenario(tmp_path)
    [item] = items
    assert item.mitigated and not item.high_risk and item.high_risk_failure
    assert item.mitigation[0]["accepted_by"]["signed_by"] == "Zhang Min"
    conclusion = conclude(items)
    assert conclusion.high_risks == [] and "high-risk" not in conclusion.reason


def test_a_case_without_collectable_mitigations_is_never_lifted(tmp_path: Path) -> None:
    entry = LIBRARY.catalog.entries["CMP-29"]  # 6.4.7.2: the guide names no mitigation
    assert CASES[entry.high_risk_cases[0]].mitigated_by == ()
    findings = [finding("s3_bucket_level_public_access_block", "bucket-1", "fail")]
    items = [judge_item(entry, findings, {"cloud"})]
    accepted = {("CMP-29", entry.high_risk_cases[0]): {"signed_by": "x"}}
    mitigation.assess(items, findings, CASES, accepted)
    assert items[0].high_risk and items[0].mitigation[0]["mitigated_by"] == []


def test_acceptance_must_name_a_case_of_the_item(tmp_path: Path) -> None:
    path = tmp_path / "attestations.yaml"
    path.write_text(ACCEPTANCE.replace(CASE, "6.4.7.2"))
    with pytest.raises(ConfigError, match=re.escape("CMP-06 has no high-risk case '6.4.7.2'")):
        load_attestations(path, LIBRARY.catalog, TODAY)
    path.write_text(ACCEPTANCE.replace("    accepts_mitigation", "    result: compliant\n    accepts_mitigation"))
    with pytest.raises(ConfigError, match="either gives a result or accepts a mitigation"):
        load_attestations(path, LIBRARY.catalog, TODAY)


def test_report_shows_the_mitigation_evidence(tmp_path: Path) -> None:
    from compliance.report.html import _mitigation_evidence

    items, _ = scenario(tmp_path, accepted=False)
    case = {"mitigation_evidence": items[0].mitigation[0]["mitigated_by"], "mitigation_accepted_by": None}
    page = _mitigation_evidence(case)
    assert all(f'data-check="{c}" data-passes="true"' in page for c in mitigating_checks())
    assert "no signed acceptance: the conclusion is unchanged" in page
    assert json.dumps(case)  # JSON-ready, as report.json keeps it
