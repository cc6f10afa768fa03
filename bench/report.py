"""Rendering time of the assessment report: HTML (from the saved scan folder, evidence bundles included)
and PDF (headless Chromium), for the demo's scan and for 100 tenants' worth of findings. One run each.

The demo: core + bridge deployed on the embedded cloud with the policy pack (as `egov demo` does), then
`egov scan` of the cloud. 100 tenants: the checks' violating fixtures with their regional resources
repeated 100 times (compliance.report.sample), re-judged by the scanner.
"""

from __future__ import annotations

import os
import re
import tempfile
import time
import uuid
from pathlib import Path

from compliance.report import HTML_NAME, PDF_NAME, build_html
from compliance.report.bundle import load_scan
from compliance.report.pdf import print_pdf
from compliance.report.sample import write_sample_scan
from compliance.reports import render
from compliance.scan import ScanOptions, run_scan, write_folder
from infra.engine import POLICY_PACK_DIR, Stack
from infra.local.environment import LocalEnvironment, LocalPaths

RESULTS = Path(__file__).with_name("RESULTS.md")
SECTION = "## Assessment report rendering (bench/report.py)"


def replace_section(title: str, lines: list[str]) -> None:
    """Replace the section starting with ``title`` in bench/RESULTS.md (or append it)."""
    section = "\n".join(lines) + "\n"
    text = RESULTS.read_text() if RESULTS.exists() else "# Benchmark results\n\n"
    pattern = re.compile(re.escape(title) + r".*?(?=\n## |\Z)", re.S)
    text = pattern.sub(lambda _: section, text) if pattern.search(text) else text.rstrip() + "\n\n" + section
    RESULTS.write_text(text)


def render_times(folder: Path) -> tuple[int, int, float, float, int, int]:
    scan = load_scan(folder)
    start = time.perf_counter()
    (folder / HTML_NAME).write_text(build_html(scan), encoding="utf-8")
    html_s = time.perf_counter() - start
    start = time.perf_counter()
    print_pdf(folder / HTML_NAME, folder / PDF_NAME)
    pdf_s = time.perf_counter() - start
    return (len(scan.report["findings"]), len(scan.report["items"]), html_s, pdf_s,
            (folder / HTML_NAME).stat().st_size, (folder / PDF_NAME).stat().st_size)


def demo_scan(tmp: Path) -> Path:
    local = LocalEnvironment(LocalPaths(tmp / "egov"))
    local.up(print)
    env = local.env()
    try:
        suffix = uuid.uuid4().hex[:6]
        core = Stack(f"rcore{suffix}", env=env, config_file=tmp / "core.yaml", policy_pack=POLICY_PACK_DIR)
        core.init(local.secrets_provider)
        core.set_config("kind", "core")
        core.set_config("archiveForceDestroy", "true")
        bridge = Stack(f"rbridge{suffix}", env=env, config_file=tmp / "bridge.yaml", policy_pack=POLICY_PACK_DIR)
        bridge.init(local.secrets_provider)
        bridge.set_config("kind", "bridge")
        bridge.set_config("coreStack", core.name)
        core.up()
        bridge.up()
        saved = {key: os.environ.get(key) for key in env}
        os.environ.update(env)
        try:
            result = run_scan(ScanOptions(endpoint=env["AWS_ENDPOINT_URL"], sources=["cloud"], out_dir=tmp / "scans"))
        finally:
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value
        folder = write_folder(result, render(result, ["json"]))
        bridge.destroy()
        core.destroy()
        bridge.remove()
        core.remove()
        return folder
    finally:
        local.down()


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        rows = [("demo (core + bridge, cloud scan)", render_times(demo_scan(Path(tmp) / "demo"))),
                ("100 tenants (fixture resources x100)", render_times(write_sample_scan(Path(tmp) / "t100", 100)))]
    for name, (findings, items, html_s, pdf_s, html_b, pdf_b) in rows:
        print(f"{name}: {findings} findings, {items} items; HTML {html_s:.2f}s ({html_b} B), "
              f"PDF {pdf_s:.2f}s ({pdf_b} B)")
    replace_section(SECTION, [
        SECTION, "",
        f"Measured {time.strftime('%Y-%m-%d')}, one run each, on this shared 2-core machine. HTML: report.html built "
        "from the verified scan folder (every clause's evidence bundle inline). PDF: that page printed by Debian's "
        "headless chromium (A4, page numbers).",
        "",
        "| scan | findings | catalog items | HTML (s) | HTML size | PDF (s) | PDF size |",
        "|---|---:|---:|---:|---:|---:|---:|",
        *(f"| {name} | {f} | {i} | {h:.2f} | {hb / 1e6:.1f} MB | {p:.2f} | {pb / 1e6:.1f} MB |"
          for name, (f, i, h, p, hb, pb) in rows),
        "",
    ])


if __name__ == "__main__":
    main()
