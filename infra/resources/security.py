"""Keys, buckets, audit trail and IAM roles as Pulumi programs see them.

Same pattern as ``ec2.py``: typed snake_case constructors, the provider's camelCase names in
the props sent to the engine, every output declared (as ``None``, which the SDK does not send)
so the SDK makes an ``Output`` for it, and snake_case properties reading them back. No cloud
access here.

Policy documents (``policy``, ``assume_role_policy``) may be given as JSON text or as a dict;
a dict may hold Outputs (``bucket.arn``...) and is serialised once they are known. The provider
compares policies semantically, so the spelling never causes a diff.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any, TypedDict, cast

import pulumi

from infra.resources.base import EgovResource, TaggedResource, Tags
from infra.resources.base import output as _output

KEY_TYPE = "egov:kms:Key"
ALIAS_TYPE = "egov:kms:Alias"
BUCKET_TYPE = "egov:s3:Bucket"
LOG_GROUP_TYPE = "egov:logs:LogGroup"
TRAIL_TYPE = "egov:cloudtrail:Trail"
ROLE_TYPE = "egov:iam:Role"
ROLE_POLICY_TYPE = "egov:iam:RolePolicy"
ROLE_POLICY_ATTACHMENT_TYPE = "egov:iam:RolePolicyAttachment"

PolicyInput = pulumi.Input[str] | Mapping[str, Any]


class LifecycleRuleArgs(TypedDict, total=False):
    """One bucket lifecycle rule; ``id`` and at least one of the day counts are needed."""

    id: pulumi.Input[str]
    prefix: pulumi.Input[str]
    enabled: pulumi.Input[bool]
    expiration_days: pulumi.Input[int]
    noncurrent_version_expiration_days: pulumi.Input[int]
    abort_incomplete_multipart_upload_days: pulumi.Input[int]


_RULE_KEYS = {
    "expiration_days": "expirationDays",
    "noncurrent_version_expiration_days": "noncurrentVersionExpirationDays",
    "abort_incomplete_multipart_upload_days": "abortIncompleteMultipartUploadDays",
}


def policy_json(document: PolicyInput | None) -> pulumi.Input[str] | None:
    """A policy given as text stays text; a dict becomes JSON (after any Outputs in it resolve)."""
    if not isinstance(document, Mapping):
        return document
    try:
        return json.dumps(document, sort_keys=True)
    except TypeError:  # holds Outputs
        return pulumi.Output.from_input(document).apply(lambda plain: json.dumps(plain, sort_keys=True))


def _rules(rules: pulumi.Input[Sequence[LifecycleRuleArgs]] | None) -> Any:
    def convert(items: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
        return [{_RULE_KEYS.get(key, key): value for key, value in item.items()} for item in items]

    if rules is None:
        return None
    if isinstance(rules, pulumi.Output):
        return rules.apply(lambda items: convert(cast(Sequence[Mapping[str, Any]], items)))
    return convert(cast(Sequence[Mapping[str, Any]], rules))


# -- KMS -------------------------------------------------------------------------------------


class Key(TaggedResource):
    """A customer managed KMS key. ``key_usage``/``key_spec`` replace it; all else updates in place.

    Destroying it schedules deletion after ``pending_window_in_days`` (default 30); it is never
    deleted at once. Rotation is on by default.
    """

    TYPE = KEY_TYPE
    INPUTS = (
        "description",
        "keyUsage",
        "keySpec",
        "enableKeyRotation",
        "rotationPeriodInDays",
        "policy",
        "enabled",
        "pendingWindowInDays",
        "tags",
    )
    OUTPUTS = ("keyId", "arn")

    def __init__(
        self,
        resource_name: str,
        *,
        description: pulumi.Input[str] | None = None,
        key_usage: pulumi.Input[str] | None = None,
        key_spec: pulumi.Input[str] | None = None,
        enable_key_rotation: pulumi.Input[bool] | None = None,
        rotation_period_in_days: pulumi.Input[int] | None = None,
        policy: PolicyInput | None = None,
        enabled: pulumi.Input[bool] | None = None,
        pending_window_in_days: pulumi.Input[int] | None = None,
        tags: Tags | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        props: dict[str, Any] = {
            "description": description,
            "keyUsage": key_usage,
            "keySpec": key_spec,
            "enableKeyRotation": enable_key_rotation,
            "rotationPeriodInDays": rotation_period_in_days,
            "policy": policy_json(policy),
            "enabled": enabled,
            "pendingWindowInDays": pending_window_in_days,
            "tags": tags,
        }
        self._register(resource_name, props, opts)

    @property
    def key_id(self) -> pulumi.Output[str]:
        return _output(self, "keyId")

    @property
    def arn(self) -> pulumi.Output[str]:
        return _output(self, "arn")

    @property
    def description(self) -> pulumi.Output[str]:
        return _output(self, "description")

    @property
    def key_usage(self) -> pulumi.Output[str]:
        return _output(self, "keyUsage")

    @property
    def key_spec(self) -> pulumi.Output[str]:
        return _output(self, "keySpec")

    @property
    def enable_key_rotation(self) -> pulumi.Output[bool]:
        return _output(self, "enableKeyRotation")

    @property
    def rotation_period_in_days(self) -> pulumi.Output[int]:
        return _output(self, "rotationPeriodInDays")

    @property
    def policy(self) -> pulumi.Output[str]:
        return _output(self, "policy")

    @property
    def enabled(self) -> pulumi.Output[bool]:
        return _output(self, "enabled")

    @property
    def pending_window_in_days(self) -> pulumi.Output[int]:
        return _output(self, "pendingWindowInDays")


class Alias(EgovResource):
    """A KMS alias. ``name`` replaces it; ``target_key_id`` updates in place."""

    TYPE = ALIAS_TYPE
    INPUTS = ("name", "targetKeyId")
    OUTPUTS = ("arn", "targetKeyArn")

    def __init__(
        self,
        resource_name: str,
        *,
        name: pulumi.Input[str],
        target_key_id: pulumi.Input[str],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        self._register(resource_name, {"name": name, "targetKeyId": target_key_id}, opts)

    @property
    def name(self) -> pulumi.Output[str]:
        return _output(self, "name")

    @property
    def target_key_id(self) -> pulumi.Output[str]:
        return _output(self, "targetKeyId")

    @property
    def arn(self) -> pulumi.Output[str]:
        return _output(self, "arn")

    @property
    def target_key_arn(self) -> pulumi.Output[str]:
        return _output(self, "targetKeyArn")


# -- S3 --------------------------------------------------------------------------------------


class Bucket(TaggedResource):
    """An S3 bucket: SSE-KMS, versioned and fully public-access-blocked by default.

    ``bucket`` and ``object_lock_enabled`` replace it; everything else updates in place.
    Destroying a non-empty bucket fails unless ``force_destroy`` is true.
    """

    TYPE = BUCKET_TYPE
    INPUTS = (
        "bucket",
        "sseAlgorithm",
        "kmsKeyId",
        "bucketKeyEnabled",
        "versioningEnabled",
        "blockPublicAcls",
        "ignorePublicAcls",
        "blockPublicPolicy",
        "restrictPublicBuckets",
        "objectLockEnabled",
        "retentionMode",
        "retentionDays",
        "retentionYears",
        "lifecycleRules",
        "policy",
        "forceDestroy",
        "tags",
    )
    OUTPUTS = ("arn", "region")

    def __init__(
        self,
        resource_name: str,
        *,
        bucket: pulumi.Input[str],
        sse_algorithm: pulumi.Input[str] | None = None,
        kms_key_id: pulumi.Input[str] | None = None,
        bucket_key_enabled: pulumi.Input[bool] | None = None,
        versioning_enabled: pulumi.Input[bool] | None = None,
        block_public_acls: pulumi.Input[bool] | None = None,
        ignore_public_acls: pulumi.Input[bool] | None = None,
        block_public_policy: pulumi.Input[bool] | None = None,
        restrict_public_buckets: pulumi.Input[bool] | None = None,
        object_lock_enabled: pulumi.Input[bool] | None = None,
        retention_mode: pulumi.Input[str] | None = None,
        retention_days: pulumi.Input[int] | None = None,
        retention_years: pulumi.Input[int] | None = None,
        lifecycle_rules: pulumi.Input[Sequence[LifecycleRuleArgs]] | None = None,
        policy: PolicyInput | None = None,
        force_destroy: pulumi.Input[bool] | None = None,
        tags: Tags | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        props: dict[str, Any] = {
            "bucket": bucket,
            "sseAlgorithm": sse_algorithm,
            "kmsKeyId": kms_key_id,
            "bucketKeyEnabled": bucket_key_enabled,
            "versioningEnabled": versioning_enabled,
            "blockPublicAcls": block_public_acls,
            "ignorePublicAcls": ignore_public_acls,
            "blockPublicPolicy": block_public_policy,
            "restrictPublicBuckets": restrict_public_buckets,
            "objectLockEnabled": object_lock_enabled,
            "retentionMode": retention_mode,
            "retentionDays": retention_days,
            "retentionYears": retention_years,
            "lifecycleRules": _rules(lifecycle_rules),
            "policy": policy_json(policy),
            "forceDestroy": force_destroy,
            "tags": tags,
        }
        self._register(resource_name, props, opts)

    @property
    def bucket(self) -> pulumi.Output[str]:
        return _output(self, "bucket")

    @property
    def arn(self) -> pulumi.Output[str]:
        return _output(self, "arn")

    @property
    def region(self) -> pulumi.Output[str]:
        return _output(self, "region")

    @property
    def sse_algorithm(self) -> pulumi.Output[str]:
        return _output(self, "sseAlgorithm")

    @property
    def kms_key_id(self) -> pulumi.Output[str | None]:
        return _output(self, "kmsKeyId")

    @property
    def bucket_key_enabled(self) -> pulumi.Output[bool]:
        return _output(self, "bucketKeyEnabled")

    @property
    def versioning_enabled(self) -> pulumi.Output[bool]:
        return _output(self, "versioningEnabled")

    @property
    def block_public_acls(self) -> pulumi.Output[bool]:
        return _output(self, "blockPublicAcls")

    @property
    def ignore_public_acls(self) -> pulumi.Output[bool]:
        return _output(self, "ignorePublicAcls")

    @property
    def block_public_policy(self) -> pulumi.Output[bool]:
        return _output(self, "blockPublicPolicy")

    @property
    def restrict_public_buckets(self) -> pulumi.Output[bool]:
        return _output(self, "restrictPublicBuckets")

    @property
    def object_lock_enabled(self) -> pulumi.Output[bool]:
        return _output(self, "objectLockEnabled")

    @property
    def retention_mode(self) -> pulumi.Output[str | None]:
        return _output(self, "retentionMode")

    @property
    def retention_days(self) -> pulumi.Output[int | None]:
        return _output(self, "retentionDays")

    @property
    def retention_years(self) -> pulumi.Output[int | None]:
        return _output(self, "retentionYears")

    @property
    def lifecycle_rules(self) -> pulumi.Output[list[dict[str, Any]]]:
        """As the provider stores them (camelCase keys)."""
        return _output(self, "lifecycleRules")

    @property
    def policy(self) -> pulumi.Output[str | None]:
        return _output(self, "policy")

    @property
    def force_destroy(self) -> pulumi.Output[bool]:
        return _output(self, "forceDestroy")


# -- CloudWatch Logs and CloudTrail ----------------------------------------------------------


class LogGroup(TaggedResource):
    """A CloudWatch Logs group. ``name`` replaces it; KMS key, retention and tags update in place."""

    TYPE = LOG_GROUP_TYPE
    INPUTS = ("name", "kmsKeyId", "retentionInDays", "tags")
    OUTPUTS = ("arn",)

    def __init__(
        self,
        resource_name: str,
        *,
        name: pulumi.Input[str],
        kms_key_id: pulumi.Input[str] | None = None,
        retention_in_days: pulumi.Input[int] | None = None,
        tags: Tags | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        props: dict[str, Any] = {
            "name": name,
            "kmsKeyId": kms_key_id,
            "retentionInDays": retention_in_days,
            "tags": tags,
        }
        self._register(resource_name, props, opts)

    @property
    def name(self) -> pulumi.Output[str]:
        return _output(self, "name")

    @property
    def arn(self) -> pulumi.Output[str]:
        """Without the trailing ``:*``; Trail accepts it either way."""
        return _output(self, "arn")

    @property
    def kms_key_id(self) -> pulumi.Output[str | None]:
        return _output(self, "kmsKeyId")

    @property
    def retention_in_days(self) -> pulumi.Output[int | None]:
        return _output(self, "retentionInDays")


class Trail(TaggedResource):
    """A CloudTrail trail: multi-region, validated and logging by default. Only ``name`` replaces it."""

    TYPE = TRAIL_TYPE
    INPUTS = (
        "name",
        "s3BucketName",
        "s3KeyPrefix",
        "isMultiRegionTrail",
        "enableLogFileValidation",
        "includeGlobalServiceEvents",
        "kmsKeyId",
        "cloudWatchLogsLogGroupArn",
        "cloudWatchLogsRoleArn",
        "isLogging",
        "tags",
    )
    OUTPUTS = ("arn", "homeRegion")

    def __init__(
        self,
        resource_name: str,
        *,
        name: pulumi.Input[str],
        s3_bucket_name: pulumi.Input[str],
        s3_key_prefix: pulumi.Input[str] | None = None,
        is_multi_region_trail: pulumi.Input[bool] | None = None,
        enable_log_file_validation: pulumi.Input[bool] | None = None,
        include_global_service_events: pulumi.Input[bool] | None = None,
        kms_key_id: pulumi.Input[str] | None = None,
        cloud_watch_logs_log_group_arn: pulumi.Input[str] | None = None,
        cloud_watch_logs_role_arn: pulumi.Input[str] | None = None,
        is_logging: pulumi.Input[bool] | None = None,
        tags: Tags | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        props: dict[str, Any] = {
            "name": name,
            "s3BucketName": s3_bucket_name,
            "s3KeyPrefix": s3_key_prefix,
            "isMultiRegionTrail": is_multi_region_trail,
            "enableLogFileValidation": enable_log_file_validation,
            "includeGlobalServiceEvents": include_global_service_events,
            "kmsKeyId": kms_key_id,
            "cloudWatchLogsLogGroupArn": cloud_watch_logs_log_group_arn,
            "cloudWatchLogsRoleArn": cloud_watch_logs_role_arn,
            "isLogging": is_logging,
            "tags": tags,
        }
        self._register(resource_name, props, opts)

    @property
    def name(self) -> pulumi.Output[str]:
        return _output(self, "name")

    @property
    def arn(self) -> pulumi.Output[str]:
        return _output(self, "arn")

    @property
    def home_region(self) -> pulumi.Output[str]:
        return _output(self, "homeRegion")

    @property
    def s3_bucket_name(self) -> pulumi.Output[str]:
        return _output(self, "s3BucketName")

    @property
    def s3_key_prefix(self) -> pulumi.Output[str | None]:
        return _output(self, "s3KeyPrefix")

    @property
    def is_multi_region_trail(self) -> pulumi.Output[bool]:
        return _output(self, "isMultiRegionTrail")

    @property
    def enable_log_file_validation(self) -> pulumi.Output[bool]:
        return _output(self, "enableLogFileValidation")

    @property
    def include_global_service_events(self) -> pulumi.Output[bool]:
        return _output(self, "includeGlobalServiceEvents")

    @property
    def kms_key_id(self) -> pulumi.Output[str | None]:
        return _output(self, "kmsKeyId")

    @property
    def cloud_watch_logs_log_group_arn(self) -> pulumi.Output[str | None]:
        return _output(self, "cloudWatchLogsLogGroupArn")

    @property
    def cloud_watch_logs_role_arn(self) -> pulumi.Output[str | None]:
        return _output(self, "cloudWatchLogsRoleArn")

    @property
    def is_logging(self) -> pulumi.Output[bool]:
        return _output(self, "isLogging")


# -- IAM -------------------------------------------------------------------------------------


class Role(TaggedResource):
    """An IAM role. ``name`` and ``path`` replace it; trust policy, description, session and tags do not."""

    TYPE = ROLE_TYPE
    INPUTS = ("name", "path", "assumeRolePolicy", "description", "maxSessionDuration", "tags")
    OUTPUTS = ("arn", "roleId")

    def __init__(
        self,
        resource_name: str,
        *,
        name: pulumi.Input[str],
        assume_role_policy: PolicyInput,
        path: pulumi.Input[str] | None = None,
        description: pulumi.Input[str] | None = None,
        max_session_duration: pulumi.Input[int] | None = None,
        tags: Tags | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        props: dict[str, Any] = {
            "name": name,
            "path": path,
            "assumeRolePolicy": policy_json(assume_role_policy),
            "description": description,
            "maxSessionDuration": max_session_duration,
            "tags": tags,
        }
        self._register(resource_name, props, opts)

    @property
    def name(self) -> pulumi.Output[str]:
        return _output(self, "name")

    @property
    def arn(self) -> pulumi.Output[str]:
        return _output(self, "arn")

    @property
    def role_id(self) -> pulumi.Output[str]:
        return _output(self, "roleId")

    @property
    def path(self) -> pulumi.Output[str]:
        return _output(self, "path")

    @property
    def assume_role_policy(self) -> pulumi.Output[str]:
        return _output(self, "assumeRolePolicy")

    @property
    def description(self) -> pulumi.Output[str]:
        return _output(self, "description")

    @property
    def max_session_duration(self) -> pulumi.Output[int]:
        return _output(self, "maxSessionDuration")


class RolePolicy(EgovResource):
    """An inline policy of a role (id ``<role>:<name>``). ``role``/``name`` replace it; ``policy`` does not."""

    TYPE = ROLE_POLICY_TYPE
    INPUTS = ("role", "name", "policy")
    OUTPUTS = ()

    def __init__(
        self,
        resource_name: str,
        *,
        role: pulumi.Input[str],
        name: pulumi.Input[str],
        policy: PolicyInput,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        self._register(resource_name, {"role": role, "name": name, "policy": policy_json(policy)}, opts)

    @property
    def role(self) -> pulumi.Output[str]:
        return _output(self, "role")

    @property
    def name(self) -> pulumi.Output[str]:
        return _output(self, "name")

    @property
    def policy(self) -> pulumi.Output[str]:
        return _output(self, "policy")


class RolePolicyAttachment(EgovResource):
    """A managed policy attached to a role (id ``<role>/<policy ARN>``); any change replaces it."""

    TYPE = ROLE_POLICY_ATTACHMENT_TYPE
    INPUTS = ("role", "policyArn")
    OUTPUTS = ()

    def __init__(
        self,
        resource_name: str,
        *,
        role: pulumi.Input[str],
        policy_arn: pulumi.Input[str],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        self._register(resource_name, {"role": role, "policyArn": policy_arn}, opts)

    @property
    def role(self) -> pulumi.Output[str]:
        return _output(self, "role")

    @property
    def policy_arn(self) -> pulumi.Output[str]:
        return _output(self, "policyArn")
