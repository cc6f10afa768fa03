"""The program-side ``Vpc`` wrapper under Pulumi's mocks, checked against the provider's own property specs
(the handler, not the wrapper, says which properties exist and what they are called)."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from typing import Any

import pulumi
import pytest

from infra.provider.ec2_vpc import VpcHandler

registered: list[pulumi.runtime.MockResourceArgs] = []

OUTPUTS = [spec.name for spec in VpcHandler.properties if spec.output_only]
INPUTS = {spec.name for spec in VpcHandler.properties if not spec.output_only}


def marker(name: str) -> str:
    """A value only the output ``name`` carries, so an output read from the wrong property shows."""
    return f"<{name}>"


def snake(name: str) -> str:
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in name)


@pytest.fixture(autouse=True)
def _mocks(pulumi_mocks: Callable[..., Any]) -> None:
    pulumi_mocks(
        registered,
        outputs=lambda args: {name: marker(name) for name in OUTPUTS},
        resource_id=lambda args: args.resource_id or "vpc-123",
    )


@pulumi.runtime.test
def test_vpc_wrapper_sends_camel_case_inputs_and_maps_every_output() -> Any:
    from infra.resources import Vpc

    vpc = Vpc("core", cidr_block="10.0.0.0/16", tags={"env": "dev"}, enable_dns_hostnames=True)
    outputs = {name: getattr(vpc, snake(name)) for name in OUTPUTS}  # a missing output fails here

    def verify(values: list[Any]) -> None:
        (args,) = registered
        assert args.typ == VpcHandler.type_token
        assert args.inputs == {"cidrBlock": "10.0.0.0/16", "tags": {"env": "dev"}, "enableDnsHostnames": True}
        assert set(args.inputs) <= INPUTS
        # Each output attribute reads its own property: a swapped or misspelt mapping shows as a wrong marker.
        assert dict(zip(OUTPUTS, values, strict=True)) == {name: marker(name) for name in OUTPUTS}

    return pulumi.Output.all(*outputs.values()).apply(verify)


def test_wrapper_module_does_not_import_boto3() -> None:
    """In a fresh interpreter (this one imported boto3 long ago): the program side stays free of boto3."""
    probe = "import sys, infra.resources.ec2; print('boto3' in sys.modules, 'botocore' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=120)
    assert result.stdout.split() == ["False", "False"], result.stdout


@pulumi.runtime.test
def test_vpc_get_reads_an_existing_vpc() -> Any:
    from infra.resources import Vpc

    vpc = Vpc.get("legacy", "vpc-0abc")

    def verify(values: list[Any]) -> None:
        vpc_id, resource_id = values
        assert resource_id == "vpc-0abc" and vpc_id == marker("vpcId")
        (args,) = registered
        assert args.typ == VpcHandler.type_token and args.resource_id == "vpc-0abc"

    return pulumi.Output.all(vpc.vpc_id, vpc.id).apply(verify)
