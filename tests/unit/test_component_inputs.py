"""What components hand the generated SDK: policies as JSON text, routes in the provider's camelCase keys."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pulumi
import pytest

from infra.components.inputs import policy_json, route
from tests.conftest import RecordingMocks

registered: list[pulumi.runtime.MockResourceArgs] = []


@pytest.fixture()
def mocks(pulumi_mocks: Callable[..., RecordingMocks]) -> None:
    pulumi_mocks(registered, outputs=lambda args: {"arn": f"arn:aws-cn:kms:cn-north-1:1:key/{args.name}",
                                                   "keyId": args.name},
                 resource_id=lambda args: f"{args.name}-id")


def test_policy_text_passes_through_and_a_plain_dict_becomes_sorted_json() -> None:
    text = '{"Version": "2012-10-17"}'
    assert policy_json(text) is text
    assert policy_json(None) is None
    assert policy_json({"b": 1, "a": [2]}) == '{"a": [2], "b": 1}'


@pytest.mark.usefixtures("mocks")
@pulumi.runtime.test
def test_policy_with_outputs_reaches_the_provider_as_json_with_their_values() -> Any:
    from pulumi_egov.kms import Key

    source = Key("source")
    guarded = Key("guarded", policy=policy_json({"Statement": [{"Effect": "Deny", "Resource": source.arn}]}))

    def verify(values: list[Any]) -> None:
        sent = next(a for a in registered if a.name == "guarded").inputs["policy"]
        assert json.loads(sent) == {
            "Statement": [{"Effect": "Deny", "Resource": "arn:aws-cn:kms:cn-north-1:1:key/source"}]
        }

    return pulumi.Output.all(guarded.policy).apply(verify)


def test_routes_reach_the_provider_in_its_camel_case_keys(mocks: None) -> None:
    from pulumi_egov.ec2 import RouteTable

    def program() -> None:
        RouteTable("app", vpc_id="vpc-1", routes=[
            route("0.0.0.0/0", gateway_id="igw-1"),
            route("172.16.0.0/12", transit_gateway_id=pulumi.Output.from_input("tgw-1")),
        ])

    pulumi.runtime.test(program)()
    (table,) = registered
    # The keys the provider's RouteTable spec documents (destinationCidrBlock and one target).
    assert table.inputs["routes"] == [
        {"destinationCidrBlock": "0.0.0.0/0", "gatewayId": "igw-1"},
        {"destinationCidrBlock": "172.16.0.0/12", "transitGatewayId": "tgw-1"},
    ]
