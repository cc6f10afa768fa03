"""The VPC handler and the provider's engine-facing methods against a real moto server.

Everything the provider claims is checked with plain boto3, never with our own code.
"""

from __future__ import annotations

import os
import select
import subprocess
import sys
import uuid
from collections.abc import Callable
from typing import Any

import grpc
import pytest
from google.protobuf import empty_pb2, struct_pb2
from pulumi.provider.experimental.property_value import PropertyValue
from pulumi.provider.experimental.provider import (
    ConfigureRequest,
    CreateRequest,
    DeleteRequest,
    DiffRequest,
    ReadRequest,
    UpdateRequest,
)
from pulumi.runtime import proto, rpc
from pulumi.runtime.proto import provider_pb2_grpc

from infra.provider import convert
from infra.provider.clients import ClientFactory, ProviderConfig
from infra.provider.ec2_vpc import VpcHandler
from infra.provider.errors import ApiError, ProviderError, ResourceRef
from infra.provider.handler import HandlerContext
from infra.provider.provider import EgovProvider
from infra.provider.tags import OWNER_TAG
from infra.repository import REPO_ROOT
from tests.integration.moto_server import stop_process
from tests.integration.provider_checks import REGION, checked_inputs

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("moto_credentials")]




@pytest.fixture
def ec2(moto_aws: Callable[[str], Any]) -> Any:
    """Independent boto3 client used to verify (and to change things behind our back)."""
    return moto_aws("ec2")


def _urn(name: str) -> str:
    return f"urn:pulumi:test::egov::egov:ec2:Vpc::{name}"


@pytest.fixture
def ctx(moto_endpoint: str) -> HandlerContext:
    config = ProviderConfig(region=REGION, endpoint=moto_endpoint, max_attempts=2)
    name = f"vpc-{uuid.uuid4().hex[:8]}"
    return HandlerContext(resource=ResourceRef.from_urn(_urn(name)), clients=ClientFactory(config), timeout=60)


@pytest.fixture
def handler() -> VpcHandler:
    return VpcHandler(dependency_grace_seconds=0)


def _vpc(ec2: Any, vpc_id: str) -> dict[str, Any] | None:
    vpcs = ec2.describe_vpcs(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])["Vpcs"]
    return vpcs[0] if vpcs else None


def _tags(vpc: dict[str, Any]) -> dict[str, str]:
    """The user's tags as the cloud has them (the provider's owner tag is checked on its own)."""
    return {t["Key"]: t["Value"] for t in vpc.get("Tags", []) if t["Key"] != OWNER_TAG}


def _owner(vpc: dict[str, Any]) -> str | None:
    return next((t["Value"] for t in vpc.get("Tags", []) if t["Key"] == OWNER_TAG), None)


def _dns(ec2: Any, vpc_id: str) -> tuple[bool, bool]:
    support = ec2.describe_vpc_attribute(VpcId=vpc_id, Attribute="enableDnsSupport")["EnableDnsSupport"]["Value"]
    hostnames = ec2.describe_vpc_attribute(VpcId=vpc_id, Attribute="enableDnsHostnames")["EnableDnsHostnames"]["Value"]
    return support, hostnames


def _vpc_count(ec2: Any) -> int:
    return len(ec2.describe_vpcs()["Vpcs"])


# -- the handler ---------------------------------------------------------------------------


