"""The platform's hosts as the deployed stacks export them (``pulumi stack output --json``, the real CLI).

Undeployed stacks and stacks deployed before they declared hosts are refused with what to run; nothing
is read from anywhere else, so the lab's hosts and addresses are the cloud's.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from infra.engine import EngineError, Stack
from infra.hosts.inventory import Host, hosts_from_stacks
from infra.local.process import LocalEnvError


def read_stack_hosts(stacks: Sequence[str], env: Mapping[str, str]) -> list[Host]:
    """The hosts every stack in ``stacks`` exports (gateways first); a clear error per missing piece."""
    outputs: dict[str, dict[str, object]] = {}
    for name in stacks:
        stack = Stack(name, env=env)
        try:
            exists = stack.exists()
            values = stack.outputs() if exists else {}
        except EngineError as exc:
            raise LocalEnvError(f"cannot read the outputs of stack {name}: {exc}") from exc
        if not exists:
            raise LocalEnvError(f"stack {name} does not exist: deploy the platform first (`egov demo`, or "
                                f"`pulumi up --stack {name}`), then run `egov local hosts up` again")
        if "hosts" not in values:
            raise LocalEnvError(f"stack {name} exports no `hosts` output: it is not deployed, or was deployed "
                                f"before the stacks declared hosts; run `egov demo` (or `pulumi up --stack {name}`)")
        outputs[name] = values
    try:
        return hosts_from_stacks(outputs)
    except ValueError as exc:
        raise LocalEnvError(str(exc)) from exc
