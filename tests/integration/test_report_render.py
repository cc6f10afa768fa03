"""The assessment report as a reader sees it: rendered by headless Chromium, the conclusion, the charts and
one clause's evidence are read from the rendered page (innerText honours what CSS hides, so each language
is checked as displayed), the language switch is clicked and everything read again; screenshots of both
languages are kept as artifacts; the PDF's first page (pdftoppm, pdftotext) opens with the conclusion."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from compliance.report.pdf import headless
from compliance.report.sample import write_sample_scan
from infra.repository import REPO_ROOT

pytestmark = [pytest.mark.integration,
              pytest.mark.skipif(shutil.which("chromium") is None, reason="chromium is installed by `make setup`")]

CLAUSE = "CMP-29"  # a bucket left public in the fixtures: non-compliant, with cloud evidence
PROBE = """<!DOCTYPE html><html><body><pre id="out"></pre>
<iframe id="f" src="REPORT" style="width:1000px;height:1400px;border:0"></iframe>
<script>
function read(doc) {
  const c = doc.getElementById('conclusion');
  const charts = [...doc.querySelectorAll('svg.family-chart')];
  const legend = charts.length ? [...charts[0].querySelectorAll('text.legend')].map(t => {
    return [...t.querySelectorAll('tspan')].filter(s => getComputedStyle(s).display !== 'none')
      .map(s => s.textContent).join('') + ' ' + t.dataset.count; }) : [];
  const ev = doc.getElementById('evidence-CLAUSE');
  ev.open = true;
  return {conclusion: c.innerText, level: c.dataset.level, highRisks: doc.getElementById('high-risk-count').innerText,
          score: doc.getElementById('score').innerText, charts: charts.length,
          severity: [...doc.querySelectorAll('#severity-chart .severity-count')].map(t => t.textContent),
          legend: legend, link: !!doc.querySelector('a[href="#evidence-CLAUSE"]'),
          evidence: ev.innerText, lang: doc.documentElement.lang,
          findings: doc.querySelector('#clause-CLAUSE ul.findings').innerText,
          remediation: [...doc.querySelectorAll('#clause-CLAUSE li.remediation')].map(l => l.innerText)};
}
window.addEventListener('load', () => {
  const doc = document.getElementById('f').contentDocument;
  const before = read(doc);
  doc.getElementById('lang-switch').click();
  const after = read(doc);
  document.getElementById('out').textContent = JSON.stringify({before: before, after: after});
  if (location.hash === '#keep-english') {document.getElementById('out').style.display = 'none';}
});
</script></body></html>"""


@pytest.fixture(scope="module")
def scan(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = write_sample_scan(tmp_path_factory.mktemp("report"))
    run = subprocess.run([sys.executable, "-m", "infra.cli.main", "report", str(folder), "--format", "html,pdf"],
                         capture_output=True, text=True, cwd=REPO_ROOT, env=dict(os.environ), timeout=300, check=False)
    assert run.returncode == 0, run.stdout + run.stderr
    return folder


@pytest.fixture(scope="module")
def artifacts(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("report-artifacts")


def rendered(scan: Path, artifacts: Path) -> dict[str, Any]:
    probe = artifacts / "probe.html"
    probe.write_text(PROBE.replace("REPORT", (scan / "report.html").as_uri()).replace("CLAUSE", CLAUSE))
    proc = headless("--allow-file-access-from-files", "--virtual-time-budget=5000", "--dump-dom", probe.as_uri())
    match = re.search(r'<pre id="out">(.*?)</pre>', proc.stdout, re.S)
    assert match and match.group(1), proc.stderr[-2000:]
    return dict(json.loads(match.group(1).replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")))


def test_conclusion_charts_and_evidence_in_both_languages(scan: Path, artifacts: Path) -> None:
    report = json.loads((scan / "report.json").read_text())
    level = report["conclusion"]["level"]
    high = len(report["conclusion"]["high_risks"])
    score = f"{report['conclusion']['estimated_score']:.1f}"
    families = {json.loads(json.dumps(i))["id"] for i in report["items"]}
    assert families  # the catalog's items are in the scan
    page = rendered(scan, artifacts)
    zh, en = page["before"], page["after"]

    assert zh["lang"] == "zh-CN" and en["lang"] == "en"
    assert f"等级: {level}" in zh["conclusion"] and "估算得分" in zh["conclusion"] and "高风险" in zh["conclusion"]
    assert "Conclusion" not in zh["conclusion"] and "Estimated score" not in zh["conclusion"]
    assert "Estimate:" not in zh["conclusion"] and "估算:" in zh["conclusion"] and "Estimate:" in en["conclusion"]
    if high:
        assert f"{high} 项存在未缓解的高风险问题" in zh["conclusion"] and f"{high} item(s)" in en["conclusion"]
    assert "Conclusion" in en["conclusion"] and "Estimated score" in en["conclusion"]
    assert "High-risk findings" in en["conclusion"] and "结论" not in en["conclusion"]
    assert {"优": "Excellent", "良": "Good", "中": "Fair", "差": "Poor"}[level] in en["conclusion"]
    for side in (zh, en):
        assert side["score"] == score and side["highRisks"] == str(high)
        assert side["charts"] == 10  # one per control family of the catalog
        assert side["link"] is True
    fails = sum(1 for f in report["findings"] if f["status"] == "fail" and f["severity"] == "high")
    assert zh["severity"][0] == str(fails)
    assert zh["legend"][0].startswith("符合 ") and en["legend"][0].startswith("compliant ")
    assert zh["legend"][2].startswith("不符合 ") and en["legend"][2].startswith("non-compliant ")
    # the clause's evidence bundle, as rendered: its layers and the bucket the fixtures left public
    assert "证据包" in zh["evidence"] and "Evidence bundle" in en["evidence"]
    assert "s3_bucket_level_public_access_block" in zh["evidence"] and "egov-public-bucket" in zh["evidence"]
    assert "report.json" in zh["evidence"] and re.search(r"[0-9a-f]{64}", zh["evidence"])
    # the clause's findings and remediation as displayed: Chinese in zh, English in en (compliance/text.py)
    public = [f for f in report["findings"] if f["check"] == "s3_bucket_level_public_access_block"
              and f["status"] == "fail"]
    shown = [f for f in public if f["detail_zh"] in zh["findings"]]  # a clause lists its first 20 failures
    assert shown and all(f["detail"] not in zh["findings"] for f in public)
    if len(public) > len(shown):
        assert "见证据包" in zh["findings"]
    assert all(f["detail"] in en["findings"] for f in shown)
    assert all(f["detail_zh"] not in en["findings"] for f in public)
    assert "未阻止公共访问" in zh["findings"] and "does not block public access" in en["findings"]
    assert any("开启 BlockPublicAcls" in r for r in zh["remediation"])
    assert any("Turn on BlockPublicAcls" in r for r in en["remediation"])


def test_screenshots_of_both_languages_are_kept(scan: Path, artifacts: Path) -> None:
    chinese, english = artifacts / "report-zh.png", artifacts / "report-en.png"
    headless(f"--screenshot={chinese}", "--window-size=1000,1400", (scan / "report.html").as_uri())
    probe = artifacts / "probe.html"
    probe.write_text(PROBE.replace("REPORT", (scan / "report.html").as_uri()).replace("CLAUSE", CLAUSE))
    headless("--allow-file-access-from-files", "--virtual-time-budget=5000", f"--screenshot={english}",
             "--window-size=1000,1400", probe.as_uri() + "#keep-english")
    for shot in (chinese, english):
        assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 20_000
    kept = REPO_ROOT / ".egov" / "test-artifacts" / "report"
    kept.mkdir(parents=True, exist_ok=True)
    for shot in (chinese, english):
        shutil.copy(shot, kept / shot.name)


def test_pdf_first_page_opens_with_the_conclusion(scan: Path, artifacts: Path) -> None:
    pdf = scan / "report.pdf"
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    assert "(A4)" in info
    pages = int(re.search(r"Pages:\s+(\d+)", info).group(1))  # type: ignore[union-attr]
    subprocess.run(["pdftoppm", "-f", "1", "-l", "1", "-r", "50", "-png", str(pdf), str(artifacts / "pdf-page")],
                   check=True)
    assert list(artifacts.glob("pdf-page*.png"))
    first = subprocess.run(["pdftotext", "-f", "1", "-l", "1", str(pdf), "-"], capture_output=True, text=True,
                           check=True).stdout
    report = json.loads((scan / "report.json").read_text())
    assert "结论" in first and f"等级: {report['conclusion']['level']}" in first
    assert f"{report['conclusion']['estimated_score']:.1f}" in first
    assert f"1/{pages}" in first  # Chromium's footer numbers the pages
    manifest = json.loads((scan / "manifest.json").read_text())
    assert {"report.html", "report.pdf"} <= set(manifest["files"])


COMPARE_PROBE = """<!DOCTYPE html><html><body><pre id="out"></pre>
<iframe id="f" src="REPORT" style="width:1000px;height:1400px;border:0"></iframe>
<script>
function read(doc) {
  const rows = {};
  for (const kind of ['new', 'fixed', 'unchanged']) {
    const row = doc.querySelector('#compare tr.compare-' + kind);
    rows[kind] = row ? {text: row.innerText, count: row.querySelector('td[data-count]').innerText} : null;
  }
  const section = doc.getElementById('compare');
  return {rows: rows, heading: section ? section.querySelector('h2').innerText : null,
          visible: section ? section.getBoundingClientRect().height > 0 : false};
}
window.addEventListener('load', () => {
  const doc = document.getElementById('f').contentDocument;
  const before = read(doc);
  doc.getElementById('lang-switch').click();
  document.getElementById('out').textContent = JSON.stringify({before: before, after: read(doc)});
});
</script></body></html>"""


def test_compare_shows_new_fixed_and_unchanged_in_the_rendered_page(tmp_path: Path) -> None:
    """Two scans by the real scanner: the earlier one had bucket "none" under another name, so whatever fails
    on "none" now is new, whatever failed on the old name is fixed, and every other failure is unchanged."""
    from compliance.report.sample import fixture_evidence
    from compliance.reports import render
    from compliance.scan import ScanOptions, run_scan, write_folder

    current = write_sample_scan(tmp_path / "now")
    evidence = fixture_evidence()
    renamed = [b for b in evidence["cloud"]["global"]["buckets"] if b["Name"] == "none"]  # in several fixtures
    assert renamed
    for bucket in renamed:
        bucket["Name"] = "none-before"
    source = tmp_path / "before" / "evidence-source"
    source.mkdir(parents=True)
    (source / "evidence.json").write_text(json.dumps(evidence), encoding="utf-8")
    earlier = run_scan(ScanOptions(evidence_dir=source, out_dir=tmp_path / "before" / "scans"))
    previous = write_folder(earlier, render(earlier, ["json"]))
    run = subprocess.run([sys.executable, "-m", "infra.cli.main", "report", str(current), "--compare", str(previous),
                          "--format", "html"], capture_output=True, text=True, cwd=REPO_ROOT, timeout=300, check=False)
    assert run.returncode == 0, run.stdout + run.stderr

    now = json.loads((current / "report.json").read_text())
    failing_now = {(f["check"], f["resource"]) for f in now["findings"] if f["status"] == "fail"}
    on_bucket = sorted(check for check, resource in failing_now if resource == "none")
    assert on_bucket, "the fixtures leave bucket 'none' failing"
    probe = tmp_path / "probe.html"
    probe.write_text(COMPARE_PROBE.replace("REPORT", (current / "report.html").as_uri()))
    proc = headless("--allow-file-access-from-files", "--virtual-time-budget=5000", "--dump-dom", probe.as_uri())
    match = re.search(r'<pre id="out">(.*?)</pre>', proc.stdout, re.S)
    assert match and match.group(1), proc.stderr[-2000:]
    page = json.loads(match.group(1).replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&"))
    zh, en = page["before"], page["after"]
    assert zh["visible"] and zh["heading"].startswith("与上次扫描比较") and en["heading"].startswith("Compared with")
    for side in (zh, en):
        assert side["rows"]["new"]["count"] == str(len(on_bucket))
        assert side["rows"]["fixed"]["count"] == str(len(on_bucket))
        assert side["rows"]["unchanged"]["count"] == str(len(failing_now) - len(on_bucket))
        assert all(f"{check} none" in side["rows"]["new"]["text"] for check in on_bucket)
        assert all(f"{check} none-before" in side["rows"]["fixed"]["text"] for check in on_bucket)
    assert zh["rows"]["new"]["text"].startswith("新增") and "new" not in zh["rows"]["new"]["text"].split()[0]
    assert en["rows"]["new"]["text"].startswith("new") and en["rows"]["fixed"]["text"].startswith("fixed")
    assert zh["rows"]["fixed"]["text"].startswith("已修复") and zh["rows"]["unchanged"]["text"].startswith("未变")