def test_create_update_read_delete(handler: VpcHandler, ctx: HandlerContext, ec2: Any) -> None:
    inputs = checked_inputs(handler, ctx, cidrBlock="10.20.0.0/16", tags={"Name": "core", "env": "dev"})
    created = handler.create(ctx, inputs)
    vpc_id = created.resource_id

    vpc = _vpc(ec2, vpc_id)
    assert vpc is not None and vpc["CidrBlock"] == "10.20.0.0/16"
    assert _tags(vpc) == {"Name": "core", "env": "dev"}
    assert _owner(vpc) == ctx.resource.urn
    assert "egov:urn" not in created.outputs["tags"]
    assert _dns(ec2, vpc_id) == (True, False)
    out = created.outputs
    assert out["vpcId"] == vpc_id
    assert out["arn"] == f"arn:aws-cn:ec2:{REGION}:{vpc['OwnerId']}:vpc/{vpc_id}"
    assert out["ownerId"] == vpc["OwnerId"]
    default_sg = ec2.describe_security_groups(
        Filters=[{"Name": "vpc-id", "Values": [vpc_id]}, {"Name": "group-name", "Values": ["default"]}]
    )["SecurityGroups"][0]["GroupId"]
    main_rtb = ec2.describe_route_tables(
        Filters=[{"Name": "vpc-id", "Values": [vpc_id]}, {"Name": "association.main", "Values": ["true"]}]
    )["RouteTables"][0]["RouteTableId"]
    default_acl = ec2.describe_network_acls(
        Filters=[{"Name": "vpc-id", "Values": [vpc_id]}, {"Name": "default", "Values": ["true"]}]
    )["NetworkAcls"][0]["NetworkAclId"]
    assert (out["defaultSecurityGroupId"], out["mainRouteTableId"], out["defaultNetworkAclId"]) == (
        default_sg,
        main_rtb,
        default_acl,
    )
    assert {k: out[k] for k in inputs} == inputs

    # In place: tags changed/added/removed and DNS hostnames on; same VPC afterwards.
    news = checked_inputs(
        handler, ctx, cidrBlock="10.20.0.0/16", tags={"Name": "core", "env": "prod"}, enableDnsHostnames=True
    )
    diff = handler.diff(ctx, vpc_id, out, news)
    assert diff.changes and diff.replaces == []
    updated = handler.update(ctx, vpc_id, out, news)
    vpc = _vpc(ec2, vpc_id)
    assert vpc is not None
    assert _tags(vpc) == {"Name": "core", "env": "prod"}
    assert _dns(ec2, vpc_id) == (True, True)
    assert updated["vpcId"] == vpc_id and updated["tags"] == {"Name": "core", "env": "prod"}
    assert handler.diff(ctx, vpc_id, updated, news).changes is False

    handler.delete(ctx, vpc_id, updated)
    assert _vpc(ec2, vpc_id) is None
    handler.delete(ctx, vpc_id, updated)  # already gone is success


def test_read_shows_drift_made_behind_our_back(handler: VpcHandler, ctx: HandlerContext, ec2: Any) -> None:
    inputs = checked_inputs(handler, ctx, cidrBlock="10.21.0.0/16", tags={"owner": "netops"})
    created = handler.create(ctx, inputs)
    vpc_id = created.resource_id
    try:
        ec2.create_tags(Resources=[vpc_id], Tags=[{"Key": "owner", "Value": "someone-else"}])
        ec2.create_tags(Resources=[vpc_id], Tags=[{"Key": "extra", "Value": "1"}])
        ec2.modify_vpc_attribute(VpcId=vpc_id, EnableDnsSupport={"Value": False})

        refreshed = handler.read(ctx, vpc_id, created.outputs, inputs)
        assert refreshed.resource_id == vpc_id
        assert refreshed.outputs["tags"] == {"owner": "someone-else", "extra": "1"}
        assert refreshed.outputs["enableDnsSupport"] is False
        assert refreshed.inputs["tags"] == {"owner": "someone-else", "extra": "1"}

        # The program still says what it said: the drift is a diff, and update repairs it.
        diff = handler.diff(ctx, vpc_id, refreshed.outputs, inputs)
        assert diff.changes and diff.replaces == []
        assert set(diff.detailed) == {"tags.owner", "tags.extra", "enableDnsSupport"}
        handler.update(ctx, vpc_id, refreshed.outputs, inputs)
        vpc = _vpc(ec2, vpc_id)
        assert vpc is not None and _tags(vpc) == {"owner": "netops"}
        assert _dns(ec2, vpc_id) == (True, False)
    finally:
        handler.delete(ctx, vpc_id, {})


def test_read_of_deleted_vpc_is_gone(handler: VpcHandler, ctx: HandlerContext, ec2: Any) -> None:
    vpc_id = ec2.create_vpc(CidrBlock="10.22.0.0/16")["Vpc"]["VpcId"]
    ec2.delete_vpc(VpcId=vpc_id)
    assert handler.read(ctx, vpc_id, {"vpcId": vpc_id}, {}).resource_id is None


def test_import_reads_with_id_only(handler: VpcHandler, ctx: HandlerContext, ec2: Any) -> None:
    vpc_id = ec2.create_vpc(
        CidrBlock="10.23.0.0/20",
        TagSpecifications=[{"ResourceType": "vpc", "Tags": [{"Key": "Name", "Value": "legacy"}]}],
    )["Vpc"]["VpcId"]
    ec2.modify_vpc_attribute(VpcId=vpc_id, EnableDnsHostnames={"Value": True})
    try:
        result = handler.read(ctx, vpc_id, {}, {})
        assert result.resource_id == vpc_id
        assert result.inputs == {
            "cidrBlock": "10.23.0.0/20",
            "instanceTenancy": "default",
            "enableDnsSupport": True,
            "enableDnsHostnames": True,
            "tags": {"Name": "legacy"},
        }
        assert result.outputs["vpcId"] == vpc_id
        # The reconstructed inputs pass check unchanged, and diff against reality is empty.
        checked = handler.check(ctx, result.inputs, {})
        assert checked.failures == [] and checked.inputs == result.inputs
        assert handler.diff(ctx, vpc_id, result.outputs, checked.inputs).changes is False
    finally:
        ec2.delete_vpc(VpcId=vpc_id)


