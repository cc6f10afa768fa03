"""`egov report SCAN_DIR` (render an earlier scan's assessment report again) and `egov evidence CLAUSE`
(print one clause's evidence bundle). Both verify the scan folder against its manifest first. Exit codes:
0 done, 2 bad input (not a scan folder, tampered file, unknown clause or format)."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape

from compliance.options import SCANS_DIR

console = Console(stderr=True)
EXIT_BAD_INPUT = 2


def _fail(message: str) -> typer.Exit:
    console.print(f"[bold red]error:[/] {escape(message)}")
    return typer.Exit(EXIT_BAD_INPUT)


def report(
    scan_dir: str = typer.Argument(..., help="A folder written by `egov scan` (.egov/scans/<time>)."),
    compare: str = typer.Option(None, "--compare", help="An earlier scan folder: add what is new, fixed, unchanged."),
    output_format: str = typer.Option("html,pdf", "--format", help="Comma list of html, pdf."),
) -> None:
    """Render the bilingual assessment report (HTML, PDF) of a saved scan into its folder."""
    from compliance.report import REPORT_FORMATS, ScanFolderError, write_reports
    from compliance.report.pdf import BrowserMissing

    formats = [part.strip() for part in output_format.split(",") if part.strip()]
    unknown = [f for f in formats if f not in REPORT_FORMATS]
    if unknown or not formats:
        raise _fail(f"--format: unknown value(s) {', '.join(unknown) or '(none)'}; choose from html, pdf")
    try:
        written = write_reports(Path(scan_dir), formats, Path(compare) if compare else None)
    except (ScanFolderError, BrowserMissing) as exc:
        raise _fail(str(exc)) from exc
    for path in written:
        typer.echo(str(path))


def evidence(
    clause: str = typer.Argument(..., help="A catalog item id, e.g. CMP-29."),
    scan: str = typer.Option(None, "--scan", help=f"The scan folder (default: the latest under {SCANS_DIR})."),
    as_json: bool = typer.Option(False, "--json", help="Print the bundle as JSON."),
) -> None:
    """Print the evidence bundle of one clause: every layer's findings, timestamps and digests."""
    from compliance.report.bundle import ScanFolderError, bundle, latest_scan, load_scan, render_text

    try:
        folder = Path(scan) if scan else latest_scan()
        data = bundle(load_scan(folder), clause)
    except ScanFolderError as exc:
        raise _fail(str(exc)) from exc
    typer.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str) if as_json else render_text(data))


def register(app: typer.Typer) -> None:
    app.command("report")(report)
    app.command("evidence")(evidence)
