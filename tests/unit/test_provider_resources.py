"""The program-side ``Vpc`` wrapper under Pulumi's mocks: camelCase inputs out, outputs back."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Iterator
from typing import Any

import pulumi
import pytest

registered: list[pulumi.runtime.MockResourceArgs] = []


class _Mocks(pulumi.runtime.Mocks):
    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str | None, dict[str, Any]]:
        registered.append(args)
        state = {
            **args.inputs,
            "vpcId": "vpc-123",
            "arn": "arn:aws-cn:ec2:cn-north-1:123456789012:vpc/vpc-123",
            "defaultSecurityGroupId": "sg-1",
        }
        return "vpc-123", state

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]] | None]:
        return {}, None


@pytest.fixture(autouse=True)
def _mocks() -> Iterator[None]:
    registered.clear()
    # The SDK's mocks need a current event loop, which an earlier asyncio.run() may have unset.
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    pulumi.runtime.set_mocks(_Mocks(), preview=False)
    yield
    asyncio.set_event_loop(None)
    loop.close()


@pulumi.runtime.test
def test_vpc_wrapper_sends_camel_case_and_exposes_outputs() -> Any:
    from infra.resources import Vpc

    vpc = Vpc("core", cidr_block="10.0.0.0/16", tags={"env": "dev"}, enable_dns_hostnames=True)

    def verify(values: list[Any]) -> None:
        vpc_id, arn, cidr, tags, sg = values
        assert vpc_id == "vpc-123"
        assert arn.endswith(":vpc/vpc-123")
        assert cidr == "10.0.0.0/16"
        assert tags == {"env": "dev"}
        assert sg == "sg-1"
        (args,) = registered
        assert args.typ == "egov:ec2:Vpc"
        assert args.inputs == {"cidrBlock": "10.0.0.0/16", "tags": {"env": "dev"}, "enableDnsHostnames": True}

    return pulumi.Output.all(vpc.vpc_id, vpc.arn, vpc.cidr_block, vpc.tags, vpc.default_security_group_id).apply(verify)


def test_wrapper_module_does_not_import_boto3() -> None:
    import importlib

    for name in [m for m in sys.modules if m == "infra.resources" or m.startswith("infra.resources.")]:
        del sys.modules[name]
    before = "boto3" in sys.modules
    importlib.import_module("infra.resources.ec2")
    source = importlib.import_module("infra.resources.ec2").__file__
    assert source is not None
    with open(source) as handle:
        assert "boto3" not in handle.read()
    assert ("boto3" in sys.modules) == before


@pulumi.runtime.test
def test_vpc_get_reads_an_existing_vpc() -> Any:
    from infra.resources import Vpc

    vpc = Vpc.get("legacy", "vpc-123")

    def verify(values: list[Any]) -> None:
        vpc_id, resource_id = values
        assert vpc_id == "vpc-123" and resource_id == "vpc-123"
        (args,) = registered
        assert args.typ == "egov:ec2:Vpc" and args.resource_id == "vpc-123"

    return pulumi.Output.all(vpc.vpc_id, vpc.id).apply(verify)
