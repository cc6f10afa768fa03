"""S3 bucket handler logic that needs no cloud: check (names, retention, lifecycle rules), diff."""

from __future__ import annotations

import json
from typing import Any

import pytest

from infra.provider.clients import ClientFactory, ProviderConfig
from infra.provider.errors import ResourceRef
from infra.provider.handler import UNKNOWN, DiffKind, Failure, HandlerContext
from infra.provider.s3 import BucketHandler, bucket_name_problem

KEY_ARN = "arn:aws-cn:kms:cn-north-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
DEFAULTS: dict[str, Any] = {
    "sseAlgorithm": "aws:kms",
    "bucketKeyEnabled": True,
    "versioningEnabled": True,
    "blockPublicAcls": True,
    "ignorePublicAcls": True,
    "blockPublicPolicy": True,
    "restrictPublicBuckets": True,
    "objectLockEnabled": False,
    "lifecycleRules": [],
    "loggingTargetPrefix": "",
    "forceDestroy": False,
    "tags": {},
}
POLICY: dict[str, Any] = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": ["arn:aws-cn:s3:::logs", "arn:aws-cn:s3:::logs/*"],
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        }
    ],
}


@pytest.fixture
def handler() -> BucketHandler:
    return BucketHandler()


@pytest.fixture
def ctx() -> HandlerContext:
    config = ProviderConfig(region="cn-north-1", endpoint="http://127.0.0.1:9")
    return HandlerContext(
        resource=ResourceRef.from_urn("urn:pulumi:dev::egov::egov:s3:Bucket::b"), clients=ClientFactory(config)
    )


def failures(handler: BucketHandler, ctx: HandlerContext, **news: Any) -> list[Failure]:
    return handler.check(ctx, {"bucket": "logs", **news}, {}).failures


def state(**overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {"bucket": "logs", **DEFAULTS, "kmsKeyId": KEY_ARN, "policy": json.dumps(POLICY)}
    base.update({"arn": "arn:aws-cn:s3:::logs", "region": "cn-north-1"})
    base.update(overrides)
    return base


def inputs(**overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {"bucket": "logs", **DEFAULTS, "kmsKeyId": KEY_ARN, "policy": json.dumps(POLICY)}
    base.update(overrides)
    return base


# -- check ---------------------------------------------------------------------------------


def test_check_fills_secure_defaults(handler: BucketHandler, ctx: HandlerContext) -> None:
    result = handler.check(ctx, {"bucket": "logs"}, {})
    assert result.failures == [] and result.inputs == {"bucket": "logs", **DEFAULTS}


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("ab", "bucket 'ab' is 2 characters long; a bucket name has 3 to 63"),
        (
            "Logs",
            "bucket 'Logs' may only contain lowercase letters, digits, '.' and '-', and must begin and end "
            "with a letter or digit",
        ),
        (
            "logs-",
            "bucket 'logs-' may only contain lowercase letters, digits, '.' and '-', and must begin and end "
            "with a letter or digit",
        ),
        ("my..logs", "bucket 'my..logs' must not contain '..', '.-' or '-.'"),
        ("192.168.1.1", "bucket '192.168.1.1' looks like an IP address, which S3 does not allow"),
        ("xn--logs", "bucket 'xn--logs' uses a prefix or suffix that S3 reserves"),
    ],
)
def test_bucket_name_rules(name: str, reason: str) -> None:
    assert bucket_name_problem(name) == reason


def test_check_retention_rules(handler: BucketHandler, ctx: HandlerContext) -> None:
    assert failures(handler, ctx, retentionMode="GOVERNANCE", retentionDays=30) == [
        Failure(
            "retentionMode",
            "default retention (retentionMode/retentionDays/retentionYears) needs objectLockEnabled: true",
        )
    ]
    assert failures(handler, ctx, objectLockEnabled=True, retentionMode="LEGAL", retentionDays=0, retentionYears=1) == [
        Failure("retentionMode", "retentionMode 'LEGAL' must be GOVERNANCE or COMPLIANCE"),
        Failure("retentionYears", "set retentionDays or retentionYears, not both"),
        Failure("retentionDays", "retentionDays must be at least 1, got 0"),
    ]
    assert failures(handler, ctx, objectLockEnabled=True, retentionMode="COMPLIANCE") == [
        Failure("retentionMode", "retentionMode needs retentionDays or retentionYears")
    ]
    assert failures(handler, ctx, objectLockEnabled=True, retentionDays=7) == [
        Failure("retentionMode", "retentionDays/retentionYears need retentionMode")
    ]
    assert failures(handler, ctx, objectLockEnabled=True, versioningEnabled=False) == [
        Failure("versioningEnabled", "versioningEnabled must stay true on an object lock bucket")
    ]
    assert failures(handler, ctx, objectLockEnabled=True, retentionMode="COMPLIANCE", retentionYears=6) == []


def test_check_encryption_rules(handler: BucketHandler, ctx: HandlerContext) -> None:
    assert failures(handler, ctx, sseAlgorithm="AES256", kmsKeyId=KEY_ARN) == [
        Failure("kmsKeyId", "kmsKeyId needs sseAlgorithm aws:kms or aws:kms:dsse, not AES256")
    ]
    assert failures(handler, ctx, sseAlgorithm="none") == [
        Failure("sseAlgorithm", "sseAlgorithm 'none' must be one of: aws:kms, aws:kms:dsse, AES256")
    ]


def test_check_lifecycle_rules_are_validated_and_normalized(handler: BucketHandler, ctx: HandlerContext) -> None:
    result = handler.check(
        ctx, {"bucket": "logs", "lifecycleRules": [{"id": "expire", "expirationDays": 180, "prefix": None}]}, {}
    )
    assert result.failures == []
    assert result.inputs["lifecycleRules"] == [{"id": "expire", "prefix": "", "enabled": True, "expirationDays": 180}]

    bad = [
        {"id": "a", "expirationDays": 0, "storageClass": "GLACIER"},
        {"expirationDays": "ten"},
        {"id": "a"},
    ]
    assert failures(handler, ctx, lifecycleRules=bad) == [
        Failure(
            "lifecycleRules[0].storageClass",
            "lifecycleRules[0] has unknown field 'storageClass'; a rule accepts: id, prefix, enabled, expirationDays, "
            "noncurrentVersionExpirationDays, abortIncompleteMultipartUploadDays",
        ),
        Failure("lifecycleRules[0].expirationDays", "lifecycleRules[0].expirationDays must be at least 1 day, got 0"),
        Failure("lifecycleRules[1].expirationDays", "lifecycleRules[1].expirationDays must be an integer"),
        Failure("lifecycleRules[1].id", "lifecycleRules[1] needs an id (1-255 characters, unique in the bucket)"),
        Failure("lifecycleRules[2].id", "lifecycleRules[2].id 'a' is used by an earlier rule"),
        Failure(
            "lifecycleRules[2]",
            "lifecycleRules[2] has no action; set at least one of: expirationDays, noncurrentVersionExpirationDays, "
            "abortIncompleteMultipartUploadDays",
        ),
    ]
    assert failures(handler, ctx, lifecycleRules=["x"]) == [
        Failure("lifecycleRules[0]", "lifecycleRules[0] must be a map, got string")
    ]


def test_check_lets_unknowns_through(handler: BucketHandler, ctx: HandlerContext) -> None:
    result = handler.check(ctx, {"bucket": UNKNOWN, "kmsKeyId": UNKNOWN, "lifecycleRules": [UNKNOWN]}, {})
    assert result.failures == [] and result.inputs["lifecycleRules"] == [UNKNOWN]


# -- diff ------------------------------------------------------------------------------------


def test_diff_nothing_changed(handler: BucketHandler, ctx: HandlerContext) -> None:
    assert handler.diff(ctx, "logs", state(), inputs()).changes is False


def test_diff_policy_is_semantic(handler: BucketHandler, ctx: HandlerContext) -> None:
    respelled = json.dumps(
        {
            **POLICY,
            "Statement": [
                {
                    **POLICY["Statement"][0],
                    "Resource": list(reversed(POLICY["Statement"][0]["Resource"])),
                    "Action": ["s3:*"],
                    "Principal": {"AWS": "*"},
                }
            ],
        },
        indent=2,
    )
    assert handler.diff(ctx, "logs", state(), inputs(policy=respelled)).changes is False
    diff = handler.diff(ctx, "logs", state(), inputs(policy=None))
    assert diff.detailed == {"policy": DiffKind.DELETE} and diff.replaces == []


def test_diff_name_and_object_lock_replace_everything_else_in_place(
    handler: BucketHandler, ctx: HandlerContext
) -> None:
    assert handler.diff(ctx, "logs", state(), inputs(bucket="logs-2")).replaces == ["bucket"]
    assert handler.diff(ctx, "logs", state(), inputs(objectLockEnabled=True)).replaces == ["objectLockEnabled"]
    diff = handler.diff(
        ctx,
        "logs",
        state(),
        inputs(
            versioningEnabled=False,
            blockPublicPolicy=False,
            lifecycleRules=[{"id": "x", "prefix": "", "enabled": True, "expirationDays": 1}],
            forceDestroy=True,
        ),
    )
    assert diff.replaces == [] and diff.stables == ["arn", "region"]
    assert set(diff.diffs) == {"versioningEnabled", "blockPublicPolicy", "lifecycleRules", "forceDestroy"}


def test_diff_key_arn_and_bare_id_are_the_same_key(handler: BucketHandler, ctx: HandlerContext) -> None:
    bare = KEY_ARN.split(":key/")[1]
    assert handler.diff(ctx, "logs", state(), inputs(kmsKeyId=bare)).changes is False


def test_diff_refresh_drift_shows_as_update(handler: BucketHandler, ctx: HandlerContext) -> None:
    drifted = state(restrictPublicBuckets=False, versioningEnabled=False, retentionDays=1)
    diff = handler.diff(ctx, "logs", drifted, inputs(retentionDays=30))
    assert diff.detailed == {
        "versioningEnabled": DiffKind.UPDATE,
        "restrictPublicBuckets": DiffKind.UPDATE,
        "retentionDays": DiffKind.UPDATE,
    }
