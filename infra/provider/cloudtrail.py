"""CloudTrail: ``egov:cloudtrail:Trail``, the account's audit trail.

Secure defaults: multi-region, global service events included, log file validation on, logging
started. Only the name replaces a trail; destination, encryption, CloudWatch Logs delivery and
whether it is logging all change in place (UpdateTrail, StartLogging/StopLogging), so the
audit record never has a gap caused by a replacement.

moto 5.2.5 notes (checked in moto/cloudtrail): CreateTrail checks that the bucket exists but not
its policy (AWS also requires a bucket policy that lets cloudtrail.amazonaws.com write, and a
key policy that lets it encrypt); ``KmsKeyId`` is echoed as given where AWS returns the key
ARN, so key references are compared by key id; DeleteTrail of a missing trail succeeds
silently (AWS: TrailNotFoundException, which is also treated as success here); an empty
string clears ``KmsKeyId``/``S3KeyPrefix``/CloudWatch Logs settings in both.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from infra.provider import tags as tagging
from infra.provider.errors import ApiError, ProviderError
from infra.provider.handler import (
    CreateResult,
    Failure,
    HandlerContext,
    NamedCloudHandler,
    PropertySpec,
    output,
    tags_property,
)
from infra.provider.key_refs import same_key

TYPE_TOKEN = "egov:cloudtrail:Trail"
NOT_FOUND = ("TrailNotFoundException", "TrailNotFound")
ALREADY_EXISTS = ("TrailAlreadyExistsException", "TrailAlreadyExists")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{1,126}[A-Za-z0-9]$")
_LOG_GROUP_ARN = re.compile(r"^arn:aws(-cn|-us-gov)?:logs:[a-z0-9-]+:\d{12}:log-group:[.\-_/#A-Za-z0-9]+(:\*)?$")
_ROLE_ARN = re.compile(r"^arn:aws(-cn|-us-gov)?:iam::\d{12}:role/.+$")
TAG_BATCH = 20

# Input name -> (API parameter, value for "unset" in UpdateTrail)
_SETTINGS: dict[str, tuple[str, Any]] = {
    "s3BucketName": ("S3BucketName", None),
    "s3KeyPrefix": ("S3KeyPrefix", ""),
    "isMultiRegionTrail": ("IsMultiRegionTrail", None),
    "enableLogFileValidation": ("EnableLogFileValidation", None),
    "includeGlobalServiceEvents": ("IncludeGlobalServiceEvents", None),
    "kmsKeyId": ("KmsKeyId", ""),
    "cloudWatchLogsLogGroupArn": ("CloudWatchLogsLogGroupArn", ""),
    "cloudWatchLogsRoleArn": ("CloudWatchLogsRoleArn", ""),
}


def same_log_group(a: Any, b: Any) -> bool:
    """CloudTrail wants the log group ARN with ``:*``; the LogGroup resource's ``arn`` has none."""
    if isinstance(a, str) and isinstance(b, str):
        return a.removesuffix(":*") == b.removesuffix(":*")
    return bool(a == b)


def _trail_log_group(arn: str) -> str:
    return arn if arn.endswith(":*") else f"{arn}:*"


