"""The S3 bucket handler against a real moto server; every claim verified with plain boto3."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError
from pulumi.provider.experimental.property_value import PropertyValue
from pulumi.provider.experimental.provider import (
    CheckRequest,
    ConfigureRequest,
    CreateRequest,
    DeleteRequest,
    DiffRequest,
    GetSchemaRequest,
    ReadRequest,
)
from pulumi.runtime import rpc

from infra.provider.clients import ClientFactory, ProviderConfig
from infra.provider.errors import ProviderError, ResourceRef
from infra.provider.handler import HandlerContext
from infra.provider.provider import EgovProvider
from infra.provider.s3 import BucketHandler
from tests.integration.provider_checks import REGION, checked_inputs

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("moto_credentials")]



@pytest.fixture
def s3(moto_aws: Callable[[str], Any]) -> Any:
    return moto_aws("s3")


@pytest.fixture
def key_arn(moto_aws: Callable[[str], Any]) -> str:
    kms = moto_aws("kms")
    return str(kms.create_key(Description="bucket key")["KeyMetadata"]["Arn"])


@pytest.fixture
def ctx(moto_endpoint: str) -> HandlerContext:
    config = ProviderConfig(region=REGION, endpoint=moto_endpoint, max_attempts=2)
    urn = f"urn:pulumi:test::egov::egov:s3:Bucket::b-{uuid.uuid4().hex[:8]}"
    return HandlerContext(resource=ResourceRef.from_urn(urn), clients=ClientFactory(config), timeout=60)


@pytest.fixture
def handler() -> BucketHandler:
    return BucketHandler()


def _name() -> str:
    return f"egov-test-{uuid.uuid4().hex[:10]}"


def _exists(s3: Any, name: str) -> bool:
    try:
        s3.head_bucket(Bucket=name)
    except ClientError:
        return False
    return True


def _tags(s3: Any, name: str) -> dict[str, str]:
    return {t["Key"]: t["Value"] for t in s3.get_bucket_tagging(Bucket=name)["TagSet"]}


def _deny_insecure(name: str) -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "DenyInsecureTransport",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:*",
                "Resource": [f"arn:aws-cn:s3:::{name}/*", f"arn:aws-cn:s3:::{name}"],
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            }
        ],
    }


def test_bucket_lifecycle_with_lifecycle_rules(
    handler: BucketHandler, ctx: HandlerContext, s3: Any, key_arn: str
) -> None:
    name = _name()
    policy = json.dumps(_deny_insecure(name))
    inputs = checked_inputs(
        handler,
        ctx,
        bucket=name,
        kmsKeyId=key_arn,
        lifecycleRules=[{"id": "expire", "expirationDays": 180, "noncurrentVersionExpirationDays": 30}],
        policy=policy,
        tags={"dept": "audit"},
    )
    created = handler.create(ctx, inputs)
    assert created.resource_id == name
    encryption = s3.get_bucket_encryption(Bucket=name)["ServerSideEncryptionConfiguration"]["Rules"][0]
    assert encryption["ApplyServerSideEncryptionByDefault"] == {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": key_arn}
    assert encryption["BucketKeyEnabled"] is True
    assert s3.get_bucket_versioning(Bucket=name)["Status"] == "Enabled"
    assert s3.get_public_access_block(Bucket=name)["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "IgnorePublicAcls": True,
        "BlockPublicPolicy": True,
        "RestrictPublicBuckets": True,
    }
    (rule,) = s3.get_bucket_lifecycle_configuration(Bucket=name)["Rules"]
    assert rule["ID"] == "expire" and rule["Status"] == "Enabled"
    assert rule["Expiration"] == {"Days": 180} and rule["NoncurrentVersionExpiration"] == {"NoncurrentDays": 30}
    assert json.loads(s3.get_bucket_policy(Bucket=name)["Policy"]) == _deny_insecure(name)
    assert _tags(s3, name) == {"dept": "audit", "egov:urn": ctx.resource.urn}
    out = created.outputs
    assert out["arn"] == f"arn:aws-cn:s3:::{name}" and out["region"] == REGION
    assert {k: out[k] for k in inputs} == inputs
    assert handler.diff(ctx, name, out, inputs).changes is False

    # In place: retention shortened, policy dropped, a public access flag loosened, tags changed.
    news = checked_inputs(
        handler,
        ctx,
        bucket=name,
        kmsKeyId=key_arn,
        lifecycleRules=[{"id": "expire", "expirationDays": 365}],
        restrictPublicBuckets=False,
        tags={"dept": "audit", "level": "3"},
    )
    diff = handler.diff(ctx, name, out, news)
    assert diff.replaces == [] and set(diff.diffs) == {"lifecycleRules", "policy", "restrictPublicBuckets", "tags"}
    updated = handler.update(ctx, name, out, news)
    (rule,) = s3.get_bucket_lifecycle_configuration(Bucket=name)["Rules"]
    assert rule["Expiration"] == {"Days": 365} and "NoncurrentVersionExpiration" not in rule
    with pytest.raises(ClientError, match="NoSuchBucketPolicy"):
        s3.get_bucket_policy(Bucket=name)
    assert s3.get_public_access_block(Bucket=name)["PublicAccessBlockConfiguration"]["RestrictPublicBuckets"] is False
    assert _tags(s3, name) == {"dept": "audit", "level": "3", "egov:urn": ctx.resource.urn}
    assert handler.diff(ctx, name, updated, news).changes is False
    assert handler.diff(ctx, name, updated, {**news, "objectLockEnabled": True}).replaces == ["objectLockEnabled"]
    assert handler.diff(ctx, name, updated, {**news, "bucket": _name()}).replaces == ["bucket"]

    # Not empty, no forceDestroy: refused, naming what is left.
    s3.put_object(Bucket=name, Key="a.log", Body=b"1")
    s3.put_object(Bucket=name, Key="a.log", Body=b"2")
    s3.put_object(Bucket=name, Key="b.log", Body=b"3")
    with pytest.raises(ProviderError) as raised:
        handler.delete(ctx, name, updated)
    message = str(raised.value)
    assert ctx.resource.urn in message
    assert f"cannot delete bucket {name}: it still holds 2 objects (3 object versions and 0 delete markers" in message
    assert "forceDestroy" in message and "BucketNotEmpty" in message
    assert _exists(s3, name)

    handler.delete(ctx, name, {**updated, "forceDestroy": True})
    assert not _exists(s3, name)
    handler.delete(ctx, name, {**updated, "forceDestroy": True})  # gone already: fine
    handler.delete(ctx, name, updated)
    assert handler.read(ctx, name, updated, news).resource_id is None


def test_bucket_access_logging_to_itself_on_change_and_off(handler: BucketHandler, ctx: HandlerContext,
                                                           s3: Any) -> None:
    """Server access logging: into the bucket itself under a prefix its own policy grants the log delivery
    service (the policy goes first, else the cloud refuses the target); moved to another prefix; turned off."""
    name = _name()
    policy = _deny_insecure(name)
    # first: moto answers 500 when a statement with Principal "*" comes before the grant (AWS does not care)
    policy["Statement"].insert(0, {"Sid": "AccessLogsWrite", "Effect": "Allow",
                                   "Principal": {"Service": "logging.s3.amazonaws.com"}, "Action": "s3:PutObject",
                                   "Resource": f"arn:aws-cn:s3:::{name}/*"})
    inputs = checked_inputs(handler, ctx, bucket=name, policy=json.dumps(policy), loggingTargetBucket=name,
                            loggingTargetPrefix="AccessLogs/")
    created = handler.create(ctx, inputs)
    assert s3.get_bucket_logging(Bucket=name)["LoggingEnabled"] == {"TargetBucket": name,
                                                                     "TargetPrefix": "AccessLogs/"}
    out = created.outputs
    assert out["loggingTargetBucket"] == name and out["loggingTargetPrefix"] == "AccessLogs/"
    assert handler.diff(ctx, name, out, inputs).changes is False
    moved = {**inputs, "loggingTargetPrefix": "logs/"}
    assert set(handler.diff(ctx, name, out, moved).diffs) == {"loggingTargetPrefix"}
    out = handler.update(ctx, name, out, moved)
    assert s3.get_bucket_logging(Bucket=name)["LoggingEnabled"]["TargetPrefix"] == "logs/"
    # moto delivers the access log like S3 does, synchronously: every request adds an object. forceDestroy turns
    # self-logging off first, or emptying the bucket would never end.
    assert any(o["Key"].startswith("logs/") for o in s3.list_objects_v2(Bucket=name).get("Contents", []))
    handler.delete(ctx, name, {**out, "forceDestroy": True})
    assert not _exists(s3, name)

    name = _name()
    off = checked_inputs(handler, ctx, bucket=name, policy=json.dumps(_deny_insecure(name)))
    logged = {**off, "loggingTargetBucket": name, "loggingTargetPrefix": "AccessLogs/"}
    logged["policy"] = json.dumps({**policy, "Statement": [{**policy["Statement"][0],
                                                            "Resource": f"arn:aws-cn:s3:::{name}/*"}]})
    out = handler.create(ctx, logged).outputs
    out = handler.update(ctx, name, out, off)
    assert "LoggingEnabled" not in s3.get_bucket_logging(Bucket=name)
    assert handler.diff(ctx, name, out, off).changes is False
    handler.delete(ctx, name, {**out, "forceDestroy": True})


def test_bucket_logging_inputs_are_checked(handler: BucketHandler, ctx: HandlerContext) -> None:
    failures = handler.check(ctx, {"bucket": _name(), "loggingTargetPrefix": "x/"}, {}).failures
    assert [(f.property, f.reason) for f in failures] == [
        ("loggingTargetPrefix", "loggingTargetPrefix needs loggingTargetBucket")]
    failures = handler.check(ctx, {"bucket": _name(), "loggingTargetBucket": "Bad_Name"}, {}).failures
    assert [f.property for f in failures] == ["loggingTargetBucket"] and "lowercase" in failures[0].reason


def test_bucket_with_object_lock_retention(handler: BucketHandler, ctx: HandlerContext, s3: Any) -> None:
    name = _name()
    inputs = checked_inputs(
        handler,
        ctx,
        bucket=name,
        objectLockEnabled=True,
        retentionMode="GOVERNANCE",
        retentionDays=30,
        forceDestroy=True,
    )
    created = handler.create(ctx, inputs)
    lock = s3.get_object_lock_configuration(Bucket=name)["ObjectLockConfiguration"]
    assert lock["ObjectLockEnabled"] == "Enabled"
    assert lock["Rule"]["DefaultRetention"]["Mode"] == "GOVERNANCE" and lock["Rule"]["DefaultRetention"]["Days"] == 30
    out = created.outputs
    assert (out["objectLockEnabled"], out["retentionMode"], out["retentionDays"]) == (True, "GOVERNANCE", 30)
    assert out["sseAlgorithm"] == "aws:kms" and out["kmsKeyId"] is None  # the AWS managed aws/s3 key

    # Drift made behind our back: retention changed, versioning suspended, public access loosened.
    s3.put_object_lock_configuration(
        Bucket=name,
        ObjectLockConfiguration={
            "ObjectLockEnabled": "Enabled",
            "Rule": {"DefaultRetention": {"Mode": "GOVERNANCE", "Days": 1}},
        },
    )
    s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Suspended"})
    s3.put_public_access_block(
        Bucket=name,
        PublicAccessBlockConfiguration={
            "BlockPublicAcls": False,
            "IgnorePublicAcls": True,
            "BlockPublicPolicy": False,
            "RestrictPublicBuckets": True,
        },
    )
    refreshed = handler.read(ctx, name, out, inputs)
    assert refreshed.outputs["retentionDays"] == 1
    assert refreshed.outputs["versioningEnabled"] is False
    assert (refreshed.outputs["blockPublicAcls"], refreshed.outputs["blockPublicPolicy"]) == (False, False)
    assert refreshed.inputs["retentionDays"] == 1 and refreshed.inputs["forceDestroy"] is True
    diff = handler.diff(ctx, name, refreshed.outputs, inputs)
    assert set(diff.diffs) == {"retentionDays", "versioningEnabled", "blockPublicAcls", "blockPublicPolicy"}
    assert diff.replaces == []
    repaired = handler.update(ctx, name, refreshed.outputs, inputs)
    assert (
        s3.get_object_lock_configuration(Bucket=name)["ObjectLockConfiguration"]["Rule"]["DefaultRetention"]["Days"]
        == 30
    )
    assert s3.get_bucket_versioning(Bucket=name)["Status"] == "Enabled"
    assert all(s3.get_public_access_block(Bucket=name)["PublicAccessBlockConfiguration"].values())
    assert handler.diff(ctx, name, repaired, inputs).changes is False

    # forceDestroy empties a bucket whose versions are under GOVERNANCE retention.
    s3.put_object(Bucket=name, Key="evidence.json", Body=b"{}")
    s3.delete_object(Bucket=name, Key="evidence.json")  # leaves a delete marker too
    handler.delete(ctx, name, repaired)
    assert not _exists(s3, name)


def test_import_reconstructschecked_inputs(handler: BucketHandler, ctx: HandlerContext, s3: Any, key_arn: str) -> None:
    name = _name()
    s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": REGION})
    s3.put_bucket_encryption(
        Bucket=name,
        ServerSideEncryptionConfiguration={
            "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": key_arn}}]
        },
    )
    s3.put_bucket_tagging(Bucket=name, Tagging={"TagSet": [{"Key": "owner", "Value": "legacy"}]})
    try:
        result = handler.read(ctx, name, {}, {})
        assert result.resource_id == name
        assert result.inputs == {
            "bucket": name,
            "sseAlgorithm": "aws:kms",
            "kmsKeyId": key_arn,
            "bucketKeyEnabled": False,
            "versioningEnabled": False,
            "blockPublicAcls": False,
            "ignorePublicAcls": False,
            "blockPublicPolicy": False,
            "restrictPublicBuckets": False,
            "objectLockEnabled": False,
            "lifecycleRules": [],
            "loggingTargetPrefix": "",
            "forceDestroy": False,
            "tags": {"owner": "legacy"},
        }
        checked = handler.check(ctx, result.inputs, {})
        assert checked.failures == [] and checked.inputs == result.inputs
        assert handler.diff(ctx, name, result.outputs, checked.inputs).changes is False
        # Adopting it under our defaults turns on what was missing, in place.
        secure = checked_inputs(handler, ctx, bucket=name, kmsKeyId=key_arn, tags={"owner": "legacy"})
        diff = handler.diff(ctx, name, result.outputs, secure)
        assert diff.replaces == [] and "versioningEnabled" in diff.diffs and "blockPublicAcls" in diff.diffs
        handler.update(ctx, name, result.outputs, secure)
        assert s3.get_bucket_versioning(Bucket=name)["Status"] == "Enabled"
        assert _tags(s3, name) == {"owner": "legacy"}  # no owner tag added to a bucket we did not create
    finally:
        s3.delete_bucket(Bucket=name)


def test_create_adopts_its_own_leftover_and_refuses_others(
    handler: BucketHandler, ctx: HandlerContext, s3: Any
) -> None:
    name = _name()
    s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": REGION})
    try:
        with pytest.raises(ProviderError, match=f"bucket {name} already exists in this account"):
            handler.create(ctx, checked_inputs(handler, ctx, bucket=name))
        assert _exists(s3, name)  # someone else's bucket is never touched, let alone deleted
        # A bucket tagged with this resource's URN is what a lost create response left: adopted.
        s3.put_bucket_tagging(Bucket=name, Tagging={"TagSet": [{"Key": "egov:urn", "Value": ctx.resource.urn}]})
        created = handler.create(ctx, checked_inputs(handler, ctx, bucket=name, tags={"a": "b"}))
        assert created.resource_id == name and created.outputs["versioningEnabled"] is True
        assert _tags(s3, name) == {"a": "b", "egov:urn": ctx.resource.urn}
    finally:
        s3.delete_bucket(Bucket=name)


def test_failed_create_leaves_nothing_behind(
    handler: BucketHandler, ctx: HandlerContext, s3: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    name = _name()
    original = handler._configure

    def broken(*args: Any, **kwargs: Any) -> None:
        original(*args, **kwargs)
        raise ProviderError(f"{ctx.resource}: s3:PutBucketPolicy failed with MalformedPolicy: boom")

    monkeypatch.setattr(handler, "_configure", broken)
    with pytest.raises(ProviderError) as raised:
        handler.create(ctx, checked_inputs(handler, ctx, bucket=name))
    assert "MalformedPolicy: boom" in str(raised.value)
    assert "was deleted again, so nothing is left behind" in str(raised.value)
    assert not _exists(s3, name)


# -- through the provider's engine-facing methods ----------------------------------------------


def _wire(props: dict[str, PropertyValue]) -> dict[str, PropertyValue]:
    return PropertyValue.unmarshal_map(PropertyValue.marshal_map(props))


def test_provider_preview_makes_no_calls_and_schema_lists_the_families(
    moto_endpoint: str, s3: Any, run_async: Callable[..., Any]
) -> None:
    provider = EgovProvider()
    run_async(
        provider.configure(
            ConfigureRequest(
                variables={},
                args=_wire({"endpoint": PropertyValue(moto_endpoint), "region": PropertyValue(REGION)}),
                accept_secrets=True,
                accept_resources=False,
            )
        )
    )
    name = _name()
    urn = f"urn:pulumi:test::egov::egov:s3:Bucket::{name}"
    news = _wire({"bucket": PropertyValue(name), "policy": PropertyValue(json.dumps(_deny_insecure(name)))})
    checked = run_async(provider.check(CheckRequest(urn, {}, news, b"")))
    assert not checked.failures and checked.inputs is not None
    inputs = _wire(checked.inputs)

    preview = run_async(provider.create(CreateRequest(urn, inputs, 60, True)))
    assert not _exists(s3, name)  # preview: no API call
    assert _wire(preview.properties)["arn"].value == rpc.UNKNOWN

    created = run_async(provider.create(CreateRequest(urn, inputs, 60, False)))
    assert created.resource_id == name and _exists(s3, name)
    state = _wire(created.properties)
    read = run_async(provider.read(ReadRequest(urn, name, state, inputs)))
    assert read.resource_id == name
    diff = run_async(provider.diff(DiffRequest(urn, name, _wire(read.properties), inputs, [])))
    assert diff.changes is False
    run_async(provider.delete(DeleteRequest(urn, name, state, 60)))
    assert not _exists(s3, name)

    schema = json.loads(run_async(provider.get_schema(GetSchemaRequest(0, None, None))).schema)
    for token in (
        "egov:kms:Key",
        "egov:kms:Alias",
        "egov:s3:Bucket",
        "egov:logs:LogGroup",
        "egov:cloudtrail:Trail",
        "egov:iam:Role",
        "egov:iam:RolePolicy",
        "egov:iam:RolePolicyAttachment",
    ):
        assert token in schema["resources"]
    bucket_schema = schema["resources"]["egov:s3:Bucket"]["inputProperties"]
    assert bucket_schema["bucket"]["replaceOnChanges"] is True and bucket_schema["blockPublicAcls"]["default"] is True
