"""The assessment report (HTML, PDF) and evidence bundles, rendered from a saved scan folder.

`egov scan --format html,pdf` calls :func:`write_reports` on the folder it just wrote; `egov report DIR`
calls it again on an earlier one (after checking every file against the manifest).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from compliance.report.bundle import ScanFolder, ScanFolderError, bundle, load_scan
from compliance.report.html import render_html
from compliance.report.pdf import print_pdf

REPORT_FORMATS = ("html", "pdf")
HTML_NAME, PDF_NAME = "report.html", "report.pdf"

__all__ = ["REPORT_FORMATS", "ScanFolderError", "build_html", "write_reports"]


def _catalog_facts() -> tuple[dict[str, str], dict[str, list[tuple[str, str, str]]]]:
    """Item id -> control family, and item id -> (check, remediation, its Chinese) from the catalog and check
    metadata."""
    from compliance.library import load_library

    library = load_library()
    families = {entry_id: entry.family for entry_id, entry in library.catalog.entries.items()}
    remediations = {entry_id: [(check, library.checks[check].metadata.remediation,
                                library.checks[check].metadata.remediation_zh) for check in entry.checks
                               if check in library.checks]
                    for entry_id, entry in library.catalog.entries.items()}
    return families, remediations


def build_html(scan: ScanFolder, previous: ScanFolder | None = None) -> str:
    families, remediations = _catalog_facts()
    bundles = {item["id"]: bundle(scan, item["id"]) for item in scan.report["items"]}
    return render_html(scan.report, bundles, families, remediations, previous.report if previous else None)


def write_reports(folder: Path, formats: list[str], previous: Path | None = None) -> list[Path]:
    """Render report.html (and report.pdf) into the scan folder and add them to its manifest."""
    scan = load_scan(folder)
    before = load_scan(previous) if previous is not None else None
    written: list[Path] = []
    html_file = folder / HTML_NAME
    html_file.write_text(build_html(scan, before), encoding="utf-8")
    if "html" in formats:
        written.append(html_file)
    if "pdf" in formats:
        written.append(print_pdf(html_file, folder / PDF_NAME))
        if "html" not in formats:
            html_file.unlink()
    _add_to_manifest(folder, scan.manifest, written)
    return written


def _add_to_manifest(folder: Path, manifest: dict[str, Any], files: list[Path]) -> None:
    for path in files:
        data = path.read_bytes()
        manifest["files"][path.name] = {"sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data)}
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True), encoding="utf-8")
