"""KMS: ``egov:kms:Key`` (a customer managed key) and ``egov:kms:Alias``.

Keys protect data, so they are never deleted outright: delete schedules deletion after
``pendingWindowInDays`` (7-30, default 30), during which ``aws kms cancel-key-deletion`` brings
the key back. For the same reason nothing that can change in place forces a replacement
(``description`` updates through UpdateKeyDescription), and the leftover sweep never touches
keys (``find_owned`` returns {}): a key created by a lost request is only ever scheduled for
deletion by a person.

moto 5.2.5 notes (checked in moto/kms): EnableKeyRotation ignores ``RotationPeriodInDays`` and
GetKeyRotationStatus does not return it, so against moto ``rotationPeriodInDays`` is sent but
read back from state (drift in the period alone is invisible there; the real service reports
it). Key policies are stored verbatim. ScheduleKeyDeletion on a key already pending deletion
silently re-schedules in moto (AWS answers KMSInvalidStateException); delete checks the state
first, so neither happens. A key created without ``KeyUsage`` reports none in moto; read
takes the API default ENCRYPT_DECRYPT.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
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
    ReadResult,
    half_done_error,
    is_unknown,
    output,
    range_failures,
    tags_property,
)
from infra.provider.key_refs import key_id_of, same_key
from infra.provider.policy_documents import policies_equal, policy_problem, prefer_given

KEY_TYPE = "egov:kms:Key"
ALIAS_TYPE = "egov:kms:Alias"
NOT_FOUND = "NotFoundException"
INVALID_STATE = "KMSInvalidStateException"
GONE_STATES = ("PendingDeletion", "PendingReplicaDeletion")
SYMMETRIC = "SYMMETRIC_DEFAULT"
MIN_PENDING_DAYS, MAX_PENDING_DAYS = 7, 30
MIN_ROTATION_DAYS, MAX_ROTATION_DAYS = 90, 2560
DEFAULT_ROTATION_DAYS = 365

_RSA = ("RSA_2048", "RSA_3072", "RSA_4096")
_ECC = ("ECC_NIST_P256", "ECC_NIST_P384", "ECC_NIST_P521", "ECC_SECG_P256K1")
_HMAC = ("HMAC_224", "HMAC_256", "HMAC_384", "HMAC_512")
KEY_SPECS_BY_USAGE: dict[str, tuple[str, ...]] = {
    "ENCRYPT_DECRYPT": (SYMMETRIC, *_RSA, "SM2"),
    "SIGN_VERIFY": (*_RSA, *_ECC, "SM2"),
    "GENERATE_VERIFY_MAC": _HMAC,
    "KEY_AGREEMENT": (*_ECC[:3], "SM2"),
}
_ALIAS_NAME = re.compile(r"^alias/[a-zA-Z0-9/_-]{1,250}$")


def _kms_tags(tags: Mapping[str, str]) -> list[dict[str, str]]:
    return [{"TagKey": item["Key"], "TagValue": item["Value"]} for item in tagging.to_aws(tags)]


def _from_kms_tags(tag_list: Iterable[Mapping[str, Any]]) -> dict[str, str]:
    return tagging.from_aws({"Key": t["TagKey"], "Value": t.get("TagValue", "")} for t in tag_list)


class KeyHandler(NamedCloudHandler):
    """A customer managed KMS key; only key usage and key spec force a replacement."""

    type_token = KEY_TYPE
    noun = "KMS key"
    description = "A customer managed KMS key (rotation on by default; deletion is always scheduled)."
    properties = (
        PropertySpec("description", "string", "What the key protects. Changes in place.", default=""),
        PropertySpec(
            "keyUsage",
            "string",
            "ENCRYPT_DECRYPT (default), SIGN_VERIFY, GENERATE_VERIFY_MAC or KEY_AGREEMENT. Replaces.",
            default="ENCRYPT_DECRYPT",
            replace_on_change=True,
        ),
        PropertySpec(
            "keySpec",
            "string",
            "SYMMETRIC_DEFAULT (default), RSA_*, ECC_*, HMAC_* or SM2. Replaces.",
            default=SYMMETRIC,
            replace_on_change=True,
        ),
        PropertySpec(
            "enableKeyRotation",
            "boolean",
            "Automatic rotation of the key material (symmetric keys only); default true for them.",
            default=True,
        ),
        PropertySpec(
            "rotationPeriodInDays",
            "integer",
            "Days between automatic rotations, 90-2560.",
            default=DEFAULT_ROTATION_DAYS,
        ),
        PropertySpec(
            "policy",
            "string",
            "Key policy (JSON), compared semantically. Unset: AWS's default policy at creation, "
            "and whatever the key has afterwards is left alone.",
        ),
        PropertySpec("enabled", "boolean", "Whether the key can be used.", default=True),
        PropertySpec(
            "pendingWindowInDays",
            "integer",
            "Days between `pulumi destroy` and the key's actual deletion, 7-30.",
            default=MAX_PENDING_DAYS,
        ),
        tags_property("key"),
        output("keyId", "The key's id."),
        output("arn", "The key's ARN (arn:aws-cn:kms:... in China regions)."),
    )

    # -- check ---------------------------------------------------------------------------

    def check(self, ctx: HandlerContext, news: dict[str, Any], olds: dict[str, Any]) -> CheckResult:
        """Rotation defaults to on only where AWS can rotate: symmetric encryption keys."""
        spec = news.get("keySpec")
        if news.get("enableKeyRotation") is None and isinstance(spec, str) and spec != SYMMETRIC:
            news = {**news, "enableKeyRotation": False}
        return super().check(ctx, news, olds)

    def validate(self, inputs: dict[str, Any]) -> list[Failure]:
        failures: list[Failure] = []
        usage, spec = inputs.get("keyUsage"), inputs.get("keySpec")
        if isinstance(usage, str) and usage not in KEY_SPECS_BY_USAGE:
            failures.append(Failure("keyUsage", f"keyUsage {usage!r} must be one of: {', '.join(KEY_SPECS_BY_USAGE)}"))
        elif isinstance(usage, str) and isinstance(spec, str) and spec not in KEY_SPECS_BY_USAGE[usage]:
            failures.append(
                Failure(
                    "keySpec",
                    f"keySpec {spec!r} cannot be used for {usage}; use one of: {', '.join(KEY_SPECS_BY_USAGE[usage])}",
                )
            )
        if inputs.get("enableKeyRotation") is True and isinstance(spec, str) and spec != SYMMETRIC:
            failures.append(
                Failure(
                    "enableKeyRotation",
                    f"enableKeyRotation can only be true for SYMMETRIC_DEFAULT keys; AWS cannot rotate {spec} keys",
                )
            )
        failures += range_failures(inputs, "rotationPeriodInDays", MIN_ROTATION_DAYS, MAX_ROTATION_DAYS)
        failures += range_failures(
            inputs,
            "pendingWindowInDays",
            MIN_PENDING_DAYS,
            MAX_PENDING_DAYS,
            "; AWS never deletes a key sooner than 7 days after it was scheduled",
        )
        problem = policy_problem(inputs.get("policy"), "policy")
        if problem:
            failures.append(Failure("policy", problem))
        description = inputs.get("description")
        if isinstance(description, str) and len(description) > 8192:
            failures.append(Failure("description", f"description is {len(description)} characters; the limit is 8192"))
        failures.extend(tagging.validate_tags(inputs.get("tags")))
        return failures

    def equivalent_values(
        self, old_state: dict[str, Any], news: dict[str, Any]
    ) -> Mapping[str, Callable[[Any, Any], bool]]:
        def policy_same(old: Any, new: Any) -> bool:
            return new is None or policies_equal(old, new)  # unset: whatever the key has

        def period_same(old: Any, new: Any) -> bool:
            # The period only means something while rotation is on.
            return not news.get("enableKeyRotation", True) and not old_state.get("enableKeyRotation", True)

        return {"policy": policy_same, "rotationPeriodInDays": period_same}

    # -- create --------------------------------------------------------------------------

    def create(self, ctx: HandlerContext, inputs: dict[str, Any]) -> CreateResult:
        params: dict[str, Any] = {
            "Description": inputs.get("description") or "",
            "KeyUsage": inputs.get("keyUsage") or "ENCRYPT_DECRYPT",
            "KeySpec": inputs.get("keySpec") or SYMMETRIC,
            "Tags": _kms_tags({**(inputs.get("tags") or {}), tagging.OWNER_TAG: ctx.resource.urn}),
        }
        if inputs.get("policy"):
            params["Policy"] = inputs["policy"]
        key_id = str(ctx.call("kms", "create_key", **params)["KeyMetadata"]["KeyId"])

        def configure() -> None:
            self._apply_rotation(ctx, key_id, inputs, have=(False, None))
            if inputs.get("enabled") is False:
                ctx.call("kms", "disable_key", KeyId=key_id)

        return self.finish_create(ctx, key_id, inputs, configure)

    def rollback(self, ctx: HandlerContext, key_id: str, cause: Exception) -> ProviderError:
        """A key cannot be deleted at once; schedule the half-configured one for the earliest deletion."""
        try:
            ctx.call("kms", "schedule_key_deletion", KeyId=key_id, PendingWindowInDays=MIN_PENDING_DAYS)
            outcome = (
                f"the KMS key {key_id} it had already created was scheduled for deletion in {MIN_PENDING_DAYS} days "
                "(the soonest KMS allows); it cannot be used meanwhile"
            )
        except ProviderError as exc:
            outcome = (
                f"the KMS key {key_id} it had already created could NOT be scheduled for deletion ({exc}); "
                f"schedule it by hand or adopt it with `pulumi import {KEY_TYPE} {ctx.resource.name} {key_id}`"
            )
        return half_done_error(ctx, "KMS key", cause, outcome)

    def _apply_rotation(
        self, ctx: HandlerContext, key_id: str, wanted: Mapping[str, Any], have: tuple[bool, int | None]
    ) -> None:
        rotate = bool(wanted.get("enableKeyRotation")) and (wanted.get("keySpec") or SYMMETRIC) == SYMMETRIC
        period = int(wanted.get("rotationPeriodInDays") or DEFAULT_ROTATION_DAYS)
        if rotate and (not have[0] or have[1] != period):
            ctx.call("kms", "enable_key_rotation", KeyId=key_id, RotationPeriodInDays=period)
        elif not rotate and have[0]:
            ctx.call("kms", "disable_key_rotation", KeyId=key_id)

    # -- read ----------------------------------------------------------------------------

    def _describe(self, ctx: HandlerContext, key_id: str, given: Mapping[str, Any]) -> dict[str, Any] | None:
        """The key as it is now; None when it does not exist or is scheduled for deletion."""
        try:
            meta = ctx.call("kms", "describe_key", KeyId=key_id)["KeyMetadata"]
        except ApiError as exc:
            if exc.code == NOT_FOUND:
                return None
            raise
        if meta.get("KeyState") in GONE_STATES:
            return None
        spec = meta.get("KeySpec") or meta.get("CustomerMasterKeySpec") or SYMMETRIC
        rotation, period = False, None
        if spec == SYMMETRIC and meta.get("Origin", "AWS_KMS") == "AWS_KMS":
            status = ctx.call("kms", "get_key_rotation_status", KeyId=key_id)
            rotation = bool(status.get("KeyRotationEnabled"))
            period = status.get("RotationPeriodInDays")
        if period is None:  # rotation off, or a cloud that does not report it (moto)
            period = given.get("rotationPeriodInDays") or DEFAULT_ROTATION_DAYS
        policy = ctx.call("kms", "get_key_policy", KeyId=key_id, PolicyName="default").get("Policy")
        tags = ctx.collect("kms", "list_resource_tags", "Tags", KeyId=key_id)
        return {
            "description": meta.get("Description") or "",
            "keyUsage": meta.get("KeyUsage") or "ENCRYPT_DECRYPT",  # moto omits it when CreateKey did
            "keySpec": spec,
            "enableKeyRotation": rotation,
            "rotationPeriodInDays": int(period),
            "policy": prefer_given(given.get("policy"), policy, policies_equal),
            "enabled": bool(meta.get("Enabled")),
            "pendingWindowInDays": int(given.get("pendingWindowInDays") or MAX_PENDING_DAYS),
            "tags": _from_kms_tags(tags),
            "keyId": meta["KeyId"],
            "arn": meta["Arn"],
        }

    def read(self, ctx: HandlerContext, resource_id: str, state: dict[str, Any], inputs: dict[str, Any]) -> ReadResult:
        if not resource_id:
            return ReadResult.gone()
        outputs = self._describe(ctx, key_id_of(resource_id), self.read_reference(state, inputs))
        if outputs is None:
            return ReadResult.gone()
        return self.read_result(outputs["keyId"], outputs, omit_null_inputs=True)

    # -- update --------------------------------------------------------------------------

    def gone_error(self, ctx: HandlerContext, resource_id: str) -> ProviderError:
        return ProviderError(
            f"{ctx.resource}: KMS key {resource_id} no longer exists or is pending deletion; cancel the "
            "deletion (`aws kms cancel-key-deletion`) or run `pulumi refresh` to let Pulumi create a new key"
        )

    def apply_update(self, ctx: HandlerContext, resource_id: str, live: dict[str, Any], news: dict[str, Any]) -> None:
        description = news.get("description") or ""
        if description != live["description"]:
            ctx.call("kms", "update_key_description", KeyId=resource_id, Description=description)
        enabled = news.get("enabled", True) is not False
        # A disabled key accepts no rotation change: enable first, disable last.
        if enabled and not live["enabled"]:
            ctx.call("kms", "enable_key", KeyId=resource_id)
        policy = news.get("policy")
        if policy is not None and not policies_equal(live["policy"], policy):
            ctx.call("kms", "put_key_policy", KeyId=resource_id, PolicyName="default", Policy=policy)
        self._apply_rotation(
            ctx,
            resource_id,
            {**news, "keySpec": live["keySpec"]},
            have=(live["enableKeyRotation"], live["rotationPeriodInDays"] if live["enableKeyRotation"] else None),
        )
        if not enabled and live["enabled"]:
            ctx.call("kms", "disable_key", KeyId=resource_id)

    def sync_tags(
        self, ctx: HandlerContext, resource_id: str, live: Mapping[str, Any], desired: Mapping[str, str]
    ) -> None:
        tagging.sync(
            live["tags"],
            desired,
            remove=lambda keys: ctx.call("kms", "untag_resource", KeyId=resource_id, TagKeys=keys),
            add=lambda tags: ctx.call("kms", "tag_resource", KeyId=resource_id, Tags=_kms_tags(tags)),
        )

    # -- delete --------------------------------------------------------------------------

    def delete(self, ctx: HandlerContext, resource_id: str, state: dict[str, Any]) -> None:
        """Schedule deletion after ``pendingWindowInDays``; never immediate. Gone or already
        scheduled counts as success (the earlier schedule stands)."""
        key_id = key_id_of(resource_id)
        try:
            meta = ctx.call("kms", "describe_key", KeyId=key_id)["KeyMetadata"]
        except ApiError as exc:
            if exc.code == NOT_FOUND:
                return
            raise
        if meta.get("KeyState") in GONE_STATES:
            return
        window = state.get("pendingWindowInDays")
        window = window if isinstance(window, int) and not isinstance(window, bool) else MAX_PENDING_DAYS
        try:
            ctx.call("kms", "schedule_key_deletion", KeyId=key_id, PendingWindowInDays=window)
        except ApiError as exc:
            if exc.code == NOT_FOUND:
                return
            if exc.code == INVALID_STATE and self._pending(ctx, key_id):
                return
            raise

    @staticmethod
    def _pending(ctx: HandlerContext, key_id: str) -> bool:
        try:
            state = ctx.call("kms", "describe_key", KeyId=key_id)["KeyMetadata"].get("KeyState")
        except ApiError:
            return False
        return state in GONE_STATES

    def find_owned(self, ctx: HandlerContext, urn_prefix: str) -> dict[str, str]:
        """Never: a key may already protect data, so the leftover sweep must not schedule its deletion.
        A key from a lost create is tagged with its URN; import it or schedule its deletion by hand."""
        return {}


class AliasHandler(NamedCloudHandler):
    """A KMS alias (``alias/...``): the name replaces it, the target key changes in place."""

    type_token = ALIAS_TYPE
    equivalent = (("targetKeyId", same_key),)
    noun = "KMS alias"
    description = "A friendly name (alias/...) for a KMS key."
    properties = (
        PropertySpec(
            "name",
            "string",
            "The alias, alias/<name> (not alias/aws/...). Replaces.",
            required=True,
            replace_on_change=True,
        ),
        PropertySpec(
            "targetKeyId", "string", "Key id or key ARN the alias points to. Changes in place.", required=True
        ),
        output("arn", "The alias's ARN."),
        output("targetKeyArn", "ARN of the key the alias points to."),
    )

    def validate(self, inputs: dict[str, Any]) -> list[Failure]:
        failures: list[Failure] = []
        name = inputs.get("name")
        if isinstance(name, str):
            if name.startswith("alias/aws/"):
                failures.append(
                    Failure("name", f"name {name!r} is reserved: alias/aws/ names belong to AWS managed keys")
                )
            elif not _ALIAS_NAME.fullmatch(name):
                failures.append(
                    Failure("name", f"name {name!r} must look like alias/<name> with letters, digits, '/', '_' and '-'")
                )
        target = inputs.get("targetKeyId")
        if isinstance(target, str) and (target.startswith("alias/") or ":alias/" in target):
            failures.append(Failure("targetKeyId", f"targetKeyId {target!r} is an alias; an alias must point to a key"))
        return failures

    def create(self, ctx: HandlerContext, inputs: dict[str, Any]) -> CreateResult:
        name = inputs["name"]
        ctx.call("kms", "create_alias", AliasName=name, TargetKeyId=inputs["targetKeyId"])
        return CreateResult(resource_id=name, outputs=self.described(ctx, name, inputs, CREATED))

    def _describe(self, ctx: HandlerContext, name: str, given: Mapping[str, Any]) -> dict[str, Any] | None:
        alias = next((a for a in ctx.collect("kms", "list_aliases", "Aliases") if a.get("AliasName") == name), None)
        if alias is None or not alias.get("TargetKeyId"):
            return None
        target = str(alias["TargetKeyId"])
        arn = str(alias.get("AliasArn", ""))
        key_arn = arn.split(":alias/", 1)[0] + f":key/{target}" if ":alias/" in arn else None
        wanted = given.get("targetKeyId")
        return {
            "name": name,
            "targetKeyId": wanted if isinstance(wanted, str) and same_key(wanted, target) else target,
            "arn": arn or None,
            "targetKeyArn": key_arn,
        }

    def apply_update(self, ctx: HandlerContext, resource_id: str, live: dict[str, Any], news: dict[str, Any]) -> None:
        target = news["targetKeyId"]
        if is_unknown(target):
            raise ProviderError(f"{ctx.resource}: targetKeyId is not known yet; cannot update the alias")
        ctx.call("kms", "update_alias", AliasName=resource_id, TargetKeyId=target)

    def delete(self, ctx: HandlerContext, resource_id: str, state: dict[str, Any]) -> None:
        try:
            ctx.call("kms", "delete_alias", AliasName=resource_id)
        except ApiError as exc:
            if exc.code != NOT_FOUND:
                raise
