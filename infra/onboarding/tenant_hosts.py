"""The ``hosts`` step of `egov tenant apply`: the hosts the tenant's stack declares, and what to run for them.

Read only, and fast without a lab (the normal case): the stack's ``hosts`` output says which hosts the cloud
runs for the department; only when this environment's test hosts are up (``egov local hosts up``) does the
step add the commands that bring the tenant's host into the lab and harden it and the gateway. It does not
rebuild the lab itself: `hosts up` replaces a running lab, which is the operator's call, not onboarding's.
"""

from __future__ import annotations

from collections.abc import Sequence

from infra.hosts.inventory import Host


def hosts_detail(stack: str, hosts: Sequence[Host], lab: Sequence[str] | None, *, core_stack: str,
                 bridge_stack: str, bridge_config_file: str | None = None) -> str:
    """One line for the step: ``hosts`` the tenant's ``stack`` declares; ``lab`` the names of the hosts this
    environment's lab runs (None without a lab)."""
    if not hosts:
        return f"no hosts declared in stack {stack}: no baseline to apply"
    names = ",".join(host.name for host in hosts)
    listed = "; ".join(f"{host.name} ({host.role}, zone {host.zone}, {host.address}"
                       f"{', ' + host.instance_id if host.instance_id else ''})" for host in hosts)
    line = f"{len(hosts)} host(s) declared in stack {stack}: {listed}"
    if lab is None:
        return line + " (no test hosts are up here: nothing to harden)"
    config = f" --bridge-config-file {bridge_config_file}" if bridge_config_file else ""
    harden = (f"harden them with `egov hosts harden --limit {names}` and, once admitted, the gateway with "
              f"`egov hosts harden --limit role_gateway --bridge-stack {bridge_stack}{config}`")
    if all(host.name in lab for host in hosts):
        return f"{line}; they are in the test hosts: {harden}"
    return (f"{line}; the test hosts that are up lack them: rebuild the lab with `egov local hosts up --stack "
            f"{core_stack} --stack {bridge_stack} --stack {stack}` (and the other tenants' stacks), then {harden}")
