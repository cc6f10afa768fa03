"""Trail handler logic that needs no cloud: check and diff."""

from __future__ import annotations

from typing import Any

import pytest

from infra.provider.clients import ClientFactory, ProviderConfig
from infra.provider.cloudtrail import TrailHandler, same_log_group
from infra.provider.errors import ResourceRef
from infra.provider.handler import DiffKind, Failure, HandlerContext

GROUP = "arn:aws-cn:logs:cn-north-1:123456789012:log-group:/egov/trail"
ROLE = "arn:aws-cn:iam::123456789012:role/trail-to-logs"
KEY_ARN = "arn:aws-cn:kms:cn-north-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
DEFAULTS = {
    "isMultiRegionTrail": True,
    "enableLogFileValidation": True,
    "includeGlobalServiceEvents": True,
    "isLogging": True,
    "tags": {},
}


@pytest.fixture
def handler() -> TrailHandler:
    return TrailHandler()


@pytest.fixture
def ctx() -> HandlerContext:
    config = ProviderConfig(region="cn-north-1", endpoint="http://127.0.0.1:9")
    urn = "urn:pulumi:dev::egov::egov:cloudtrail:Trail::audit"
    return HandlerContext(resource=ResourceRef.from_urn(urn), clients=ClientFactory(config))


def inputs(**overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "name": "egov-audit",
        "s3BucketName": "egov-audit-logs",
        **DEFAULTS,
        "kmsKeyId": KEY_ARN,
        "cloudWatchLogsLogGroupArn": GROUP,
        "cloudWatchLogsRoleArn": ROLE,
    }
    base.update(overrides)
    return base


def state(**overrides: Any) -> dict[str, Any]:
    base = {
        **inputs(),
        "arn": "arn:aws-cn:cloudtrail:cn-north-1:123456789012:trail/egov-audit",
        "homeRegion": "cn-north-1",
    }
    base.update(overrides)
    return base


def test_check_fills_secure_defaults(handler: TrailHandler, ctx: HandlerContext) -> None:
    result = handler.check(ctx, {"name": "egov-audit", "s3BucketName": "egov-audit-logs"}, {})
    assert result.failures == []
    assert result.inputs == {"name": "egov-audit", "s3BucketName": "egov-audit-logs", **DEFAULTS}


def test_check_messages(handler: TrailHandler, ctx: HandlerContext) -> None:
    news = {
        "name": "-audit",
        "s3BucketName": "b",
        "includeGlobalServiceEvents": False,
        "cloudWatchLogsLogGroupArn": "/egov/trail",
    }
    assert handler.check(ctx, news, {}).failures == [
        Failure(
            "name",
            "name '-audit' must be 3-128 characters of letters, digits, '.', '_' and '-', start and end with a "
            "letter or digit, and have no two of '.', '_', '-' in a row",
        ),
        Failure("includeGlobalServiceEvents", "a multi-region trail must include global service events"),
        Failure(
            "cloudWatchLogsRoleArn",
            "cloudWatchLogsLogGroupArn and cloudWatchLogsRoleArn go together; set cloudWatchLogsRoleArn too",
        ),
        Failure(
            "cloudWatchLogsLogGroupArn",
            "cloudWatchLogsLogGroupArn '/egov/trail' is not a log group ARN "
            "(arn:aws-cn:logs:<region>:<account>:log-group:<name>)",
        ),
    ]
    assert handler.check(ctx, {"name": "a__b", "s3BucketName": "b"}, {}).failures[0].property == "name"
    assert handler.check(ctx, {"s3BucketName": "b"}, {}).failures == [
        Failure("name", "missing required property 'name'")
    ]


def test_single_region_trail_may_skip_global_events(handler: TrailHandler, ctx: HandlerContext) -> None:
    news = {"name": "zone-a", "s3BucketName": "b", "isMultiRegionTrail": False, "includeGlobalServiceEvents": False}
    assert handler.check(ctx, news, {}).failures == []


def test_diff_only_name_replaces(handler: TrailHandler, ctx: HandlerContext) -> None:
    assert handler.diff(ctx, "egov-audit", state(), inputs()).changes is False
    assert handler.diff(ctx, "egov-audit", state(), inputs(name="egov-audit-2")).replaces == ["name"]
    diff = handler.diff(
        ctx, "egov-audit", state(), inputs(s3BucketName="other", kmsKeyId=None, isLogging=False, s3KeyPrefix="a")
    )
    assert diff.replaces == []
    assert diff.detailed == {
        "s3BucketName": DiffKind.UPDATE,
        "s3KeyPrefix": DiffKind.ADD,
        "kmsKeyId": DiffKind.DELETE,
        "isLogging": DiffKind.UPDATE,
    }


def test_diff_log_group_arn_with_or_without_wildcard_and_key_id_spelling(
    handler: TrailHandler, ctx: HandlerContext
) -> None:
    respelled = inputs(cloudWatchLogsLogGroupArn=GROUP + ":*", kmsKeyId=KEY_ARN.split(":key/")[1])
    assert handler.diff(ctx, "egov-audit", state(), respelled).changes is False
    assert same_log_group(GROUP, GROUP + ":*") and not same_log_group(GROUP, GROUP + "2")
