"""Log group handler logic that needs no cloud: check and diff."""

from __future__ import annotations

from typing import Any

import pytest

from infra.provider.clients import ClientFactory, ProviderConfig
from infra.provider.errors import ResourceRef
from infra.provider.handler import DiffKind, Failure, HandlerContext
from infra.provider.logs import LogGroupHandler, log_group_arn

KEY_ARN = "arn:aws-cn:kms:cn-north-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"


@pytest.fixture
def handler() -> LogGroupHandler:
    return LogGroupHandler()


@pytest.fixture
def ctx() -> HandlerContext:
    config = ProviderConfig(region="cn-north-1", endpoint="http://127.0.0.1:9")
    urn = "urn:pulumi:dev::egov::egov:logs:LogGroup::audit"
    return HandlerContext(resource=ResourceRef.from_urn(urn), clients=ClientFactory(config))


def state(**overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "name": "/egov/audit",
        "kmsKeyId": KEY_ARN,
        "retentionInDays": 180,
        "tags": {},
        "arn": "arn:aws-cn:logs:cn-north-1:123456789012:log-group:/egov/audit",
    }
    base.update(overrides)
    return base


def inputs(**overrides: Any) -> dict[str, Any]:
    base = {k: v for k, v in state().items() if k != "arn"}
    base.update(overrides)
    return base


def test_check_fills_defaults(handler: LogGroupHandler, ctx: HandlerContext) -> None:
    result = handler.check(ctx, {"name": "/egov/audit"}, {})
    assert result.failures == [] and result.inputs == {"name": "/egov/audit", "tags": {}}


def test_check_messages(handler: LogGroupHandler, ctx: HandlerContext) -> None:
    news = {"name": "audit logs", "kmsKeyId": "alias/audit", "retentionInDays": 100}
    assert handler.check(ctx, news, {}).failures == [
        Failure("name", "name 'audit logs' must be 1-512 characters of letters, digits and . - _ / #"),
        Failure(
            "kmsKeyId",
            "kmsKeyId 'alias/audit' must be a KMS key ARN (arn:aws-cn:kms:<region>:<account>:key/<id>); "
            "CloudWatch Logs accepts neither bare key ids nor aliases",
        ),
        Failure(
            "retentionInDays",
            "retentionInDays 100 is not one AWS offers: 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, "
            "731, 1096, 1827, 2192, 2557, 2922, 3288, 3653",
        ),
    ]
    assert handler.check(ctx, {"name": "aws/lambda"}, {}).failures == [
        Failure("name", "name 'aws/lambda' is reserved: aws/ log groups belong to AWS services")
    ]
    assert handler.check(ctx, {"name": "/egov/a", "kmsKeyId": KEY_ARN, "retentionInDays": 3653}, {}).failures == []


def test_diff_only_name_replaces(handler: LogGroupHandler, ctx: HandlerContext) -> None:
    assert handler.diff(ctx, "/egov/audit", state(), inputs()).changes is False
    assert handler.diff(ctx, "/egov/audit", state(), inputs(name="/egov/other")).replaces == ["name"]
    other_key = KEY_ARN.replace("1234abcd", "9999abcd")
    diff = handler.diff(ctx, "/egov/audit", state(), inputs(kmsKeyId=other_key, retentionInDays=365))
    assert diff.replaces == [] and diff.detailed == {"kmsKeyId": DiffKind.UPDATE, "retentionInDays": DiffKind.UPDATE}
    # Retention removed means "keep forever": an in-place change, not a replacement.
    assert handler.diff(ctx, "/egov/audit", state(), inputs(retentionInDays=None)).detailed == {
        "retentionInDays": DiffKind.DELETE
    }


def test_log_group_arn_drops_the_stream_wildcard() -> None:
    arn = "arn:aws-cn:logs:cn-north-1:123456789012:log-group:/egov/audit"
    assert log_group_arn(arn + ":*") == arn and log_group_arn(arn) == arn
