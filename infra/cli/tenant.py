"""`egov tenant plan | apply | list | show | destroy`: a department's request in, its validated plan out
(printed, and as JSON for the pipeline); its onboarding (``infra.onboarding``), state and offboarding.

Parses, calls ``infra.config.tenant_request`` and ``infra.tenants``, renders. The ledger is used with a token
holding only the ``tenant-ledger`` policy: ``EGOV_LEDGER_TOKEN`` (pipelines: from their OpenBao login), or,
when it is not set, one minted for this run with the OpenBao connection of `egov vault` (or that connection's
own token, if it may use the ledger). The ledger's mount and policy are declared in Vault as code
(`egov vault apply` creates them); only when they are missing does a token that may create them (the embedded
OpenBao's root token on a developer machine) set them up here, as declared.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.console import Console
from rich.markup import escape

from infra.config import PLATFORM_FILE, ConfigError

if TYPE_CHECKING:
    import hvac

    from infra.onboarding.apply import Outcome
    from infra.onboarding.record import Records
    from infra.onboarding.settings import Settings
    from infra.onboarding.steps import StepEvent

LEDGER_TOKEN_VARIABLE = "EGOV_LEDGER_TOKEN"

tenant_app = typer.Typer(help="Department onboarding: plan, apply, list, show and destroy (offboard) tenants "
                         "from their requests (tenants/<id>.yaml).",
                         no_args_is_help=True)
console = Console(stderr=True)
out = Console()


def register(app: typer.Typer) -> None:
    """Add `egov tenant` to the main CLI."""
    app.add_typer(tenant_app, name="tenant")


def _ledger_client() -> hvac.Client:
    """A client for the ledger (see the module docstring): with a token that holds only the ledger policy
    when one can be minted, else with the caller's own token if that may use the ledger."""
    import hvac
    import hvac.exceptions

    from infra.cli.vault_connection import vault_connection
    from infra.tenants.ledger import LEDGER_MOUNT, LEDGER_POLICY, LedgerError, ensure_ledger, ledger_ready, ledger_token

    ledger = os.environ.get(LEDGER_TOKEN_VARIABLE, "")
    if ledger:
        env = {**os.environ, "VAULT_TOKEN": ledger}
        conn = vault_connection(env)
        return hvac.Client(url=conn.address, token=ledger, verify=conn.verify)
    admin = vault_connection().client()

    def narrow() -> hvac.Client:
        try:
            token = ledger_token(admin)
        except hvac.exceptions.Forbidden:
            return admin  # may not mint: its own token is used if it holds the ledger policy
        return hvac.Client(url=admin.url, token=token, verify=admin.session.verify)

    client = narrow()
    if ledger_ready(client):
        return client
    # Not set up (Vault as code declares it: `egov vault apply`). A token that may enable mounts and write
    # policies (the embedded root) sets it up here, exactly as declared; any other is told what to run.
    try:
        ensure_ledger(admin)
    except hvac.exceptions.Forbidden as exc:
        raise LedgerError(
            f"{LEDGER_TOKEN_VARIABLE} is not set and the OpenBao token may neither use the CIDR ledger at {admin.url} "
            "nor set it up (enable its mount, write its policy, create its token): the platform team creates the "
            f"ledger with `egov vault apply` (Vault as code declares its mount {LEDGER_MOUNT}/ and the "
            f"'{LEDGER_POLICY}' policy); then export {LEDGER_TOKEN_VARIABLE} with a token holding that policy "
            "(pipelines: from their OpenBao login), or use such a token as VAULT_TOKEN") from exc
    return narrow()


REQUEST_ARGUMENT = typer.Argument(..., help="The department's request, tenants/<id>.yaml.")
PLATFORM_OPTION = typer.Option(PLATFORM_FILE, "--platform", help="The platform file (tenant pool, zones).")
CORE_OPTION = typer.Option("demo-core", "--core-stack", help="The core stack (transit gateway).")
BRIDGE_OPTION = typer.Option("demo-bridge", "--bridge-stack", help="The bridge stack (its attachment, tenant flows).")
BRIDGE_CONFIG_OPTION = typer.Option(None, "--bridge-config-file", help="The bridge stack's config file, if not "
                                    "Pulumi.<stack>.yaml beside Pulumi.yaml.")
