"""CloudWatch Logs: ``egov:logs:LogGroup``, where audit events (CloudTrail, hosts) are kept.

A log group holds audit records, so nothing but its name replaces it: a different KMS key is
applied in place (AssociateKmsKey / DisassociateKmsKey; new events use the new key), the
retention period and tags change in place, and the leftover sweep never deletes a log group
(``find_owned`` returns {}).

moto 5.2.5 notes (checked in moto/logs): AssociateKmsKey and DisassociateKmsKey are not
implemented (the server answers HTTP 500), so changing ``kmsKeyId`` of an existing group fails
there with an error that says so; creating a group with a key, retention and tags works. moto
accepts any retention value; AWS and this handler accept only the values in RETENTION_DAYS.
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

TYPE_TOKEN = "egov:logs:LogGroup"
NOT_FOUND = "ResourceNotFoundException"
ALREADY_EXISTS = "ResourceAlreadyExistsException"
RETENTION_DAYS = (
    1,
    3,
    5,
    7,
    14,
    30,
    60,
    90,
    120,
    150,
    180,
    365,
    400,
    545,
    731,
    1096,
    1827,
    2192,
    2557,
    2922,
    3288,
    3653,
)
_NAME = re.compile(r"^[.\-_/#A-Za-z0-9]{1,512}$")
_KEY_ARN = re.compile(r"^arn:aws(-cn|-us-gov)?:kms:[a-z0-9-]+:\d{12}:key/[A-Za-z0-9-]+$")
_UNIMPLEMENTED = ("500", "501", "InternalFailure", "NotImplemented", "InvalidAction", "UnknownOperationException")


def log_group_arn(arn: str) -> str:
    """A log group ARN without the ``:*`` that DescribeLogGroups' ``arn`` field appends."""
    return arn[:-2] if arn.endswith(":*") else arn


