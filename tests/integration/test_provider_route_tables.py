"""``egov:ec2:RouteTable`` and ``egov:ec2:RouteTableAssociation`` against a real moto server,
also through the provider's engine-facing methods.

The handlers are driven directly, as the engine would (check, create, read, diff, update,
delete); everything they claim is verified with plain boto3 (``moto_ec2``), and drift is made
with boto3. Shared fixtures (the module's moto server, a VPC, two subnets) are in conftest.py.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from pulumi.provider.experimental.property_value import PropertyValue
from pulumi.provider.experimental.provider import (
    CheckRequest,
    ConfigureRequest,
    CreateRequest,
    DeleteRequest,
    DiffRequest,
    ReadRequest,
    UpdateRequest,
)
from pulumi.runtime import rpc

from infra.provider import convert
from infra.provider.ec2_routes import RouteTableAssociationHandler, RouteTableHandler
from infra.provider.errors import ProviderError
from infra.provider.handler import HandlerContext, ResourceHandler
from infra.provider.provider import EgovProvider
from tests.integration.provider_checks import REGION, STACK, checked_inputs, lifecycle_tail

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("moto_credentials")]


# -- route tables ---------------------------------------------------------------------------------------------


def _routes(moto_ec2: Any, table_id: str) -> dict[str, str]:
    table = moto_ec2.describe_route_tables(RouteTableIds=[table_id])["RouteTables"][0]
    found = {}
    for route in table["Routes"]:
        if route.get("GatewayId") == "local" or "DestinationCidrBlock" not in route:
            continue
        target = next(v for k, v in route.items() if k.endswith("Id") and k != "DestinationPrefixListId")
        found[route["DestinationCidrBlock"]] = target
    return found


def test_route_table_manages_routes_in_place(
    context: Callable[[ResourceHandler], HandlerContext], moto_ec2: Any, vpc: str, subnets: list[str]
) -> None:
    handler = RouteTableHandler(dependency_grace_seconds=0)
    ctx = context(handler)
    igw = moto_ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    moto_ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
    tgw = moto_ec2.create_transit_gateway()["TransitGateway"]["TransitGatewayId"]
    eni = moto_ec2.create_network_interface(SubnetId=subnets[0])["NetworkInterface"]["NetworkInterfaceId"]

    inputs = checked_inputs(
        handler,
        ctx,
        vpcId=vpc,
        routes=[
            {"destinationCidrBlock": "0.0.0.0/0", "gatewayId": igw},
            {"destinationCidrBlock": "172.16.0.0/12", "transitGatewayId": tgw, "natGatewayId": None},
        ],
        tags={"Name": "app"},
    )
    assert inputs["routes"][1] == {"destinationCidrBlock": "172.16.0.0/12", "transitGatewayId": tgw}
    created = handler.create(ctx, inputs)
    table_id = created.resource_id
    assert _routes(moto_ec2, table_id) == {"0.0.0.0/0": igw, "172.16.0.0/12": tgw}
    assert created.outputs["routes"] == inputs["routes"]

    # Reordering is not a change; a new target, a new route and a dropped route are, in place.
    reordered = checked_inputs(handler, ctx, vpcId=vpc, routes=list(reversed(inputs["routes"])), tags={"Name": "app"})
    assert handler.diff(ctx, table_id, created.outputs, reordered).changes is False
    news = checked_inputs(
        handler,
        ctx,
        vpcId=vpc,
        routes=[
            {"destinationCidrBlock": "172.16.0.0/12", "networkInterfaceId": eni},
            {"destinationCidrBlock": "192.168.0.0/16", "transitGatewayId": tgw},
        ],
        tags={"Name": "app"},
    )
    diff = handler.diff(ctx, table_id, created.outputs, news)
    assert diff.replaces == []
    # routes[0] is both the retargeted route (new list) and the dropped one (old list): reported as a whole.
    assert {k: v.value for k, v in diff.detailed.items()} == {"routes": "update"}
    updated = handler.update(ctx, table_id, created.outputs, news)
    assert _routes(moto_ec2, table_id) == {"172.16.0.0/12": eni, "192.168.0.0/16": tgw}
    assert updated["routes"] == news["routes"]

    # Drift: a route deleted and one retargeted behind our back; update restores both.
    moto_ec2.delete_route(RouteTableId=table_id, DestinationCidrBlock="192.168.0.0/16")
    moto_ec2.replace_route(RouteTableId=table_id, DestinationCidrBlock="172.16.0.0/12", GatewayId=igw)
    refreshed = handler.read(ctx, table_id, updated, news)
    assert refreshed.outputs["routes"] == [{"destinationCidrBlock": "172.16.0.0/12", "gatewayId": igw}]
    drift = handler.diff(ctx, table_id, refreshed.outputs, news)
    assert drift.changes and drift.replaces == []
    repaired = handler.update(ctx, table_id, refreshed.outputs, news)
    assert _routes(moto_ec2, table_id) == {"172.16.0.0/12": eni, "192.168.0.0/16": tgw}
    assert repaired["routes"] == news["routes"]
    lifecycle_tail(handler, ctx, table_id, repaired)


def test_route_table_failed_create_leaves_nothing(
    context: Callable[[ResourceHandler], HandlerContext], moto_ec2: Any, vpc: str
) -> None:
    handler = RouteTableHandler()
    ctx = context(handler)
    before = len(moto_ec2.describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["RouteTables"])
    inputs = checked_inputs(
        handler,
        ctx,
        vpcId=vpc,
        routes=[
            {"destinationCidrBlock": "0.0.0.0/0", "gatewayId": "igw-0000000000000000d"},
        ],
    )
    with pytest.raises(ProviderError) as raised:
        handler.create(ctx, inputs)
    text = str(raised.value)
    assert text.startswith(f"{ctx.resource}: ec2:CreateRoute failed with InvalidInternetGatewayID.NotFound")
    assert "was deleted again, so nothing is left behind" in text
    assert len(moto_ec2.describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["RouteTables"]) == before


def test_route_table_association_moves_in_place(
    context: Callable[[ResourceHandler], HandlerContext], moto_ec2: Any, vpc: str, subnets: list[str]
) -> None:
    handler = RouteTableAssociationHandler()
    ctx = context(handler)
    first = moto_ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    second = moto_ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    subnet = subnets[1]

    def table_of(subnet_id: str) -> str | None:
        tables = moto_ec2.describe_route_tables(Filters=[{"Name": "association.subnet-id", "Values": [subnet_id]}])
        return tables["RouteTables"][0]["RouteTableId"] if tables["RouteTables"] else None

    inputs = checked_inputs(handler, ctx, subnetId=subnet, routeTableId=first)
    created = handler.create(ctx, inputs)
    association_id = created.resource_id
    assert table_of(subnet) == first and created.outputs["associationId"] == association_id

    with pytest.raises(ProviderError) as raised:  # a second association of the same subnet
        handler.create(context(handler), inputs)
    assert f"subnet {subnet} is already associated with route table {first}" in str(raised.value)

    news = checked_inputs(handler, ctx, subnetId=subnet, routeTableId=second)
    diff = handler.diff(ctx, association_id, created.outputs, news)
    assert diff.replaces == [] and diff.diffs == ["routeTableId"]
    assert handler.diff(ctx, association_id, created.outputs, {**news, "subnetId": subnets[0]}).replaces == ["subnetId"]
    updated = handler.update(ctx, association_id, created.outputs, news)
    assert table_of(subnet) == second and updated["associationId"] != association_id
    refreshed = handler.read(ctx, association_id, updated, news)
    assert refreshed.resource_id == association_id and refreshed.outputs == updated

    imported = handler.read(ctx, updated["associationId"], {}, {})
    assert imported.inputs == {"subnetId": subnet, "routeTableId": second}

    moto_ec2.disassociate_route_table(AssociationId=updated["associationId"])  # drift: gone
    assert handler.read(ctx, association_id, updated, news).resource_id is None
    created = handler.create(ctx, inputs)
    handler.delete(ctx, created.resource_id, created.outputs)
    assert table_of(subnet) is None
    handler.delete(ctx, created.resource_id, created.outputs)


def _pv(value: Any) -> PropertyValue:
    if isinstance(value, dict):
        return PropertyValue({k: _pv(v) for k, v in value.items()})
    if isinstance(value, list):
        return PropertyValue([_pv(v) for v in value])
    return PropertyValue(value)


def _wire(props: dict[str, PropertyValue]) -> dict[str, PropertyValue]:
    return PropertyValue.unmarshal_map(PropertyValue.marshal_map(props))


def test_provider_route_table_preview_and_lifecycle(
    moto_endpoint: str, moto_ec2: Any, vpc: str, run_async: Callable[..., Any]
) -> None:
    provider = EgovProvider()
    run_async(
        provider.configure(
            ConfigureRequest(
                variables={},
                args=_wire({"endpoint": _pv(moto_endpoint), "region": _pv(REGION)}),
                accept_secrets=True,
                accept_resources=False,
            )
        )
    )
    igw = moto_ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    urn = f"urn:pulumi:{STACK}::egov::egov:ec2:RouteTable::edge"
    news = _wire({"vpcId": _pv(vpc), "routes": _pv([{"destinationCidrBlock": "0.0.0.0/0", "gatewayId": igw}])})
    checked = run_async(provider.check(CheckRequest(urn, {}, news, b"")))
    assert not checked.failures and checked.inputs is not None
    inputs = _wire(checked.inputs)

    # Preview of a table whose gateway is not known yet: no API call, outputs unknown.
    unknown_route = _wire(
        {"vpcId": _pv(vpc), "routes": _pv([{"destinationCidrBlock": "0.0.0.0/0", "gatewayId": rpc.UNKNOWN}])}
    )
    checked_unknown = run_async(provider.check(CheckRequest(urn, {}, unknown_route, b"")))
    assert not checked_unknown.failures and checked_unknown.inputs is not None
    tables = len(moto_ec2.describe_route_tables()["RouteTables"])
    preview = run_async(provider.create(CreateRequest(urn, _wire(checked_unknown.inputs), 60, True)))
    assert _wire(preview.properties)["routeTableId"].value == rpc.UNKNOWN
    assert len(moto_ec2.describe_route_tables()["RouteTables"]) == tables

    created = run_async(provider.create(CreateRequest(urn, inputs, 60, False)))
    table_id = created.resource_id
    assert table_id is not None
    state = _wire(created.properties)
    assert convert.to_plain(state)[0]["routes"] == [{"destinationCidrBlock": "0.0.0.0/0", "gatewayId": igw}]
    try:
        dropped = _wire({**inputs, "routes": _pv([])})
        diff = run_async(provider.diff(DiffRequest(urn, table_id, state, dropped, [])))
        assert diff.changes is True and diff.replaces == [] and list(diff.detailed_diff) == ["routes[0]"]
        run_async(provider.update(UpdateRequest(urn, table_id, state, dropped, 60, [], True)))  # preview
        assert _routes(moto_ec2, table_id) == {"0.0.0.0/0": igw}
        updated = run_async(provider.update(UpdateRequest(urn, table_id, state, dropped, 60, [], False)))
        assert _routes(moto_ec2, table_id) == {}
        state = _wire(updated.properties)
        imported = run_async(provider.read(ReadRequest(urn, table_id, {}, {})))
        assert convert.to_plain(_wire(imported.inputs))[0] == {"vpcId": vpc, "routes": [], "tags": {}}
    finally:
        run_async(provider.delete(DeleteRequest(urn, table_id, state, 60)))
    assert (
        moto_ec2.describe_route_tables(Filters=[{"Name": "route-table-id", "Values": [table_id]}])["RouteTables"] == []
    )
