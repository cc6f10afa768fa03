"""Evidence bundles and `egov evidence` / `egov report` on good and bad input (no browser: HTML only)."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from compliance.report import build_html
from compliance.report.bundle import bundle, load_scan
from compliance.report.sample import write_sample_scan
from infra.cli.main import app

runner = CliRunner(env={"COLUMNS": "500"})


@pytest.fixture(scope="module")
def scan_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_sample_scan(tmp_path_factory.mktemp("scan"))


def copy(scan_dir: Path, tmp_path: Path) -> Path:
    target = tmp_path / scan_dir.name
    shutil.copytree(scan_dir, target)
    return target


def test_bundle_joins_the_layers_with_timestamps_and_digests(scan_dir: Path) -> None:
    data = bundle(load_scan(scan_dir), "CMP-29")
    manifest = json.loads((scan_dir / "manifest.json").read_text())
    assert data["scan"]["started"] == manifest["scan_started"] and data["scan"]["finished"]
    assert data["scan"]["digests"]["evidence.json"] == manifest["files"]["evidence.json"]["sha256"]
    assert [p["policy"] for p in data["layers"]["policy_pack"]] == ["egov-public-bucket"]
    # the fixture of s3_bucket_level_public_access_block leaves "half" and "open" not fully blocked
    failing = {(f["check"], f["resource"]) for f in data["layers"]["cloud"] if f["status"] == "fail"}
    assert ("s3_bucket_level_public_access_block", "half") in failing
    assert data["result"] in ("不符合", "部分符合") and len(data["bundle_sha256"]) == 64


def test_egov_evidence_prints_the_bundle(scan_dir: Path) -> None:
    result = runner.invoke(app, ["evidence", "CMP-29", "--scan", str(scan_dir)])
    assert result.exit_code == 0, result.output
    assert "[policy_pack] 1 record(s)" in result.output and "egov-public-bucket" in result.output
    assert "sha256" in result.output and "s3_bucket_level_public_access_block half" in result.output
    as_json = runner.invoke(app, ["evidence", "CMP-29", "--scan", str(scan_dir), "--json"])
    assert json.loads(as_json.output)["clause"] == "CMP-29"


def test_a_tampered_evidence_file_is_a_precise_error(scan_dir: Path, tmp_path: Path) -> None:
    folder = copy(scan_dir, tmp_path)
    evidence = folder / "evidence.json"
    evidence.write_text(evidence.read_text().replace('"half"', '"h4lf"'))
    result = runner.invoke(app, ["evidence", "CMP-29", "--scan", str(folder)])
    text = " ".join(result.output.split())
    assert result.exit_code == 2
    assert f"{evidence}: digest mismatch: the manifest records sha256" in text and "changed after the scan" in text
    report = runner.invoke(app, ["report", str(folder), "--format", "html"])
    assert report.exit_code == 2 and "digest mismatch" in report.output
    assert not (folder / "report.html").exists()


@pytest.mark.parametrize("damage,message", [
    (lambda f: (f / "manifest.json").unlink(), "not a scan folder: manifest.json missing"),
    (lambda f: (f / "report.json").unlink(), "not a scan folder: report.json missing"),
    (lambda f: shutil.rmtree(f), "not a directory"),
])
def test_a_folder_that_is_not_a_scan_is_a_precise_error(scan_dir: Path, tmp_path: Path, damage: object,
                                                        message: str) -> None:
    folder = copy(scan_dir, tmp_path)
    damage(folder)  # type: ignore[operator]
    result = runner.invoke(app, ["report", str(folder)])
    assert result.exit_code == 2 and message in " ".join(result.output.split())


def test_unknown_clause_and_format(scan_dir: Path) -> None:
    result = runner.invoke(app, ["evidence", "CMP-999", "--scan", str(scan_dir)])
    assert result.exit_code == 2 and "clause 'CMP-999' is not in this scan's catalog" in result.output
    result = runner.invoke(app, ["report", str(scan_dir), "--format", "docx"])
    assert result.exit_code == 2 and "unknown value(s) docx" in result.output


def test_html_is_self_contained_and_links_every_clause_to_its_bundle(scan_dir: Path) -> None:
    scan = load_scan(scan_dir)
    page = build_html(scan)
    for fetch in ("<link", "src=", "@import", "url(", 'href="http'):  # nothing is fetched: works offline
        assert fetch not in page, fetch
    for item in scan.report["items"]:
        assert f'href="#evidence-{item["id"]}"' in page and f'id="evidence-{item["id"]}"' in page
    for term in ("符合", "部分符合", "不符合", "不适用", "高风险", "等级: 差"):
        assert term in page


def test_compare_counts_new_fixed_and_unchanged(scan_dir: Path, tmp_path: Path) -> None:
    previous = copy(scan_dir, tmp_path)
    report_file = previous / "report.json"
    report = json.loads(report_file.read_text())
    failing = [f for f in report["findings"] if f["status"] == "fail"]
    failing[0]["status"] = "pass"  # fixed since: it failed now but not before -> "new" now
    report["findings"].append({**failing[1], "resource": "gone-since"})  # failed before only -> fixed
    report_file.write_text(json.dumps(report))
    manifest = json.loads((previous / "manifest.json").read_text())
    manifest["files"]["report.json"]["sha256"] = hashlib.sha256(report_file.read_bytes()).hexdigest()
    (previous / "manifest.json").write_text(json.dumps(manifest))
    page = build_html(load_scan(scan_dir), load_scan(previous))
    total = len({(f["check"], f["resource"]) for f in json.loads((scan_dir / "report.json").read_text())["findings"]
                 if f["status"] == "fail"})
    counts = dict(re.findall(r'<tr class="compare-(\w+)">.*?<td data-count="(\d+)">', page))
    assert counts == {"new": "1", "fixed": "1", "unchanged": str(total - 1)}