class LogGroupHandler(NamedCloudHandler):
    """A log group: the name replaces it; KMS key, retention and tags change in place."""

    type_token = TYPE_TOKEN
    equivalent = (("kmsKeyId", same_key),)
    rollback_adopt_hint = False
    noun = "log group"
    description = "A CloudWatch Logs log group (KMS-encrypted audit events with a retention period)."
    properties = (
        PropertySpec(
            "name",
            "string",
            "Log group name (letters, digits, . - _ / #). Replaces.",
            required=True,
            replace_on_change=True,
        ),
        PropertySpec(
            "kmsKeyId", "string", "ARN of the KMS key that encrypts new events; changes in place (AssociateKmsKey)."
        ),
        PropertySpec(
            "retentionInDays",
            "integer",
            "Days to keep events (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, "
            "1827, 2192, 2557, 2922, 3288, 3653); unset: forever.",
        ),
        tags_property("log group"),
        output("arn", "The log group's ARN (without the trailing :*)."),
    )

    def validate(self, inputs: dict[str, Any]) -> list[Failure]:
        failures: list[Failure] = []
        name = inputs.get("name")
        if isinstance(name, str) and not _NAME.fullmatch(name):
            failures.append(Failure("name", f"name {name!r} must be 1-512 characters of letters, digits and . - _ / #"))
        if isinstance(name, str) and name.startswith("aws/"):
            failures.append(Failure("name", f"name {name!r} is reserved: aws/ log groups belong to AWS services"))
        key = inputs.get("kmsKeyId")
        if isinstance(key, str) and not _KEY_ARN.fullmatch(key):
            failures.append(
                Failure(
                    "kmsKeyId",
                    f"kmsKeyId {key!r} must be a KMS key ARN (arn:aws-cn:kms:<region>:<account>:key/<id>); "
                    "CloudWatch Logs accepts neither bare key ids nor aliases",
                )
            )
        days = inputs.get("retentionInDays")
        if isinstance(days, int) and days not in RETENTION_DAYS:
            allowed = ", ".join(map(str, RETENTION_DAYS))
            failures.append(Failure("retentionInDays", f"retentionInDays {days} is not one AWS offers: {allowed}"))
        failures.extend(tagging.validate_tags(inputs.get("tags")))
        return failures

    def create(self, ctx: HandlerContext, inputs: dict[str, Any]) -> CreateResult:
        name = inputs["name"]
        params: dict[str, Any] = {
            "logGroupName": name,
            "tags": {**(inputs.get("tags") or {}), tagging.OWNER_TAG: ctx.resource.urn},
        }
        if inputs.get("kmsKeyId"):
            params["kmsKeyId"] = inputs["kmsKeyId"]
        try:
            ctx.call("logs", "create_log_group", **params)
        except ApiError as exc:
            if exc.code != ALREADY_EXISTS:
                raise
            raise ProviderError(
                f"{ctx.resource}: log group {name} already exists; adopt it with "
                f"`pulumi import {TYPE_TOKEN} {ctx.resource.name} {name}` or choose another name"
            ) from exc

        def retention() -> None:
            if inputs.get("retentionInDays") is not None:
                ctx.call("logs", "put_retention_policy", logGroupName=name, retentionInDays=inputs["retentionInDays"])

        return self.finish_create(ctx, name, inputs, retention)

    # -- read ----------------------------------------------------------------------------

    def _describe(self, ctx: HandlerContext, name: str, given: Mapping[str, Any]) -> dict[str, Any] | None:
        groups = ctx.collect("logs", "describe_log_groups", "logGroups", logGroupNamePrefix=name)
        group = next((g for g in groups if g.get("logGroupName") == name), None)
        if group is None:
            return None
        arn = log_group_arn(str(group.get("logGroupArn") or group.get("arn", "")))
        try:
            tags = ctx.call("logs", "list_tags_for_resource", resourceArn=arn).get("tags", {})
        except ApiError as exc:
            if exc.code == NOT_FOUND:
                return None
            raise
        key = group.get("kmsKeyId") or None
        wanted = given.get("kmsKeyId")
        return {
            "name": name,
            "kmsKeyId": wanted if isinstance(wanted, str) and same_key(wanted, key) else key,
            "retentionInDays": group.get("retentionInDays"),
            "tags": tagging.from_aws({"Key": k, "Value": v} for k, v in tags.items()),
            "arn": arn,
        }

    def apply_update(self, ctx: HandlerContext, resource_id: str, live: dict[str, Any], news: dict[str, Any]) -> None:
        key = news.get("kmsKeyId")
        if not same_key(key, live["kmsKeyId"]):
            if key:
                self._key_call(ctx, "associate_kms_key", logGroupName=resource_id, kmsKeyId=key)
            else:
                self._key_call(ctx, "disassociate_kms_key", logGroupName=resource_id)
        days = news.get("retentionInDays")
        if days != live["retentionInDays"]:
            if days is None:
                ctx.call("logs", "delete_retention_policy", logGroupName=resource_id)
            else:
                ctx.call("logs", "put_retention_policy", logGroupName=resource_id, retentionInDays=days)

    def sync_tags(
        self, ctx: HandlerContext, resource_id: str, live: Mapping[str, Any], desired: Mapping[str, str]
    ) -> None:
        tagging.sync(
            live["tags"],
            desired,
            remove=lambda keys: ctx.call("logs", "untag_resource", resourceArn=live["arn"], tagKeys=keys),
            add=lambda tags: ctx.call("logs", "tag_resource", resourceArn=live["arn"], tags=tags),
        )

    @staticmethod
    def _key_call(ctx: HandlerContext, method: str, **params: Any) -> None:
        try:
            ctx.call("logs", method, **params)
        except ApiError as exc:
            if exc.code not in _UNIMPLEMENTED:
                raise
            operation = "AssociateKmsKey" if method == "associate_kms_key" else "DisassociateKmsKey"
            endpoint = ctx.clients.config.endpoint or "the default AWS endpoint"
            raise ProviderError(
                f"{ctx.resource}: the cloud at {endpoint} does not implement logs:{operation} "
                f"(it answered {exc.code}), so the log group's KMS key cannot change in place there. "
                "Either keep kmsKeyId as it is, or replace the log group (`pulumi up --replace <urn>`), "
                "which deletes the events it holds"
            ) from exc

    # -- delete --------------------------------------------------------------------------

    def delete(self, ctx: HandlerContext, resource_id: str, state: dict[str, Any]) -> None:
        try:
            ctx.call("logs", "delete_log_group", logGroupName=resource_id)
        except ApiError as exc:
            if exc.code != NOT_FOUND:
                raise

    def find_owned(self, ctx: HandlerContext, urn_prefix: str) -> dict[str, str]:
        """Never: a log group may already hold audit events. One left by a lost create makes the
        next create fail with a message naming it, to be imported."""
        return {}
