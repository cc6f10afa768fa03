"""Waivers: schema errors with file, field and line; matching; expiry."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from compliance.checks.registry import Finding
from compliance.waivers import apply_waivers, load_waivers
from infra.config import ConfigError

TODAY = dt.date(2026, 12, 7)
GOOD = """\
waivers:
  - id: W-001
    check: ec2_securitygroup_default_restrict_traffic
    resources: ["sg-legacy*"]
    reason: legacy appliance needs its default group until March
    owner: Li Wei
    approver: Zhang Min
    expires: 2027-03-31
  - id: W-002
    clause: CMP-23
    tenant: finance
    reason: volume migration to encrypted storage is scheduled
    owner: Wang Fang
    approver: Zhang Min
    expires: 2026-12-01
"""


def load(tmp_path: Path, text: str, **kwargs: object) -> object:
    path = tmp_path / "waivers.yaml"
    path.write_text(text, encoding="utf-8")
    return load_waivers(path, known_checks={"ec2_securitygroup_default_restrict_traffic", "ec2_ebs_volume_encryption"},
                        known_clauses={"CMP-23", "BND-04"}, today=TODAY, **kwargs)  # type: ignore[arg-type]


def problems(tmp_path: Path, text: str, **kwargs: object) -> list[tuple[str, int | None, str]]:
    with pytest.raises(ConfigError) as caught:
        load(tmp_path, text, **kwargs)
    return [(p.field, p.line, p.message) for p in caught.value.problems]


def test_missing_file_means_no_waivers(tmp_path: Path) -> None:
    assert load_waivers(tmp_path / "absent.yaml", known_checks=set(), known_clauses=set()).waivers == ()


def test_matching_and_expiry(tmp_path: Path) -> None:
    waivers = load(tmp_path, GOOD)
    legacy = Finding("ec2_securitygroup_default_restrict_traffic", "sg-legacy1", "fail", "d", "high")
    other = Finding("ec2_securitygroup_default_restrict_traffic", "sg-new", "fail", "d", "high")
    volume = Finding("ec2_ebs_volume_encryption", "vol-1", "fail", "d", "high", tenant="finance")
    outcome = apply_waivers(waivers, [legacy, other, volume],  # type: ignore[arg-type]
                            {"ec2_ebs_volume_encryption": ("CMP-23",)}, TODAY)
    assert outcome.hidden == {"W-001": [legacy], "W-002": []}  # W-002 expired: hides nothing
    assert [w.id for w in outcome.expired] == ["W-002"]
    assert outcome.is_hidden(legacy) and not outcome.is_hidden(other)


def test_lint_refuses_expired(tmp_path: Path) -> None:
    assert problems(tmp_path, GOOD, allow_expired=False) == [
        ("waivers[1].expires", 15, "waiver W-002 expired on 2026-12-01")]


def test_schema_problems_name_field_and_line(tmp_path: Path) -> None:
    text = GOOD.replace("approver: Zhang Min\n    expires: 2027-03-31", "approver: li wei\n    expires: 2027-03-31")
    text = text.replace("clause: CMP-23", "clause: CMP-99").replace("2026-12-01", "someday")
    found = problems(tmp_path, text)
    assert [(field, line) for field, line, _ in found] == [("waivers[0]", 2), ("waivers[1].expires", 15)]
    assert found[0][2] == "the approver must be another person than the owner"


def test_unknown_check_both_targets_and_long_expiry(tmp_path: Path) -> None:
    text = GOOD.replace("check: ec2_securitygroup_default_restrict_traffic", "check: no_such_check")
    text = text.replace("2027-03-31", "2028-03-31").replace("clause: CMP-99", "clause: CMP-23")
    found = problems(tmp_path, text)
    assert [(field, message) for field, _, message in found] == [
        ("waivers[0].check", "unknown check 'no_such_check'"),
        ("waivers[0].expires", "expires 2028-03-31, more than a year from 2026-12-07"),
    ]
    both = GOOD.replace("    clause: CMP-23\n", "    clause: CMP-23\n    check: ec2_ebs_volume_encryption\n")
    assert problems(tmp_path, both)[0][2] == "a waiver names exactly one of `check` or `clause`"