ACCOUNT_OPTION = typer.Option(None, "--account-id", help="The account trusted to assume the department role "
                              "(default: the caller's, from STS).")
PIPELINE_OPTION = typer.Option(None, "--pipeline-cidr", help="Where the tenant's pipeline logs in from (AppRole "
                               "bound CIDR; repeat). Default: 127.0.0.1/32 on the embedded OpenBao, else the "
                               "management zone.")
PREVIEW_OPTION = typer.Option(True, "--preview/--no-preview", help="Preview the tenant stack with the "
                              "policy pack (needs the deployed platform: its core and bridge stacks).")
OUT_OPTION = typer.Option(None, "--out", "-o",
                          help="Where to write the plan as JSON (default: .egov/tenant-plans/<id>.json).")


@tenant_app.command("plan")
def plan(request_file: Path = REQUEST_ARGUMENT, platform_file: Path = PLATFORM_OPTION,
         output: Path | None = OUT_OPTION, preview: bool = PREVIEW_OPTION, core_stack: str = CORE_OPTION,
         bridge_stack: str = BRIDGE_OPTION, bridge_config_file: Path | None = BRIDGE_CONFIG_OPTION,
         account_id: str | None = ACCOUNT_OPTION) -> None:
    """Validate a request, allocate its network block, print the plan and write it as JSON, then preview the
    tenant stack with the policy pack (nothing is created in the cloud).

    Safe to run again: the same request finds the block it was given.
    """
    import hvac.exceptions

    from infra.config import load_platform
    from infra.config.tenant_request import load_request
    from infra.local.paths import LocalPaths
    from infra.tenants.ledger import Ledger, LedgerError
    from infra.tenants.plan import make_plan, render_lines
    from infra.vault.errors import VaultOpsError

    try:
        platform = load_platform(platform_file)
        request = load_request(request_file, platform)
        if platform.tenant_pool is None:
            raise LedgerError(f"{platform_file} declares no tenant_pool: the platform team must add the block "
                              "department networks are allocated from (tenant_pool: 10.100.0.0/16)")
        allocation = Ledger(_ledger_client(), platform.tenant_pool).allocate(request)
        tenant_plan = make_plan(request, allocation, platform)
        target = output or LocalPaths.default().root / "tenant-plans" / f"{request.id}.json"
        _write_json(target, tenant_plan.to_json())
    except ConfigError as exc:
        console.print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False, soft_wrap=True)
        console.print("nothing was allocated or provisioned", highlight=False)
        raise typer.Exit(1) from exc
    except (LedgerError, VaultOpsError, hvac.exceptions.VaultError, OSError) as exc:
        console.print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False, soft_wrap=True)
        raise typer.Exit(1) from exc
    for line in render_lines(tenant_plan):
        out.print(escape(line), highlight=False, soft_wrap=True)
    out.print(f"plan written to {escape(str(target))}", highlight=False, soft_wrap=True)
    if preview:
        _preview(request.id, target, platform_file, core_stack, bridge_stack, bridge_config_file, account_id)


def _preview(tenant: str, plan_file: Path, platform_file: Path, core_stack: str, bridge_stack: str,
             bridge_config_file: Path | None, account_id: str | None) -> None:
    """The tenant stack previewed with the policy pack; a refusal exits 1 (the block stays reserved)."""
    from infra.engine import EngineError
    from infra.local.paths import LocalPaths
    from infra.onboarding.plan_preview import PreviewError, preview_plan

    try:
        settings = _settings(platform_file, core_stack, bridge_stack, bridge_config_file, account_id)
        with console.status(f"previewing the tenant stack of {tenant} with the policy pack"):
            verdict = preview_plan(settings, tenant, plan_file, LocalPaths.default().policy_records)
    except (PreviewError, EngineError, ConfigError, OSError, RuntimeError, ValueError) as exc:
        console.print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False, soft_wrap=True)
        console.print("nothing was provisioned; the network block stays reserved for this request",
                      highlight=False, soft_wrap=True)
        raise typer.Exit(1) from exc
    for line in verdict.lines():
        out.print(escape(line), highlight=False, soft_wrap=True)


