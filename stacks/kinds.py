"""The registry of stack kinds. A kind composes components; resource logic lives in infra/."""

from __future__ import annotations

from collections.abc import Callable

import pulumi

from stacks import bridge, core, foundation, tenant

KINDS: dict[str, Callable[[], None]] = {
    "foundation": foundation.build,
    "core": core.build,
    "bridge": bridge.build,
    "tenant": tenant.build,
}


def build_stack(kind: str) -> None:
    builder = KINDS.get(kind)
    if builder is None:
        known = ", ".join(KINDS)  # registration order: the simplest kind first
        raise pulumi.RunError(
            f"config egov-cloud:kind is {kind!r}, which is not a stack kind; use one of: {known} "
            f"(pulumi config set kind <kind>)"
        )
    builder()
