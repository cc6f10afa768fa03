"""`egov vault plan|apply|status|offboard|render|seal-tenant|unseal-tenant`: parse, call ``infra.vault``,
render with rich. No logic here."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from infra.cli.vault_connection import vault_connection
from infra.vault.apply import (
    apply_plan,
    make_plan,
    offboard_desired,
    seal_tenant_namespace,
    unseal_sealed_tenants,
    unseal_tenant_namespace,
)
from infra.vault.errors import VaultOpsError
from infra.vault.live import Connection
from infra.vault.model import DesiredState, load_desired
from infra.vault.plan import Plan
from infra.vault.policies import DEFAULT_DESIRED, kept_rendered_dir, rendered_dir_for, stale_files, write_rendered

vault_app = typer.Typer(help="OpenBao as code: namespaces, keys, CAs, policies and AppRoles per tenant.",
                        no_args_is_help=True)

console = Console(stderr=True)
out = Console()

_options = {"insecure_http": False}


@vault_app.callback()
def _vault_options(insecure_http: bool = typer.Option(
        False, "--insecure-http",
        help="accept a plain http:// VAULT_ADDR (the token then crosses the network in clear): throw-away test "
             "servers only")) -> None:
    _options["insecure_http"] = insecure_http


def connect() -> Connection:
    """The OpenBao to use and its token (embedded, or VAULT_ADDR/VAULT_TOKEN): see infra/cli/vault_connection.py."""
    return vault_connection(insecure_http=_options["insecure_http"])


FILE_OPTION = typer.Option(DEFAULT_DESIRED, "--file", "-f", help="desired-state YAML", show_default=True)


@contextmanager
def _errors() -> Iterator[None]:
    """Known failures become one clear message and exit code 1, never a traceback."""
    try:
        yield
    except VaultOpsError as exc:
        console.print(f"[bold red]error:[/] {escape(str(exc))}")
        raise typer.Exit(1) from exc


def _show_seals(plan: Plan) -> None:
    if not plan.seal_states:
        return
    table = Table(title="tenant namespaces")
    for column in ("tenant", "namespace", "seal"):
        table.add_column(column)
    for seal in plan.seal_states:
        text = escape(seal.describe())
        table.add_row(escape(seal.tenant), escape(seal.namespace), f"[red]{text}" if seal.sealed else text)
    out.print(table)


def _show(plan: Plan) -> None:
    if plan.actions:
        table = Table(title=f"plan for {plan.address}")
        for column in ("#", "action", "resource", "changes"):
            table.add_column(column)
        for index, action in enumerate(plan.actions, 1):
            changes = "" if action.op == "create" else "\n".join(str(c) for c in action.changes)
            colour = "green" if action.op == "create" else "yellow"
            table.add_row(str(index), f"[{colour}]{action.op}", escape(str(action.resource)), escape(changes))
        out.print(table)
    elif plan.skipped:
        out.print(f"[yellow]no changes[/] outside the sealed namespaces ({escape(', '.join(plan.skipped))}), which "
                  f"were not checked: OpenBao at {escape(plan.address)} otherwise matches the desired state")
    else:
        out.print(f"[green]no changes[/]: OpenBao at {escape(plan.address)} matches the desired state")
    _show_seals(plan)
    for finding in plan.findings:
        colour = "red" if finding.severity == "error" else "yellow"
        console.print(f"[{colour}]{finding.severity}:[/] {escape(finding.subject)}: {escape(finding.message)}; "
                      f"{escape(finding.fix)}")


def _apply(conn: Connection, state: DesiredState, plan: Plan, file: Path, yes: bool) -> None:
    if plan.empty:
        return
    if not yes and not typer.confirm(f"apply these {len(plan.actions)} changes to {plan.address}?"):
        console.print("cancelled; nothing was changed")
        raise typer.Exit(1)
    with console.status("applying") as spinner:
        result = apply_plan(conn, state, plan, progress=spinner.update, rendered_dir=kept_rendered_dir(file))
    out.print(f"[green]applied {len(result.applied)} changes[/] to {escape(plan.address)}")


@vault_app.command("plan")
def plan_command(file: Path = FILE_OPTION) -> None:
    """Show what `apply` would change in OpenBao (reads only)."""
    with _errors():
        state = load_desired(file)
        plan = make_plan(connect(), state, kept_rendered_dir(file))
    _show(plan)


@vault_app.command("apply")
def apply_command(file: Path = FILE_OPTION,
                  yes: bool = typer.Option(False, "--yes", "-y", help="do not ask for confirmation"),
                  unseal_tenants: bool = typer.Option(
                      False, "--unseal-tenants",
                      help="first unseal sealed sealable tenant namespaces with the stored key shares "
                           "(otherwise they are reported and skipped)")) -> None:
    """Make OpenBao match the desired state: shows the plan, then changes exactly that."""
    with _errors():
        state = load_desired(file)
        conn = connect()
        if unseal_tenants:
            for message in unseal_sealed_tenants(conn, state):
                out.print(escape(message))
        plan = make_plan(conn, state, kept_rendered_dir(file))
        _show(plan)
        _apply(conn, state, plan, file, yes)


@vault_app.command("status")
def status_command(file: Path = FILE_OPTION) -> None:
    """Seal state of every tenant namespace, and whether OpenBao matches the desired state (reads only)."""
    with _errors():
        state = load_desired(file)
        plan = make_plan(connect(), state, kept_rendered_dir(file))
    _show_seals(plan)
    pending = f"{len(plan.actions)} pending changes (see `egov vault plan`)" if plan.actions else "no pending changes"
    out.print(escape(pending) + (f"; sealed, not checked: {escape(', '.join(plan.skipped))}" if plan.skipped else ""))


@vault_app.command("seal-tenant")
def seal_tenant_command(tenant: str = typer.Argument(..., help="tenant id"), file: Path = FILE_OPTION) -> None:
    """Seal one tenant's namespace (created `sealable: true`); the other tenants keep working."""
    with _errors():
        out.print(escape(seal_tenant_namespace(connect(), load_desired(file), tenant)))


