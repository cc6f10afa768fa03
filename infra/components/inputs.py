"""Inputs the generated SDK (``pulumi_egov``) takes as plain text or plain maps, built the way components need them.

The provider's schema types policy documents as JSON text and route-table routes as untyped maps with the
provider's camelCase keys, so the SDK passes both through unchanged. Components write policies as dicts
(which may hold Outputs such as a bucket's ARN) and routes with Python keyword arguments; this module turns
them into what the provider reads. No cloud access and no resource registration here.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any, cast

import pulumi

Reference = pulumi.Input[str] | pulumi.Output[str | None]
"""An id or ARN that one resource takes from another. The SDK types output-only properties (``vpc_id``,
``arn``...) as optional: the schema promises only what the handlers' specs require, although the provider
sets a resource's own id once it exists."""

PolicyInput = pulumi.Input[str] | Mapping[str, Any]
"""A policy document: JSON text, or a dict (possibly holding Outputs) to serialise."""


def policy_json(document: PolicyInput | None) -> pulumi.Input[str] | None:
    """A policy given as text stays text; a dict becomes JSON (after any Outputs in it resolve).

    Keys are sorted so the same dict always gives the same text; the provider compares policies
    semantically anyway, so the spelling never causes a diff.
    """
    if not isinstance(document, Mapping):
        return document
    try:
        return json.dumps(document, sort_keys=True)
    except TypeError:  # holds Outputs
        return pulumi.Output.from_input(document).apply(lambda plain: json.dumps(plain, sort_keys=True))


def id_list(references: Iterable[Reference]) -> list[pulumi.Input[str]]:
    """Ids of other resources as a list input (``subnet_ids``...); each is set once its resource exists."""
    return cast(list[pulumi.Input[str]], list(references))


def route(
    destination_cidr_block: pulumi.Input[str],
    *,
    gateway_id: Reference | None = None,
    transit_gateway_id: Reference | None = None,
    nat_gateway_id: pulumi.Input[str] | None = None,
    vpc_endpoint_id: pulumi.Input[str] | None = None,
    network_interface_id: pulumi.Input[str] | None = None,
    vpc_peering_connection_id: pulumi.Input[str] | None = None,
) -> dict[str, Reference]:
    """One ``RouteTable`` route in the provider's camelCase keys; give exactly one target (the provider checks)."""
    targets = {
        "gatewayId": gateway_id,
        "transitGatewayId": transit_gateway_id,
        "natGatewayId": nat_gateway_id,
        "vpcEndpointId": vpc_endpoint_id,
        "networkInterfaceId": network_interface_id,
        "vpcPeeringConnectionId": vpc_peering_connection_id,
    }
    return {
        "destinationCidrBlock": destination_cidr_block,
        **{key: value for key, value in targets.items() if value is not None},
    }


__all__ = ["PolicyInput", "Reference", "id_list", "policy_json", "route"]
