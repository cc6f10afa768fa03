"""S3: ``egov:s3:Bucket``, a bucket with the protections the audit trail and department data need.

One resource covers the bucket and its sub-configurations (default SSE-KMS encryption,
versioning, the public access block, object lock retention or lifecycle rules, the bucket
policy, server access logging, tags) because they only mean something together and must never be half-applied.
Only the name and ``objectLockEnabled`` (fixed at creation by AWS) replace the bucket;
everything else changes in place.

A bucket holds data: deleting a non-empty one fails, naming how many objects it still holds,
unless ``forceDestroy`` is true (then every object version is deleted first, bypassing
GOVERNANCE retention; COMPLIANCE-locked versions cannot be deleted by anyone and are
reported). The leftover sweep never deletes buckets (``find_owned`` returns {}); instead a
create that finds a bucket of the same name already carrying this resource's URN tag adopts it.

moto 5.2.5 notes (checked in moto/s3): new buckets get no default encryption there (AWS applies
SSE-S3), so read shows none until the provider sets it; PutObjectLockConfiguration is refused
once the bucket holds objects (AWS allows changing the default retention at any time);
``Years`` comes back as 0 when ``Days`` is set and is read as unset; PutBucketLogging answers 500 when a
statement of the target's policy before the log delivery grant has a string ``Principal`` ("*"), so that
grant goes before such statements. Lifecycle rules are read
back by ID, status, prefix and the three day counts this resource manages; other rule parts
(transitions, tag filters) are not modelled and are overwritten on update.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from infra.provider import tags as tagging
from infra.provider.errors import ApiError, ProviderError
from infra.provider.handler import (
    CREATED,
    CheckResult,
    CreateResult,
    Failure,
    HandlerContext,
    NamedCloudHandler,
    PropertySpec,
    contains_unknown,
    half_done_error,
    is_unknown,
    output,
    property_path,
    tags_property,
)
from infra.provider.key_refs import same_key
from infra.provider.policy_documents import policies_equal, policy_problem, prefer_given

TYPE_TOKEN = "egov:s3:Bucket"
SSE_ALGORITHMS = ("aws:kms", "aws:kms:dsse", "AES256")
RETENTION_MODES = ("GOVERNANCE", "COMPLIANCE")
PUBLIC_ACCESS_FLAGS = {
    "blockPublicAcls": "BlockPublicAcls",
    "ignorePublicAcls": "IgnorePublicAcls",
    "blockPublicPolicy": "BlockPublicPolicy",
    "restrictPublicBuckets": "RestrictPublicBuckets",
}
GONE_CODES = ("NoSuchBucket", "404")
_ABSENT_CODES = {
    "encryption": ("ServerSideEncryptionConfigurationNotFoundError",),
    "publicAccessBlock": ("NoSuchPublicAccessBlockConfiguration",),
    "objectLock": ("ObjectLockConfigurationNotFoundError",),
    "lifecycle": ("NoSuchLifecycleConfiguration",),
    "policy": ("NoSuchBucketPolicy",),
    "tags": ("NoSuchTagSet",),
}
_BUCKET_NAME = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
_IPV4 = re.compile(r"^\d+\.\d+\.\d+\.\d+$")
RULE_FIELDS: dict[str, str] = {
    "id": "string",
    "prefix": "string",
    "enabled": "boolean",
    "expirationDays": "integer",
    "noncurrentVersionExpirationDays": "integer",
    "abortIncompleteMultipartUploadDays": "integer",
}
RULE_ACTIONS = ("expirationDays", "noncurrentVersionExpirationDays", "abortIncompleteMultipartUploadDays")
COUNT_LIMIT = 100_000


def bucket_name_problem(name: str) -> str | None:
    """Why ``name`` cannot be an S3 bucket name, or None."""
    if not 3 <= len(name) <= 63:
        return f"bucket {name!r} is {len(name)} characters long; a bucket name has 3 to 63"
    if not _BUCKET_NAME.fullmatch(name):
        return (
            f"bucket {name!r} may only contain lowercase letters, digits, '.' and '-', "
            "and must begin and end with a letter or digit"
        )
    if ".." in name or ".-" in name or "-." in name:
        return f"bucket {name!r} must not contain '..', '.-' or '-.'"
    if _IPV4.fullmatch(name):
        return f"bucket {name!r} looks like an IP address, which S3 does not allow"
    if name.startswith(("xn--", "sthree-")) or name.endswith(("-s3alias", "--ol-s3", "--x-s3")):
        return f"bucket {name!r} uses a prefix or suffix that S3 reserves"
    return None


def normalize_rule(rule: Mapping[str, Any]) -> dict[str, Any]:
    """A lifecycle rule with defaults filled (prefix "", enabled true) and unset day counts dropped."""
    result: dict[str, Any] = {"id": rule.get("id"), "prefix": rule.get("prefix") or "", "enabled": True}
    if rule.get("enabled") is not None:
        result["enabled"] = rule["enabled"]
    for action in RULE_ACTIONS:
        if rule.get(action) is not None:
            result[action] = rule[action]
    return result


def rule_failures(rules: Any) -> list[Failure]:
    if is_unknown(rules) or not isinstance(rules, list):
        return []
    failures: list[Failure] = []
    seen: set[str] = set()
    for index, rule in enumerate(rules):
        path = property_path("lifecycleRules", index)
        if is_unknown(rule) or not isinstance(rule, Mapping):
            continue
        for key in rule:
            if key not in RULE_FIELDS:
                failures.append(
                    Failure(
                        f"{path}.{key}", f"{path} has unknown field {key!r}; a rule accepts: {', '.join(RULE_FIELDS)}"
                    )
                )
        for key, kind in RULE_FIELDS.items():
            value = rule.get(key)
            if value is None or is_unknown(value):
                continue
            ok = (
                isinstance(value, str)
                if kind == "string"
                else isinstance(value, bool)
                if kind == "boolean"
                else (isinstance(value, int) and not isinstance(value, bool))
            )
            if not ok:
                failures.append(
                    Failure(f"{path}.{key}", f"{path}.{key} must be {'an' if kind == 'integer' else 'a'} {kind}")
                )
            elif kind == "integer" and value < 1:
                failures.append(Failure(f"{path}.{key}", f"{path}.{key} must be at least 1 day, got {value}"))
        rule_id = rule.get("id")
        if rule_id is None:
            failures.append(Failure(f"{path}.id", f"{path} needs an id (1-255 characters, unique in the bucket)"))
        elif isinstance(rule_id, str):
            if not 1 <= len(rule_id) <= 255:
                failures.append(Failure(f"{path}.id", f"{path}.id must be 1 to 255 characters"))
            if rule_id in seen:
                failures.append(Failure(f"{path}.id", f"{path}.id {rule_id!r} is used by an earlier rule"))
            seen.add(rule_id)
        if all(rule.get(action) is None for action in RULE_ACTIONS):
            failures.append(Failure(path, f"{path} has no action; set at least one of: {', '.join(RULE_ACTIONS)}"))
    return failures


def _rule_to_aws(rule: Mapping[str, Any]) -> dict[str, Any]:
    item: dict[str, Any] = {
        "ID": rule["id"],
        "Status": "Enabled" if rule.get("enabled", True) else "Disabled",
        "Filter": {"Prefix": rule.get("prefix") or ""},
    }
    if rule.get("expirationDays") is not None:
        item["Expiration"] = {"Days": rule["expirationDays"]}
    if rule.get("noncurrentVersionExpirationDays") is not None:
        item["NoncurrentVersionExpiration"] = {"NoncurrentDays": rule["noncurrentVersionExpirationDays"]}
    if rule.get("abortIncompleteMultipartUploadDays") is not None:
        item["AbortIncompleteMultipartUpload"] = {"DaysAfterInitiation": rule["abortIncompleteMultipartUploadDays"]}
    return item


def _rule_from_aws(item: Mapping[str, Any]) -> dict[str, Any]:
    filt = item.get("Filter") or {}
    prefix = filt.get("Prefix", (filt.get("And") or {}).get("Prefix", item.get("Prefix", "")))
    rule: dict[str, Any] = {
        "id": item.get("ID", ""),
        "prefix": prefix or "",
        "enabled": item.get("Status") == "Enabled",
    }
    days = (item.get("Expiration") or {}).get("Days")
    if days:
        rule["expirationDays"] = int(days)
    noncurrent = (item.get("NoncurrentVersionExpiration") or {}).get("NoncurrentDays")
    if noncurrent:
        rule["noncurrentVersionExpirationDays"] = int(noncurrent)
    abort = (item.get("AbortIncompleteMultipartUpload") or {}).get("DaysAfterInitiation")
    if abort:
        rule["abortIncompleteMultipartUploadDays"] = int(abort)
    return rule


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


class BucketHandler(NamedCloudHandler):
    """An S3 bucket with encryption, versioning, public access block, retention, policy and tags."""

    type_token = TYPE_TOKEN
    equivalent = (("policy", policies_equal), ("kmsKeyId", same_key))
    noun = "bucket"
    description = "An S3 bucket: SSE-KMS by default, versioned, never public, with retention and a policy."
    properties = (
        PropertySpec(
            "bucket",
            "string",
            "Bucket name (globally unique, 3-63 of a-z 0-9 . -). Replaces.",
            required=True,
            replace_on_change=True,
        ),
        PropertySpec(
            "sseAlgorithm",
            "string",
            "Default encryption: aws:kms (default), aws:kms:dsse or AES256.",
            default="aws:kms",
        ),
        PropertySpec(
            "kmsKeyId", "string", "KMS key (ARN preferred) for default encryption; unset: the AWS managed aws/s3 key."
        ),
        PropertySpec(
            "bucketKeyEnabled", "boolean", "Use an S3 Bucket Key to cut KMS requests (KMS only).", default=True
        ),
        PropertySpec(
            "versioningEnabled", "boolean", "Keep every version of every object (false: suspended).", default=True
        ),
        PropertySpec("blockPublicAcls", "boolean", "Reject requests that add public ACLs.", default=True),
        PropertySpec("ignorePublicAcls", "boolean", "Ignore public ACLs on the bucket and its objects.", default=True),
        PropertySpec("blockPublicPolicy", "boolean", "Reject bucket policies that grant public access.", default=True),
        PropertySpec(
            "restrictPublicBuckets", "boolean", "Restrict access under public policies to AWS services.", default=True
        ),
        PropertySpec(
            "objectLockEnabled",
            "boolean",
            "Enable S3 Object Lock (WORM); only at creation. Replaces.",
            default=False,
            replace_on_change=True,
        ),
        PropertySpec("retentionMode", "string", "Default object lock retention: GOVERNANCE or COMPLIANCE."),
        PropertySpec("retentionDays", "integer", "Default retention period in days (with retentionMode)."),
        PropertySpec("retentionYears", "integer", "Default retention period in years (instead of days)."),
        PropertySpec(
            "lifecycleRules",
            "array",
            "Lifecycle rules: {id, prefix, enabled, expirationDays, noncurrentVersionExpirationDays, "
            "abortIncompleteMultipartUploadDays}.",
            default=[],
            item_type="object",
        ),
        PropertySpec("policy", "string", "Bucket policy (JSON), compared semantically; unset: no bucket policy."),
        PropertySpec(
            "loggingTargetBucket",
            "string",
            "Bucket that receives this bucket's server access logs (this bucket's own name is allowed; its policy "
            "must let logging.s3.amazonaws.com put objects under the prefix); unset: access logging off.",
        ),
        PropertySpec("loggingTargetPrefix", "string", "Key prefix of the access logs (with loggingTargetBucket).",
                     default=""),
        PropertySpec(
            "forceDestroy",
            "boolean",
            "Let delete remove every object version first; otherwise deleting a non-empty bucket fails.",
            default=False,
        ),
        tags_property("bucket"),
        output("arn", "The bucket's ARN (arn:aws-cn:s3:::name in China regions)."),
        output("region", "The region the bucket lives in."),
    )

    # -- check ---------------------------------------------------------------------------

    def check(self, ctx: HandlerContext, news: dict[str, Any], olds: dict[str, Any]) -> CheckResult:
        result = super().check(ctx, news, olds)
        rules = result.inputs.get("lifecycleRules")
        failed = any(f.property.startswith("lifecycleRules") for f in result.failures)
        if isinstance(rules, list) and not failed and not contains_unknown(rules):
            result.inputs["lifecycleRules"] = [normalize_rule(rule) for rule in rules]
        return result

    def validate(self, inputs: dict[str, Any]) -> list[Failure]:
        failures: list[Failure] = []
        name = inputs.get("bucket")
        if isinstance(name, str):
            problem = bucket_name_problem(name)
            if problem:
                failures.append(Failure("bucket", problem))
        algorithm = inputs.get("sseAlgorithm")
        if isinstance(algorithm, str) and algorithm not in SSE_ALGORITHMS:
            failures.append(
                Failure("sseAlgorithm", f"sseAlgorithm {algorithm!r} must be one of: {', '.join(SSE_ALGORITHMS)}")
            )
        if algorithm == "AES256" and inputs.get("kmsKeyId") is not None:
            failures.append(Failure("kmsKeyId", "kmsKeyId needs sseAlgorithm aws:kms or aws:kms:dsse, not AES256"))
        lock = inputs.get("objectLockEnabled")
        if lock is True and inputs.get("versioningEnabled") is False:
            failures.append(Failure("versioningEnabled", "versioningEnabled must stay true on an object lock bucket"))
        mode, days, years = inputs.get("retentionMode"), inputs.get("retentionDays"), inputs.get("retentionYears")
        if isinstance(mode, str) and mode not in RETENTION_MODES:
            failures.append(Failure("retentionMode", f"retentionMode {mode!r} must be GOVERNANCE or COMPLIANCE"))
        if any(v is not None for v in (mode, days, years)) and lock is False:
            failures.append(
                Failure(
                    "retentionMode",
                    "default retention (retentionMode/retentionDays/retentionYears) needs objectLockEnabled: true",
                )
            )
        if mode is not None and days is None and years is None:
            failures.append(Failure("retentionMode", "retentionMode needs retentionDays or retentionYears"))
        if days is not None and years is not None:
            failures.append(Failure("retentionYears", "set retentionDays or retentionYears, not both"))
        if (days is not None or years is not None) and mode is None:
            failures.append(Failure("retentionMode", "retentionDays/retentionYears need retentionMode"))
        for prop, value in (("retentionDays", days), ("retentionYears", years)):
            if isinstance(value, int) and value < 1:
                failures.append(Failure(prop, f"{prop} must be at least 1, got {value}"))
        failures.extend(rule_failures(inputs.get("lifecycleRules")))
        target = inputs.get("loggingTargetBucket")
        if isinstance(target, str):
            problem = bucket_name_problem(target)
            if problem:
                failures.append(Failure("loggingTargetBucket", f"loggingTargetBucket: {problem}"))
        elif target is None and inputs.get("loggingTargetPrefix"):
            failures.append(Failure("loggingTargetPrefix", "loggingTargetPrefix needs loggingTargetBucket"))
        problem = policy_problem(inputs.get("policy"), "policy")
        if problem:
            failures.append(Failure("policy", problem))
        failures.extend(tagging.validate_tags(inputs.get("tags")))
        return failures

    def create(self, ctx: HandlerContext, inputs: dict[str, Any]) -> CreateResult:
        name = inputs["bucket"]
        params: dict[str, Any] = {"Bucket": name}
        region = ctx.clients.config.region
        if region != "us-east-1":
            params["CreateBucketConfiguration"] = {"LocationConstraint": region}
        if inputs.get("objectLockEnabled"):
            params["ObjectLockEnabledForBucket"] = True
        adopted = False
        try:
            ctx.call("s3", "create_bucket", **params)
        except ApiError as exc:
            if exc.code == "BucketAlreadyOwnedByYou" and self._owner(ctx, name) == ctx.resource.urn:
                adopted = True  # made for this very resource by a run whose response was lost
            elif exc.code == "BucketAlreadyOwnedByYou":
                raise ProviderError(
                    f"{ctx.resource}: bucket {name} already exists in this account and was not created for this "
                    f"resource; adopt it with `pulumi import {TYPE_TOKEN} {ctx.resource.name} {name}` or choose "
                    "another name"
                ) from exc
            elif exc.code == "BucketAlreadyExists":
                raise ProviderError(
                    f"{ctx.resource}: bucket name {name} is taken by another account (bucket names are global); "
                    "choose another name"
                ) from exc
            else:
                raise
        try:
            live = self._describe(ctx, name, inputs) if adopted else None
            self._configure(ctx, name, inputs, live)
            outputs = self.described(ctx, name, inputs, CREATED)
        except Exception as exc:
            if adopted:
                raise
            raise self.rollback(ctx, name, exc) from exc
        return CreateResult(resource_id=name, outputs=outputs)

    def rollback(self, ctx: HandlerContext, name: str, cause: Exception) -> ProviderError:
        try:
            ctx.call("s3", "delete_bucket", Bucket=name)
            outcome = f"the bucket {name} it had already created was deleted again, so nothing is left behind"
        except ApiError as exc:
            if exc.code in GONE_CODES:
                outcome = f"the bucket {name} it had already created no longer exists"
            else:
                outcome = (
                    f"the bucket {name} it had already created could NOT be deleted ({exc}); delete it by hand or "
                    f"adopt it with `pulumi import {TYPE_TOKEN} {ctx.resource.name} {name}`"
                )
        except ProviderError as exc:
            outcome = f"the bucket {name} it had already created could NOT be deleted ({exc}); delete it by hand"
        return half_done_error(ctx, "bucket", cause, outcome)

    def _configure(
        self, ctx: HandlerContext, name: str, wanted: Mapping[str, Any], live: Mapping[str, Any] | None
    ) -> None:
        """Bring every sub-configuration to ``wanted``; with ``live`` only those that differ.

        The public access block goes first, so a policy that it forbids fails without having
        been exposed even briefly, and so does encryption before any object can arrive.
        """

        def differs(*names: str) -> bool:
            return live is None or any(live.get(n) != wanted.get(n) for n in names)

        self._apply_tags(ctx, name, wanted.get("tags") or {}, creating=live is None)
        if differs(*PUBLIC_ACCESS_FLAGS):
            config = {aws: wanted.get(prop, True) is not False for prop, aws in PUBLIC_ACCESS_FLAGS.items()}
            ctx.call("s3", "put_public_access_block", Bucket=name, PublicAccessBlockConfiguration=config)
        algorithm = wanted.get("sseAlgorithm") or "aws:kms"
        kms = algorithm.startswith("aws:kms")
        key_changed = live is not None and not same_key(live.get("kmsKeyId"), wanted.get("kmsKeyId"))
        if differs("sseAlgorithm", "bucketKeyEnabled") or key_changed:
            default: dict[str, Any] = {"SSEAlgorithm": algorithm}
            if kms and wanted.get("kmsKeyId"):
                default["KMSMasterKeyID"] = wanted["kmsKeyId"]
            rule: dict[str, Any] = {"ApplyServerSideEncryptionByDefault": default}
            rule["BucketKeyEnabled"] = kms and wanted.get("bucketKeyEnabled", True) is not False
            ctx.call("s3", "put_bucket_encryption", Bucket=name, ServerSideEncryptionConfiguration={"Rules": [rule]})
        versioning = wanted.get("versioningEnabled", True) is not False
        if (
            versioning
            and (live is None or not live.get("versioningEnabled"))
            and not (
                live is None and wanted.get("objectLockEnabled")  # object lock turned versioning on already
            )
        ):
            ctx.call("s3", "put_bucket_versioning", Bucket=name, VersioningConfiguration={"Status": "Enabled"})
        elif not versioning and live is not None and live.get("versioningEnabled"):
            ctx.call("s3", "put_bucket_versioning", Bucket=name, VersioningConfiguration={"Status": "Suspended"})
        if wanted.get("objectLockEnabled") and (
            differs("retentionMode", "retentionDays", "retentionYears")
            and (live is not None or wanted.get("retentionMode"))
        ):
            lock: dict[str, Any] = {"ObjectLockEnabled": "Enabled"}
            if wanted.get("retentionMode"):
                period = (
                    {"Days": wanted["retentionDays"]}
                    if wanted.get("retentionDays")
                    else {"Years": wanted["retentionYears"]}
                )
                lock["Rule"] = {"DefaultRetention": {"Mode": wanted["retentionMode"], **period}}
            ctx.call("s3", "put_object_lock_configuration", Bucket=name, ObjectLockConfiguration=lock)
        rules = wanted.get("lifecycleRules") or []
        if differs("lifecycleRules") and (rules or live is not None):
            if rules:
                ctx.call(
                    "s3",
                    "put_bucket_lifecycle_configuration",
                    Bucket=name,
                    LifecycleConfiguration={"Rules": [_rule_to_aws(r) for r in rules]},
                )
            else:
                ctx.call("s3", "delete_bucket_lifecycle", Bucket=name)
        policy = wanted.get("policy")
        have = live.get("policy") if live is not None else None
        if policy is not None and not policies_equal(have, policy):
            ctx.call("s3", "put_bucket_policy", Bucket=name, Policy=policy)
        elif policy is None and have is not None:
            ctx.call("s3", "delete_bucket_policy", Bucket=name)
        # After the policy: a bucket logging to itself grants the log delivery service there first.
        target = wanted.get("loggingTargetBucket")
        if differs("loggingTargetBucket", "loggingTargetPrefix") and (target or live is not None):
            status: dict[str, Any] = (
                {"LoggingEnabled": {"TargetBucket": target, "TargetPrefix": wanted.get("loggingTargetPrefix") or ""}}
                if target else {}
            )
            ctx.call("s3", "put_bucket_logging", Bucket=name, BucketLoggingStatus=status)

    def _apply_tags(self, ctx: HandlerContext, name: str, wanted: Mapping[str, str], *, creating: bool) -> None:
        """PutBucketTagging replaces the whole set, so the owner tag is carried over (or set on create)."""
        current = [] if creating else self._optional(ctx, name, "tags", "get_bucket_tagging", "TagSet") or []
        owner = ctx.resource.urn if creating else tagging.owner_urn(current)
        if not creating and tagging.from_aws(current) == dict(wanted):
            return
        full = {**wanted, **({tagging.OWNER_TAG: owner} if owner else {})}
        if full:
            ctx.call("s3", "put_bucket_tagging", Bucket=name, Tagging={"TagSet": tagging.to_aws(full)})
        else:
            ctx.call("s3", "delete_bucket_tagging", Bucket=name)

    def _owner(self, ctx: HandlerContext, name: str) -> str | None:
        try:
            tag_set = self._optional(ctx, name, "tags", "get_bucket_tagging", "TagSet") or []
        except ProviderError:
            return None
        return tagging.owner_urn(tag_set) or None

    # -- read ----------------------------------------------------------------------------

    @staticmethod
    def _optional(ctx: HandlerContext, name: str, what: str, method: str, key: str | None = None) -> Any:
        """A sub-configuration, or None when the bucket has none (each has its own 'not found' code)."""
        try:
            response = ctx.call("s3", method, Bucket=name)
        except ApiError as exc:
            if exc.code in _ABSENT_CODES[what]:
                return None
            raise
        return response.get(key) if key else response

    def _describe(self, ctx: HandlerContext, name: str, given: Mapping[str, Any]) -> dict[str, Any] | None:
        try:
            ctx.call("s3", "head_bucket", Bucket=name)
            encryption = self._optional(
                ctx, name, "encryption", "get_bucket_encryption", "ServerSideEncryptionConfiguration"
            )
            versioning = ctx.call("s3", "get_bucket_versioning", Bucket=name).get("Status")
            public = (
                self._optional(
                    ctx, name, "publicAccessBlock", "get_public_access_block", "PublicAccessBlockConfiguration"
                )
                or {}
            )
            lock = (
                self._optional(ctx, name, "objectLock", "get_object_lock_configuration", "ObjectLockConfiguration")
                or {}
            )
            rules = self._optional(ctx, name, "lifecycle", "get_bucket_lifecycle_configuration", "Rules") or []
            policy = self._optional(ctx, name, "policy", "get_bucket_policy", "Policy")
            tag_set = self._optional(ctx, name, "tags", "get_bucket_tagging", "TagSet") or []
            logging = ctx.call("s3", "get_bucket_logging", Bucket=name).get("LoggingEnabled") or {}
        except ApiError as exc:
            if exc.code in GONE_CODES:
                return None
            raise
        rule = ((encryption or {}).get("Rules") or [{}])[0]
        default = rule.get("ApplyServerSideEncryptionByDefault") or {}
        algorithm = default.get("SSEAlgorithm")
        key = default.get("KMSMasterKeyID") or None
        wanted_key = given.get("kmsKeyId")
        retention = (lock.get("Rule") or {}).get("DefaultRetention") or {}
        partition = ctx.clients.partition() or "aws"
        force = given.get("forceDestroy")
        return {
            "bucket": name,
            "sseAlgorithm": algorithm,
            "kmsKeyId": wanted_key if isinstance(wanted_key, str) and same_key(wanted_key, key) else key,
            "bucketKeyEnabled": bool(rule.get("BucketKeyEnabled"))
            if algorithm != "AES256"
            else bool(given.get("bucketKeyEnabled", True)),
            "versioningEnabled": versioning == "Enabled",
            **{prop: bool(public.get(aws, False)) for prop, aws in PUBLIC_ACCESS_FLAGS.items()},
            "objectLockEnabled": lock.get("ObjectLockEnabled") == "Enabled",
            "retentionMode": retention.get("Mode") or None,
            "retentionDays": retention.get("Days") or None,
            "retentionYears": retention.get("Years") or None,
            "lifecycleRules": [_rule_from_aws(item) for item in rules],
            "policy": prefer_given(given.get("policy"), policy, policies_equal),
            "loggingTargetBucket": logging.get("TargetBucket") or None,
            "loggingTargetPrefix": logging.get("TargetPrefix") or "",
            "forceDestroy": force if isinstance(force, bool) else False,
            "tags": tagging.from_aws(tag_set),
            "arn": f"arn:{partition}:s3:::{name}",
            "region": ctx.clients.config.region,
        }

    # -- update --------------------------------------------------------------------------

    def apply_update(self, ctx: HandlerContext, resource_id: str, live: dict[str, Any], news: dict[str, Any]) -> None:
        self._configure(ctx, resource_id, news, live)

    def sync_tags(
        self, ctx: HandlerContext, resource_id: str, live: Mapping[str, Any], desired: Mapping[str, str]
    ) -> None:
        """Nothing more: ``_configure`` set the tags with the rest of the configuration."""

    # -- delete --------------------------------------------------------------------------

    def delete(self, ctx: HandlerContext, resource_id: str, state: dict[str, Any]) -> None:
        """DeleteBucket; gone already is success. A non-empty bucket is emptied first only with
        ``forceDestroy``; otherwise the error says how much it still holds."""
        try:
            if state.get("forceDestroy") is True:
                if state.get("loggingTargetBucket") == resource_id:
                    # a bucket logging into itself would get a new log object for every request that empties it
                    ctx.call("s3", "put_bucket_logging", Bucket=resource_id, BucketLoggingStatus={})
                self._empty(ctx, resource_id, bypass=bool(state.get("objectLockEnabled")))
            ctx.call("s3", "delete_bucket", Bucket=resource_id)
        except ApiError as exc:
            if exc.code in GONE_CODES:
                return
            if exc.code != "BucketNotEmpty":
                raise
            raise ProviderError(
                f"{ctx.resource}: cannot delete bucket {resource_id}: {self._contents(ctx, resource_id)}. "
                "Empty it first, or set forceDestroy: true and run `pulumi up` before deleting, to let Pulumi "
                f"delete every object version with the bucket. Cloud error: {exc.code}"
            ) from exc

    def _contents(self, ctx: HandlerContext, name: str) -> str:
        """'it still holds 2 objects (3 object versions and 1 delete marker in all)', best effort."""
        try:
            current = versions = markers = 0
            for page in ctx.client("s3").get_paginator("list_objects_v2").paginate(Bucket=name):
                current += int(page.get("KeyCount", len(page.get("Contents", []))))
                if current >= COUNT_LIMIT:
                    break
            for page in ctx.client("s3").get_paginator("list_object_versions").paginate(Bucket=name):
                versions += len(page.get("Versions", []))
                markers += len(page.get("DeleteMarkers", []))
                if versions + markers >= COUNT_LIMIT:
                    break
        except Exception:  # counting is a courtesy; the refusal stands either way
            return "it is not empty"
        at_least = "at least " if max(current, versions + markers) >= COUNT_LIMIT else ""
        return (
            f"it still holds {at_least}{_plural(current, 'object')} "
            f"({_plural(versions, 'object version')} and {_plural(markers, 'delete marker')} in all)"
        )

    def _empty(self, ctx: HandlerContext, name: str, *, bypass: bool) -> None:
        """Delete every object version, delete marker and unfinished multipart upload."""
        failed: list[str] = []
        failed_count = 0
        while True:
            response = ctx.call("s3", "list_object_versions", Bucket=name, MaxKeys=1000)
            batch = [
                {"Key": v["Key"], "VersionId": v["VersionId"]}
                for v in [*response.get("Versions", []), *response.get("DeleteMarkers", [])]
            ]
            if not batch:
                break
            params: dict[str, Any] = {"Bucket": name, "Delete": {"Objects": batch, "Quiet": True}}
            if bypass:
                params["BypassGovernanceRetention"] = True
            errors = ctx.call("s3", "delete_objects", **params).get("Errors", [])
            if errors:
                failed_count += len(errors)
                failed.extend(
                    f"{e.get('Key')} (version {e.get('VersionId')}): {e.get('Code')} {e.get('Message', '')}".strip()
                    for e in errors[:3]
                )
                break  # the same versions would fail again
        if failed:
            raise ProviderError(
                f"{ctx.resource}: forceDestroy could not empty bucket {name}: "
                f"{_plural(failed_count, 'object version')} could not be deleted, e.g. {'; '.join(failed[:3])}. "
                "Versions under COMPLIANCE retention cannot be deleted by anyone until their retention ends"
            )
        for upload in ctx.collect("s3", "list_multipart_uploads", "Uploads", Bucket=name):
            ctx.call("s3", "abort_multipart_upload", Bucket=name, Key=upload["Key"], UploadId=upload["UploadId"])

    def find_owned(self, ctx: HandlerContext, urn_prefix: str) -> dict[str, str]:
        """Never: a bucket may hold data, so the leftover sweep must not delete one. A bucket from a
        lost create carries its URN tag, and the next create of that resource adopts it."""
        return {}
