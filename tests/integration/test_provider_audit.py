"""Log group and CloudTrail trail handlers against a real moto server, verified with plain boto3."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest

from infra.provider.clients import ClientFactory, ProviderConfig
from infra.provider.cloudtrail import TrailHandler
from infra.provider.errors import ProviderError, ResourceRef
from infra.provider.handler import HandlerContext
from infra.provider.logs import LogGroupHandler
from tests.integration.provider_checks import REGION, checked_inputs

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("moto_credentials")]



def _ctx(endpoint: str, type_token: str) -> HandlerContext:
    config = ProviderConfig(region=REGION, endpoint=endpoint, max_attempts=1)
    urn = f"urn:pulumi:test::egov::{type_token}::a-{uuid.uuid4().hex[:8]}"
    return HandlerContext(resource=ResourceRef.from_urn(urn), clients=ClientFactory(config), timeout=60)


@pytest.fixture
def key_arn(moto_aws: Callable[[str], Any]) -> str:
    return str(moto_aws("kms").create_key(Description="audit")["KeyMetadata"]["Arn"])


@pytest.fixture
def bucket(moto_aws: Callable[[str], Any]) -> str:
    name = f"egov-trail-{uuid.uuid4().hex[:8]}"
    s3 = moto_aws("s3")
    s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": REGION})
    return name


def _group(logs: Any, name: str) -> dict[str, Any] | None:
    groups = logs.describe_log_groups(logGroupNamePrefix=name)["logGroups"]
    return next((g for g in groups if g["logGroupName"] == name), None)


# -- log groups ----------------------------------------------------------------------------


def test_log_group_lifecycle(moto_endpoint: str, key_arn: str, moto_aws: Callable[[str], Any]) -> None:
    logs = moto_aws("logs")
    handler = LogGroupHandler()
    ctx = _ctx(moto_endpoint, "egov:logs:LogGroup")
    name = f"/egov/audit/{uuid.uuid4().hex[:6]}"
    inputs = checked_inputs(handler, ctx, name=name, kmsKeyId=key_arn, retentionInDays=180, tags={"dept": "audit"})
    created = handler.create(ctx, inputs)
    group = _group(logs, name)
    assert group is not None and group["retentionInDays"] == 180 and group["kmsKeyId"] == key_arn
    arn = group["logGroupArn"]
    assert arn.startswith("arn:aws-cn:logs:cn-north-1:") and created.outputs["arn"] == arn
    assert logs.list_tags_for_resource(resourceArn=arn)["tags"] == {"dept": "audit", "egov:urn": ctx.resource.urn}
    assert {k: created.outputs[k] for k in inputs} == inputs

    # Drift: retention shortened behind our back; refresh shows it, update repairs it.
    logs.put_retention_policy(logGroupName=name, retentionInDays=7)
    logs.tag_resource(resourceArn=arn, tags={"extra": "1"})
    refreshed = handler.read(ctx, name, created.outputs, inputs)
    assert refreshed.outputs["retentionInDays"] == 7 and refreshed.inputs["tags"] == {"dept": "audit", "extra": "1"}
    diff = handler.diff(ctx, name, refreshed.outputs, inputs)
    assert set(diff.detailed) == {"retentionInDays", "tags.extra"} and diff.replaces == []
    news = {**inputs, "retentionInDays": 365}
    updated = handler.update(ctx, name, refreshed.outputs, news)
    group = _group(logs, name)
    assert group is not None and group["retentionInDays"] == 365
    assert logs.list_tags_for_resource(resourceArn=arn)["tags"] == {"dept": "audit", "egov:urn": ctx.resource.urn}
    assert handler.diff(ctx, name, updated, news).changes is False
    assert handler.diff(ctx, name, updated, {**news, "name": name + "-2"}).replaces == ["name"]

    # Import by name.
    imported = handler.read(ctx, name, {}, {})
    assert imported.inputs == {"name": name, "kmsKeyId": key_arn, "retentionInDays": 365, "tags": {"dept": "audit"}}

    handler.delete(ctx, name, updated)
    assert _group(logs, name) is None
    handler.delete(ctx, name, updated)
    assert handler.read(ctx, name, updated, news).resource_id is None


def test_log_group_key_change_is_in_place_and_moto_gap_is_named(moto_endpoint: str, key_arn: str) -> None:
    handler = LogGroupHandler()
    ctx = _ctx(moto_endpoint, "egov:logs:LogGroup")
    name = f"/egov/keyed/{uuid.uuid4().hex[:6]}"
    inputs = checked_inputs(handler, ctx, name=name)
    created = handler.create(ctx, inputs)
    try:
        news = {**inputs, "kmsKeyId": key_arn}
        diff = handler.diff(ctx, name, created.outputs, news)
        assert diff.diffs == ["kmsKeyId"] and diff.replaces == []  # never a replacement: it holds audit events
        with pytest.raises(ProviderError) as raised:
            handler.update(ctx, name, created.outputs, news)
        message = str(raised.value)
        assert ctx.resource.urn in message
        assert "does not implement logs:AssociateKmsKey" in message
    finally:
        handler.delete(ctx, name, {})


# -- trails --------------------------------------------------------------------------------


def test_trail_lifecycle(moto_endpoint: str, bucket: str, key_arn: str, moto_aws: Callable[[str], Any]) -> None:
    cloudtrail = moto_aws("cloudtrail")
    handler = TrailHandler()
    ctx = _ctx(moto_endpoint, "egov:cloudtrail:Trail")
    name = f"egov-trail-{uuid.uuid4().hex[:6]}"
    account = key_arn.split(":")[4]
    group_arn = f"arn:aws-cn:logs:{REGION}:{account}:log-group:/egov/trail"
    role_arn = f"arn:aws-cn:iam::{account}:role/trail-to-logs"
    inputs = checked_inputs(
        handler,
        ctx,
        name=name,
        s3BucketName=bucket,
        s3KeyPrefix="audit",
        kmsKeyId=key_arn,
        cloudWatchLogsLogGroupArn=group_arn,
        cloudWatchLogsRoleArn=role_arn,
        tags={"dept": "audit"},
    )
    created = handler.create(ctx, inputs)
    trail = cloudtrail.get_trail(Name=name)["Trail"]
    assert trail["IsMultiRegionTrail"] is True and trail["LogFileValidationEnabled"] is True
    assert trail["IncludeGlobalServiceEvents"] is True and trail["S3KeyPrefix"] == "audit"
    assert trail["KmsKeyId"] == key_arn and trail["CloudWatchLogsLogGroupArn"] == group_arn + ":*"
    assert cloudtrail.get_trail_status(Name=name)["IsLogging"] is True
    arn = trail["TrailARN"]
    assert arn == f"arn:aws-cn:cloudtrail:{REGION}:{account}:trail/{name}" and created.outputs["arn"] == arn
    tags = cloudtrail.list_tags(ResourceIdList=[arn])["ResourceTagList"][0]["TagsList"]
    assert {t["Key"]: t["Value"] for t in tags} == {"dept": "audit", "egov:urn": ctx.resource.urn}
    assert {k: created.outputs[k] for k in inputs} == inputs  # the log group ARN as the program wrote it
    assert handler.diff(ctx, name, created.outputs, inputs).changes is False

    # Drift: logging stopped and validation off behind our back.
    cloudtrail.stop_logging(Name=name)
    cloudtrail.update_trail(Name=name, EnableLogFileValidation=False)
    refreshed = handler.read(ctx, name, created.outputs, inputs)
    assert refreshed.outputs["isLogging"] is False and refreshed.outputs["enableLogFileValidation"] is False
    diff = handler.diff(ctx, name, refreshed.outputs, inputs)
    assert set(diff.diffs) == {"isLogging", "enableLogFileValidation"} and diff.replaces == []
    handler.update(ctx, name, refreshed.outputs, inputs)
    assert cloudtrail.get_trail_status(Name=name)["IsLogging"] is True
    assert cloudtrail.get_trail(Name=name)["Trail"]["LogFileValidationEnabled"] is True

    # In place: encryption and CloudWatch delivery removed, prefix changed, tags changed.
    news = checked_inputs(handler, ctx, name=name, s3BucketName=bucket, s3KeyPrefix="trail", tags={"level": "3"})
    diff = handler.diff(ctx, name, refreshed.outputs, news)
    assert diff.replaces == []
    updated = handler.update(ctx, name, refreshed.outputs, news)
    trail = cloudtrail.get_trail(Name=name)["Trail"]
    assert not trail.get("KmsKeyId") and not trail.get("CloudWatchLogsLogGroupArn")
    assert trail["S3KeyPrefix"] == "trail"
    tags = cloudtrail.list_tags(ResourceIdList=[arn])["ResourceTagList"][0]["TagsList"]
    assert {t["Key"]: t["Value"] for t in tags} == {"level": "3", "egov:urn": ctx.resource.urn}
    assert handler.diff(ctx, name, updated, news).changes is False
    assert handler.diff(ctx, name, updated, {**news, "name": name + "-x"}).replaces == ["name"]

    imported = handler.read(ctx, name, {}, {})
    checked = handler.check(ctx, imported.inputs, {})
    assert checked.failures == [] and checked.inputs == imported.inputs
    assert imported.inputs["s3KeyPrefix"] == "trail" and imported.inputs["tags"] == {"level": "3"}

    # The leftover sweep finds trails made for this stack (a trail holds no data itself).
    assert handler.find_owned(ctx, "urn:pulumi:test::egov::").get(name) == ctx.resource.urn

    handler.delete(ctx, name, updated)
    assert name not in {t["Name"] for t in cloudtrail.list_trails()["Trails"]}
    handler.delete(ctx, name, updated)
    assert handler.read(ctx, name, updated, news).resource_id is None


def test_trail_failed_create_leaves_nothing_behind(
    moto_endpoint: str, bucket: str, monkeypatch: pytest.MonkeyPatch, moto_aws: Callable[[str], Any]
) -> None:
    cloudtrail = moto_aws("cloudtrail")
    handler = TrailHandler()
    ctx = _ctx(moto_endpoint, "egov:cloudtrail:Trail")
    name = f"egov-doomed-{uuid.uuid4().hex[:6]}"

    def broken(*args: Any, **kwargs: Any) -> None:
        raise ProviderError(f"{ctx.resource}: cloudtrail:GetTrail failed with InternalError: boom")

    monkeypatch.setattr(handler, "_describe", broken)
    with pytest.raises(ProviderError) as raised:
        handler.create(ctx, checked_inputs(handler, ctx, name=name, s3BucketName=bucket))
    assert "boom" in str(raised.value) and "nothing is left behind" in str(raised.value)
    assert name not in {t["Name"] for t in cloudtrail.list_trails()["Trails"]}


def test_trail_on_missing_bucket_names_the_resource(moto_endpoint: str) -> None:
    handler = TrailHandler()
    ctx = _ctx(moto_endpoint, "egov:cloudtrail:Trail")
    with pytest.raises(ProviderError) as raised:
        handler.create(ctx, checked_inputs(handler, ctx, name="egov-nobucket", s3BucketName="no-such-bucket-here"))
    message = str(raised.value)
    assert message.startswith(f'egov:cloudtrail:Trail "{ctx.resource.name}"')
    assert "cloudtrail:CreateTrail failed with S3BucketDoesNotExistException" in message
