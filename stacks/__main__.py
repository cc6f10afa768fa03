"""Entry point the Pulumi engine runs: choose the stack kind from config (`egov-cloud:kind`) and build it."""

import pulumi

from stacks.kinds import build_stack

build_stack(pulumi.Config().get("kind") or "foundation")
