"""Attestations: precise errors for a malformed file, which one counts, and how they judge items."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from compliance.catalog import load_catalog
from compliance.checks.registry import Finding
from compliance.evidence.attestations import load_attestations, valid_attestations
from compliance.scoring import COMPLIANT, NON_COMPLIANT, NOT_JUDGED, PARTIAL, judge_item
from infra.config import ConfigError

CATALOG = load_catalog()
TODAY = dt.date(2026, 12, 7)
GOOD = """\
attestations:
  - item: MGT-01
    result: compliant
    evidence: Security policy set v3.2 approved by the leadership group
    signed_by: Li Wei
    role: CISO
    date: 2026-10-02
    expires: 2027-10-01
  - item: CMP-01
    result: compliant
    evidence: Password rules of every application, reviewed
    signed_by: Zhang Min
    role: Security administrator
    date: 2025-10-02
    expires: 2026-10-01
  - item: MGT-01
    result: non-compliant
    evidence: The finance bureau has not adopted the policy set
    signed_by: Wang Fang
    role: Finance security officer
    date: 2026-11-02
    expires: 2027-11-01
    tenant: finance
"""


def load(tmp_path: Path, text: str) -> dict:  # type: ignore[type-arg]
    path = tmp_path / "attestations.yaml"
    path.write_text(text, encoding="utf-8")
    return load_attestations(path, CATALOG, TODAY)


def problems(tmp_path: Path, text: str) -> list[tuple[str, int | None, str]]:
    with pytest.raises(ConfigError) as caught:
        load(tmp_path, text)
    return [(p.field, p.line, p.message) for p in caught.value.problems]


def test_which_attestation_counts(tmp_path: Path) -> None:
    evidence = {"attestations": load(tmp_path, GOOD)}
    platform = valid_attestations(evidence, None)
    assert set(platform) == {"MGT-01"} and platform["MGT-01"]["signed_by"] == "Li Wei"  # CMP-01 expired
    assert valid_attestations(evidence, "finance")["MGT-01"]["signed_by"] == "Wang Fang"  # the tenant's own


def test_attestations_judge_manual_and_partial_items(tmp_path: Path) -> None:
    attested = valid_attestations({"attestations": load(tmp_path, GOOD)}, None)
    manual = judge_item(CATALOG["MGT-01"], [], set(), attested["MGT-01"])
    assert (manual.result, manual.score) == (COMPLIANT, 1.0) and "Li Wei" in manual.note
    assert judge_item(CATALOG["MGT-02"], [], set()).result == NOT_JUDGED
    partial = CATALOG["CMP-01"]  # partial: iam_password_policy_strong + an attestation
    passing = [Finding("iam_password_policy_strong", "iam-password-policy", "pass", "ok", "high")]
    assert judge_item(partial, passing, {"cloud"}).result == PARTIAL  # no attestation: capped
    signed = {"item": "CMP-01", "result": "compliant", "signed_by": "Zhang Min", "role": "x",
              "date": "2026-10-02", "expires": "2027-10-01", "evidence": "reviewed"}
    assert judge_item(partial, passing, {"cloud"}, signed).result == COMPLIANT
    failing = [Finding("iam_password_policy_strong", "iam-password-policy", "fail", "no", "high")]
    assert judge_item(partial, failing, {"cloud"}, signed).result == NON_COMPLIANT  # never lifts a failure


def test_malformed_attestations_name_file_field_and_line(tmp_path: Path) -> None:
    text = GOOD.replace("item: CMP-01", "item: CMP-99")
    text = text.replace("    tenant: finance\n", "    tenant: finance\n    seal: x\n")
    text = text.replace("date: 2026-10-02\n    expires: 2027-10-01", "date: 2026-10-02\n    expires: 2026-10-01")
    found = problems(tmp_path, text)
    assert [(field, line) for field, line, _ in found] == [("attestations[0]", 2), ("attestations[2].seal", 24)]
    assert found[0][2] == "expires 2026-10-01 is not after the signing date 2026-10-02"


def test_unknown_automated_and_future_items(tmp_path: Path) -> None:
    text = GOOD.replace("item: CMP-01", "item: CMP-99").replace("item: MGT-01\n    result: compliant",
                                                                "item: EGV-01\n    result: compliant")
    text = text.replace("date: 2026-11-02", "date: 2026-12-24").replace("expires: 2027-11-01", "expires: 2027-12-01")
    assert problems(tmp_path, text) == [
        ("attestations[0].item", 2, "EGV-01 is automated: checks decide it, not an attestation"),
        ("attestations[1].item", 9, "unknown catalog entry 'CMP-99'"),
        ("attestations[2].date", 21, "signed on 2026-12-24, after today (2026-12-07)"),
    ]
