"""VPC handler logic that needs no cloud: check (validation, defaults) and diff."""

from __future__ import annotations

from typing import Any

import pytest

from infra.provider.clients import ClientFactory, ProviderConfig
from infra.provider.ec2_vpc import VpcHandler, cidr_problem
from infra.provider.errors import ResourceRef
from infra.provider.handler import UNKNOWN, DiffKind, Failure, HandlerContext

URN = "urn:pulumi:dev::egov::egov:ec2:Vpc::core"
DEFAULTS = {"instanceTenancy": "default", "enableDnsSupport": True, "enableDnsHostnames": False, "tags": {}}


@pytest.fixture
def handler() -> VpcHandler:
    return VpcHandler()


@pytest.fixture
def ctx() -> HandlerContext:
    # check and diff never call the cloud; the endpoint is a closed port on purpose.
    config = ProviderConfig(region="cn-north-1", endpoint="http://127.0.0.1:9")
    return HandlerContext(resource=ResourceRef.from_urn(URN), clients=ClientFactory(config))


def failures(handler: VpcHandler, ctx: HandlerContext, news: dict[str, Any]) -> list[Failure]:
    return handler.check(ctx, news, {}).failures


def state(**overrides: Any) -> dict[str, Any]:
    """Old state as after create/refresh: inputs plus outputs."""
    base: dict[str, Any] = {
        "cidrBlock": "10.0.0.0/16",
        **DEFAULTS,
        "tags": {"env": "dev"},
        "vpcId": "vpc-1",
        "arn": "arn:aws-cn:ec2:cn-north-1:123456789012:vpc/vpc-1",
        "ownerId": "123456789012",
        "defaultSecurityGroupId": "sg-1",
        "defaultNetworkAclId": "acl-1",
        "mainRouteTableId": "rtb-1",
    }
    base.update(overrides)
    return base


