"""The transit gateway handlers against a real moto server, every claim checked with plain boto3."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest
from pulumi.provider.experimental.property_value import PropertyValue
from pulumi.provider.experimental.provider import CheckRequest, ConfigureRequest, CreateRequest, DeleteRequest
from pulumi.runtime import rpc

from infra.provider.clients import ClientFactory, ProviderConfig
from infra.provider.ec2_tgw import TransitGatewayHandler
from infra.provider.ec2_tgw_attachments import TransitGatewayVpcAttachmentHandler
from infra.provider.ec2_tgw_links import (
    TransitGatewayRouteTableAssociationHandler,
    TransitGatewayRouteTablePropagationHandler,
)
from infra.provider.ec2_tgw_route_tables import TransitGatewayRouteTableHandler
from infra.provider.ec2_tgw_routes import TransitGatewayRouteHandler
from infra.provider.ec2_transit import ASSOCIATION, PROPAGATION, ROUTE, ROUTE_TABLE, TRANSIT_GATEWAY, VPC_ATTACHMENT
from infra.provider.errors import ApiError, ProviderError, ResourceRef, UnreadableResponse
from infra.provider.handler import DiffKind, HandlerContext
from infra.provider.provider import EgovProvider
from infra.provider.tags import OWNER_TAG
from tests.integration.provider_checks import REGION, checked_inputs

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("moto_credentials")]


@pytest.fixture
def ec2(moto_aws: Callable[[str], Any]) -> Any:
    """Independent boto3 client used to verify (and to change things behind our back)."""
    return moto_aws("ec2")


@pytest.fixture
def make_ctx(moto_endpoint: str) -> Callable[[str], HandlerContext]:
    config = ProviderConfig(region=REGION, endpoint=moto_endpoint, max_attempts=2)
    clients = ClientFactory(config)

    def make(type_token: str) -> HandlerContext:
        urn = f"urn:pulumi:test::egov::{type_token}::t-{uuid.uuid4().hex[:8]}"
        return HandlerContext(resource=ResourceRef.from_urn(urn), clients=clients, timeout=30)

    return make


def _tags(item: dict[str, Any]) -> dict[str, str]:
    return {t["Key"]: t["Value"] for t in item.get("Tags", [])}


def _tgw(ec2: Any, tgw_id: str) -> dict[str, Any] | None:
    found = ec2.describe_transit_gateways(TransitGatewayIds=[tgw_id])["TransitGateways"]
    return found[0] if found and found[0]["State"] != "deleted" else None


def _boto_tgw(ec2: Any) -> str:
    options = {"DefaultRouteTableAssociation": "disable", "DefaultRouteTablePropagation": "disable"}
    return str(ec2.create_transit_gateway(Options=options)["TransitGateway"]["TransitGatewayId"])


def _boto_vpc(ec2: Any, second_octet: int, subnets: int = 1) -> tuple[str, list[str]]:
    vpc_id = ec2.create_vpc(CidrBlock=f"10.{second_octet}.0.0/16")["Vpc"]["VpcId"]
    subnet_ids = [
        ec2.create_subnet(VpcId=vpc_id, CidrBlock=f"10.{second_octet}.{i}.0/24")["Subnet"]["SubnetId"]
        for i in range(subnets)
    ]
    return vpc_id, subnet_ids


def _boto_attachment(ec2: Any, tgw_id: str, second_octet: int) -> str:
    vpc_id, subnets = _boto_vpc(ec2, second_octet)
    response = ec2.create_transit_gateway_vpc_attachment(TransitGatewayId=tgw_id, VpcId=vpc_id, SubnetIds=subnets)
    return str(response["TransitGatewayVpcAttachment"]["TransitGatewayAttachmentId"])


def _boto_table(ec2: Any, tgw_id: str) -> str:
    response = ec2.create_transit_gateway_route_table(TransitGatewayId=tgw_id)
    return str(response["TransitGatewayRouteTable"]["TransitGatewayRouteTableId"])


def _routes(ec2: Any, table_id: str) -> dict[str, str]:
    routes = ec2.search_transit_gateway_routes(
        TransitGatewayRouteTableId=table_id, Filters=[{"Name": "type", "Values": ["static"]}]
    )["Routes"]
    return {r["DestinationCidrBlock"]: r["State"] for r in routes}


def _associations(ec2: Any, table_id: str) -> list[str]:
    found = ec2.get_transit_gateway_route_table_associations(TransitGatewayRouteTableId=table_id)["Associations"]
    return [a["TransitGatewayAttachmentId"] for a in found if a["State"] == "associated"]


def _propagations(ec2: Any, table_id: str) -> list[str]:
    found = ec2.get_transit_gateway_route_table_propagations(TransitGatewayRouteTableId=table_id)
    return [p["TransitGatewayAttachmentId"] for p in found["TransitGatewayRouteTablePropagations"]]


# -- TransitGateway --------------------------------------------------------------------------------


def test_transit_gateway_lifecycle(make_ctx: Callable[[str], HandlerContext], ec2: Any) -> None:
    handler = TransitGatewayHandler()
    ctx = make_ctx(TRANSIT_GATEWAY)
    inputs = checked_inputs(handler, ctx, description="zones hub", amazonSideAsn=64600, tags={"Name": "hub"})
    created = handler.create(ctx, inputs)
    tgw_id = created.resource_id

    tgw = _tgw(ec2, tgw_id)
    assert tgw is not None and tgw["State"] == "available"
    assert tgw["Description"] == "zones hub"
    options = tgw["Options"]
    assert options["AmazonSideAsn"] == 64600
    assert options["DefaultRouteTableAssociation"] == "disable"
    assert options["DefaultRouteTablePropagation"] == "disable"
    assert options["AutoAcceptSharedAttachments"] == "disable"
    assert _tags(tgw) == {"Name": "hub", OWNER_TAG: ctx.resource.urn}
    out = created.outputs
    assert out["transitGatewayId"] == tgw_id and out["arn"] == tgw["TransitGatewayArn"]
    assert out["ownerId"] == tgw["OwnerId"]
    assert {k: out[k] for k in inputs} == inputs
    assert handler.find_owned(ctx, "urn:pulumi:test::egov::") == {tgw_id: ctx.resource.urn}

    # In place: options and tags; same gateway afterwards.
    news = checked_inputs(
        handler, ctx, description="zones hub", amazonSideAsn=64600, dnsSupport="disable", tags={"Name": "core"}
    )
    diff = handler.diff(ctx, tgw_id, out, news)
    assert diff.changes and diff.replaces == []
    updated = handler.update(ctx, tgw_id, out, news)
    tgw = _tgw(ec2, tgw_id)
    assert tgw is not None and tgw["Options"]["DnsSupport"] == "disable"
    assert _tags(tgw) == {"Name": "core", OWNER_TAG: ctx.resource.urn}
    assert updated["transitGatewayId"] == tgw_id and handler.diff(ctx, tgw_id, updated, news).changes is False
    assert handler.diff(ctx, tgw_id, updated, {**news, "description": "other"}).replaces == ["description"]

    # Refresh sees drift; import reconstructs inputs that check accepts and that diff to nothing.
    ec2.modify_transit_gateway(TransitGatewayId=tgw_id, Options={"VpnEcmpSupport": "disable"})
    imported = handler.read(ctx, tgw_id, {}, {})
    assert imported.inputs == {**news, "vpnEcmpSupport": "disable"}
    rechecked = handler.check(ctx, imported.inputs, {})
    assert rechecked.failures == [] and rechecked.inputs == imported.inputs
    assert handler.diff(ctx, tgw_id, imported.outputs, rechecked.inputs).changes is False
    assert handler.diff(ctx, tgw_id, imported.outputs, news).detailed == {"vpnEcmpSupport": DiffKind.UPDATE}

    handler.delete(ctx, tgw_id, updated)
    assert _tgw(ec2, tgw_id) is None
    assert handler.read(ctx, tgw_id, updated, news).resource_id is None
    handler.delete(ctx, tgw_id, updated)  # already gone is success


def test_transit_gateway_failed_create_leaves_nothing_behind(
    make_ctx: Callable[[str], HandlerContext], ec2: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    handler = TransitGatewayHandler()
    ctx = make_ctx(TRANSIT_GATEWAY)

    def stuck(*args: Any) -> None:
        raise ProviderError(f"{ctx.resource}: timed out after 30s waiting for the transit gateway")

    monkeypatch.setattr(handler, "_wait_available", stuck)
    live_before = {t["TransitGatewayId"] for t in ec2.describe_transit_gateways()["TransitGateways"]}
    with pytest.raises(ProviderError) as raised:
        handler.create(ctx, checked_inputs(handler, ctx))
    assert "timed out after 30s" in str(raised.value)
    assert "was deleted again, so nothing is left behind" in str(raised.value)
    live_after = {t["TransitGatewayId"] for t in ec2.describe_transit_gateways()["TransitGateways"]}
    assert live_after == live_before


def test_provider_dispatches_and_previews_without_api_calls(
    moto_endpoint: str, ec2: Any, run_async: Callable[..., Any]
) -> None:
    provider = EgovProvider()
    args = {"endpoint": PropertyValue(moto_endpoint), "region": PropertyValue(REGION)}
    run_async(
        provider.configure(ConfigureRequest(variables={}, args=args, accept_secrets=True, accept_resources=False))
    )
    urn = f"urn:pulumi:test::egov::{TRANSIT_GATEWAY}::hub-{uuid.uuid4().hex[:6]}"
    checked = run_async(provider.check(CheckRequest(urn, {}, {}, b"")))
    assert not checked.failures and checked.inputs is not None
    assert checked.inputs["defaultRouteTableAssociation"].value == "disable"

    before = len(ec2.describe_transit_gateways()["TransitGateways"])
    preview = run_async(provider.create(CreateRequest(urn, checked.inputs, 30, True)))
    assert len(ec2.describe_transit_gateways()["TransitGateways"]) == before
    assert preview.properties is not None and preview.properties["transitGatewayId"].value == rpc.UNKNOWN

    created = run_async(provider.create(CreateRequest(urn, checked.inputs, 30, False)))
    tgw_id = created.resource_id
    assert tgw_id is not None and tgw_id.startswith("tgw-") and _tgw(ec2, tgw_id) is not None
    run_async(provider.delete(DeleteRequest(urn, tgw_id, created.properties or {}, 30)))
    assert _tgw(ec2, tgw_id) is None


# -- TransitGatewayRouteTable -----------------------------------------------------------------------


def test_route_table_lifecycle(make_ctx: Callable[[str], HandlerContext], ec2: Any) -> None:
    handler = TransitGatewayRouteTableHandler()
    ctx = make_ctx(ROUTE_TABLE)
    tgw_id = _boto_tgw(ec2)
    inputs = checked_inputs(handler, ctx, transitGatewayId=tgw_id, tags={"zone": "finance"})
    created = handler.create(ctx, inputs)
    table_id = created.resource_id

    (table,) = ec2.describe_transit_gateway_route_tables(TransitGatewayRouteTableIds=[table_id])[
        "TransitGatewayRouteTables"
    ]
    assert table["TransitGatewayId"] == tgw_id and table["State"] == "available"
    assert _tags(table) == {"zone": "finance", OWNER_TAG: ctx.resource.urn}
    assert created.outputs == {
        **inputs,
        "transitGatewayRouteTableId": table_id,
        "defaultAssociationRouteTable": False,
        "defaultPropagationRouteTable": False,
    }
    assert handler.find_owned(ctx, ctx.resource.urn) == {table_id: ctx.resource.urn}

    news = checked_inputs(handler, ctx, transitGatewayId=tgw_id, tags={"zone": "finance", "tier": "3"})
    assert handler.diff(ctx, table_id, created.outputs, news).replaces == []
    updated = handler.update(ctx, table_id, created.outputs, news)
    (table,) = ec2.describe_transit_gateway_route_tables(TransitGatewayRouteTableIds=[table_id])[
        "TransitGatewayRouteTables"
    ]
    assert _tags(table) == {"zone": "finance", "tier": "3", OWNER_TAG: ctx.resource.urn}

    imported = handler.read(ctx, table_id, {}, {})
    assert imported.inputs == news

    handler.delete(ctx, table_id, updated)
    (table,) = ec2.describe_transit_gateway_route_tables(TransitGatewayRouteTableIds=[table_id])[
        "TransitGatewayRouteTables"
    ]
    assert table["State"] == "deleted"
    assert handler.read(ctx, table_id, updated, news).resource_id is None
    assert handler.find_owned(ctx, ctx.resource.urn) == {}
    handler.delete(ctx, table_id, updated)
    handler.delete(ctx, "tgw-rtb-0000000000000000", {})  # never existed: also fine


# -- TransitGatewayVpcAttachment --------------------------------------------------------------------


def test_vpc_attachment_lifecycle(make_ctx: Callable[[str], HandlerContext], ec2: Any) -> None:
    handler = TransitGatewayVpcAttachmentHandler()
    ctx = make_ctx(VPC_ATTACHMENT)
    tgw_id = _boto_tgw(ec2)
    vpc_id, (s1, s2, s3) = _boto_vpc(ec2, 60, subnets=3)
    inputs = checked_inputs(
        handler, ctx, transitGatewayId=tgw_id, vpcId=vpc_id, subnetIds=[s1], tags={"zone": "health"}
    )
    created = handler.create(ctx, inputs)
    attachment_id = created.resource_id

    (attachment,) = ec2.describe_transit_gateway_vpc_attachments(TransitGatewayAttachmentIds=[attachment_id])[
        "TransitGatewayVpcAttachments"
    ]
    assert (attachment["TransitGatewayId"], attachment["VpcId"], attachment["SubnetIds"]) == (tgw_id, vpc_id, [s1])
    # moto drops the create call's tags; the handler put them (owner tag included) on afterwards.
    assert _tags(attachment) == {"zone": "health", OWNER_TAG: ctx.resource.urn}
    assert created.outputs["transitGatewayAttachmentId"] == attachment_id
    assert handler.find_owned(ctx, ctx.resource.urn) == {attachment_id: ctx.resource.urn}

    # Subnets change in place (one added, one removed), given in any order.
    news = checked_inputs(handler, ctx, transitGatewayId=tgw_id, vpcId=vpc_id, subnetIds=[s3, s2], tags={})
    diff = handler.diff(ctx, attachment_id, created.outputs, news)
    assert diff.replaces == [] and set(diff.diffs) == {"subnetIds", "tags"}
    updated = handler.update(ctx, attachment_id, created.outputs, news)
    (attachment,) = ec2.describe_transit_gateway_vpc_attachments(TransitGatewayAttachmentIds=[attachment_id])[
        "TransitGatewayVpcAttachments"
    ]
    assert sorted(attachment["SubnetIds"]) == sorted([s2, s3])
    assert _tags(attachment) == {OWNER_TAG: ctx.resource.urn}
    assert updated["subnetIds"] == sorted([s2, s3]) and handler.diff(ctx, attachment_id, updated, news).changes is False

    imported = handler.read(ctx, attachment_id, {}, {})
    assert imported.inputs == news
    assert handler.check(ctx, imported.inputs, {}).inputs == imported.inputs

    handler.delete(ctx, attachment_id, updated)
    assert (
        ec2.describe_transit_gateway_vpc_attachments(TransitGatewayAttachmentIds=[attachment_id])[
            "TransitGatewayVpcAttachments"
        ]
        == []
    )
    assert handler.read(ctx, attachment_id, updated, news).resource_id is None
    handler.delete(ctx, attachment_id, updated)


def test_vpc_attachment_errors_name_the_resource(make_ctx: Callable[[str], HandlerContext], ec2: Any) -> None:
    handler = TransitGatewayVpcAttachmentHandler()
    ctx = make_ctx(VPC_ATTACHMENT)
    vpc_id, subnets = _boto_vpc(ec2, 61)
    with pytest.raises(ApiError) as raised:
        handler.create(
            ctx, checked_inputs(handler, ctx, transitGatewayId="tgw-0000000000", vpcId=vpc_id, subnetIds=subnets)
        )
    text = str(raised.value)
    assert text.startswith(f'{VPC_ATTACHMENT} "{ctx.resource.name}" ({ctx.resource.urn}): ')
    assert "ec2:CreateTransitGatewayVpcAttachment failed with InvalidTransitGatewayID.NotFound" in text


# -- associations and propagations ------------------------------------------------------------------


def test_association_lifecycle(make_ctx: Callable[[str], HandlerContext], ec2: Any) -> None:
    handler = TransitGatewayRouteTableAssociationHandler()
    ctx = make_ctx(ASSOCIATION)
    tgw_id = _boto_tgw(ec2)
    table_id = _boto_table(ec2, tgw_id)
    attachment_id = _boto_attachment(ec2, tgw_id, 70)
    inputs = checked_inputs(handler, ctx, transitGatewayAttachmentId=attachment_id, transitGatewayRouteTableId=table_id)
    created = handler.create(ctx, inputs)
    assert created.resource_id == f"{table_id}_{attachment_id}"
    assert _associations(ec2, table_id) == [attachment_id]
    assert created.outputs["resourceType"] == "vpc" and created.outputs["resourceId"].startswith("vpc-")

    with pytest.raises(ProviderError) as raised:
        handler.create(make_ctx(ASSOCIATION), inputs)
    assert f"the association of {attachment_id} with {table_id} already exists; remove it" in str(raised.value)

    imported = handler.read(ctx, created.resource_id, {}, {})
    assert imported.inputs == inputs and imported.outputs == created.outputs

    handler.delete(ctx, created.resource_id, created.outputs)
    assert _associations(ec2, table_id) == []
    assert handler.read(ctx, created.resource_id, created.outputs, inputs).resource_id is None
    handler.delete(ctx, created.resource_id, created.outputs)

    # Removed behind our back: refresh says it is gone.
    again = handler.create(ctx, inputs)
    ec2.disassociate_transit_gateway_route_table(
        TransitGatewayRouteTableId=table_id, TransitGatewayAttachmentId=attachment_id
    )
    assert handler.read(ctx, again.resource_id, again.outputs, inputs).resource_id is None
    handler.delete(ctx, again.resource_id, again.outputs)


def test_propagations_of_one_attachment_into_two_tables(make_ctx: Callable[[str], HandlerContext], ec2: Any) -> None:
    """Zone A's routes reach zones B and C: moto 5.2.5 fails removing the second; the handler checks reality."""
    handler = TransitGatewayRouteTablePropagationHandler()
    tgw_id = _boto_tgw(ec2)
    table_b, table_c = _boto_table(ec2, tgw_id), _boto_table(ec2, tgw_id)
    attachment_a = _boto_attachment(ec2, tgw_id, 71)
    made = []
    for table_id in (table_b, table_c):
        ctx = make_ctx(PROPAGATION)
        inputs = checked_inputs(
            handler, ctx, transitGatewayAttachmentId=attachment_a, transitGatewayRouteTableId=table_id
        )
        made.append((ctx, handler.create(ctx, inputs), inputs))
        assert _propagations(ec2, table_id) == [attachment_a]

    ctx, created, inputs = made[0]
    imported = handler.read(ctx, created.resource_id, {}, {})
    assert imported.inputs == inputs

    for ctx, created, _ in made:
        handler.delete(ctx, created.resource_id, created.outputs)
        handler.delete(ctx, created.resource_id, created.outputs)
    assert _propagations(ec2, table_b) == [] and _propagations(ec2, table_c) == []


