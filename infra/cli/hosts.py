"""`egov local hosts up|down|status` (the test hosts) and `egov hosts harden|verify|probe` (work on them)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from infra.config import FLOWS_FILE, PLATFORM_FILE, ConfigError, load_platform
from infra.engine import EngineError
from infra.local.paths import LocalPaths
from infra.local.process import LocalEnvError

local_hosts_app = typer.Typer(help="Test hosts: a network namespace with its own root and sshd per host.",
                              no_args_is_help=True)
hosts_app = typer.Typer(help="Harden the hosts with Ansible, verify them with testinfra, probe the bridge.",
                        no_args_is_help=True)
console = Console(stderr=True)
out = Console(soft_wrap=False, width=160) if not Console().is_terminal else Console()

_OUTCOME_STYLE = {"pass": "green", "fail": "bold red", "error": "bold red", "not enforced here": "yellow",
                  "ok": "green", "changed": "yellow", "failed": "bold red", "unreachable": "bold red",
                  "skipped": "dim", "dropped": "green", "passed": "green", "UNEXPECTED": "bold red"}


_SHORT = {"pass": "pass", "fail": "FAIL", "error": "ERROR", "not enforced here": "n/e"}


def register(app: typer.Typer, local_app: typer.Typer) -> None:
    """Add the hosts commands to the `egov` application (one call in infra/cli/main.py)."""
    local_app.add_typer(local_hosts_app, name="hosts")
    app.add_typer(hosts_app, name="hosts")


@contextmanager
def friendly_errors() -> Iterator[None]:
    try:
        yield
    except (ConfigError, LocalEnvError, EngineError, FileNotFoundError) as exc:
        console.print(f"[bold red]error:[/] {escape(str(exc))}")
        raise typer.Exit(1) from exc


def _paths() -> LocalPaths:
    return LocalPaths.default()


def _lab():  # type: ignore[no-untyped-def]
    from infra.hosts.lab import Lab

    return Lab(_paths().root, load_platform(PLATFORM_FILE))


_STACKS_OPTION = typer.Option(None, "--stack", help="A stack whose `hosts` output to build (repeatable; default: "
                              "the demo's core and bridge stacks).")


@local_hosts_app.command("up")
def hosts_up(
    stacks: list[str] = _STACKS_OPTION,
    sample: bool = typer.Option(False, "--sample", help="Sample hosts at fixed addresses instead of the stacks' "
                                "(a lab without deployed stacks)."),
    workloads: int = typer.Option(1, "--workloads", min=1, max=20, help="With --sample: workload hosts per zone."),
) -> None:
    """Start the test hosts at the addresses the stacks' instances have (replacing a running lab) and write
    .egov/hosts/inventory.yml from the stacks' `hosts` outputs."""
    from infra.demo import BRIDGE_STACK, CORE_STACK
    from infra.hosts.inventory import platform_hosts

    with friendly_errors(), console.status("bringing the test hosts up") as spinner:
        lab = _lab()
        if sample:
            if stacks:
                raise LocalEnvError("--sample and --stack exclude each other: take the hosts from one place")
            hosts = platform_hosts(lab.platform, workloads)
        else:
            from infra.hosts.stack_hosts import read_stack_hosts
            from infra.local.environment import LocalEnvironment

            spinner.update("reading the stacks' hosts outputs")
            hosts = read_stack_hosts(stacks or [CORE_STACK, BRIDGE_STACK], LocalEnvironment().env())
        lab.up(hosts, lambda msg: spinner.update(msg))
    _render_status(lab)
    console.print(f"inventory: {lab.inventory}")


@local_hosts_app.command("down")
def hosts_down() -> None:
    """Stop the test hosts and remove every namespace, link and mount the lab made."""
    with friendly_errors():
        _lab().down()
    console.print("test hosts removed")


@local_hosts_app.command("status")
def hosts_status() -> None:
    """Each host: zone, role, addresses, PID, and whether sshd answers."""
    with friendly_errors():
        lab = _lab()
        healthy = _render_status(lab)
    if not healthy:
        raise typer.Exit(1)


