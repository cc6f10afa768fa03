"""Creates what config `make` lists (bucket, public-bucket, ssh-open, ssh-closed, vpc) so that the policy pack's
tests can ask the engine for a compliant or a violating resource; `region` sets an explicit provider's region."""

import pulumi
import pulumi_egov
from pulumi_egov.ec2 import SecurityGroup, SecurityGroupRule, Vpc
from pulumi_egov.s3 import Bucket

config = pulumi.Config()
stack = pulumi.get_stack()
make = config.get_object("make") or []
region = config.get("region")
opts = pulumi.ResourceOptions(provider=pulumi_egov.Provider("regional", region=region)) if region else None
tags = {"egov:stack": stack}

if "bucket" in make or "public-bucket" in make:
    public = "public-bucket" in make
    Bucket("data", bucket=f"probe-{stack}", block_public_acls=not public, block_public_policy=not public,
           ignore_public_acls=not public, restrict_public_buckets=not public, force_destroy=True, tags=tags,
           opts=opts)
if "ssh-open" in make or "ssh-closed" in make or "vpc" in make:
    vpc = Vpc("net", cidr_block="10.77.0.0/16", tags=tags, opts=opts)
    if "ssh-open" in make or "ssh-closed" in make:
        group = SecurityGroup("admin", vpc_id=vpc.vpc_id, group_name=f"probe-{stack}", tags=tags, opts=opts)
        SecurityGroupRule("ssh", security_group_id=group.group_id, type="ingress", protocol="tcp", from_port=22,
                          to_port=22, cidr_ipv4="0.0.0.0/0" if "ssh-open" in make else "10.0.0.0/8", opts=opts)
