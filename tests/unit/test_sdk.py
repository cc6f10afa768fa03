"""The generated SDK (``pulumi_egov``) as programs use it: one class per handler, named after the handler's
specs, sending the provider's camelCase properties, and never asking the engine to download a plugin.

The expected names come from the handlers' property specs (snake_case of each camelCase name, by the little
function below), not from the schema the SDK was generated from.
"""

from __future__ import annotations

import importlib
import inspect
import json
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pulumi
import pytest

from infra.provider import PACKAGE, VERSION
from infra.provider.handler import MISSING, ResourceHandler
from infra.provider.provider import default_registry
from tests.conftest import RecordingMocks

registered: list[pulumi.runtime.MockResourceArgs] = []


def snake(name: str) -> str:
    return re.sub(r"[A-Z]", lambda m: "_" + m.group(0).lower(), name)


def sdk_class(token: str) -> type[pulumi.CustomResource]:
    package, module, name = token.split(":")
    assert package == PACKAGE
    return getattr(importlib.import_module(f"pulumi_egov.{module}"), name)  # type: ignore[no-any-return]


HANDLERS: list[ResourceHandler] = list(default_registry())


@pytest.fixture()
def mocks(pulumi_mocks: Callable[..., RecordingMocks]) -> None:
    pulumi_mocks(registered, outputs=lambda args: {"vpcId": "vpc-1", "arn": f"arn:{args.name}"})


@pytest.mark.parametrize("handler", HANDLERS, ids=lambda h: h.type_token)
def test_every_handler_has_an_sdk_class_with_its_inputs_and_outputs(handler: ResourceHandler) -> None:
    cls = sdk_class(handler.type_token)
    inputs = {p.name for p in handler.properties if not p.output_only}
    init = inspect.signature(cls._internal_init)  # type: ignore[attr-defined]
    assert set(init.parameters) - {"__self__", "resource_name", "opts", "__props__"} == {snake(n) for n in inputs}
    for prop in handler.properties:
        assert isinstance(inspect.getattr_static(cls, snake(prop.name), None), property), snake(prop.name)
    args = importlib.import_module(cls.__module__).__dict__[f"{cls.__name__}Args"]
    required = {name for name, p in inspect.signature(args.__init__).parameters.items()
                if p.default is inspect.Parameter.empty} - {"__self__"}
    assert required == {snake(p.name) for p in handler.properties if p.required and not p.output_only}
    assert cls.get.__doc__, "get() looks up an existing resource"  # type: ignore[attr-defined]


def test_the_sdk_covers_nothing_the_provider_does_not_serve() -> None:
    import pulumi_egov

    sdk_modules = json.loads(re.search(r'resource_modules="""(.*?)"""', Path(pulumi_egov.__file__).read_text(),
                                       re.S).group(1))  # type: ignore[union-attr]
    tokens = {token for module in sdk_modules for token in module["classes"]}
    assert tokens == {h.type_token for h in HANDLERS}


def test_sdk_sends_camel_case_with_the_handlers_defaults(mocks: None) -> None:
    from pulumi_egov.ec2 import Vpc

    def program() -> None:
        Vpc("core", cidr_block="10.0.0.0/16", tags={"env": "dev"}, enable_dns_hostnames=True)

    pulumi.runtime.test(program)()
    (args,) = registered
    assert args.typ == "egov:ec2:Vpc"
    vpc = next(h for h in HANDLERS if h.type_token == "egov:ec2:Vpc")
    # The schema carries the specs' scalar defaults, so the SDK fills them in; given values win.
    defaults = {p.name: p.default for p in vpc.properties
                if not p.output_only and p.default is not MISSING and not isinstance(p.default, dict | list)}
    assert args.inputs == {**defaults, "cidrBlock": "10.0.0.0/16", "tags": {"env": "dev"}, "enableDnsHostnames": True}


def test_sdk_get_reads_an_existing_resource_by_id(mocks: None) -> None:
    from pulumi_egov.ec2 import TransitGatewayRoute

    seen: list[Any] = []

    def program() -> None:
        route = TransitGatewayRoute.get("legacy", "tgw-rtb-1_10.2.0.0/16")
        route.id.apply(seen.append)

    pulumi.runtime.test(program)()
    (args,) = registered
    assert (args.typ, args.resource_id) == ("egov:ec2:TransitGatewayRoute", "tgw-rtb-1_10.2.0.0/16")
    assert seen == ["tgw-rtb-1_10.2.0.0/16"]


def test_sdk_names_our_provider_and_no_download_server() -> None:
    """Resources carry the SDK's version and download URL; both must point at our local plugin, never a server."""
    import pulumi_egov
    from pulumi_egov import _utilities

    assert _utilities.get_plugin_download_url() is None
    assert _utilities.get_version() == VERSION
    plugin = json.loads((Path(pulumi_egov.__file__).parent / "pulumi-plugin.json").read_text())
    assert plugin == {"resource": True, "name": PACKAGE, "version": VERSION}


def test_importing_the_sdk_loads_no_cloud_client() -> None:
    """Programs import the SDK; all cloud work belongs to the provider process."""
    probe = "import sys, pulumi_egov.ec2, pulumi_egov.s3, pulumi_egov.iam; print('boto3' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"