def _render_status(lab) -> bool:  # type: ignore[no-untyped-def]
    rows = lab.status()
    table = Table(title=f"test hosts (prefix {lab.prefix}, management {lab.mgmt})")
    for column in ("host", "zone", "role", "address", "management", "pid", "state"):
        table.add_column(column)
    for row in rows:
        state = "[green]up" if row.ssh else ("[yellow]no sshd" if row.running else "[red]stopped")
        table.add_row(row.name, row.zone, row.role, row.address, row.mgmt_address, str(row.pid), state)
    out.print(table)
    if not rows:
        console.print("no test hosts: `egov local hosts up`")
    return bool(rows) and all(row.ssh for row in rows)


def _admitted_tenants(bridge_stack: str | None, config_file: str | None = None):  # type: ignore[no-untyped-def]
    """The admitted tenants of the bridge stack (the one source of their flows), or none without a bridge."""
    from infra.demo import BRIDGE_STACK
    from infra.engine import PROJECT_DIR, Stack
    from infra.local.environment import LocalEnvironment
    from infra.onboarding.bridge_admission import admitted_tenants

    name = bridge_stack or BRIDGE_STACK
    if bridge_stack is None and not (PROJECT_DIR / f"Pulumi.{name}.yaml").exists():
        return ()
    if config_file is not None and not Path(config_file).is_file():
        raise FileNotFoundError(f"--bridge-config-file {config_file}: no such file (the bridge stack's config, "
                                f"e.g. Pulumi.{name}.yaml)")
    try:
        stack = Stack(name, env=LocalEnvironment().env(), config_file=Path(config_file) if config_file else None)
        return admitted_tenants(stack, load_platform(PLATFORM_FILE))
    except (EngineError, LocalEnvError):
        if bridge_stack is not None:
            raise
        # the demo's bridge is not deployed in this environment (or it was never started): no tenant is admitted
        # on it (fewer accepts, never more)
        return ()


_BRIDGE_CONFIG_OPTION = typer.Option(None, "--bridge-config-file", help="The bridge stack's config file, when it "
                                     "is not Pulumi.<stack>.yaml beside Pulumi.yaml (as `egov tenant apply` takes it).")


@hosts_app.command("harden")
def hosts_harden(
    check: bool = typer.Option(False, "--check", help="Show what would change; change nothing."),
    limit: str = typer.Option(None, "--limit", help="An Ansible host pattern (name, group, or glob)."),
    flows_file: str = typer.Option(str(FLOWS_FILE), "--flows-file", help="The flow allowlist to compile."),
    bridge_stack: str = typer.Option(None, "--bridge-stack", help="Add the admitted tenants' flows from this "
                                     "bridge stack's tenantFlows config (default: the demo's bridge stack, if it "
                                     "has been deployed on this machine)."),
    bridge_config_file: str = _BRIDGE_CONFIG_OPTION,
) -> None:
    """Run playbooks/site.yml on the hosts (ansible-runner), one line per task and host."""
    from infra.hosts.harden import TaskEvent, harden

    paths = _paths()

    def show(event: TaskEvent) -> None:
        style = _OUTCOME_STYLE.get(event.status, "")
        first = event.message.strip().splitlines()[0][:200] if event.message.strip() else ""
        message = f" {escape(first)}" if first else ""
        out.print(f"[{style}]{event.status:<11}[/] {escape(event.host):<14} {escape(event.task)}{message}",
                  highlight=False)

    with friendly_errors():
        tenants = _admitted_tenants(bridge_stack, bridge_config_file)
        result = harden(paths.root / "hosts", paths.root / "runs", check=check, limit=limit, on_event=show,
                        flows_file=Path(flows_file), tenants=tenants)
    table = Table(title=f"harden{' --check' if check else ''}: {result.status} (artifacts {result.run_dir})")
    for column in ("host", "ok", "changed", "failed", "unreachable", "skipped"):
        table.add_column(column)
    for name, s in sorted(result.summary.items()):
        table.add_row(name, str(s.ok), str(s.changed), str(s.failed), str(s.unreachable), str(s.skipped))
    out.print(table)
    if result.error:
        console.print(f"[bold red]error:[/] ansible-playbook stopped before any task:\n{escape(result.error)}")
    if not result.succeeded:
        raise typer.Exit(2)