def _write_json(target: Path, document: dict[str, object]) -> None:
    """Written whole or not at all (a reader never sees half a plan)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.partial")
    partial.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    partial.replace(target)


# ------------------------------------------------------------------------------------ apply, list, show, destroy

FORMAT_OPTION = typer.Option("json,html,pdf", "--format", help="Onboarding report formats: json, html, pdf.")
REPORT_DIR_OPTION = typer.Option(None, "--report-dir", help="Also copy the onboarding report and its evidence to "
                                 "REPORT_DIR/<tenant>/ (a pipeline's artifact), admitted or not.")


def _settings(platform_file: Path, core_stack: str = "demo-core", bridge_stack: str = "demo-bridge",
              bridge_config_file: Path | None = None, account_id: str | None = None,
              pipeline_cidrs: list[str] | None = None, formats: str = "json,html,pdf") -> Settings:
    """Where onboarding runs: the shell's environment (after `eval "$(egov local env)"`), completed by the
    embedded environment's when it is there; the platform's OpenBao connection of `egov vault`."""
    from infra.cli.vault_connection import vault_connection
    from infra.config import load_platform
    from infra.local.environment import LocalEnvironment
    from infra.local.paths import LocalPaths
    from infra.local.process import LocalEnvError
    from infra.onboarding.settings import REPORT_FORMATS, Settings

    local = LocalEnvironment()
    try:
        embedded = local.env()
    except (LocalEnvError, OSError):
        embedded = {}
    env = {**embedded, **os.environ}
    os.environ.update(env)  # the scan finds its sources configured here, as after `eval "$(egov local env)"`
    conn = vault_connection(env)
    if not pipeline_cidrs:
        pipeline_cidrs = (["127.0.0.1/32"] if conn.source == "embedded"
                          else [str(load_platform(platform_file).zones["management"].cidr)])
    wanted = tuple(fmt.strip() for fmt in formats.split(",") if fmt.strip())
    unknown = [fmt for fmt in wanted if fmt not in REPORT_FORMATS]
    if unknown or "json" not in wanted:
        raise typer.BadParameter(f"--format: {', '.join(unknown) or 'json is required'}; choose from "
                                 f"{', '.join(REPORT_FORMATS)} (json always)")
    return Settings(env=env, vault=conn, secrets_provider=local.secrets_provider, state_dir=LocalPaths.default().root,
                    core_stack=core_stack, bridge_stack=bridge_stack, bridge_config_file=bridge_config_file,
                    account_id=account_id or _caller_account(env), pipeline_cidrs=tuple(pipeline_cidrs),
                    platform_file=platform_file, report_formats=wanted)


def _caller_account(env: dict[str, str]) -> str:
    import boto3

    sts = boto3.client("sts", endpoint_url=env.get("AWS_ENDPOINT_URL"), region_name=env.get("AWS_DEFAULT_REGION"))
    return str(sts.get_caller_identity()["Account"])


def _records(settings: Settings, *, ensure: bool = True) -> Records:
    """The onboarding records, beside the ledger (``ensure``: create the mount first when it is missing)."""
    from infra.onboarding.record import Records
    from infra.tenants.ledger import LEDGER_MOUNT, ensure_ledger

    admin = settings.vault.client()
    if ensure and f"{LEDGER_MOUNT}/" not in (admin.sys.list_mounted_secrets_engines().get("data") or {}):
        ensure_ledger(admin)
    return Records(admin)


_MARKS = {"running": "[cyan]…[/]", "done": "[green]✓[/]", "skipped": "[dim]✓[/]", "failed": "[bold red]✗[/]"}


def _print_step(event: StepEvent) -> None:
    if event.status == "running":
        console.print(f"{_MARKS['running']} {event.step}", highlight=False)
        return
    took = f" ({event.seconds:.1f} s)" if event.seconds else ""
    console.print(f"{_MARKS[event.status]} {event.step}{took}: {escape(event.detail)}", highlight=False,
                  soft_wrap=True)


@tenant_app.command("apply")
def apply(request_file: Path = REQUEST_ARGUMENT, platform_file: Path = PLATFORM_OPTION,
          core_stack: str = CORE_OPTION, bridge_stack: str = BRIDGE_OPTION,
          bridge_config_file: Path | None = BRIDGE_CONFIG_OPTION, account_id: str | None = ACCOUNT_OPTION,
          pipeline_cidr: list[str] | None = PIPELINE_OPTION, formats: str = FORMAT_OPTION,
          report_dir: Path | None = REPORT_DIR_OPTION) -> None:
    """Onboard a department: validate, allocate, tenant stack, OpenBao, hosts, flows, the scan as the gate,
    the onboarding report, admission. Safe to run again: it resumes from the step that stopped it."""
    import hvac.exceptions

    from infra.onboarding.apply import NotAdmitted, onboard
    from infra.onboarding.steps import StepFailed
    from infra.tenants.ledger import Ledger, LedgerError

    try:
        settings = _settings(platform_file, core_stack, bridge_stack, bridge_config_file, account_id, pipeline_cidr,
                             formats)
        from infra.config import load_platform

        pool = load_platform(platform_file).tenant_pool
        ledger = Ledger(_ledger_client(), pool) if pool is not None else None  # sets the ledger mount up if needed
        records = _records(settings, ensure=False)
    except (ConfigError, LedgerError, OSError, RuntimeError, KeyError, hvac.exceptions.VaultError) as exc:
        console.print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False, soft_wrap=True)
        console.print("nothing was allocated or provisioned", highlight=False)
        raise typer.Exit(1) from exc
    if ledger is None:
        console.print(f"[bold red]error:[/] {escape(str(platform_file))} declares no tenant_pool; nothing was "
                      "allocated or provisioned", highlight=False, soft_wrap=True)
        raise typer.Exit(1)
    try:
        with console.status("onboarding") as spinner:
            outcome = onboard(request_file, settings, ledger, records, _print_step,
                              lambda message: spinner.update(escape(str(message))))
    except StepFailed as exc:
        console.print(f"[bold red]error:[/] step '{exc.step}' failed: {escape(_why(exc.error))}", highlight=False,
                      soft_wrap=True)
        if exc.step in ("validate", "allocate"):
            console.print("nothing was allocated or provisioned", highlight=False)
        else:
            console.print(f"fix the cause and run `egov tenant apply {escape(str(request_file))}` again: it resumes "
                          f"at step '{exc.step}'", highlight=False, soft_wrap=True)
        raise typer.Exit(1) from exc
    except NotAdmitted as exc:
        console.print(f"[bold red]not admitted:[/] {escape(str(exc))}", highlight=False, soft_wrap=True)
        _copy_report(exc.outcome, report_dir)
        raise typer.Exit(1) from exc
    shown = _copy_report(outcome, report_dir) or outcome.report_dir
    out.print(f"tenant {escape(outcome.tenant)}: [bold green]{escape(outcome.state)}[/] ({escape(outcome.cidr)}); "
              f"onboarding report in {escape(str(shown))}", highlight=False, soft_wrap=True)


def _copy_report(outcome: Outcome, report_dir: Path | None) -> Path | None:
    """The onboarding report's folder (reports, evidence, manifest) copied to ``report_dir/<tenant>/``."""
    if report_dir is None or outcome.report_dir is None:
        return None
    target = report_dir / outcome.tenant
    shutil.copytree(outcome.report_dir, target, dirs_exist_ok=True)
    console.print(f"onboarding report copied to {escape(str(target))}", highlight=False, soft_wrap=True)
    return target


