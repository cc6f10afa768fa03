"""``AuditArchive``: the bucket every audit record lands in (CloudTrail, VPC flow logs) and the trail.

The bucket is SSE-KMS with the audit key, versioned, never public, and object-locked in GOVERNANCE
mode for 180 days by default: the Cybersecurity Law (art. 21) asks for network logs to be kept at
least six months. Its policy lets CloudTrail and the log delivery service (flow logs) write under
``AWSLogs/`` with the bucket owner in full control, and refuses any request without TLS.

The retention is declared on the bucket (tag ``egov:retention-days``) and enforced by a lifecycle rule:
objects expire when it ends, earlier versions a day after they are replaced (object lock keeps them until
the retention has passed anyway), so audit records are kept as long as the law asks and no longer than the
platform says. The bucket's own server access log goes to itself under ``AccessLogs/`` (the log delivery
service may write only there): the archive is the platform's log bucket, and a second log bucket would
need access logging of its own in turn.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import pulumi
from pulumi_egov.cloudtrail import Trail
from pulumi_egov.s3 import Bucket

from infra.components.inputs import Reference, policy_json

MIN_RETENTION_DAYS = 180
RETENTION_TAG = "egov:retention-days"
"""The retention the platform declares for a bucket's objects, in days: the scan holds the lifecycle to it."""
ACCESS_LOG_PREFIX = "AccessLogs/"
ACCESS_LOG_WRITER = "logging.s3.amazonaws.com"
LOG_WRITERS = {"CloudTrail": "cloudtrail.amazonaws.com", "FlowLogs": "delivery.logs.amazonaws.com"}


def partition_of(region: str) -> str:
    """The ARN partition of a region (``aws-cn`` for the mainland-China regions)."""
    return "aws-cn" if region.startswith("cn-") else "aws"


def archive_bucket_name(stack: str) -> str:
    """``egov-<stack>-audit-archive``, folded into S3's naming rules (lower case, digits, dashes, <= 63)."""
    slug = re.sub(r"[^a-z0-9-]+", "-", stack.lower()).strip("-") or "stack"
    return f"egov-{slug[:38].strip('-')}-audit-archive"


def access_log_grant(bucket_arn: str) -> dict[str, Any]:
    """The statement letting S3's log delivery service write access logs under ``AccessLogs/`` only (put it
    before any ``Principal: "*"`` statement: moto's PutBucketLogging check stops at the first such one)."""
    return {"Sid": "AccessLogsWrite", "Effect": "Allow", "Principal": {"Service": ACCESS_LOG_WRITER},
            "Action": "s3:PutObject", "Resource": f"{bucket_arn}/{ACCESS_LOG_PREFIX}*"}


def deny_insecure_transport(bucket_arn: str) -> dict[str, Any]:
    return {"Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
            "Resource": [bucket_arn, f"{bucket_arn}/*"], "Condition": {"Bool": {"aws:SecureTransport": "false"}}}


def retention_lifecycle(days: int) -> list[dict[str, Any]]:
    """One rule over the whole bucket: objects expire after ``days`` (the declared retention), earlier versions
    a day after they are replaced (object lock, where on, keeps them until their retention has passed)."""
    return [{"id": "retention", "prefix": "", "enabled": True, "expirationDays": days,
             "noncurrentVersionExpirationDays": 1, "abortIncompleteMultipartUploadDays": 7}]


def archive_policy(bucket_arn: str) -> dict[str, Any]:
    statements: list[dict[str, Any]] = []
    for sid, service in LOG_WRITERS.items():
        principal = {"Service": service}
        statements.append(
            {"Sid": f"{sid}AclCheck", "Effect": "Allow", "Principal": principal, "Action": "s3:GetBucketAcl",
             "Resource": bucket_arn}
        )
        statements.append(
            {"Sid": f"{sid}Write", "Effect": "Allow", "Principal": principal, "Action": "s3:PutObject",
             "Resource": f"{bucket_arn}/AWSLogs/*",
             "Condition": {"StringEquals": {"s3:x-amz-acl": "bucket-owner-full-control"}}}
        )
    statements += [access_log_grant(bucket_arn), deny_insecure_transport(bucket_arn)]
    return {"Version": "2012-10-17", "Statement": statements}


class AuditArchive(pulumi.ComponentResource):
    """The audit bucket and a multi-region, validated, KMS-encrypted trail writing into it."""

    bucket: Bucket
    trail: Trail

    def __init__(
        self,
        name: str,
        *,
        stack: str,
        region: str,
        kms_key_arn: Reference,
        retention_days: int = MIN_RETENTION_DAYS,
        force_destroy: bool = False,
        tags: Mapping[str, str] | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        if retention_days < MIN_RETENTION_DAYS:
            raise ValueError(
                f"AuditArchive {name}: retention of {retention_days} days is below the {MIN_RETENTION_DAYS} days "
                "the Cybersecurity Law asks for network logs"
            )
        super().__init__("egov:components:AuditArchive", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        all_tags = {**(tags or {}), "egov:stack": stack, "egov:purpose": "audit-archive",
                    RETENTION_TAG: str(retention_days)}
        bucket_name = archive_bucket_name(stack)
        bucket_arn = f"arn:{partition_of(region)}:s3:::{bucket_name}"
        self.bucket = Bucket(
            f"{name}-bucket",
            bucket=bucket_name,
            sse_algorithm="aws:kms",
            kms_key_id=kms_key_arn,
            bucket_key_enabled=True,
            versioning_enabled=True,
            block_public_acls=True,
            ignore_public_acls=True,
            block_public_policy=True,
            restrict_public_buckets=True,
            object_lock_enabled=True,
            retention_mode="GOVERNANCE",
            retention_days=retention_days,
            lifecycle_rules=retention_lifecycle(retention_days),
            policy=policy_json(archive_policy(bucket_arn)),
            logging_target_bucket=bucket_name,
            logging_target_prefix=ACCESS_LOG_PREFIX,
            force_destroy=force_destroy,
            tags=all_tags,
            opts=child,
        )
        self.trail = Trail(
            f"{name}-trail",
            name=f"egov-{stack}-audit",
            s3_bucket_name=self.bucket.bucket,
            is_multi_region_trail=True,
            enable_log_file_validation=True,
            include_global_service_events=True,
            kms_key_id=kms_key_arn,
            is_logging=True,
            tags=all_tags,
            opts=child,
        )
        self.register_outputs({"bucketName": self.bucket.bucket, "bucketArn": self.bucket.arn,
                               "trailArn": self.trail.arn})

    @property
    def bucket_name(self) -> pulumi.Output[str]:
        return self.bucket.bucket

    @property
    def bucket_arn(self) -> pulumi.Output[str | None]:
        return self.bucket.arn
