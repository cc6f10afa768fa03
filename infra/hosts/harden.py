"""`egov hosts harden`: the playbooks through ansible-runner, after every check that can fail without a host.

Order matters for "nothing half-applied": the flow file is compiled and every targeted host is reached
with the environment's key before the first task runs; a failure on one host then stops the play on all
(``any_errors_fatal``).
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from infra.config import FLOWS_FILE, PLATFORM_FILE, load_flows, load_platform, render_nftables
from infra.config.tenant_flows import AdmittedTenant, parse_tenant_flows
from infra.hosts.connection import Connection
from infra.hosts.inventory import Host, read_hosts
from infra.local.process import LocalEnvError
from infra.repository import REPO_ROOT

PLAYBOOKS = REPO_ROOT / "playbooks"
NFLOG_GROUP = 7  # the gateway's drop log; `egov hosts probe` reads this group


class HostsError(LocalEnvError):
    """A hosts command cannot go ahead; nothing was changed on any host."""


@dataclass(frozen=True)
class TaskEvent:
    host: str
    task: str
    status: str  # ok, changed, failed, unreachable, skipped
    message: str = ""


@dataclass
class HostSummary:
    ok: int = 0
    changed: int = 0
    failed: int = 0
    unreachable: int = 0
    skipped: int = 0


@dataclass
class HardenResult:
    run_dir: Path
    status: str
    rc: int
    summary: dict[str, HostSummary] = field(default_factory=dict)
    error: str = ""

    @property
    def succeeded(self) -> bool:
        return self.rc == 0 and not any(s.failed or s.unreachable for s in self.summary.values())


def compile_ruleset(platform_file: Path = PLATFORM_FILE, flows_file: Path = FLOWS_FILE,
                    tenants: Sequence[AdmittedTenant] = ()) -> str:
    """The gateway ruleset from the flow allowlist and the admitted ``tenants``' flows (the bridge stack's
    ``tenantFlows``), by the compiler that also writes the security groups."""
    platform = load_platform(platform_file)
    allowlist = load_flows(flows_file, platform)
    tenants = parse_tenant_flows({tenant.tenant: tenant.to_json() for tenant in tenants}, platform)
    cidr = {name: str(network.cidr) for name, network in platform.networks().items()}
    return render_nftables(allowlist.by_id(), cidr, tenants=tenants, nflog_group=NFLOG_GROUP)


def select_hosts(inventory: Path, limit: str | None) -> list[Host]:
    """The inventory hosts a ``--limit`` pattern selects, resolved by Ansible itself."""
    hosts = read_hosts(inventory)
    if not limit:
        return hosts
    from ansible.inventory.manager import InventoryManager
    from ansible.parsing.dataloader import DataLoader

    names = {h.name for h in InventoryManager(loader=DataLoader(), sources=[str(inventory)]).list_hosts(limit)}
    return [h for h in hosts if h.name in names]


def harden(
    hosts_dir: Path,
    runs_dir: Path,
    *,
    check: bool = False,
    limit: str | None = None,
    playbook: str = "site.yml",
    flows_file: Path = FLOWS_FILE,
    platform_file: Path = PLATFORM_FILE,
    on_event: Callable[[TaskEvent], None] = lambda _e: None,
    forks: int = 10,
    tenants: Sequence[AdmittedTenant] = (),
) -> HardenResult:
    hosts_dir, runs_dir = hosts_dir.resolve(), runs_dir.resolve()  # ansible-runner works in the run directory
    inventory = hosts_dir / "inventory.yml"
    if not inventory.exists():
        raise HostsError(f"no inventory at {inventory}: bring the hosts up first (`egov local hosts up`)")
    ruleset = compile_ruleset(platform_file, flows_file, tenants)  # a bad flow file stops here, before any host
    targets = select_hosts(inventory, limit)
    if not targets:
        raise HostsError(f"--limit {limit!r} matches no host in {inventory}")
    connection = Connection.for_hosts_dir(hosts_dir)
    unreachable = connection.preflight(targets)
    if unreachable:
        lines = "; ".join(f"{name}: {reason}" for name, reason in sorted(unreachable.items()))
        raise HostsError(f"cannot reach {len(unreachable)} of {len(targets)} hosts, nothing was changed: {lines}")

    run_dir = _new_run_dir(runs_dir, "harden")
    ruleset_file = run_dir / "bridge.nft"
    ruleset_file.write_text(ruleset)
    import ansible_runner

    summary: dict[str, HostSummary] = {h.name: HostSummary() for h in targets}

    def handle(event: dict[str, Any]) -> bool:
        data = event.get("event_data", {})
        kind = event.get("event", "")
        status = {"runner_on_ok": "ok", "runner_on_failed": "failed", "runner_on_unreachable": "unreachable",
                  "runner_on_skipped": "skipped"}.get(kind)
        host = data.get("host")
        if status and host:
            result = data.get("res", {}) if isinstance(data.get("res"), dict) else {}
            if status == "ok" and result.get("changed"):
                status = "changed"
            if status == "failed" and data.get("ignore_errors"):
                status = "ok"
            message = str(result.get("msg", "")) if status in ("failed", "unreachable") else ""
            if status == "ok" and kind == "runner_on_ok" and data.get("task_action") == "ansible.builtin.debug":
                message = str(result.get("msg", ""))
            on_event(TaskEvent(host, str(data.get("task", "")), status, message))
        return True

    cmdline = "--check --diff" if check else None
    _ansible_on_path()
    runner = ansible_runner.run(
        private_data_dir=str(run_dir),
        playbook=str(PLAYBOOKS / playbook),
        inventory=str(inventory),
        limit=limit,
        cmdline=cmdline,
        forks=forks,
        extravars={"egov_bridge_ruleset_file": str(ruleset_file)},
        envvars={
            "ANSIBLE_SSH_ARGS": connection.ansible_ssh_args(),
            "ANSIBLE_PIPELINING": "True",
            "ANSIBLE_HOST_KEY_CHECKING": "True",
            "ANSIBLE_ROLES_PATH": str(PLAYBOOKS / "roles"),
            "ANSIBLE_RETRY_FILES_ENABLED": "False",
            "ANSIBLE_NOCOLOR": "True",
        },
        event_handler=handle,
        quiet=True,
    )
    for host, stats in _stats(runner.stats or {}).items():
        summary[host] = stats
    result = HardenResult(run_dir, str(runner.status), int(runner.rc), summary)
    if result.rc != 0 and not any(vars(s) != vars(HostSummary()) for s in summary.values()):
        # Ansible stopped before any task (a playbook or inventory error): its own message says why.
        output = runner.stdout.read() if runner.stdout else ""
        result.error = "\n".join(line for line in output.splitlines() if line.strip())[-1500:]
    return result


def _ansible_on_path() -> None:
    """ansible-runner finds ansible-playbook on PATH; `egov` may run from the venv without it being activated."""
    bindir = str(Path(sys.executable).parent)
    if bindir not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = bindir + os.pathsep + os.environ.get("PATH", "")


def _stats(stats: dict[str, dict[str, int]]) -> dict[str, HostSummary]:
    hosts = {h for counts in stats.values() if isinstance(counts, dict) for h in counts}
    return {
        host: HostSummary(
            ok=stats.get("ok", {}).get(host, 0),
            changed=stats.get("changed", {}).get(host, 0),
            failed=stats.get("failures", {}).get(host, 0),
            unreachable=stats.get("dark", {}).get(host, 0),
            skipped=stats.get("skipped", {}).get(host, 0),
        )
        for host in hosts
    }


def _new_run_dir(runs_dir: Path, kind: str) -> Path:
    stamp = time.strftime("%Y%m%dT%H%M%S")
    for attempt in range(1000):
        candidate = runs_dir / (f"{stamp}-{kind}" + (f"-{attempt}" if attempt else ""))
        try:
            candidate.mkdir(parents=True)
            return candidate
        except FileExistsError:
            continue
    raise HostsError(f"cannot make a run directory under {runs_dir}")
