"""`egov scan` and `egov waiver lint`: parse options, run compliance.scan, render. Exit codes: 0 the gate
passed, 1 the gate failed, 2 the scan could not run (bad input, or a selected source unreachable)."""

from __future__ import annotations

import datetime as dt
import os
from collections import Counter, defaultdict
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from compliance.evidence import SOURCES
from compliance.options import FAIL_ON, FORMATS, SCANS_DIR, STANDARDS, WAIVERS_FILE
from infra.config import PLATFORM_FILE, ConfigError

if TYPE_CHECKING:
    from collections.abc import Callable

    from compliance.evidence.hosts import HostEvidence
    from compliance.scan import ScanOptions, ScanResult
    from infra.vault.live import Connection

# The scanner (boto3, hvac, pyOpenSSL, every check) is imported when a command runs, not at CLI start-up.

console = Console(stderr=True)
out = Console()
waiver_app = typer.Typer(help="Accepted risks (compliance/waivers.yaml).", no_args_is_help=True)

EXIT_PASSED, EXIT_FAILED, EXIT_CANNOT_RUN = 0, 1, 2


def _split(value: str, allowed: tuple[str, ...], option: str) -> list[str]:
    items = [part.strip() for part in value.split(",") if part.strip()]
    unknown = [item for item in items if item not in allowed]
    if unknown:
        console.print(f"[bold red]error:[/] {option}: unknown value(s) {', '.join(unknown)}; "
                      f"choose from {', '.join(allowed)}")
        raise typer.Exit(EXIT_CANNOT_RUN)
    return items


def scan(
    tenant: str = typer.Option(None, "--tenant", help="Judge one tenant: its resources plus the platform's."),
    level: int = typer.Option(3, "--level", help="MLPS level (the catalog holds level 3)."),
    standard: str = typer.Option("mlps,pipl,crypto,egov", "--standard", help="Comma list of mlps, pipl, crypto, egov."),
    source: str = typer.Option(None, "--source", help=f"Comma list of {', '.join(SOURCES)} "
                               "(default: every configured source)."),
    endpoint: str = typer.Option(None, "--endpoint", help="AWS-compatible endpoint URL (default: AWS_ENDPOINT_URL)."),
    region: str = typer.Option("", "--region", help="Scan these regions too (comma list), e.g. a department's."),
    output_format: str = typer.Option("table,json", "--format", help=f"Comma list of {', '.join(FORMATS)}."),
    out_dir: str = typer.Option(str(SCANS_DIR), "--out", help="Where the dated evidence folder goes."),
    fail_on: str = typer.Option("high", "--fail-on", help="Gate threshold: high, medium or any."),
    waivers: str = typer.Option(str(WAIVERS_FILE), "--waivers", help="The waiver file."),
    evidence: str = typer.Option(None, "--evidence", help="Re-judge a saved scan folder instead of collecting."),
    platform: str = typer.Option(str(PLATFORM_FILE), "--platform", help="Platform config giving the allowed regions."),
) -> None:
    """Scan the cloud (and other sources) against MLPS 2.0 level 3 and PIPL; the exit code is the gate."""
    from compliance.scan import ScanOptions

    formats = _split(output_format, FORMATS, "--format")
    if fail_on not in FAIL_ON:
        console.print(f"[bold red]error:[/] --fail-on: {fail_on!r} is not high, medium or any")
        raise typer.Exit(EXIT_CANNOT_RUN)
    sources = _split(source, SOURCES, "--source") if source else None
    options = ScanOptions(
        tenant=tenant, level=level, standards=_split(standard, STANDARDS, "--standard"),
        sources=sources, endpoint=endpoint,
        regions=[r.strip() for r in region.split(",") if r.strip()],
        fail_on=fail_on,  # type: ignore[arg-type]
        out_dir=Path(out_dir), waivers_file=Path(waivers), evidence_dir=Path(evidence) if evidence else None,
        platform_file=Path(platform), host_source=VerifiedHosts(),
        vault_token=_embedded_vault_token() if sources is None or "vault" in sources else None,
        pack_records=_policy_records(),
    )
    result, folder = collect_and_write(options, formats)
    if "table" in formats:
        render_table(result)
    console.print(f"evidence and reports: {escape(str(folder))}")
    if result.unreachable:
        for where, reason in sorted(result.unreachable.items()):
            console.print(f"[bold red]error:[/] {escape(where)} did not answer: {escape(reason)}")
        console.print("[bold]the scan could not reach every selected source[/] (exit 2): its controls are "
                      "errors in the report, never passes")
        raise typer.Exit(EXIT_CANNOT_RUN)
    raise typer.Exit(EXIT_PASSED if result.gate.passed else EXIT_FAILED)


