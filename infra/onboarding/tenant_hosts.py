"""The ``hosts`` step of `egov tenant apply`: the hosts the tenant's stack declares, their baseline, and the
gateways' ruleset once the bridge's tenants change.

Without test hosts here (the normal case) the step only reads the stack's ``hosts`` output and says which
hosts the cloud runs for the department. When this environment's lab is up (``egov local hosts up``) and
onboarding runs as root, the step puts the department's hosts into the running lab (``Lab.add``: their own
segment behind the gateway) and applies the baseline to them (`site.yml` limited to them: by role, the
baseline); after admission, the gateways get the ruleset for the bridge's admitted tenants (`site.yml` limited
to the gateways).
Without root it says what to run. It never rebuilds the lab: `hosts up` replaces a running lab, which is the
operator's call, not onboarding's.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path

from infra.config import PLATFORM_FILE, load_platform
from infra.config.tenant_request import tenant_zone
from infra.engine import Stack
from infra.hosts.harden import HardenResult, HostsError, TaskEvent, harden
from infra.hosts.inventory import Host
from infra.hosts.lab import Lab, lab_host_names
from infra.onboarding.bridge_admission import admitted_tenants

Progress = Callable[[str], None]


def hosts_detail(stack: str, hosts: Sequence[Host], lab: Sequence[str] | None, *, core_stack: str,
                 bridge_stack: str, bridge_config_file: str | None = None) -> str:
    """One line for the step when it changes nothing: ``hosts`` the tenant's ``stack`` declares; ``lab`` the
    names of the hosts this environment's lab runs (None without a lab)."""
    if not hosts:
        return f"no hosts declared in stack {stack}: no baseline to apply"
    names = ",".join(host.name for host in hosts)
    listed = "; ".join(f"{host.name} ({host.role}, zone {host.zone}, {host.address}"
                       f"{', ' + host.instance_id if host.instance_id else ''})" for host in hosts)
    line = f"{len(hosts)} host(s) declared in stack {stack}: {listed}"
    if lab is None:
        return line + " (no test hosts are up here: nothing to harden)"
    config = f" --bridge-config-file {bridge_config_file}" if bridge_config_file else ""
    harden_line = (f"harden them with `egov hosts harden --limit {names}` and, once admitted, the gateway with "
                   f"`egov hosts harden --limit role_gateway --bridge-stack {bridge_stack}{config}`")
    if all(host.name in lab for host in hosts):
        return f"{line}; they are in the test hosts: {harden_line}"
    return (f"{line}; the test hosts that are up lack them: rebuild the lab with `egov local hosts up --stack "
            f"{core_stack} --stack {bridge_stack} --stack {stack}` (and the other tenants' stacks), then {harden_line}")


def can_harden_here(state_dir: Path) -> bool:
    """A lab is up in this environment and this process may change it (root)."""
    return os.geteuid() == 0 and lab_host_names(state_dir) is not None


def lab_lacks(state_dir: Path, hosts: Sequence[Host]) -> bool:
    """The lab here is up and some of ``hosts`` are not in it (the step runs again for them)."""
    names = lab_host_names(state_dir)
    return names is not None and any(host.name not in names for host in hosts)


def tenant_in_lab(state_dir: Path, tenant: str) -> bool:
    """Some host of the tenant (zone ``tenant-<id>``) is in the lab here."""
    zone = tenant_zone(tenant)
    return any(host.zone == zone for host in Lab(state_dir, load_platform(PLATFORM_FILE)).hosts())


def baseline_in_lab(state_dir: Path, stack: str, hosts: Sequence[Host], progress: Progress) -> str:
    """Put ``hosts`` into the running lab (those missing) and apply the baseline to all of them."""
    lab = Lab(state_dir, load_platform(PLATFORM_FILE))
    added = lab.add(list(hosts), progress)
    names = ",".join(host.name for host in hosts)
    progress(f"applying the baseline to {names}")
    result = harden(lab.dir, state_dir / "runs", limit=names, on_event=_events(progress))
    _raise_unless_succeeded(result, f"the baseline on {names}")
    joined = f"added {', '.join(h.name for h in added)} to the test hosts; " if added else ""
    return (f"{len(hosts)} host(s) of stack {stack}: {joined}baseline applied on {names} "
            f"({_counts(result)}; artifacts {result.run_dir})")


def gateways_for_admitted(state_dir: Path, bridge: Stack, progress: Progress) -> str:
    """The gateways' ruleset for the tenants the bridge admits now, read and applied under the lab's lock so
    that two onboarding runs never leave the older set of tenants on the gateways."""
    platform = load_platform(PLATFORM_FILE)
    lab = Lab(state_dir, platform)
    with lab.locked():
        tenants = admitted_tenants(bridge, platform)
        progress(f"applying the bridge ruleset ({len(tenants)} admitted tenant(s)) to the gateway hosts")
        # site.yml, not bridge.yml alone: the bridge role expects the baseline's forwarding setting (a gateway of
        # a lab built after the operator's last `hosts harden` has neither)
        result = harden(lab.dir, state_dir / "runs", limit="role_gateway", tenants=tenants, on_event=_events(progress))
    _raise_unless_succeeded(result, "the bridge ruleset on the gateways")
    return f"gateway hosts: ruleset for {len(tenants)} admitted tenant(s) ({_counts(result)})"


def _events(progress: Progress) -> Callable[[TaskEvent], None]:
    def show(event: TaskEvent) -> None:
        if event.status in ("changed", "failed", "unreachable"):
            detail = f": {event.message.strip().splitlines()[0][:200]}" if event.message.strip() else ""
            progress(f"{event.status} {event.host} {event.task}{detail}")

    return show


def _counts(result: HardenResult) -> str:
    total = {key: sum(getattr(s, key) for s in result.summary.values()) for key in ("ok", "changed", "failed")}
    return ", ".join(f"{value} {key}" for key, value in total.items())


def _raise_unless_succeeded(result: HardenResult, what: str) -> None:
    if result.succeeded:
        return
    failed = sorted(name for name, s in result.summary.items() if s.failed or s.unreachable)
    why = result.error or f"failed on {', '.join(failed) or 'some host'}"
    raise HostsError(f"{what}: {why}; the run's events are in {result.run_dir}; fix it and run "
                     "`egov tenant apply` again")