# -- TransitGatewayRoute ----------------------------------------------------------------------------


def test_route_lifecycle(make_ctx: Callable[[str], HandlerContext], ec2: Any) -> None:
    handler = TransitGatewayRouteHandler()
    ctx = make_ctx(ROUTE)
    tgw_id = _boto_tgw(ec2)
    table_id = _boto_table(ec2, tgw_id)
    attachment_id = _boto_attachment(ec2, tgw_id, 80)
    inputs = checked_inputs(
        handler,
        ctx,
        destinationCidrBlock="10.81.0.0/16",
        transitGatewayRouteTableId=table_id,
        transitGatewayAttachmentId=attachment_id,
    )
    created = handler.create(ctx, inputs)
    route_id = created.resource_id
    assert route_id == f"{table_id}_10.81.0.0/16"
    assert _routes(ec2, table_id) == {"10.81.0.0/16": "active"}
    assert created.outputs == {**inputs, "state": "active"}

    # Someone else's route for the same destination is never taken over.
    with pytest.raises(ProviderError) as raised:
        handler.create(make_ctx(ROUTE), inputs)
    assert f"route table {table_id} already has a static route to 10.81.0.0/16" in str(raised.value)

    # Target changes in place: to a blackhole, then back (moto lacks ReplaceTransitGatewayRoute).
    blackhole = checked_inputs(
        handler, ctx, destinationCidrBlock="10.81.0.0/16", transitGatewayRouteTableId=table_id, blackhole=True
    )
    assert handler.diff(ctx, route_id, created.outputs, blackhole).replaces == []
    dropped = handler.update(ctx, route_id, created.outputs, blackhole)
    assert _routes(ec2, table_id) == {"10.81.0.0/16": "blackhole"}
    assert dropped == {**blackhole, "state": "blackhole"}
    restored = handler.update(ctx, route_id, dropped, inputs)
    assert _routes(ec2, table_id) == {"10.81.0.0/16": "active"}
    assert restored == {**inputs, "state": "active"}

    # Refresh keeps a live route, and sees one deleted behind our back.
    assert handler.read(ctx, route_id, restored, inputs).outputs == restored
    ec2.delete_transit_gateway_route(TransitGatewayRouteTableId=table_id, DestinationCidrBlock="10.81.0.0/16")
    assert handler.read(ctx, route_id, restored, inputs).resource_id is None
    handler.delete(ctx, route_id, restored)  # already gone is success

    again = handler.create(ctx, inputs)
    handler.delete(ctx, again.resource_id, again.outputs)
    assert _routes(ec2, table_id) == {}
    handler.delete(ctx, again.resource_id, again.outputs)