def _why(error: BaseException) -> str:
    from infra.engine import EngineDied

    if isinstance(error, EngineDied):
        return error.what() + "; its lock and pending operations stay behind for the re-run to clear"
    return str(error)


@tenant_app.command("list")
def list_tenants(platform_file: Path = PLATFORM_OPTION,
                 as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table.")) -> None:
    """Every department: state (planned, provisioning, admitted, not admitted, offboarded), CIDR, last scan."""
    from rich.table import Table

    from infra.config import load_platform
    from infra.onboarding.record import PLANNED
    from infra.tenants.ledger import Ledger

    try:
        settings = _settings(platform_file)
        records = _records(settings)
        rows: dict[str, dict[str, object]] = {}
        pool = load_platform(platform_file).tenant_pool
        if pool is not None:
            for tenant, allocation in Ledger(settings.vault.client(), pool).allocations().items():
                rows[tenant] = {"tenant": tenant, "state": PLANNED, "cidr": str(allocation.cidr), "last_scan": None,
                                "conclusion": None, "gate": None}
        for tenant in records.tenants():
            record = records.get(tenant) or {}
            scan = record.get("last_scan") or {}
            rows[tenant] = {"tenant": tenant, "state": record.get("state"), "cidr": record.get("cidr"),
                            "last_scan": scan.get("at"), "conclusion": scan.get("conclusion"),
                            "gate": None if not scan else ("passed" if scan.get("passed") else "failed")}
    except Exception as exc:  # one line, never a traceback
        console.print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False, soft_wrap=True)
        raise typer.Exit(1) from exc
    if as_json:
        out.print_json(json.dumps(sorted(rows.values(), key=lambda row: str(row["tenant"]))))
        return
    table = Table(title="tenants")
    for column in ("tenant", "state", "CIDR", "last scan", "gate", "conclusion"):
        table.add_column(column)
    for tenant in sorted(rows):
        row = rows[tenant]
        table.add_row(*(escape(str(row[key] or "-")) for key in ("tenant", "state", "cidr", "last_scan", "gate",
                                                                  "conclusion")))
    out.print(table)


