"""The foundation stack: one tagged VPC, the smallest thing that proves engine, provider and secrets work."""

from __future__ import annotations

import pulumi

from infra.resources.ec2 import Vpc

DEFAULT_CIDR = "10.10.0.0/16"


def build() -> None:
    config = pulumi.Config()
    stack = pulumi.get_stack()
    tags = {"Name": f"egov-{stack}-foundation", "egov:stack": stack, "egov:managed-by": "pulumi"}
    tags.update(config.get_object("vpcTags") or {})

    vpc = Vpc("foundation", cidr_block=config.get("vpcCidr") or DEFAULT_CIDR, tags=tags)

    pulumi.export("vpcId", vpc.vpc_id)
    pulumi.export("cidrBlock", vpc.cidr_block)
    pulumi.export("tags", vpc.tags)
    # A secret that travels through state: it must be stored encrypted by the stack's secrets provider.
    contact = config.get_secret("operatorContact")
    if contact is not None:
        pulumi.export("operatorContact", contact)
