"""`egov`: the one command-line entry point. It parses, calls the library and renders; nothing more."""

from __future__ import annotations

import os
import shlex
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from compliance.rules.pack import PolicyConfigError
from infra.cli.cert import cert_app
from infra.cli.hosts import register as register_hosts
from infra.cli.report import register as register_report
from infra.cli.scan import register as register_scan
from infra.cli.tenant import register as register_tenant
from infra.cli.vault import vault_app
from infra.config import ConfigError
from infra.engine import EngineDied, EngineError
from infra.local.backend import BACKEND_KINDS
from infra.local.environment import LocalEnvironment, diagnose
from infra.local.process import LocalEnvError
from infra.local.status import PartStatus
from infra.stack_locks import LockError, Verdict

app = typer.Typer(help="Provision the consolidated e-government cloud and prove it secure.",
                  no_args_is_help=True, add_completion=False)
local_app = typer.Typer(help="The embedded environment: moto (cloud), OpenBao (keys), Pulumi backend.",
                        no_args_is_help=True)
app.add_typer(local_app, name="local")
app.add_typer(vault_app, name="vault")
app.add_typer(cert_app, name="cert")
register_scan(app)
register_report(app)
register_tenant(app)
register_hosts(app, local_app)

console = Console(stderr=True)


out = Console()


@contextmanager
def friendly_errors(env: LocalEnvironment | None = None, *, rerun: str = "") -> Iterator[None]:
    """Known failures become one clear message (and what to do) and exit code 1, never a traceback.

    ``rerun`` is the command that resumes this one after the engine died under it.
    """
    try:
        yield
    except EngineDied as exc:
        for line in exc.last_output():
            console.print(f"  {escape(line)}", style="dim", highlight=False, soft_wrap=True)
        again = f"run `{rerun}` again" if rerun else "run the same command again"
        console.print(f"[bold red]error:[/] {escape(exc.what())}; its lock and pending operations stay behind: "
                      f"{escape(again)} (it removes a stale lock and resumes)", highlight=False, soft_wrap=True)
        raise typer.Exit(1) from exc
    except LockError as exc:
        console.print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False, soft_wrap=True)
        raise typer.Exit(1) from exc
    except (ConfigError, LocalEnvError, EngineError, FileNotFoundError, PolicyConfigError) as exc:
        console.print(f"[bold red]error:[/] {escape(str(exc))}")
        hint = diagnose(exc, env) if env is not None and isinstance(exc, EngineError) else ""
        if hint:
            console.print(f"[bold]what to do:[/] {escape(hint)}")
        raise typer.Exit(1) from exc


_STATE_LABELS = {
    (True, True): "[green]healthy",
    (True, False): "[yellow]unhealthy",
    (False, False): "[red]stopped",
    (False, True): "[green]healthy",
}


def render_status(parts: list[PartStatus]) -> None:
    table = Table(title="embedded environment")
    for column in ("part", "state", "address", "version", "detail"):
        table.add_column(column)
    for part in parts:
        state = _STATE_LABELS[(part.running, part.healthy)]
        table.add_row(part.name, state, escape(part.address), escape(part.version), escape(part.detail))
    out.print(table)
    for part in parts:
        for warning in part.warnings:
            console.print(f"[yellow]warning ({part.name}):[/] {warning}")


@local_app.command("up")
def local_up(
    vault_nodes: int = typer.Option(None, "--vault-nodes", min=1, max=5,
                                    help="OpenBao raft nodes: 1, 3 or 5 (default: as before; 1 on a fresh setup)."),
    renew_tls: bool = typer.Option(False, "--renew-tls",
                                   help="Make a new bootstrap CA and OpenBao server certificate (the CA key is not "
                                        "kept, so this is how the certificate is renewed)."),
    backend: str = typer.Option(
        None, "--backend", metavar="file|s3",
        help="Where Pulumi keeps its state: file (a directory in .egov, the default) or s3 (a versioned, "
             "KMS-encrypted bucket in the embedded cloud). Remembered; refused while the other backend holds stacks."),
) -> None:
    """Start moto and OpenBao (or bring them back); safe to run again."""
    if backend is not None and backend not in BACKEND_KINDS:
        raise typer.BadParameter(f"{backend!r} is not a backend; use one of: {', '.join(BACKEND_KINDS)}",
                                 param_hint="--backend")
    env = LocalEnvironment(vault_nodes=vault_nodes)
    with friendly_errors(), console.status("starting the embedded environment") as spinner:
        parts = env.up(lambda msg: spinner.update(msg), renew_tls=renew_tls,
                       backend=backend)
    render_status(parts)
    if not all(p.healthy for p in parts):
        raise typer.Exit(1)


@local_app.command("down")
def local_down() -> None:
    """Stop the processes we started; state stays in .egov/ for the next `up`."""
    with friendly_errors():
        LocalEnvironment().down()
    console.print("embedded environment stopped (state kept in .egov/)")


@local_app.command("status")
def local_status() -> None:
    """Show each part, its address, version and health."""
    with friendly_errors():
        parts = LocalEnvironment().status()
    render_status(parts)
    if not all(p.healthy for p in parts):
        raise typer.Exit(1)