def inputs(**overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {"cidrBlock": "10.0.0.0/16", **DEFAULTS, "tags": {"env": "dev"}}
    base.update(overrides)
    return base


# -- check ---------------------------------------------------------------------------------


def test_check_fills_defaults(handler: VpcHandler, ctx: HandlerContext) -> None:
    result = handler.check(ctx, {"cidrBlock": "10.0.0.0/16"}, {})
    assert result.failures == []
    assert result.inputs == {"cidrBlock": "10.0.0.0/16", **DEFAULTS}


def test_check_keeps_explicit_values(handler: VpcHandler, ctx: HandlerContext) -> None:
    news = {
        "cidrBlock": "172.16.0.0/20",
        "instanceTenancy": "dedicated",
        "enableDnsSupport": True,
        "enableDnsHostnames": True,
        "tags": {"Name": "core", "cost center": "it"},
    }
    result = handler.check(ctx, news, {})
    assert result.failures == []
    assert result.inputs == news


def test_check_requires_cidr_block(handler: VpcHandler, ctx: HandlerContext) -> None:
    assert failures(handler, ctx, {}) == [Failure("cidrBlock", "missing required property 'cidrBlock'")]


@pytest.mark.parametrize(
    ("cidr", "reason"),
    [
        (
            "10.0.0.0",
            "cidrBlock '10.0.0.0' has no prefix length; write it as a.b.c.d/n, e.g. 10.0.0.0/16",
        ),
        (
            "10.0.0.0/8",
            "cidrBlock '10.0.0.0/8' has prefix /8; a VPC CIDR block must be between /16 and /28",
        ),
        (
            "10.0.0.0/29",
            "cidrBlock '10.0.0.0/29' has prefix /29; a VPC CIDR block must be between /16 and /28",
        ),
        (
            "10.0.1.0/16",
            "cidrBlock '10.0.1.0/16' has host bits set (0.0.1.0); the /16 network containing it is 10.0.0.0/16",
        ),
        (
            "192.168.10.17/28",
            "cidrBlock '192.168.10.17/28' has host bits set (0.0.0.1); "
            "the /28 network containing it is 192.168.10.16/28",
        ),
        (
            "fd00:10::/56",
            "cidrBlock 'fd00:10::/56' is an IPv6 network; a VPC CIDR block must be IPv4",
        ),
        (
            "10.0.0.256/16",
            "cidrBlock '10.0.0.256/16' is not a valid IPv4 CIDR block (each part 0-255, prefix 0-32)",
        ),
        (
            "10.0.0.0/255.255.0.0",
            "cidrBlock '10.0.0.0/255.255.0.0' is not an IPv4 CIDR block; write it as a.b.c.d/n, e.g. 10.0.0.0/16",
        ),
        (
            "vpc-net",
            "cidrBlock 'vpc-net' has no prefix length; write it as a.b.c.d/n, e.g. 10.0.0.0/16",
        ),
    ],
)
def test_check_rejects_bad_cidr(handler: VpcHandler, ctx: HandlerContext, cidr: str, reason: str) -> None:
    assert failures(handler, ctx, {"cidrBlock": cidr}) == [Failure("cidrBlock", reason)]


@pytest.mark.parametrize("cidr", ["10.0.0.0/16", "10.0.0.0/28", "172.31.0.0/16", "192.168.100.0/24"])
def test_check_accepts_good_cidr(cidr: str) -> None:
    assert cidr_problem(cidr) is None


def test_check_rejects_non_string_cidr(handler: VpcHandler, ctx: HandlerContext) -> None:
    assert failures(handler, ctx, {"cidrBlock": 10}) == [Failure("cidrBlock", "cidrBlock must be a string, got number")]


def test_check_tags_must_be_strings(handler: VpcHandler, ctx: HandlerContext) -> None:
    news = {"cidrBlock": "10.0.0.0/16", "tags": {"env": 1, "owner": True, "ok": "yes"}}
    assert failures(handler, ctx, news) == [
        Failure("tags.env", "tags.env must be a string, got number"),
        Failure("tags.owner", "tags.owner must be a string, got boolean"),
    ]


def test_check_tags_must_be_a_map(handler: VpcHandler, ctx: HandlerContext) -> None:
    assert failures(handler, ctx, {"cidrBlock": "10.0.0.0/16", "tags": ["env"]}) == [
        Failure("tags", "tags must be a map, got list")
    ]


def test_check_rejects_aws_prefixed_tag_keys(handler: VpcHandler, ctx: HandlerContext) -> None:
    news = {"cidrBlock": "10.0.0.0/16", "tags": {"aws:owner": "x", "AWS:Team": "y", "awsome": "z"}}
    assert failures(handler, ctx, news) == [
        Failure('tags["aws:owner"]', "tag key 'aws:owner' starts with 'aws:', which AWS reserves for its own tags"),
        Failure('tags["AWS:Team"]', "tag key 'AWS:Team' starts with 'aws:', which AWS reserves for its own tags"),
    ]


def test_check_limits_tag_count(handler: VpcHandler, ctx: HandlerContext) -> None:
    fifty = {f"k{i}": "v" for i in range(50)}
    assert failures(handler, ctx, {"cidrBlock": "10.0.0.0/16", "tags": fifty}) == []
    fifty_one = {**fifty, "k50": "v"}
    assert failures(handler, ctx, {"cidrBlock": "10.0.0.0/16", "tags": fifty_one}) == [
        Failure("tags", "tags has 51 entries; AWS allows at most 50 tags per resource")
    ]


def test_check_tenancy_and_dns_rules(handler: VpcHandler, ctx: HandlerContext) -> None:
    news = {
        "cidrBlock": "10.0.0.0/16",
        "instanceTenancy": "host",
        "enableDnsSupport": False,
        "enableDnsHostnames": True,
    }
    assert failures(handler, ctx, news) == [
        Failure("instanceTenancy", "instanceTenancy 'host' must be one of: default, dedicated"),
        Failure("enableDnsHostnames", "enableDnsHostnames can only be true when enableDnsSupport is true"),
    ]


def test_check_reports_every_problem_at_once(handler: VpcHandler, ctx: HandlerContext) -> None:
    news = {"cidrBlock": "10.0.0.0/8", "enableDnsSupport": "yes", "cidr": "10.0.0.0/16"}
    assert failures(handler, ctx, news) == [
        Failure(
            "cidr",
            "unknown property 'cidr'; egov:ec2:Vpc accepts: cidrBlock, enableDnsHostnames, "
            "enableDnsSupport, instanceTenancy, tags",
        ),
        Failure("enableDnsSupport", "enableDnsSupport must be a boolean, got string"),
        Failure("cidrBlock", "cidrBlock '10.0.0.0/8' has prefix /8; a VPC CIDR block must be between /16 and /28"),
    ]


def test_check_lets_unknown_values_through(handler: VpcHandler, ctx: HandlerContext) -> None:
    result = handler.check(ctx, {"cidrBlock": UNKNOWN, "tags": {"env": UNKNOWN}}, {})
    assert result.failures == []
    assert result.inputs["cidrBlock"] is UNKNOWN


# -- diff ----------------------------------------------------------------------------------


def test_diff_equal_means_no_changes(handler: VpcHandler, ctx: HandlerContext) -> None:
    result = handler.diff(ctx, "vpc-1", state(), inputs())
    assert result.changes is False
    assert result.replaces == []
    assert result.detailed == {}
    assert result.delete_before_replace is False


def test_diff_absent_optional_equals_default(handler: VpcHandler, ctx: HandlerContext) -> None:
    old = state(tags={})
    del old["tags"]
    result = handler.diff(ctx, "vpc-1", old, inputs(tags={}))
    assert result.changes is False


def test_diff_tag_change_updates_in_place(handler: VpcHandler, ctx: HandlerContext) -> None:
    news = inputs(tags={"env": "prod", "owner": "netops"})
    result = handler.diff(ctx, "vpc-1", state(tags={"env": "dev", "old": "x"}), news)
    assert result.changes is True
    assert result.replaces == []
    assert result.diffs == ["tags"]
    assert result.detailed == {
        "tags.env": DiffKind.UPDATE,
        "tags.old": DiffKind.DELETE,
        "tags.owner": DiffKind.ADD,
    }
    assert "vpcId" in result.stables
    assert result.delete_before_replace is False


def test_diff_cidr_change_replaces(handler: VpcHandler, ctx: HandlerContext) -> None:
    result = handler.diff(ctx, "vpc-1", state(), inputs(cidrBlock="10.1.0.0/16"))
    assert result.changes is True
    assert result.replaces == ["cidrBlock"]
    assert result.detailed == {"cidrBlock": DiffKind.UPDATE_REPLACE}
    assert result.stables == []
    assert result.delete_before_replace is False


def test_diff_tenancy_change_replaces(handler: VpcHandler, ctx: HandlerContext) -> None:
    result = handler.diff(ctx, "vpc-1", state(), inputs(instanceTenancy="dedicated", enableDnsHostnames=True))
    assert result.replaces == ["instanceTenancy"]
    assert result.detailed == {
        "instanceTenancy": DiffKind.UPDATE_REPLACE,
        "enableDnsHostnames": DiffKind.UPDATE,
    }


def test_diff_dns_change_updates_in_place(handler: VpcHandler, ctx: HandlerContext) -> None:
    result = handler.diff(ctx, "vpc-1", state(), inputs(enableDnsHostnames=True))
    assert result.changes is True
    assert result.replaces == []
    assert result.detailed == {"enableDnsHostnames": DiffKind.UPDATE}


def test_diff_against_refreshed_state_shows_drift(handler: VpcHandler, ctx: HandlerContext) -> None:
    # After `pulumi refresh` the state holds what someone changed by hand.
    drifted = state(tags={"env": "dev", "hacked": "yes"}, enableDnsSupport=False)
    result = handler.diff(ctx, "vpc-1", drifted, inputs())
    assert result.changes is True
    assert result.replaces == []
    assert result.detailed == {"enableDnsSupport": DiffKind.UPDATE, "tags.hacked": DiffKind.DELETE}


def test_diff_unknown_new_values(handler: VpcHandler, ctx: HandlerContext) -> None:
    result = handler.diff(ctx, "vpc-1", state(), inputs(cidrBlock=UNKNOWN, tags={"env": UNKNOWN}))
    assert result.replaces == ["cidrBlock"]
    assert result.detailed == {"cidrBlock": DiffKind.UPDATE_REPLACE, "tags.env": DiffKind.UPDATE}


def test_diff_respects_ignore_changes(handler: VpcHandler, ctx: HandlerContext) -> None:
    result = handler.diff(ctx, "vpc-1", state(), inputs(tags={"env": "prod"}), ["tags"])
    assert result.changes is False


def test_preview_create_marks_outputs_unknown(handler: VpcHandler, ctx: HandlerContext) -> None:
    result = handler.preview_create(ctx, inputs())
    assert result.outputs["cidrBlock"] == "10.0.0.0/16"
    for name in (
        "vpcId",
        "arn",
        "ownerId",
        "defaultSecurityGroupId",
        "defaultNetworkAclId",
        "mainRouteTableId",
    ):
        assert result.outputs[name] is UNKNOWN


def test_inputs_from_outputs_drops_output_only(handler: VpcHandler) -> None:
    assert handler.inputs_from_outputs(state()) == inputs()


def test_check_rejects_the_provider_owner_tag(handler: VpcHandler, ctx: HandlerContext) -> None:
    news = {"cidrBlock": "10.0.0.0/16", "tags": {"egov:urn": "urn:pulumi:x"}}
    assert failures(handler, ctx, news) == [
        Failure('tags["egov:urn"]', "tag key 'egov:urn' is reserved: the egov provider sets it to the resource's URN"),
    ]