@vault_app.command("unseal-tenant")
def unseal_tenant_command(tenant: str = typer.Argument(..., help="tenant id"), file: Path = FILE_OPTION) -> None:
    """Unseal one tenant's namespace with the key shares stored on this machine (embedded OpenBao)."""
    with _errors():
        out.print(escape(unseal_tenant_namespace(connect(), load_desired(file), tenant)))


@vault_app.command("offboard")
def offboard_command(tenant: str = typer.Argument(..., help="tenant id"), file: Path = FILE_OPTION,
                     yes: bool = typer.Option(False, "--yes", "-y", help="do not ask for confirmation")) -> None:
    """Offboard a tenant: decrypt/read-only from now on, keys kept; marks it in the desired-state file."""
    with _errors():
        text, state = offboard_desired(file, tenant)
        conn = connect()
        plan = make_plan(conn, state)
        _show(plan)
        if not yes and not plan.empty and not typer.confirm(
                f"offboard {tenant}: write {file} and apply {len(plan.actions)} changes to {plan.address}?"):
            console.print("cancelled; nothing was changed")
            raise typer.Exit(1)
        file.write_text(text, encoding="utf-8")
        rendered = kept_rendered_dir(file)
        if rendered is not None:
            write_rendered(state, rendered)
        _apply(conn, state, plan, file, yes=True)
    out.print(f"tenant {escape(tenant)} is offboarded (decrypt and read only; keys kept). Commit {escape(str(file))}"
              + (" and the rendered policies" if rendered is not None else "") + ".")


@vault_app.command("render")
def render_command(file: Path = FILE_OPTION,
                   check: bool = typer.Option(False, "--check", help="fail if the committed files are stale")) -> None:
    """Render the ACL policies from their templates into policies/vault/rendered/."""
    with _errors():
        state = load_desired(file)
    directory = rendered_dir_for(file)
    if check:
        stale = stale_files(state, directory)
        for name in stale:
            console.print(f"[red]stale:[/] {escape(str(directory / name))}")
        if stale:
            console.print("run `egov vault render` and commit the result")
            raise typer.Exit(1)
        out.print(f"rendered policies in {escape(str(directory))} are up to date")
        return
    changed = write_rendered(state, directory)
    out.print(f"{len(changed)} file(s) written in {escape(str(directory))}" if changed else "nothing to render")
