"""Transit gateway handlers' logic that needs no cloud: check (validation, defaults), diff, previews, ids."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from infra.provider.clients import ClientFactory, ProviderConfig
from infra.provider.ec2_tgw import TransitGatewayHandler
from infra.provider.ec2_tgw_attachments import TransitGatewayVpcAttachmentHandler
from infra.provider.ec2_tgw_links import (
    TransitGatewayRouteTableAssociationHandler,
    TransitGatewayRouteTablePropagationHandler,
)
from infra.provider.ec2_tgw_route_tables import TransitGatewayRouteTableHandler
from infra.provider.ec2_tgw_routes import TransitGatewayRouteHandler, route_cidr_problem
from infra.provider.ec2_transit import ASSOCIATION, PROPAGATION, ROUTE, ROUTE_TABLE, TRANSIT_GATEWAY, VPC_ATTACHMENT
from infra.provider.errors import ApiError, ProviderError, ResourceRef
from infra.provider.handler import UNKNOWN, DiffKind, Failure, HandlerContext, ResourceHandler
from infra.provider.provider import default_registry

TGW_DEFAULTS = {
    "description": "",
    "amazonSideAsn": 64512,
    "defaultRouteTableAssociation": "disable",
    "defaultRouteTablePropagation": "disable",
    "dnsSupport": "enable",
    "vpnEcmpSupport": "enable",
    "tags": {},
}
TGW = "tgw-0123456789abcdef0"
RTB = "tgw-rtb-0123456789abcdef0"
ATTACH = "tgw-attach-0123456789abcdef0"
VPC = "vpc-0123456789abcdef0"


def ctx_for(type_token: str) -> HandlerContext:
    # check and diff never call the cloud; the endpoint is a closed port on purpose.
    config = ProviderConfig(region="cn-north-1", endpoint="http://127.0.0.1:9", max_attempts=1)
    return HandlerContext(
        resource=ResourceRef.from_urn(f"urn:pulumi:dev::egov::{type_token}::x"), clients=ClientFactory(config)
    )


def failures(handler: ResourceHandler, news: dict[str, Any]) -> list[Failure]:
    return handler.check(ctx_for(handler.type_token), news, {}).failures


def checked(handler: ResourceHandler, news: dict[str, Any]) -> dict[str, Any]:
    result = handler.check(ctx_for(handler.type_token), news, {})
    assert result.failures == []
    return result.inputs


def test_registry_serves_every_transit_family() -> None:
    registry = default_registry()
    for token in (TRANSIT_GATEWAY, ROUTE_TABLE, VPC_ATTACHMENT, ASSOCIATION, PROPAGATION, ROUTE):
        assert token in registry


# -- TransitGateway -------------------------------------------------------------------------------


def test_tgw_defaults_isolate_zones() -> None:
    assert checked(TransitGatewayHandler(), {}) == TGW_DEFAULTS


def test_tgw_keeps_explicit_values() -> None:
    news = {
        "description": "zones hub",
        "amazonSideAsn": 4200000000,
        "defaultRouteTableAssociation": "enable",
        "defaultRouteTablePropagation": "disable",
        "dnsSupport": "disable",
        "vpnEcmpSupport": "disable",
        "tags": {"Name": "hub"},
    }
    assert checked(TransitGatewayHandler(), news) == news


@pytest.mark.parametrize("asn", [64511, 65535, 4199999999, 4294967295, 1])
def test_tgw_rejects_public_asn(asn: int) -> None:
    assert failures(TransitGatewayHandler(), {"amazonSideAsn": asn}) == [
        Failure("amazonSideAsn", f"amazonSideAsn {asn} is not a private ASN; use 64512-65534 or 4200000000-4294967294")
    ]


def test_tgw_rejects_bad_options_and_unknown_properties() -> None:
    news = {"defaultRouteTableAssociation": "enabled", "dnsSupport": True, "autoAccept": "enable"}
    assert failures(TransitGatewayHandler(), news) == [
        Failure(
            "autoAccept",
            "unknown property 'autoAccept'; egov:ec2:TransitGateway accepts: amazonSideAsn, "
            "defaultRouteTableAssociation, defaultRouteTablePropagation, description, dnsSupport, tags, "
            "vpnEcmpSupport",
        ),
        Failure("dnsSupport", "dnsSupport must be a string, got boolean"),
        Failure(
            "defaultRouteTableAssociation", "defaultRouteTableAssociation 'enabled' must be one of: enable, disable"
        ),
    ]


def test_tgw_rejects_reserved_tags() -> None:
    assert failures(TransitGatewayHandler(), {"tags": {"egov:urn": "x"}}) == [
        Failure('tags["egov:urn"]', "tag key 'egov:urn' is reserved: the egov provider sets it to the resource's URN")
    ]


def test_tgw_unknowns_pass() -> None:
    result = TransitGatewayHandler().check(
        ctx_for(TRANSIT_GATEWAY), {"amazonSideAsn": UNKNOWN, "dnsSupport": UNKNOWN}, {}
    )
    assert result.failures == []


def tgw_state(**overrides: Any) -> dict[str, Any]:
    return {
        **TGW_DEFAULTS,
        "transitGatewayId": TGW,
        "arn": f"arn:aws-cn:ec2:cn-north-1:123456789012:transit-gateway/{TGW}",
        "ownerId": "123456789012",
        "associationDefaultRouteTableId": None,
        "propagationDefaultRouteTableId": None,
        **overrides,
    }


@pytest.mark.parametrize(("name", "value"), [("description", "new"), ("amazonSideAsn", 64600)])
def test_tgw_description_and_asn_replace(name: str, value: Any) -> None:
    handler = TransitGatewayHandler()
    result = handler.diff(ctx_for(TRANSIT_GATEWAY), TGW, tgw_state(), {**TGW_DEFAULTS, name: value})
    assert result.replaces == [name]
    assert result.detailed == {name: DiffKind.UPDATE_REPLACE}
    assert result.stables == []


def test_tgw_options_and_tags_update_in_place() -> None:
    handler = TransitGatewayHandler()
    news = {**TGW_DEFAULTS, "defaultRouteTablePropagation": "enable", "dnsSupport": "disable", "tags": {"a": "1"}}
    result = handler.diff(ctx_for(TRANSIT_GATEWAY), TGW, tgw_state(), news)
    assert result.replaces == []
    assert result.detailed == {
        "defaultRouteTablePropagation": DiffKind.UPDATE,
        "dnsSupport": DiffKind.UPDATE,
        "tags.a": DiffKind.ADD,
    }
    assert "transitGatewayId" in result.stables


def test_tgw_state_without_description_equals_empty_description() -> None:
    old = tgw_state()
    del old["description"]
    assert TransitGatewayHandler().diff(ctx_for(TRANSIT_GATEWAY), TGW, old, TGW_DEFAULTS).changes is False


def test_tgw_preview_outputs_unknown_and_inputs_round_trip() -> None:
    handler = TransitGatewayHandler()
    preview = handler.preview_create(ctx_for(TRANSIT_GATEWAY), TGW_DEFAULTS)
    assert preview.resource_id == ""
    for name in ("transitGatewayId", "arn", "ownerId", "associationDefaultRouteTableId"):
        assert preview.outputs[name] is UNKNOWN
    assert handler.inputs_from_outputs(tgw_state()) == TGW_DEFAULTS


# -- TransitGatewayRouteTable -----------------------------------------------------------------------


def test_route_table_requires_a_gateway() -> None:
    assert failures(TransitGatewayRouteTableHandler(), {}) == [
        Failure("transitGatewayId", "missing required property 'transitGatewayId'")
    ]


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (RTB, f"transitGatewayId '{RTB}' is a transit gateway route table id; it needs a transit gateway id (tgw-...)"),
        (VPC, f"transitGatewayId '{VPC}' is a VPC id; it needs a transit gateway id (tgw-...)"),
        ("hub", "transitGatewayId 'hub' is not a tgw-... id"),
    ],
)
def test_route_table_names_a_wrong_id(value: str, reason: str) -> None:
    assert failures(TransitGatewayRouteTableHandler(), {"transitGatewayId": value}) == [
        Failure("transitGatewayId", reason)
    ]


def test_route_table_gateway_replaces_tags_update() -> None:
    handler = TransitGatewayRouteTableHandler()
    ctx = ctx_for(ROUTE_TABLE)
    state = {"transitGatewayId": TGW, "tags": {"zone": "a"}, "transitGatewayRouteTableId": RTB}
    moved = handler.diff(ctx, RTB, state, {"transitGatewayId": "tgw-1", "tags": {"zone": "a"}})
    assert moved.replaces == ["transitGatewayId"]
    retagged = handler.diff(ctx, RTB, state, {"transitGatewayId": TGW, "tags": {"zone": "b"}})
    assert retagged.replaces == [] and retagged.detailed == {"tags.zone": DiffKind.UPDATE}


# -- TransitGatewayVpcAttachment --------------------------------------------------------------------


def test_attachment_sorts_subnets() -> None:
    inputs = checked(
        TransitGatewayVpcAttachmentHandler(),
        {"transitGatewayId": TGW, "vpcId": VPC, "subnetIds": ["subnet-b", "subnet-a"]},
    )
    assert inputs == {"transitGatewayId": TGW, "vpcId": VPC, "subnetIds": ["subnet-a", "subnet-b"], "tags": {}}


def test_attachment_keeps_unknown_subnets_in_order() -> None:
    news = {"transitGatewayId": TGW, "vpcId": VPC, "subnetIds": ["subnet-b", UNKNOWN]}
    result = TransitGatewayVpcAttachmentHandler().check(ctx_for(VPC_ATTACHMENT), news, {})
    assert result.failures == [] and result.inputs["subnetIds"] == ["subnet-b", UNKNOWN]


def test_attachment_subnet_rules() -> None:
    handler = TransitGatewayVpcAttachmentHandler()
    assert failures(handler, {"transitGatewayId": TGW, "vpcId": VPC, "subnetIds": []}) == [
        Failure("subnetIds", "subnetIds is empty; an attachment needs at least one subnet")
    ]
    news = {"transitGatewayId": TGW, "vpcId": "subnet-1", "subnetIds": ["subnet-1", "sg-1", "subnet-1", 7]}
    # A wrong-typed list is reported on its own; the other properties' rules still run.
    assert failures(handler, news) == [
        Failure("subnetIds[3]", "subnetIds[3] must be a string, got number"),
        Failure("vpcId", "vpcId 'subnet-1' is a subnet id; it needs a VPC id (vpc-...)"),
    ]
    news["subnetIds"] = ["subnet-1", "sg-1", "subnet-1"]
    assert failures(handler, news) == [
        Failure("vpcId", "vpcId 'subnet-1' is a subnet id; it needs a VPC id (vpc-...)"),
        Failure("subnetIds[1]", "subnetIds[1] 'sg-1' is a security group id; it needs a subnet id (subnet-...)"),
        Failure("subnetIds[2]", "subnetIds[2] 'subnet-1' is listed twice"),
    ]


def test_attachment_requires_gateway_vpc_and_subnets() -> None:
    assert failures(TransitGatewayVpcAttachmentHandler(), {}) == [
        Failure("transitGatewayId", "missing required property 'transitGatewayId'"),
        Failure("vpcId", "missing required property 'vpcId'"),
        Failure("subnetIds", "missing required property 'subnetIds'"),
    ]


def attachment_state(**overrides: Any) -> dict[str, Any]:
    return {
        "transitGatewayId": TGW,
        "vpcId": VPC,
        "subnetIds": ["subnet-a"],
        "tags": {},
        "transitGatewayAttachmentId": ATTACH,
        "vpcOwnerId": "123456789012",
        **overrides,
    }


def test_attachment_subnets_update_in_place_gateway_and_vpc_replace() -> None:
    handler = TransitGatewayVpcAttachmentHandler()
    ctx = ctx_for(VPC_ATTACHMENT)
    base = {"transitGatewayId": TGW, "vpcId": VPC, "subnetIds": ["subnet-a", "subnet-b"], "tags": {}}
    in_place = handler.diff(ctx, ATTACH, attachment_state(), base)
    assert in_place.replaces == [] and in_place.detailed == {"subnetIds": DiffKind.UPDATE}
    moved = handler.diff(ctx, ATTACH, attachment_state(), {**base, "vpcId": "vpc-2", "transitGatewayId": "tgw-2"})
    assert moved.replaces == ["transitGatewayId", "vpcId"]
    assert moved.delete_before_replace is False


# -- associations and propagations -----------------------------------------------------------------


LINK = {"transitGatewayAttachmentId": ATTACH, "transitGatewayRouteTableId": RTB}
LINK_STATE = {**LINK, "resourceId": VPC, "resourceType": "vpc"}


@pytest.mark.parametrize(
    "handler", [TransitGatewayRouteTableAssociationHandler(), TransitGatewayRouteTablePropagationHandler()]
)
def test_link_checks_both_ids(handler: ResourceHandler) -> None:
    assert failures(handler, {"transitGatewayAttachmentId": RTB, "transitGatewayRouteTableId": ATTACH}) == [
        Failure(
            "transitGatewayAttachmentId",
            f"transitGatewayAttachmentId '{RTB}' is a transit gateway route table id; "
            "it needs a transit gateway attachment id (tgw-attach-...)",
        ),
        Failure(
            "transitGatewayRouteTableId",
            f"transitGatewayRouteTableId '{ATTACH}' is a transit gateway attachment id; "
            "it needs a transit gateway route table id (tgw-rtb-...)",
        ),
    ]
    assert checked(handler, LINK) == LINK


def test_association_replacement_removes_the_old_one_first() -> None:
    handler = TransitGatewayRouteTableAssociationHandler()
    ctx = ctx_for(ASSOCIATION)
    result = handler.diff(ctx, f"{RTB}_{ATTACH}", LINK_STATE, {**LINK, "transitGatewayRouteTableId": "tgw-rtb-2"})
    assert result.replaces == ["transitGatewayRouteTableId"]
    assert result.delete_before_replace is True  # an attachment has one association at a time
    unchanged = handler.diff(ctx, f"{RTB}_{ATTACH}", LINK_STATE, LINK)
    assert unchanged.changes is False and unchanged.delete_before_replace is False


def test_propagation_replacement_creates_first() -> None:
    handler = TransitGatewayRouteTablePropagationHandler()
    result = handler.diff(
        ctx_for(PROPAGATION), f"{RTB}_{ATTACH}", LINK_STATE, {**LINK, "transitGatewayAttachmentId": "tgw-attach-2"}
    )
    assert result.replaces == ["transitGatewayAttachmentId"]
    assert result.delete_before_replace is False


@pytest.mark.parametrize("bad_id", ["tgw-attach-1", "tgw-rtb-1_", "a_b_c"])
def test_link_read_names_the_expected_id_format(bad_id: str) -> None:
    ctx = ctx_for(ASSOCIATION)
    with pytest.raises(ProviderError) as raised:
        TransitGatewayRouteTableAssociationHandler().read(ctx, bad_id, {}, {})
    assert str(raised.value) == (
        f"{ctx.resource}: id {bad_id!r} is not of the form "
        "<transit gateway route table id>_<transit gateway attachment id>, "
        "e.g. tgw-rtb-0123456789abcdef0_tgw-attach-0123456789abcdef0"
    )


# -- TransitGatewayRoute ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cidr", "reason"),
    [
        ("10.1.0.0", "destinationCidrBlock '10.1.0.0' has no prefix length; write it as a.b.c.d/n, e.g. 10.1.0.0/16"),
        (
            "10.1.2.3/16",
            "destinationCidrBlock '10.1.2.3/16' has host bits set; the /16 network containing it is 10.1.0.0/16",
        ),
        ("10.0.0.256/16", "destinationCidrBlock '10.0.0.256/16' is not an IPv4 or IPv6 CIDR block"),
        ("10.1.0.0/33", "destinationCidrBlock '10.1.0.0/33' is not an IPv4 or IPv6 CIDR block"),
        (
            "10.1.0.0/255.255.0.0",
            "destinationCidrBlock '10.1.0.0/255.255.0.0' is not in canonical form; write it as 10.1.0.0/16",
        ),
        ("fd00:0010::/56", "destinationCidrBlock 'fd00:0010::/56' is not in canonical form; write it as fd00:10::/56"),
    ],
)
def test_route_rejects_bad_destination(cidr: str, reason: str) -> None:
    news = {"destinationCidrBlock": cidr, "transitGatewayRouteTableId": RTB, "blackhole": True}
    assert failures(TransitGatewayRouteHandler(), news) == [Failure("destinationCidrBlock", reason)]


@pytest.mark.parametrize("cidr", ["10.1.0.0/16", "0.0.0.0/0", "192.168.7.128/25", "fd00:10::/56", "::/0"])
def test_route_accepts_good_destination(cidr: str) -> None:
    assert route_cidr_problem(cidr) is None


def test_route_needs_exactly_one_target() -> None:
    handler = TransitGatewayRouteHandler()
    base = {"destinationCidrBlock": "10.1.0.0/16", "transitGatewayRouteTableId": RTB}
    assert failures(handler, base) == [
        Failure(
            "transitGatewayAttachmentId",
            "missing transitGatewayAttachmentId; a route needs the attachment to forward to, "
            "or blackhole: true to drop the traffic",
        )
    ]
    assert failures(handler, {**base, "transitGatewayAttachmentId": ATTACH, "blackhole": True}) == [
        Failure(
            "transitGatewayAttachmentId",
            "transitGatewayAttachmentId cannot be set when blackhole is true; "
            "a blackhole route drops the traffic instead of forwarding it",
        )
    ]
    assert checked(handler, {**base, "transitGatewayAttachmentId": ATTACH}) == {
        **base,
        "transitGatewayAttachmentId": ATTACH,
        "blackhole": False,
    }
    assert checked(handler, {**base, "blackhole": True}) == {**base, "blackhole": True}
    assert checked(handler, {**base, "transitGatewayAttachmentId": UNKNOWN, "blackhole": True})["blackhole"] is True


def route_state(**overrides: Any) -> dict[str, Any]:
    return {
        "destinationCidrBlock": "10.1.0.0/16",
        "transitGatewayRouteTableId": RTB,
        "transitGatewayAttachmentId": ATTACH,
        "blackhole": False,
        "state": "active",
        **overrides,
    }


def test_route_target_changes_in_place_destination_replaces() -> None:
    handler = TransitGatewayRouteHandler()
    ctx = ctx_for(ROUTE)
    route_id = f"{RTB}_10.1.0.0/16"
    inputs = {k: v for k, v in route_state().items() if k != "state"}
    assert handler.diff(ctx, route_id, route_state(), inputs).changes is False
    to_other = handler.diff(ctx, route_id, route_state(), {**inputs, "transitGatewayAttachmentId": "tgw-attach-2"})
    assert to_other.replaces == [] and to_other.detailed == {"transitGatewayAttachmentId": DiffKind.UPDATE}
    drop = {k: v for k, v in inputs.items() if k != "transitGatewayAttachmentId"}
    to_blackhole = handler.diff(ctx, route_id, route_state(), {**drop, "blackhole": True})
    assert to_blackhole.replaces == []
    assert to_blackhole.detailed == {"transitGatewayAttachmentId": DiffKind.DELETE, "blackhole": DiffKind.UPDATE}
    moved = handler.diff(ctx, route_id, route_state(), {**inputs, "destinationCidrBlock": "10.2.0.0/16"})
    assert moved.replaces == ["destinationCidrBlock"]


def test_route_read_names_the_expected_id_format() -> None:
    ctx = ctx_for(ROUTE)
    with pytest.raises(ProviderError) as raised:
        TransitGatewayRouteHandler().delete(ctx, "10.1.0.0/16", {})
    assert "is not of the form <transit gateway route table id>_<destination CIDR>" in str(raised.value)
    assert "e.g. tgw-rtb-0123456789abcdef0_10.1.0.0/16" in str(raised.value)


@dataclass
class _RefusingCloud(HandlerContext):
    """A context whose cloud answers like AWS for a gateway that still has attachments: the gateway is
    available, DeleteTransitGateway is refused with IncorrectState, and the attachments are listed.
    Nothing global is patched, so nothing needs undoing."""

    attachments: list[dict[str, Any]] = field(default_factory=list)
    calls: list[str] = field(default_factory=list)

    def call(self, service: str, method: str, **params: Any) -> dict[str, Any]:
        self.calls.append(method)
        if method == "describe_transit_gateways":
            return {"TransitGateways": [{"TransitGatewayId": TGW, "State": "available"}]}
        if method == "delete_transit_gateway":
            raise ApiError("ec2:DeleteTransitGateway failed with IncorrectState", code="IncorrectState", operation="")
        raise AssertionError(f"unexpected call {method}")

    def collect(self, service: str, method: str, result_key: str, **params: Any) -> list[Any]:
        self.calls.append(method)
        assert method == "describe_transit_gateway_attachments"
        assert params["Filters"] == [{"Name": "transit-gateway-id", "Values": [TGW]}]
        return list(self.attachments)


def test_transit_gateway_delete_names_the_attachments_in_the_way() -> None:
    # moto deletes a gateway that still has attachments; AWS refuses with IncorrectState (pure logic here).
    base = ctx_for(TRANSIT_GATEWAY)
    attachments = [
        {"TransitGatewayAttachmentId": ATTACH, "ResourceType": "vpc", "ResourceId": VPC, "State": "available"},
        {"TransitGatewayAttachmentId": "tgw-attach-gone", "ResourceType": "vpc", "ResourceId": VPC, "State": "deleted"},
    ]
    ctx = _RefusingCloud(resource=base.resource, clients=base.clients, attachments=attachments)
    with pytest.raises(ProviderError) as raised:
        TransitGatewayHandler().delete(ctx, TGW, {})
    message = str(raised.value)
    assert message.startswith(f"{ctx.resource}: cannot delete transit gateway {TGW}: it still has: ")
    assert f"vpc attachment {ATTACH} to {VPC} (available)" in message
    assert "tgw-attach-gone" not in message  # a deleted attachment is in nobody's way
    assert ctx.calls == ["describe_transit_gateways", "delete_transit_gateway", "describe_transit_gateway_attachments"]


def test_transit_gateway_delete_keeps_other_refusals() -> None:
    """Only IncorrectState/DependencyViolation get the attachment list; another refusal is the cloud's own."""
    base = ctx_for(TRANSIT_GATEWAY)

    class Denied(_RefusingCloud):
        def call(self, service: str, method: str, **params: Any) -> dict[str, Any]:
            if method == "delete_transit_gateway":
                raise ApiError("ec2:DeleteTransitGateway failed: denied", code="UnauthorizedOperation", operation="")
            return super().call(service, method, **params)

    ctx = Denied(resource=base.resource, clients=base.clients)
    with pytest.raises(ApiError, match="denied"):
        TransitGatewayHandler().delete(ctx, TGW, {})
    assert "describe_transit_gateway_attachments" not in ctx.calls
