"""The program-side wrappers of ``infra/resources/security.py`` (KMS, S3, logs, CloudTrail, IAM)
under Pulumi's mocks: camelCase inputs out, snake_case outputs back, policies as JSON text."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pulumi
import pytest

registered: list[pulumi.runtime.MockResourceArgs] = []

_OUTPUTS: dict[str, dict[str, Any]] = {
    "egov:kms:Key": {"keyId": "k-1", "arn": "arn:aws-cn:kms:cn-north-1:123456789012:key/k-1"},
    "egov:kms:Alias": {"arn": "arn:aws-cn:kms:cn-north-1:123456789012:alias/audit", "targetKeyArn": "arn:key"},
    "egov:s3:Bucket": {"arn": "arn:aws-cn:s3:::audit-logs", "region": "cn-north-1"},
    "egov:logs:LogGroup": {"arn": "arn:aws-cn:logs:cn-north-1:123456789012:log-group:/egov/audit"},
    "egov:cloudtrail:Trail": {
        "arn": "arn:aws-cn:cloudtrail:cn-north-1:123456789012:trail/t",
        "homeRegion": "cn-north-1",
    },
    "egov:iam:Role": {"arn": "arn:aws-cn:iam::123456789012:role/trail", "roleId": "AROA1"},
}


@pytest.fixture(autouse=True)
def _mocks(pulumi_mocks: Callable[..., Any]) -> None:
    pulumi_mocks(
        registered, outputs=lambda args: _OUTPUTS.get(args.typ, {}), resource_id=lambda args: f"{args.name}-id"
    )


def _inputs(typ: str) -> dict[str, Any]:
    return next(args.inputs for args in registered if args.typ == typ)


@pulumi.runtime.test
def test_key_alias_and_bucket_wrappers() -> Any:
    from infra.resources.security import Alias, Bucket, Key

    key = Key(
        "audit",
        description="audit logs",
        policy={"Version": "2012-10-17", "Statement": []},
        pending_window_in_days=7,
        tags={"dept": "audit"},
    )
    alias = Alias("audit", name="alias/egov/audit", target_key_id=key.key_id)
    bucket = Bucket(
        "logs",
        bucket="audit-logs",
        kms_key_id=key.arn,
        object_lock_enabled=True,
        retention_mode="COMPLIANCE",
        retention_days=180,
        lifecycle_rules=[{"id": "expire", "noncurrent_version_expiration_days": 30}],
        policy={"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Resource": key.arn}]},
    )

    def verify(values: list[Any]) -> None:
        key_id, key_arn, alias_target, bucket_arn, bucket_policy, rules = values
        assert key_id == "k-1" and key_arn.startswith("arn:aws-cn:kms:")
        assert alias_target == "k-1"
        assert bucket_arn == "arn:aws-cn:s3:::audit-logs"
        assert json.loads(bucket_policy)["Statement"][0]["Resource"] == key_arn  # Output inside a dict policy
        assert rules == [{"id": "expire", "noncurrentVersionExpirationDays": 30}]
        assert _inputs("egov:kms:Key") == {
            "description": "audit logs",
            "policy": '{"Statement": [], "Version": "2012-10-17"}',
            "pendingWindowInDays": 7,
            "tags": {"dept": "audit"},
        }
        bucket_inputs = _inputs("egov:s3:Bucket")
        assert bucket_inputs["kmsKeyId"] == key_arn and bucket_inputs["objectLockEnabled"] is True
        assert (bucket_inputs["retentionMode"], bucket_inputs["retentionDays"]) == ("COMPLIANCE", 180)

    return pulumi.Output.all(
        key.key_id, key.arn, alias.target_key_id, bucket.arn, bucket.policy, bucket.lifecycle_rules
    ).apply(verify)


@pulumi.runtime.test
def test_audit_and_iam_wrappers() -> Any:
    from infra.resources.security import LogGroup, Role, RolePolicy, RolePolicyAttachment, Trail

    trust = '{"Version": "2012-10-17", "Statement": []}'
    role = Role("trail", name="trail", assume_role_policy=trust, max_session_duration=7200)
    group = LogGroup("audit", name="/egov/audit", retention_in_days=180)
    policy = RolePolicy("write", role=role.name, name="write", policy={"Statement": [{"Resource": group.arn}]})
    attach = RolePolicyAttachment("ro", role=role.name, policy_arn="arn:aws-cn:iam::aws:policy/ReadOnlyAccess")
    trail = Trail(
        "audit",
        name="egov-audit",
        s3_bucket_name="audit-logs",
        cloud_watch_logs_log_group_arn=group.arn,
        cloud_watch_logs_role_arn=role.arn,
    )

    def verify(values: list[Any]) -> None:
        role_arn, role_id, group_arn, written, attached, trail_arn, home = values
        assert role_arn.endswith(":role/trail") and role_id == "AROA1"
        assert json.loads(written)["Statement"][0]["Resource"] == group_arn
        assert attached == "arn:aws-cn:iam::aws:policy/ReadOnlyAccess"
        assert trail_arn.endswith(":trail/t") and home == "cn-north-1"
        assert _inputs("egov:iam:Role") == {"name": "trail", "assumeRolePolicy": trust, "maxSessionDuration": 7200}
        assert _inputs("egov:cloudtrail:Trail") == {
            "name": "egov-audit",
            "s3BucketName": "audit-logs",
            "cloudWatchLogsLogGroupArn": group_arn,
            "cloudWatchLogsRoleArn": role_arn,
        }
        assert _inputs("egov:iam:RolePolicyAttachment") == {"role": "trail", "policyArn": attached}

    return pulumi.Output.all(
        role.arn, role.role_id, group.arn, policy.policy, attach.policy_arn, trail.arn, trail.home_region
    ).apply(verify)


@pulumi.runtime.test
def test_get_looks_up_by_id() -> Any:
    from infra.resources.security import Bucket

    bucket = Bucket.get("legacy", "legacy-logs")

    def verify(values: list[Any]) -> None:
        (resource_id,) = values
        assert resource_id == "legacy-logs"
        (args,) = registered
        assert args.typ == "egov:s3:Bucket" and args.resource_id == "legacy-logs"

    return pulumi.Output.all(bucket.id).apply(verify)


def test_wrapper_module_does_not_touch_boto3() -> None:
    import infra.resources.security as module

    assert module.__file__ is not None
    assert "boto3" not in Path(module.__file__).read_text()
