"""The catalog: what it covers, and precise errors (file, field, line, reason) for a malformed one."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from compliance.catalog import CATALOG_DIR, Status, load_catalog
from compliance.library import load_library
from infra.config import ConfigError

ENTRY = """\
entries:
- id: NET-02
  standard: GB/T 22239-2019
  clause: 8.1.2.1 c)
  family: communication-network
  title: {zh: 网络架构 c), en: Network architecture c)}
  requirement: Split the network into zones, each with its own address space.
  tier: general
  severity: medium
  responsibility: both
  sources: [cloud]
  status: manual
  attestation: The zone plan, signed off.
"""


def catalog_dir(tmp_path: Path, text: str) -> Path:
    (tmp_path / "one.yaml").write_text(text, encoding="utf-8")
    return tmp_path


def problems_of(directory: Path, known: set[str] | None = None) -> list[tuple[str, str, int | None, str]]:
    with pytest.raises(ConfigError) as caught:
        load_catalog(directory, known)
    return [(Path(p.file).name, p.field, p.line, p.message) for p in caught.value.problems]


def test_catalog_covers_every_level3_family_and_the_privacy_and_crypto_texts() -> None:
    catalog = load_catalog()
    families = {entry.family for entry in catalog.entries.values()}
    assert families >= {"communication-network", "area-boundary", "computing-environment", "management-centre",
                        "cloud-extension", "management", "pipl", "gbt35273", "gbt39786", "egov"}
    # items counted by hand from controls.md: 8.1.2.1 has items a) to e) and 8.2.2.1 has a) to e).
    clauses = {entry.clause for entry in catalog.entries.values()}
    assert {f"8.1.2.1 {x})" for x in "abcde"} <= clauses
    assert {f"8.2.2.1 {x})" for x in "abcde"} <= clauses
    assert catalog["CLD-03"].high_risk_cases == ("7.2.1.2",) and catalog["CLD-03"].tier == "key"
    assert catalog["BND-03"].status is Status.NOT_APPLICABLE


def test_catalog_and_check_metadata_agree() -> None:
    library = load_library()
    automated = [e for e in library.catalog.entries.values() if e.status in (Status.AUTOMATED, Status.PARTIAL)]
    assert automated and all(e.checks for e in automated)


def test_a_valid_entry_loads(tmp_path: Path) -> None:
    assert list(load_catalog(catalog_dir(tmp_path, ENTRY)).entries) == ["NET-02"]


def test_unknown_field_and_bad_tier(tmp_path: Path) -> None:
    text = ENTRY.replace("tier: general", "tier: vital")
    text = text.replace("  sources: [cloud]\n", "  sources: [cloud]\n  owner: x\n")
    found = problems_of(catalog_dir(tmp_path, text))
    assert [(f, field, line) for f, field, line, _ in found] == [
        ("one.yaml", "entries[0].tier", 8), ("one.yaml", "entries[0].owner", 12)]
    assert "vital" in found[0][3] and "unknown field 'owner'" in found[1][3]


def test_status_obligations(tmp_path: Path) -> None:
    text = ENTRY.replace("  status: manual\n  attestation: The zone plan, signed off.\n", "  status: automated\n")
    [(file, field, line, message)] = problems_of(catalog_dir(tmp_path, text))
    assert (file, field, line) == ("one.yaml", "entries[0]", 2)
    assert message == "status 'automated' needs checks"


def test_high_risk_item_must_be_key(tmp_path: Path) -> None:
    text = ENTRY.replace("  severity: medium\n", "  severity: medium\n  high_risk_cases: ['6.2.1.2']\n")
    [(_, _, _, message)] = problems_of(catalog_dir(tmp_path, text))
    assert message == "an item with a high-risk case is a key item"


def test_unknown_check_is_named_with_its_position(tmp_path: Path) -> None:
    text = ENTRY.replace("  status: manual\n  attestation: The zone plan, signed off.\n",
                         "  status: automated\n  checks: [vpc_flow_logs_enabled, vpc_zones_tagged]\n")
    assert problems_of(catalog_dir(tmp_path, text), {"vpc_flow_logs_enabled"}) == [
        ("one.yaml", "entries[0].checks[1]", 13, "unknown check 'vpc_zones_tagged'")]


def test_duplicate_id_across_files(tmp_path: Path) -> None:
    catalog_dir(tmp_path, ENTRY)
    (tmp_path / "two.yaml").write_text(ENTRY, encoding="utf-8")
    [(file, field, line, message)] = problems_of(tmp_path)
    assert (file, field, line) == ("two.yaml", "entries[0].id", 2)
    assert message.startswith("duplicate id 'NET-02' (also in ")


def test_bad_id_and_yaml_errors_in_several_files_come_together(tmp_path: Path) -> None:
    catalog_dir(tmp_path, ENTRY.replace("id: NET-02", "id: net2"))
    (tmp_path / "two.yaml").write_text("entries:\n- id: [\n", encoding="utf-8")
    found = problems_of(tmp_path)
    assert [(f, field) for f, field, _, _ in found] == [("one.yaml", "entries[0].id"), ("two.yaml", "")]
    assert "not of the form" in found[0][3] and found[1][3].startswith("not valid YAML")


def test_metadata_clause_the_catalog_does_not_list(tmp_path: Path) -> None:
    checks = tmp_path / "checks"
    shutil.copytree(Path(CATALOG_DIR).parent / "checks", checks, ignore=shutil.ignore_patterns("__pycache__"))
    meta = checks / "iam_no_root_access_key" / "metadata.yaml"
    meta.write_text(meta.read_text().replace("clauses: [CMP-06]", "clauses: [CMP-06, CMP-07]"))
    with pytest.raises(ConfigError) as caught:
        load_library(CATALOG_DIR, checks)
    messages = [p.message for p in caught.value.problems]
    assert "CMP-07 does not list this check in its `checks`" in messages


def test_every_high_risk_case_the_catalog_names_is_described(tmp_path: Path) -> None:
    from compliance.high_risk import HIGH_RISK_FILE, load_high_risk_cases

    cases = {case for entry in load_catalog().entries.values() for case in entry.high_risk_cases}
    assert set(load_high_risk_cases(required=cases)) >= cases
    short = tmp_path / "cases.yaml"
    short.write_text(HIGH_RISK_FILE.read_text(encoding="utf-8").replace("  7.4.1.1:", "  7.4.1.9:"), encoding="utf-8")
    with pytest.raises(ConfigError, match=r"no description of case\(s\) 7\.4\.1\.1"):
        load_high_risk_cases(short, required=cases)