class TrailHandler(NamedCloudHandler):
    """A CloudTrail trail delivering to S3 (and optionally CloudWatch Logs)."""

    type_token = TYPE_TOKEN
    equivalent = (("kmsKeyId", same_key), ("cloudWatchLogsLogGroupArn", same_log_group))
    rollback_adopt_hint = False
    noun = "trail"
    description = "A CloudTrail trail: multi-region, validated, KMS-encrypted API audit log delivery."
    properties = (
        PropertySpec(
            "name",
            "string",
            "Trail name (3-128 of letters, digits, . _ -). Replaces.",
            required=True,
            replace_on_change=True,
        ),
        PropertySpec(
            "s3BucketName",
            "string",
            "Bucket the log files go to (its policy must let CloudTrail write).",
            required=True,
        ),
        PropertySpec("s3KeyPrefix", "string", "Key prefix for the log files."),
        PropertySpec("isMultiRegionTrail", "boolean", "Record events of every region.", default=True),
        PropertySpec(
            "enableLogFileValidation", "boolean", "Write signed digest files to prove logs are unaltered.", default=True
        ),
        PropertySpec(
            "includeGlobalServiceEvents", "boolean", "Record IAM, STS and other global services.", default=True
        ),
        PropertySpec("kmsKeyId", "string", "KMS key (ARN, id or alias) that encrypts the log files (SSE-KMS)."),
        PropertySpec("cloudWatchLogsLogGroupArn", "string", "Log group to deliver events to as well (with roleArn)."),
        PropertySpec("cloudWatchLogsRoleArn", "string", "Role CloudTrail assumes to write to that log group."),
        PropertySpec(
            "isLogging", "boolean", "Whether the trail is recording (StartLogging/StopLogging).", default=True
        ),
        tags_property("trail"),
        output("arn", "The trail's ARN."),
        output("homeRegion", "The region the trail was created in."),
    )

    def validate(self, inputs: dict[str, Any]) -> list[Failure]:
        failures: list[Failure] = []
        name = inputs.get("name")
        if isinstance(name, str) and (not _NAME.fullmatch(name) or re.search(r"[._-]{2}", name)):
            failures.append(
                Failure(
                    "name",
                    f"name {name!r} must be 3-128 characters of letters, digits, '.', '_' and '-', start and end with "
                    "a letter or digit, and have no two of '.', '_', '-' in a row",
                )
            )
        if inputs.get("isMultiRegionTrail") is True and inputs.get("includeGlobalServiceEvents") is False:
            failures.append(
                Failure("includeGlobalServiceEvents", "a multi-region trail must include global service events")
            )
        group, role = inputs.get("cloudWatchLogsLogGroupArn"), inputs.get("cloudWatchLogsRoleArn")
        if (group is None) != (role is None):
            missing = "cloudWatchLogsRoleArn" if role is None else "cloudWatchLogsLogGroupArn"
            failures.append(
                Failure(missing, f"cloudWatchLogsLogGroupArn and cloudWatchLogsRoleArn go together; set {missing} too")
            )
        if isinstance(group, str) and not _LOG_GROUP_ARN.fullmatch(group):
            failures.append(
                Failure(
                    "cloudWatchLogsLogGroupArn",
                    f"cloudWatchLogsLogGroupArn {group!r} is not a log group ARN "
                    "(arn:aws-cn:logs:<region>:<account>:log-group:<name>)",
                )
            )
        if isinstance(role, str) and not _ROLE_ARN.fullmatch(role):
            failures.append(
                Failure(
                    "cloudWatchLogsRoleArn",
                    f"cloudWatchLogsRoleArn {role!r} is not a role ARN (arn:aws-cn:iam::<account>:role/<name>)",
                )
            )
        prefix = inputs.get("s3KeyPrefix")
        if isinstance(prefix, str) and len(prefix) > 200:
            failures.append(Failure("s3KeyPrefix", f"s3KeyPrefix is {len(prefix)} characters; the limit is 200"))
        failures.extend(tagging.validate_tags(inputs.get("tags")))
        return failures

    @staticmethod
    def _settings(inputs: Mapping[str, Any], *, for_update: bool) -> dict[str, Any]:
        params: dict[str, Any] = {}
        for prop, (api, unset) in _SETTINGS.items():
            value = inputs.get(prop)
            if prop == "cloudWatchLogsLogGroupArn" and value:
                value = _trail_log_group(value)
            if value is None:
                if not for_update or unset is None:
                    continue
                value = unset
            params[api] = value
        return params

    def create(self, ctx: HandlerContext, inputs: dict[str, Any]) -> CreateResult:
        name = inputs["name"]
        params = self._settings(inputs, for_update=False)
        params["TagsList"] = tagging.with_owner(inputs.get("tags") or {}, ctx.resource.urn)
        try:
            ctx.call("cloudtrail", "create_trail", Name=name, **params)
        except ApiError as exc:
            if exc.code not in ALREADY_EXISTS:
                raise
            raise ProviderError(
                f"{ctx.resource}: trail {name} already exists; adopt it with "
                f"`pulumi import {TYPE_TOKEN} {ctx.resource.name} {name}` or choose another name"
            ) from exc

        def start_logging() -> None:
            if inputs.get("isLogging", True):
                ctx.call("cloudtrail", "start_logging", Name=name)

        return self.finish_create(ctx, name, inputs, start_logging)

    # -- read ----------------------------------------------------------------------------

    def _describe(self, ctx: HandlerContext, name: str, given: Mapping[str, Any]) -> dict[str, Any] | None:
        try:
            trail = ctx.call("cloudtrail", "get_trail", Name=name)["Trail"]
            status = ctx.call("cloudtrail", "get_trail_status", Name=name)
        except ApiError as exc:
            if exc.code in NOT_FOUND:
                return None
            raise
        arn = str(trail["TrailARN"])
        tag_lists = ctx.call("cloudtrail", "list_tags", ResourceIdList=[arn]).get("ResourceTagList", [])
        tags: list[dict[str, Any]] = next((t.get("TagsList", []) for t in tag_lists if t.get("ResourceId") == arn), [])

        def keep_given(prop: str, live: Any, same: Any) -> Any:
            wanted = given.get(prop)
            return wanted if isinstance(wanted, str) and same(wanted, live) else live

        return {
            "name": trail.get("Name", name),
            "s3BucketName": trail.get("S3BucketName"),
            "s3KeyPrefix": trail.get("S3KeyPrefix") or None,
            "isMultiRegionTrail": bool(trail.get("IsMultiRegionTrail")),
            "enableLogFileValidation": bool(trail.get("LogFileValidationEnabled")),
            "includeGlobalServiceEvents": bool(trail.get("IncludeGlobalServiceEvents")),
            "kmsKeyId": keep_given("kmsKeyId", trail.get("KmsKeyId") or None, same_key),
            "cloudWatchLogsLogGroupArn": keep_given(
                "cloudWatchLogsLogGroupArn", trail.get("CloudWatchLogsLogGroupArn") or None, same_log_group
            ),
            "cloudWatchLogsRoleArn": trail.get("CloudWatchLogsRoleArn") or None,
            "isLogging": bool(status.get("IsLogging")),
            "tags": tagging.from_aws(tags),
            "arn": arn,
            "homeRegion": trail.get("HomeRegion") or ctx.clients.config.region,
        }

    def apply_update(self, ctx: HandlerContext, resource_id: str, live: dict[str, Any], news: dict[str, Any]) -> None:
        equal = {"kmsKeyId": same_key, "cloudWatchLogsLogGroupArn": same_log_group}
        changed = [
            prop for prop in _SETTINGS if not equal.get(prop, lambda a, b: a == b)(live.get(prop), news.get(prop))
        ]
        if changed:
            wanted = self._settings(news, for_update=True)
            # The log group and its role go together, so both are sent when either changes.
            if {"cloudWatchLogsLogGroupArn", "cloudWatchLogsRoleArn"} & set(changed):
                changed += ["cloudWatchLogsLogGroupArn", "cloudWatchLogsRoleArn"]
            params = {api: wanted[api] for prop, (api, _) in _SETTINGS.items() if prop in changed and api in wanted}
            ctx.call("cloudtrail", "update_trail", Name=resource_id, **params)
        logging_wanted = news.get("isLogging", True) is not False
        if logging_wanted and not live["isLogging"]:
            ctx.call("cloudtrail", "start_logging", Name=resource_id)
        elif not logging_wanted and live["isLogging"]:
            ctx.call("cloudtrail", "stop_logging", Name=resource_id)

    def sync_tags(
        self, ctx: HandlerContext, resource_id: str, live: Mapping[str, Any], desired: Mapping[str, str]
    ) -> None:
        tagging.sync(
            live["tags"],
            desired,
            remove=lambda keys: ctx.call(
                "cloudtrail", "remove_tags", ResourceId=live["arn"], TagsList=[{"Key": k} for k in keys]
            ),
            add=lambda tags: ctx.call("cloudtrail", "add_tags", ResourceId=live["arn"], TagsList=tagging.to_aws(tags)),
        )

    # -- delete --------------------------------------------------------------------------

    def delete(self, ctx: HandlerContext, resource_id: str, state: dict[str, Any]) -> None:
        try:
            ctx.call("cloudtrail", "delete_trail", Name=resource_id)
        except ApiError as exc:
            if exc.code not in NOT_FOUND:
                raise

    def find_owned(self, ctx: HandlerContext, urn_prefix: str) -> dict[str, str]:
        """Trails of this region carrying OWNER_TAG under ``urn_prefix`` (a trail holds no data
        itself: its log files stay in the bucket)."""
        region = ctx.clients.config.region
        trails = [t for t in ctx.collect("cloudtrail", "list_trails", "Trails") if t.get("HomeRegion") == region]
        arns = {str(t["TrailARN"]): str(t["Name"]) for t in trails}
        owned: dict[str, str] = {}
        arn_list = sorted(arns)
        for start in range(0, len(arn_list), TAG_BATCH):
            batch = arn_list[start : start + TAG_BATCH]
            for item in ctx.call("cloudtrail", "list_tags", ResourceIdList=batch).get("ResourceTagList", []):
                urn = tagging.owner_urn(item.get("TagsList"))
                if urn.startswith(urn_prefix) and item.get("ResourceId") in arns:
                    owned[arns[item["ResourceId"]]] = urn
        return owned
