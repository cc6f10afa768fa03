"""The foundation stack: tagged VPCs, the smallest thing that proves engine, provider and secrets work.

`vpcCount` (default 1) exists for the engine benchmark; extra VPCs take 10.(10+i).0.0/16.
"""

from __future__ import annotations

import pulumi
from pulumi_egov.ec2 import Vpc

DEFAULT_CIDR = "10.10.0.0/16"


def build() -> None:
    config = pulumi.Config()
    stack = pulumi.get_stack()
    tags = {"Name": f"egov-{stack}-foundation", "egov:stack": stack, "egov:managed-by": "pulumi"}
    tags.update(config.get_object("vpcTags") or {})

    vpc = Vpc("foundation", cidr_block=config.get("vpcCidr") or DEFAULT_CIDR, tags=tags)
    for i in range(1, config.get_int("vpcCount") or 1):
        Vpc(f"foundation-{i}", cidr_block=f"10.{10 + i}.0.0/16", tags={**tags, "Name": f"{tags['Name']}-{i}"})

    pulumi.export("vpcId", vpc.vpc_id)
    pulumi.export("cidrBlock", vpc.cidr_block)
    pulumi.export("tags", vpc.tags)
    # A secret that travels through state: it must be stored encrypted by the stack's secrets provider.
    contact = config.get_secret("operatorContact")
    if contact is not None:
        pulumi.export("operatorContact", contact)