def test_route_import_reconstructschecked_inputs(make_ctx: Callable[[str], HandlerContext], ec2: Any) -> None:
    handler = TransitGatewayRouteHandler()
    ctx = make_ctx(ROUTE)
    tgw_id = _boto_tgw(ec2)
    table_id = _boto_table(ec2, tgw_id)
    ec2.create_transit_gateway_route(
        TransitGatewayRouteTableId=table_id, DestinationCidrBlock="10.99.0.0/16", Blackhole=True
    )
    imported = handler.read(ctx, f"{table_id}_10.99.0.0/16", {}, {})
    expected = {"destinationCidrBlock": "10.99.0.0/16", "transitGatewayRouteTableId": table_id, "blackhole": True}
    assert imported.inputs == expected and imported.outputs["state"] == "blackhole"
    checked = handler.check(ctx, imported.inputs, {})
    assert (
        checked.failures == []
        and handler.diff(ctx, imported.resource_id or "", imported.outputs, checked.inputs).changes is False
    )
    handler.delete(ctx, f"{table_id}_10.99.0.0/16", {})
    assert _routes(ec2, table_id) == {}


def test_route_failed_create_leaves_nothing_behind(
    make_ctx: Callable[[str], HandlerContext], ec2: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    handler = TransitGatewayRouteHandler()
    ctx = make_ctx(ROUTE)
    table_id = _boto_table(ec2, _boto_tgw(ec2))

    def stuck(*args: Any) -> None:
        raise ProviderError(f"{ctx.resource}: timed out after 30s waiting for the route")

    real_create_route = handler._create_route

    def pending(*args: Any) -> dict[str, Any]:
        # A cloud that answers before the route settles (moto's answer is settled at once): the create waits.
        return {**real_create_route(*args), "State": "pending"}

    monkeypatch.setattr(handler, "_create_route", pending)
    monkeypatch.setattr(handler, "_wait_settled", stuck)
    with pytest.raises(ProviderError) as raised:
        handler.create(
            ctx,
            checked_inputs(
                handler, ctx, destinationCidrBlock="10.98.0.0/16", transitGatewayRouteTableId=table_id, blackhole=True
            ),
        )
    assert "was deleted again, so nothing is left behind" in str(raised.value)
    assert _routes(ec2, table_id) == {}


def test_unreadable_answers_name_the_resource(make_ctx: Callable[[str], HandlerContext]) -> None:
    ctx = make_ctx(ROUTE)
    with pytest.raises(UnreadableResponse) as raised:
        ctx.call(
            "ec2",
            "replace_transit_gateway_route",
            TransitGatewayRouteTableId="tgw-rtb-1",
            DestinationCidrBlock="10.0.0.0/8",
        )
    assert str(raised.value).startswith(f"{ctx.resource}: ec2:ReplaceTransitGatewayRoute got an answer that is not")