@hosts_app.command("verify")
def hosts_verify(
    limit: str = typer.Option(None, "--limit", help="Comma-separated host names."),
) -> None:
    """Check every control on every host (tests/hosts over SSH); a per-host, per-control table."""
    from infra.hosts.verify import verify

    paths = _paths()
    with friendly_errors(), console.status("verifying the hosts"):
        results, run_dir = verify(paths.root / "hosts", paths.root / "runs", limit)
    hosts = sorted({r.host for r in results})
    controls = list(dict.fromkeys(r.control for r in results))
    by_key = {(r.host, r.control): r for r in results}
    table = Table(title=f"host controls (MLPS 2.0 level 3), report {run_dir}")
    table.add_column("control (clause)")
    for host in hosts:
        table.add_column(host)
    for control in controls:
        sample = next(r for r in results if r.control == control)
        cells = []
        for host in hosts:
            result = by_key.get((host, control))
            label = _SHORT.get(result.outcome, result.outcome) if result else "-"
            cells.append(f"[{_OUTCOME_STYLE.get(result.outcome, '')}]{label}[/]" if result else label)
        table.add_row(f"{sample.clause} {sample.title}", *cells)
    out.print(table)
    out.print("n/e = not enforced here: a machine-wide setting on a test host, checked on real hosts only")
    bad = [r for r in results if r.outcome in ("fail", "error")]
    for r in bad:
        console.print(f"[bold red]{r.outcome}[/] {escape(r.host)} {escape(r.clause)} {escape(r.title)}: "
                      f"{escape(r.detail)}")
    if bad or not results:
        raise typer.Exit(1)


@hosts_app.command("probe")
def hosts_probe(
    flows_file: str = typer.Option(str(FLOWS_FILE), "--flows-file", help="The flow allowlist the probes expect."),
    bridge_stack: str = typer.Option(None, "--bridge-stack", help="Expect the admitted tenants' flows of this bridge "
                                     "stack too, and no path between tenants' hosts (default: the demo's bridge "
                                     "stack, if it has been deployed on this machine)."),
    bridge_config_file: str = _BRIDGE_CONFIG_OPTION,
) -> None:
    """Send real packets: every declared flow, undeclared ports, Internet -> extranet, tenant -> tenant; evidence in
    .egov/evidence/."""
    from infra.hosts.probe import probe

    with friendly_errors(), console.status("sending probes"):
        tenants = _admitted_tenants(bridge_stack, bridge_config_file)
        report = probe(_lab(), _paths().root / "evidence", flows_file=Path(flows_file), tenants=tenants)
    table = Table(title=f"probes through the bridge gateway (evidence {report.evidence})")
    for column in ("kind", "flow", "from", "to", "packet", "expected", "observed", "NFLOG lines"):
        table.add_column(column)
    for p in report.probes:
        style = "green" if p.as_expected else "bold red"
        packet = f"{p.protocol}/{p.port}" if p.protocol != "icmp" else "icmp echo"
        table.add_row(p.kind, p.name, p.source, f"{p.destination} {p.address}", packet, p.expected,
                      f"[{style}]{p.observed}[/]", str(len(p.nflog)))
    out.print(table)
    counted = ", ".join(f"{name}: {n}" for name, n in sorted(report.counters.items()) if n)
    out.print(f"gateway counters during the run: {escape(counted) or 'none'}")
    if report.unexpected:
        for p in report.unexpected:
            console.print(f"[bold red]unexpected:[/] {p.name} {p.source} -> {p.destination}:{p.port} "
                          f"{p.observed} (expected {p.expected})")
        raise typer.Exit(1)