def collect_and_write(options: ScanOptions, formats: list[str]) -> tuple[ScanResult, Path]:
    """Run the scan with a spinner and write its dated folder and reports; a scan that cannot run is exit 2."""
    from compliance.evidence.cloud import SourceUnreachable
    from compliance.reports import render
    from compliance.scan import ScanInputError, run_scan, write_folder

    try:
        with console.status("scanning") as spinner:
            result = run_scan(options, lambda message: spinner.update(escape(message)))
            folder = write_folder(result, render(result, formats))
            if {"html", "pdf"} & set(formats):
                from compliance.report import write_reports

                spinner.update("rendering the assessment report")
                write_reports(folder, formats)
    except (ConfigError, ScanInputError, SourceUnreachable, FileNotFoundError) as exc:
        console.print(f"[bold red]error:[/] {escape(str(exc))}")
        console.print("[bold]the scan could not run[/] (exit 2); no verdict was reached")
        raise typer.Exit(EXIT_CANNOT_RUN) from exc
    return result, folder


def render_table(result: ScanResult) -> None:
    from compliance.scoring import COMPLIANT, ERROR, NON_COMPLIANT, NOT_APPLICABLE, NOT_COLLECTED, NOT_JUDGED, PARTIAL

    columns = (COMPLIANT, PARTIAL, NON_COMPLIANT, NOT_APPLICABLE, NOT_JUDGED, ERROR, NOT_COLLECTED)
    table = Table(title="results per control family (items)")
    table.add_column("family")
    for column in columns:
        table.add_column(column, justify="right")
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    for item in result.items:
        counts[item.entry.family][item.result] += 1
    for family, counter in counts.items():
        table.add_row(family, *(str(counter[c]) if counter[c] else "" for c in columns))
    out.print(table)
    failing = [f for f in result.findings if f.status in ("fail", "error")]
    if failing:
        detail = Table(title=f"findings that fail or could not be judged ({len(failing)})")
        for column in ("check", "severity", "resource", "region", "ours", "detail"):
            detail.add_column(column)
        for f in failing[:200]:
            waived = any(f in hidden for hidden in result.waivers.hidden.values())
            detail.add_row(f.check_id, f.severity + (" (waived)" if waived else ""), escape(f.resource), f.region,
                           {True: "managed", False: "unmanaged", None: "-"}[f.managed], escape(f.detail))
        out.print(detail)
    conclusion = result.conclusion
    out.print(f"conclusion (estimate): [bold]{conclusion.level}[/] - {escape(conclusion.reason)}; "
              f"{conclusion.judged} of {conclusion.applicable} applicable items judged")
    out.print(f"[dim]{escape(conclusion.note)}[/]")
    for source, reason in sorted(result.not_collected.items()):
        out.print(f"[yellow]not collected[/] {source}: {escape(reason)}")
    if result.gate.passed:
        out.print("[bold green]gate passed[/]")
    else:
        out.print(f"[bold red]gate failed[/] ({len(result.gate.reasons)} reasons)")
        for reason in result.gate.reasons[:20]:
            out.print(f"  - {escape(reason)}")


def _policy_records() -> Path:
    from infra.local.paths import LocalPaths

    return LocalPaths.default().policy_records