def test_delete_names_what_still_depends(ctx: HandlerContext, ec2: Any, within: Callable[..., Any]) -> None:
    # A grace period and timeout far beyond the wait below: a lasting blocker must fail at once, not wait them out.
    handler = VpcHandler(dependency_grace_seconds=3600)
    ctx.timeout = 3600
    vpc_id = ec2.create_vpc(CidrBlock="10.24.0.0/16")["Vpc"]["VpcId"]
    subnet_id = ec2.create_subnet(
        VpcId=vpc_id,
        CidrBlock="10.24.1.0/24",
        TagSpecifications=[{"ResourceType": "subnet", "Tags": [{"Key": "Name", "Value": "app-a"}]}],
    )["Subnet"]["SubnetId"]
    try:
        with pytest.raises(ProviderError) as raised:
            within(120, lambda: handler.delete(ctx, vpc_id, {}))
        message = str(raised.value)
        assert ctx.resource.urn in message
        assert f'subnet {subnet_id} "app-a" (10.24.1.0/24)' in message
        assert "DependencyViolation" in message
    finally:
        ec2.delete_subnet(SubnetId=subnet_id)
        ec2.delete_vpc(VpcId=vpc_id)


def test_failed_create_leaves_nothing_behind(
    handler: VpcHandler, ctx: HandlerContext, ec2: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken_dns(*args: Any, **kwargs: Any) -> None:
        raise ProviderError(f"{ctx.resource}: ec2:ModifyVpcAttribute failed with InternalError: boom")

    monkeypatch.setattr(handler, "_apply_dns", broken_dns)
    before = _vpc_count(ec2)
    with pytest.raises(ProviderError) as raised:
        handler.create(ctx, checked_inputs(handler, ctx, cidrBlock="10.25.0.0/16"))
    assert "InternalError: boom" in str(raised.value)
    assert "was deleted again, so nothing is left behind" in str(raised.value)
    assert _vpc_count(ec2) == before


def test_api_errors_name_resource_operation_and_code(ctx: HandlerContext) -> None:
    with pytest.raises(ApiError) as raised:
        ctx.call("ec2", "describe_vpcs", VpcIds=["vpc-0000000000"])
    error = raised.value
    assert error.code == "InvalidVpcID.NotFound"
    assert error.operation == "ec2:DescribeVpcs"
    text = str(error)
    assert text.startswith(f'egov:ec2:Vpc "{ctx.resource.name}" ({ctx.resource.urn}): ')
    assert "ec2:DescribeVpcs failed with InvalidVpcID.NotFound: " in text
    assert "vpc-0000000000" in text


# -- the provider's gRPC-facing methods -------------------------------------------------------


def _pv(value: Any, secret: bool = False) -> PropertyValue:
    if isinstance(value, dict):
        return PropertyValue({k: _pv(v) for k, v in value.items()}, is_secret=secret)
    return PropertyValue(value, is_secret=secret)


def _wire(props: dict[str, PropertyValue]) -> dict[str, PropertyValue]:
    """Through protobuf and back, as the engine would exchange them."""
    return PropertyValue.unmarshal_map(PropertyValue.marshal_map(props))


@pytest.fixture
def provider(moto_endpoint: str, run_async: Callable[..., Any]) -> EgovProvider:
    prov = EgovProvider()
    response = run_async(
        prov.configure(
            ConfigureRequest(
                variables={},
                args=_wire({"endpoint": _pv(moto_endpoint), "region": _pv(REGION), "maxRetries": _pv("3")}),
                accept_secrets=True,
                accept_resources=False,
            )
        )
    )
    assert response.supports_preview and response.accept_secrets
    assert not response.accept_outputs and not response.accept_resources
    return prov


def test_provider_lifecycle(provider: EgovProvider, ec2: Any, run_async: Callable[..., Any]) -> None:
    from pulumi.provider.experimental.provider import CheckRequest

    urn = _urn(f"net-{uuid.uuid4().hex[:6]}")
    news = _wire({"cidrBlock": _pv("10.30.0.0/16"), "tags": _pv({"team": "gov", "key": "k1"}, secret=True)})
    checked = run_async(provider.check(CheckRequest(urn, {}, news, b"")))
    assert not checked.failures and checked.inputs is not None
    inputs = _wire(checked.inputs)
    assert inputs["tags"].is_secret

    # Preview: no API call (VPC count unchanged), unknown outputs, secrets kept.
    before = _vpc_count(ec2)
    preview = run_async(provider.create(CreateRequest(urn, inputs, 60, True)))
    assert _vpc_count(ec2) == before
    preview_out = _wire(preview.properties)
    assert preview_out["vpcId"].value == rpc.UNKNOWN
    assert preview_out["tags"].is_secret

    created = run_async(provider.create(CreateRequest(urn, inputs, 60, False)))
    vpc_id = created.resource_id
    assert vpc_id and vpc_id.startswith("vpc-")
    assert _vpc_count(ec2) == before + 1
    state = _wire(created.properties)
    assert state["tags"].is_secret and not state["vpcId"].is_secret
    assert state["vpcId"].value == vpc_id
    vpc = _vpc(ec2, vpc_id)
    assert vpc is not None and _tags(vpc) == {"team": "gov", "key": "k1"}

    try:
        # Update preview changes nothing; the real update changes tags in place.
        new_inputs = _wire({**inputs, "tags": _pv({"team": "gov"}, secret=True)})
        diff = run_async(provider.diff(DiffRequest(urn, vpc_id, state, new_inputs, [])))
        assert diff.changes is True and diff.replaces == []
        assert list(diff.detailed_diff) == ["tags.key"]
        run_async(provider.update(UpdateRequest(urn, vpc_id, state, new_inputs, 60, [], True)))
        assert _tags(_vpc(ec2, vpc_id) or {}) == {"team": "gov", "key": "k1"}
        updated = run_async(provider.update(UpdateRequest(urn, vpc_id, state, new_inputs, 60, [], False)))
        assert _tags(_vpc(ec2, vpc_id) or {}) == {"team": "gov"}
        state = _wire(updated.properties)
        assert state["tags"].is_secret

        # Refresh after a change behind our back: state and inputs show it, secrets stay secret.
        ec2.create_tags(Resources=[vpc_id], Tags=[{"Key": "rogue", "Value": "1"}])
        read = run_async(provider.read(ReadRequest(urn, vpc_id, state, new_inputs)))
        assert read.resource_id == vpc_id
        refreshed = _wire(read.properties)
        assert refreshed["tags"].is_secret and _wire(read.inputs)["tags"].is_secret
        assert convert.to_plain(refreshed)[0]["tags"] == {"team": "gov", "rogue": "1"}
        assert convert.to_plain(_wire(read.inputs))[0]["tags"] == {"team": "gov", "rogue": "1"}
        drift = run_async(provider.diff(DiffRequest(urn, vpc_id, refreshed, new_inputs, [])))
        assert drift.changes is True and list(drift.detailed_diff) == ["tags.rogue"]

        # Import: id only.
        imported = run_async(provider.read(ReadRequest(urn, vpc_id, {}, {})))
        assert imported.resource_id == vpc_id
        assert _wire(imported.inputs)["cidrBlock"].value == "10.30.0.0/16"
    finally:
        run_async(provider.delete(DeleteRequest(urn, vpc_id, state, 60)))
    assert _vpc(ec2, vpc_id) is None
    run_async(provider.delete(DeleteRequest(urn, vpc_id, state, 60)))  # gone already: fine
    gone = run_async(provider.read(ReadRequest(urn, vpc_id, state, new_inputs)))
    assert gone.resource_id == ""
    assert proto.ReadResponse(id=gone.resource_id).id == ""


# -- the plugin entry point --------------------------------------------------------------------


def test_plugin_main_prints_port_and_serves() -> None:
    """``<venv python> infra/provider <engine>`` as the language host runs it."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    proc = subprocess.Popen(
        [sys.executable, "infra/provider", "127.0.0.1:1"],  # bogus engine: never dialled at startup
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )
    try:
        assert proc.stdout is not None
        ready, _, _ = select.select([proc.stdout], [], [], 30)
        if not ready:
            raise AssertionError("the plugin printed no port within 30s")
        line = proc.stdout.readline().decode().strip()
        assert line.isdigit(), f"expected a port number, got {line!r}; stderr: {proc.stderr!r}"
        port = int(line)
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            stub = provider_pb2_grpc.ResourceProviderStub(channel)
            info = stub.GetPluginInfo(empty_pb2.Empty(), timeout=10)
            assert info.version == "0.1.0"
            schema = stub.GetSchema(proto.GetSchemaRequest(version=0), timeout=10)
            assert "egov:ec2:Vpc" in schema.schema
            news = struct_pb2.Struct()
            news.update({"cidrBlock": "10.0.0.0/33"})
            checked = stub.Check(proto.CheckRequest(urn=_urn("x"), news=news), timeout=10)
            assert [(f.property, f.reason) for f in checked.failures] == [
                ("cidrBlock", "cidrBlock '10.0.0.0/33' is not a valid IPv4 CIDR block (each part 0-255, prefix 0-32)")
            ]
        assert proc.poll() is None, "the plugin should keep serving"
    finally:
        stop_process(proc)
