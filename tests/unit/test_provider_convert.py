"""The provider's engine-facing layer without a cloud: conversion, secrets, previews, dispatch."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from pulumi.provider.experimental.property_value import PropertyValue
from pulumi.provider.experimental.provider import (
    CheckFailure,
    CheckRequest,
    CreateRequest,
    DiffRequest,
    PropertyDiffKind,
    UpdateRequest,
)
from pulumi.runtime import rpc

from infra.provider import convert
from infra.provider.clients import ProviderConfig
from infra.provider.errors import ProviderError, ResourceRef
from infra.provider.handler import UNKNOWN
from infra.provider.provider import EgovProvider

URN = "urn:pulumi:dev::egov::egov:ec2:Vpc::core"
OFFLINE = ProviderConfig(region="cn-north-1", endpoint="http://127.0.0.1:9")




def pv(value: object, secret: bool = False) -> PropertyValue:
    if isinstance(value, dict):
        return PropertyValue({k: pv(v) for k, v in value.items()}, is_secret=secret)
    if isinstance(value, int) and not isinstance(value, bool):
        return PropertyValue(float(value), is_secret=secret)
    return PropertyValue(value, is_secret=secret)  # type: ignore[arg-type]


def wire(props: dict[str, PropertyValue]) -> dict[str, PropertyValue]:
    """What the engine would see: marshal to protobuf and back."""
    return PropertyValue.unmarshal_map(PropertyValue.marshal_map(props))


def test_to_plain_unwraps_values_and_reports_secret_keys() -> None:
    props = {
        "cidrBlock": pv("10.0.0.0/16"),
        "count": pv(3),
        "ratio": pv(0.5),
        "tags": PropertyValue({"env": pv("dev"), "key": pv("s3cr3t", secret=True)}),
        "pending": PropertyValue(rpc.UNKNOWN),
        "computed": PropertyValue.computed(),
    }
    plain, secrets = convert.to_plain(props)
    assert plain == {
        "cidrBlock": "10.0.0.0/16",
        "count": 3,
        "ratio": 0.5,
        "tags": {"env": "dev", "key": "s3cr3t"},
        "pending": UNKNOWN,
        "computed": UNKNOWN,
    }
    assert isinstance(plain["count"], int)
    assert secrets == {"tags"}


def test_from_plain_marks_secrets_and_survives_the_wire() -> None:
    props = convert.from_plain({"tags": {"a": "b"}, "vpcId": UNKNOWN, "n": 2, "gone": None}, {"tags"})
    back = wire(props)
    assert back["tags"].is_secret is True
    assert back["vpcId"].value == rpc.UNKNOWN
    assert back["n"].value == 2.0
    plain, secrets = convert.to_plain(back)
    assert plain == {"tags": {"a": "b"}, "vpcId": UNKNOWN, "n": 2, "gone": None}
    assert secrets == {"tags"}


def test_resource_ref_handles_parents_and_odd_names() -> None:
    ref = ResourceRef.from_urn("urn:pulumi:dev::egov::egov:index:Network$egov:ec2:Vpc::core::a")
    assert ref.type_token == "egov:ec2:Vpc"
    assert ref.name == "core::a"
    assert str(ref).startswith('egov:ec2:Vpc "core::a" (urn:pulumi:')


def test_provider_check_keeps_secrets_and_reports_failures(run_async: Callable[..., Any]) -> None:
    provider = EgovProvider(config=OFFLINE)
    request = CheckRequest(
        URN,
        {},
        wire({"cidrBlock": pv("10.0.0.0/8"), "tags": pv({"owner": "x"}, secret=True)}),
        b"",
    )
    response = run_async(provider.check(request))
    assert response.inputs is not None
    assert response.inputs["tags"].is_secret is True
    assert response.inputs["instanceTenancy"].value == "default"
    assert [(f.property, f.reason) for f in response.failures or []] == [
        ("cidrBlock", "cidrBlock '10.0.0.0/8' has prefix /8; a VPC CIDR block must be between /16 and /28")
    ]
    assert all(isinstance(f, CheckFailure) for f in response.failures or [])


def test_provider_diff_maps_kinds(run_async: Callable[..., Any]) -> None:
    provider = EgovProvider(config=OFFLINE)
    old = {"cidrBlock": pv("10.0.0.0/16"), "tags": pv({"env": "dev"}), "vpcId": pv("vpc-1")}
    new = {"cidrBlock": pv("10.9.0.0/16"), "tags": pv({"env": "prod"})}
    response = run_async(provider.diff(DiffRequest(URN, "vpc-1", old, new, [])))
    assert response.changes is True
    assert response.replaces == ["cidrBlock"]
    assert {k: v.kind for k, v in response.detailed_diff.items()} == {
        "cidrBlock": PropertyDiffKind.UPDATE_REPLACE,
        "tags.env": PropertyDiffKind.UPDATE,
    }
    assert response.delete_before_replace is False


def test_provider_preview_create_and_update_make_no_calls(run_async: Callable[..., Any]) -> None:
    # OFFLINE points at a closed port: any API call would fail the test.
    provider = EgovProvider(config=OFFLINE)
    props = {
        "cidrBlock": pv("10.0.0.0/16"),
        "tags": pv({"k": "v"}, secret=True),
        "enableDnsSupport": pv(True),
    }
    created = run_async(provider.create(CreateRequest(URN, props, 0, True)))
    out = wire(created.properties)
    assert out["vpcId"].value == rpc.UNKNOWN
    assert out["arn"].value == rpc.UNKNOWN
    assert out["tags"].is_secret is True
    assert out["cidrBlock"].value == "10.0.0.0/16"

    olds = {"cidrBlock": pv("10.0.0.0/16"), "tags": pv({}), "vpcId": pv("vpc-1")}
    news = {"cidrBlock": pv("10.0.0.0/16"), "tags": pv({"k": "v2"})}
    updated = run_async(provider.update(UpdateRequest(URN, "vpc-1", olds, news, 0, [], True)))
    assert updated.properties["vpcId"].value == "vpc-1"
    assert updated.properties["tags"].value is not None


def test_provider_rejects_unknown_type(run_async: Callable[..., Any]) -> None:
    provider = EgovProvider(config=OFFLINE)
    request = CheckRequest("urn:pulumi:dev::egov::egov:ec2:Nope::x", {}, {}, b"")
    with pytest.raises(ProviderError, match=r"no resource type 'egov:ec2:Nope'; it knows: .*egov:ec2:Vpc"):
        run_async(provider.check(request))


def test_schema_describes_vpc(run_async: Callable[..., Any]) -> None:
    from pulumi.provider.experimental.provider import GetSchemaRequest

    schema = json.loads(run_async(EgovProvider(config=OFFLINE).get_schema(GetSchemaRequest(0))).schema or "")
    vpc = schema["resources"]["egov:ec2:Vpc"]
    assert schema["name"] == "egov" and schema["version"] == "0.1.0"
    assert vpc["requiredInputs"] == ["cidrBlock"]
    assert vpc["inputProperties"]["cidrBlock"]["replaceOnChanges"] is True
    assert "vpcId" in vpc["properties"] and "vpcId" not in vpc["inputProperties"]


def test_check_config_names_the_bad_setting(run_async: Callable[..., Any]) -> None:
    provider = EgovProvider(config=OFFLINE)
    request = CheckRequest(
        "urn:pulumi:dev::egov::pulumi:providers:egov::default",
        {},
        wire(
            {
                "endpoint": pv("localhost:5000"),
                "maxRetries": pv("many"),
            }
        ),
        b"",
    )
    response = run_async(provider.check_config(request))
    assert [f.property for f in response.failures or []] == ["maxRetries", "endpoint"]
    request.new_inputs = wire({"endpoint": pv("localhost:5000")})
    response = run_async(provider.check_config(request))
    assert [(f.property, f.reason) for f in response.failures or []] == [
        ("endpoint", "endpoint 'localhost:5000' must be an http(s) URL such as http://127.0.0.1:5000")
    ]


def test_provider_config_resolution_order() -> None:
    env = {
        "AWS_REGION": "cn-northwest-1",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ENDPOINT_URL": "http://h:1",
    }
    assert ProviderConfig.resolve(environ=env).region == "cn-northwest-1"
    assert ProviderConfig.resolve(environ=env).endpoint == "http://h:1"
    assert ProviderConfig.resolve(region="r-1", endpoint="http://e:2", environ=env).endpoint == "http://e:2"
    assert ProviderConfig.resolve(environ={}).region == "cn-north-1"
    assert ProviderConfig.resolve(environ={}).endpoint is None
    assert ProviderConfig.resolve(environ={"AWS_DEFAULT_REGION": "us-west-2"}).region == "us-west-2"