@local_app.command("env")
def local_env() -> None:
    """Print shell exports for the embedded environment: eval "$(egov local env)"."""
    with friendly_errors():
        variables = LocalEnvironment().env()
    for key, value in sorted(variables.items()):
        out.print(f"export {key}={shlex.quote(value)}", highlight=False, soft_wrap=True)


@app.command("demo")
def demo() -> None:
    """Run the main job end to end on the embedded cloud and show the result."""
    from infra.demo import run_demo

    env = LocalEnvironment()
    with friendly_errors(env, rerun="egov demo"), console.status("demo") as spinner:
        result = run_demo(env, lambda msg: spinner.update(msg),
                          report=lambda line: console.print(escape(line), soft_wrap=True))
    render_rows("zones (stack demo-core, bridge: demo-bridge)", ("zone", "CIDR", "VPC", "what it holds"), result.zones)
    render_rows("allowed flows (policies/flows.yaml), each only through the bridge",
                ("flow", "from", "to", "protocol/ports", "purpose", "owner"), result.flows)
    core = result.core_outputs
    out.print(f"transit gateway {escape(str(core.get('transitGatewayId')))}; audit archive "
              f"{escape(str(core.get('archiveBucketName')))}; keys: {escape(', '.join(core.get('keyArns', {})))}")
    render_status(env.status())
    out.print(f"OpenBao: {result.vault_changes} change(s) applied from policies/vault/tenants.yaml"
              if result.vault_changes else "OpenBao: as policies/vault/tenants.yaml declares (no changes)")
    _demo_gate(env)


def _demo_gate(env: LocalEnvironment) -> None:
    """The demo's last step, as a security officer would take it: `egov scan` of the environment just built;
    its gate is the demo's exit code."""
    from compliance.scan import ScanOptions
    from infra.cli.scan import VerifiedHosts, collect_and_write, render_table, scan_token

    os.environ.update(env.env())  # the sources the scan finds configured, as after `eval "$(egov local env)"`
    options = ScanOptions(vault_token=scan_token(env.vault.root_connection()),  # the scan's own auditor token
                          pack_records=env.paths.policy_records, host_source=VerifiedHosts(env.paths.root))
    result, folder = collect_and_write(options, ["json"])
    render_table(result)
    out.print(f"evidence and reports: {escape(str(folder))}  (again at any time: egov scan)")
    raise typer.Exit(0 if result.gate.passed else 1)


def render_rows(title: str, columns: tuple[str, ...], rows: Sequence[tuple[str, ...]]) -> None:
    table = Table(title=title)
    for column in columns:
        table.add_column(column)
    for row in rows:
        table.add_row(*(escape(str(cell)) for cell in row))
    out.print(table)


@app.command("recover")
def recover_stack(
    stack: str = typer.Option(..., "--stack", "-s", help="The stack to bring back in line with the cloud."),
    config_file: str = typer.Option(None, "--config-file", help="The stack's config file, if not the default."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Only list what would be cleaned up."),
    break_lock: bool = typer.Option(
        False, "--break-lock",
        help="Also remove a lock of another host (or an unreadable one), once its holder is known to be gone. "
             "A lock of a process still running on this host is never broken."),
    yes: bool = typer.Option(False, "--yes", "-y", help="Break the lock without asking."),
) -> None:
    """After an interrupted or failed run: remove the stack's stale lock, clear pending creates and delete
    resources the cloud made but Pulumi never recorded, so the next `pulumi up` creates each missing resource
    exactly once."""
    from pathlib import Path

    from infra.engine import Stack
    from infra.recovery import recover, stack_lock_findings
    from infra.stack_locks import refusal

    env = LocalEnvironment()
    target = Stack(stack, env=env.env(), config_file=Path(config_file) if config_file else None)
    with friendly_errors(env, rerun=f"egov recover --stack {stack}"):
        if break_lock and not dry_run:
            findings = stack_lock_findings(target)
            reason = refusal(stack, findings, break_lock=True)
            if reason:
                raise LockError(reason)
            to_break = [f for f in findings if f.verdict is not Verdict.STALE]
            if to_break and not yes:
                for finding in to_break:
                    console.print(f"stack {escape(stack)}: {escape(finding.describe())}", soft_wrap=True,
                                  highlight=False)
                if not sys.stdin.isatty():
                    raise LockError(f"breaking the lock of stack {stack} needs confirmation: run the command in a "
                                    "terminal, or add --yes once the holder is known to be gone")
                typer.confirm(f"Break {len(to_break)} lock(s) of stack {stack}? Only if its holder is gone",
                              abort=True, err=True)
        with console.status("recovering") as spinner:
            result = recover(target, dry_run=dry_run, break_lock=break_lock,
                             progress=lambda msg: spinner.update(msg))
    for line in result.lines(dry_run=dry_run):
        out.print(escape(line), soft_wrap=True)
    if not result.lines():
        out.print(f"stack {escape(stack)}: not locked, and nothing left behind: the cloud matches its state")


if __name__ == "__main__":
    app()