@tenant_app.command("show")
def show(tenant: str = typer.Argument(..., help="The department id."), platform_file: Path = PLATFORM_OPTION) -> None:
    """One department's onboarding record: state, steps, last scan, report, what remains after offboarding."""
    try:
        record = _records(_settings(platform_file)).get(tenant)
    except Exception as exc:
        console.print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False, soft_wrap=True)
        raise typer.Exit(1) from exc
    if record is None:
        console.print(f"[bold red]error:[/] no onboarding record for tenant {escape(tenant)!r}", highlight=False)
        raise typer.Exit(1)
    shown = {key: value for key, value in record.items() if key not in ("plan", "vault_entry")}
    out.print_json(json.dumps(shown, ensure_ascii=False))


@tenant_app.command("destroy")
def destroy(tenant: str = typer.Argument(..., help="The department id."), platform_file: Path = PLATFORM_OPTION,
            core_stack: str = CORE_OPTION, bridge_stack: str = BRIDGE_OPTION,
            bridge_config_file: Path | None = BRIDGE_CONFIG_OPTION,
            yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask for confirmation.")) -> None:
    """Offboard a department: network and compute removed; archive bucket and keys kept (decrypt only) for its
    retention period; AppRole revoked. Prints what remains and until when."""
    from infra.onboarding.offboard import NotOnboarded, offboard
    from infra.onboarding.steps import StepFailed

    if not yes and not typer.confirm(f"offboard tenant {tenant}: remove its network and compute, revoke its "
                                     "AppRole?"):
        console.print("cancelled; nothing was changed")
        raise typer.Exit(1)
    try:
        settings = _settings(platform_file, core_stack, bridge_stack, bridge_config_file, account_id="-")
        with console.status("offboarding") as spinner:
            remains = offboard(tenant, settings, _records(settings), _print_step,
                               lambda message: spinner.update(escape(str(message))))
    except StepFailed as exc:
        console.print(f"[bold red]error:[/] step '{exc.step}' failed: {escape(_why(exc.error))}", highlight=False,
                      soft_wrap=True)
        console.print(f"fix the cause and run `egov tenant destroy {escape(tenant)}` again", highlight=False)
        raise typer.Exit(1) from exc
    except NotOnboarded as exc:
        console.print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False, soft_wrap=True)
        raise typer.Exit(1) from exc
    out.print(f"tenant {escape(tenant)} is offboarded. What remains, until {escape(remains.until)}:",
              highlight=False)
    for item in remains.items:
        out.print(f"  - {escape(item)}", highlight=False, soft_wrap=True)
