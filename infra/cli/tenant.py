"""`egov tenant plan`: a department's request in, its validated plan out (printed, and as JSON for the pipeline).

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
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.console import Console
from rich.markup import escape

from infra.config import PLATFORM_FILE, ConfigError

if TYPE_CHECKING:
    import hvac

LEDGER_TOKEN_VARIABLE = "EGOV_LEDGER_TOKEN"

tenant_app = typer.Typer(help="Department onboarding: plan a tenant from its request (tenants/<id>.yaml).",
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
OUT_OPTION = typer.Option(None, "--out", "-o",
                          help="Where to write the plan as JSON (default: .egov/tenant-plans/<id>.json).")


@tenant_app.command("plan")
def plan(request_file: Path = REQUEST_ARGUMENT, platform_file: Path = PLATFORM_OPTION,
         output: Path | None = OUT_OPTION) -> None:
    """Validate a request, allocate its network block, print the plan and write it as JSON.

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


def _write_json(target: Path, document: dict[str, object]) -> None:
    """Written whole or not at all (a reader never sees half a plan)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.partial")
    partial.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    partial.replace(target)