class VerifiedHosts:
    """The scan's host evidence: `egov hosts verify`'s testinfra suite over SSH against the hosts of this
    environment's inventory (.egov/hosts; EGOV_HOME moves it). Hosts that refuse SSH are found first, so their
    controls carry the reason instead of a stack trace."""

    def __init__(self, root: Path | None = None) -> None:
        from infra.local.paths import LocalPaths

        self.root = root or LocalPaths.default().root
        self.hosts_dir = self.root / "hosts"
        self.inventory = self.hosts_dir / "inventory.yml"

    def missing(self) -> str:
        if self.inventory.exists():
            return ""
        return (f"no host inventory at {self.inventory}: bring the hosts up and harden them (`egov local hosts up`, "
                "then `egov hosts harden`), then scan again")

    def collect(self, progress: Callable[[str], None]) -> HostEvidence:
        import hashlib

        from compliance.evidence.cloud import SourceUnreachable
        from compliance.evidence.hosts import HostControlResult, HostEvidence
        from infra.hosts.connection import Connection
        from infra.hosts.harden import HostsError
        from infra.hosts.inventory import read_hosts
        from infra.hosts.verify import verify

        hosts = read_hosts(self.inventory)
        progress(f"hosts: reaching {len(hosts)} host(s) over SSH")
        unreachable = Connection.for_hosts_dir(self.hosts_dir).preflight(hosts)
        progress(f"hosts: running the host controls on {len(hosts)} host(s)")
        try:
            results, run_dir = verify(self.hosts_dir, self.root / "runs")
        except HostsError as exc:
            raise SourceUnreachable("hosts", str(self.inventory), str(exc)) from exc
        report = run_dir / "verify.xml"
        return HostEvidence(
            controls=[HostControlResult(r.host, r.control, r.clause, r.outcome, r.detail) for r in results],
            hosts=[h.name for h in hosts], unreachable=unreachable, report_path=str(report),
            report_sha256=hashlib.sha256(report.read_bytes()).hexdigest())


def _embedded_vault_token() -> str | None:
    """On the embedded OpenBao (after `eval "$(egov local env)"` VAULT_TOKEN is Pulumi's own, which reads
    nothing): a token of the scan's own, policy ``auditor`` only, minted from the local root connection
    (infra/cli/vault_connection.py) for this scan. Elsewhere, or with a token of the operator's own: None, and
    VAULT_TOKEN is used. A server that is down or sealed: None too, so the collector reports it (exit 2, the
    address named)."""
    if not os.environ.get("VAULT_ADDR"):
        return None
    from infra.cli.vault_connection import vault_connection
    from infra.local.process import LocalEnvError
    from infra.vault.errors import VaultOpsError

    try:
        connection = vault_connection()
    except (LocalEnvError, VaultOpsError):
        return None
    return scan_token(connection) if connection.source == "embedded" else None


def scan_token(root: Connection) -> str | None:
    """The scan's auditor token minted from ``root``; None when OpenBao cannot be asked (down, sealed): the
    collector then names the address. No ``auditor`` policy yet: exit 2 saying to run `egov vault apply`."""
    import hvac
    import requests

    from infra.vault.auditor import AuditorPolicyMissing, mint_auditor_token

    try:
        return mint_auditor_token(root)
    except AuditorPolicyMissing as exc:
        console.print(f"[bold red]error:[/] {escape(str(exc))}")
        console.print("[bold]the scan could not run[/] (exit 2); no verdict was reached")
        raise typer.Exit(EXIT_CANNOT_RUN) from exc
    except (requests.exceptions.RequestException, hvac.exceptions.VaultError):
        return None


@waiver_app.command("lint")
def waiver_lint(path: str = typer.Argument(str(WAIVERS_FILE), help="The waiver file.")) -> None:
    """Check the waiver file: schema, known checks and clauses, owner != approver, not expired."""
    from compliance.library import load_library
    from compliance.waivers import load_waivers

    try:
        library = load_library()
        waivers = load_waivers(Path(path), known_checks=set(library.checks), known_clauses=set(library.catalog.entries),
                               today=dt.date.today(), allow_expired=False)
    except ConfigError as exc:
        console.print(f"[bold red]error:[/] {escape(str(exc))}")
        raise typer.Exit(EXIT_FAILED) from exc
    out.print(f"{path}: {len(waivers.waivers)} waiver(s), all valid")


def register(app: typer.Typer) -> None:
    """Add `egov scan` and `egov waiver` to the main CLI."""
    app.command("scan")(scan)
    app.add_typer(waiver_app, name="waiver")
