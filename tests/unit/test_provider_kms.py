"""KMS key and alias handler logic that needs no cloud: check, defaults and diff."""

from __future__ import annotations

import json
from typing import Any

import pytest

from infra.provider.clients import ClientFactory, ProviderConfig
from infra.provider.errors import ResourceRef
from infra.provider.handler import UNKNOWN, DiffKind, Failure, HandlerContext
from infra.provider.kms import AliasHandler, KeyHandler, key_id_of, same_key

KEY_ARN = "arn:aws-cn:kms:cn-north-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
KEY_ID = "1234abcd-12ab-34cd-56ef-1234567890ab"
POLICY: dict[str, Any] = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "root",
            "Effect": "Allow",
            "Principal": {"AWS": "arn:aws-cn:iam::123456789012:root"},
            "Action": "kms:*",
            "Resource": "*",
        }
    ],
}
DEFAULTS = {
    "description": "",
    "keyUsage": "ENCRYPT_DECRYPT",
    "keySpec": "SYMMETRIC_DEFAULT",
    "enableKeyRotation": True,
    "rotationPeriodInDays": 365,
    "enabled": True,
    "pendingWindowInDays": 30,
    "tags": {},
}


@pytest.fixture
def ctx() -> HandlerContext:
    config = ProviderConfig(region="cn-north-1", endpoint="http://127.0.0.1:9")
    return HandlerContext(
        resource=ResourceRef.from_urn("urn:pulumi:dev::egov::egov:kms:Key::k"), clients=ClientFactory(config)
    )


def state(**overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {**DEFAULTS, "policy": json.dumps(POLICY), "keyId": KEY_ID, "arn": KEY_ARN}
    base.update(overrides)
    return base


def inputs(**overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {**DEFAULTS, "policy": json.dumps(POLICY)}
    base.update(overrides)
    return base


# -- check ---------------------------------------------------------------------------------


def test_check_fills_secure_defaults(ctx: HandlerContext) -> None:
    result = KeyHandler().check(ctx, {}, {})
    assert result.failures == [] and result.inputs == DEFAULTS


def test_rotation_defaults_off_for_keys_aws_cannot_rotate(ctx: HandlerContext) -> None:
    result = KeyHandler().check(ctx, {"keyUsage": "SIGN_VERIFY", "keySpec": "ECC_NIST_P256"}, {})
    assert result.failures == [] and result.inputs["enableKeyRotation"] is False


def test_check_messages(ctx: HandlerContext) -> None:
    news = {
        "keyUsage": "ENCRYPT_DECRYPT",
        "keySpec": "HMAC_256",
        "enableKeyRotation": True,
        "rotationPeriodInDays": 30,
        "pendingWindowInDays": 0,
        "policy": '{"Version": "2012-10-17"}',
    }
    assert KeyHandler().check(ctx, news, {}).failures == [
        Failure(
            "keySpec",
            "keySpec 'HMAC_256' cannot be used for ENCRYPT_DECRYPT; use one of: SYMMETRIC_DEFAULT, RSA_2048, "
            "RSA_3072, RSA_4096, SM2",
        ),
        Failure(
            "enableKeyRotation",
            "enableKeyRotation can only be true for SYMMETRIC_DEFAULT keys; AWS cannot rotate HMAC_256 keys",
        ),
        Failure("rotationPeriodInDays", "rotationPeriodInDays 30 must be between 90 and 2560"),
        Failure(
            "pendingWindowInDays",
            "pendingWindowInDays 0 must be between 7 and 30; AWS never deletes a key sooner than 7 days after it "
            "was scheduled",
        ),
        Failure("policy", "policy has no 'Statement'; a policy document needs at least one statement"),
    ]


def test_check_unknown_key_usage(ctx: HandlerContext) -> None:
    assert KeyHandler().check(ctx, {"keyUsage": "WRAP"}, {}).failures == [
        Failure(
            "keyUsage",
            "keyUsage 'WRAP' must be one of: ENCRYPT_DECRYPT, SIGN_VERIFY, GENERATE_VERIFY_MAC, KEY_AGREEMENT",
        )
    ]


def test_check_accepts_sm2_for_china_regions(ctx: HandlerContext) -> None:
    result = KeyHandler().check(ctx, {"keyUsage": "SIGN_VERIFY", "keySpec": "SM2"}, {})
    assert result.failures == []


def test_check_lets_unknowns_through(ctx: HandlerContext) -> None:
    result = KeyHandler().check(ctx, {"policy": UNKNOWN, "description": UNKNOWN}, {})
    assert result.failures == [] and result.inputs["policy"] is UNKNOWN


# -- diff ------------------------------------------------------------------------------------


def test_diff_nothing_changed(ctx: HandlerContext) -> None:
    assert KeyHandler().diff(ctx, KEY_ID, state(), inputs()).changes is False


def test_diff_policy_is_semantic(ctx: HandlerContext) -> None:
    handler = KeyHandler()
    same = json.dumps(POLICY, indent=2, sort_keys=True)
    assert handler.diff(ctx, KEY_ID, state(), inputs(policy=same)).changes is False
    tighter = {**POLICY, "Statement": [{**POLICY["Statement"][0], "Action": ["kms:Decrypt", "kms:Encrypt"]}]}
    diff = handler.diff(ctx, KEY_ID, state(), inputs(policy=json.dumps(tighter)))
    assert diff.detailed == {"policy": DiffKind.UPDATE} and diff.replaces == []


def test_diff_unset_policy_leaves_the_keys_policy_alone(ctx: HandlerContext) -> None:
    assert KeyHandler().diff(ctx, KEY_ID, state(), inputs(policy=None)).changes is False


def test_diff_usage_and_spec_replace_description_does_not(ctx: HandlerContext) -> None:
    handler = KeyHandler()
    diff = handler.diff(ctx, KEY_ID, state(), inputs(keySpec="RSA_2048", enableKeyRotation=False))
    assert diff.replaces == ["keySpec"] and diff.detailed["keySpec"] == DiffKind.UPDATE_REPLACE
    diff = handler.diff(ctx, KEY_ID, state(), inputs(description="now documented"))
    assert diff.replaces == [] and diff.diffs == ["description"] and diff.stables == ["keyId", "arn"]


def test_diff_rotation_and_enabled_in_place(ctx: HandlerContext) -> None:
    diff = KeyHandler().diff(ctx, KEY_ID, state(), inputs(enableKeyRotation=False, enabled=False, tags={"a": "b"}))
    assert diff.replaces == []
    assert diff.detailed == {"enableKeyRotation": DiffKind.UPDATE, "enabled": DiffKind.UPDATE, "tags.a": DiffKind.ADD}


def test_diff_rotation_period_matters_only_while_rotating(ctx: HandlerContext) -> None:
    handler = KeyHandler()
    assert handler.diff(ctx, KEY_ID, state(), inputs(rotationPeriodInDays=180)).diffs == ["rotationPeriodInDays"]
    off = state(enableKeyRotation=False)
    assert handler.diff(ctx, KEY_ID, off, inputs(enableKeyRotation=False, rotationPeriodInDays=180)).changes is False


def test_diff_pending_window_is_state_only(ctx: HandlerContext) -> None:
    diff = KeyHandler().diff(ctx, KEY_ID, state(), inputs(pendingWindowInDays=7))
    assert diff.diffs == ["pendingWindowInDays"] and diff.replaces == []


def test_preview_create_marks_outputs_unknown(ctx: HandlerContext) -> None:
    preview = KeyHandler().preview_create(ctx, inputs())
    assert preview.outputs["keyId"] is UNKNOWN and preview.outputs["arn"] is UNKNOWN


# -- key references and aliases --------------------------------------------------------------


def test_same_key_matches_arn_and_bare_id_across_partitions() -> None:
    assert same_key(KEY_ARN, KEY_ID) and same_key(KEY_ID, KEY_ARN)
    assert same_key(KEY_ARN.replace("aws-cn", "aws"), KEY_ID)
    assert not same_key(KEY_ARN, "other-id") and not same_key(None, KEY_ID)
    assert not same_key("alias/x", "alias/y") and same_key("alias/x", "alias/x")
    assert key_id_of(KEY_ARN) == KEY_ID and key_id_of("alias/x") == "alias/x"


def test_alias_check(ctx: HandlerContext) -> None:
    handler = AliasHandler()
    assert handler.check(ctx, {"name": "alias/egov/audit", "targetKeyId": KEY_ARN}, {}).failures == []
    assert handler.check(ctx, {"name": "egov-audit", "targetKeyId": "alias/other"}, {}).failures == [
        Failure("name", "name 'egov-audit' must look like alias/<name> with letters, digits, '/', '_' and '-'"),
        Failure("targetKeyId", "targetKeyId 'alias/other' is an alias; an alias must point to a key"),
    ]
    assert handler.check(ctx, {"name": "alias/aws/s3", "targetKeyId": KEY_ID}, {}).failures == [
        Failure("name", "name 'alias/aws/s3' is reserved: alias/aws/ names belong to AWS managed keys")
    ]


def test_alias_diff(ctx: HandlerContext) -> None:
    handler = AliasHandler()
    old = {"name": "alias/a", "targetKeyId": KEY_ID, "arn": "arn", "targetKeyArn": KEY_ARN}
    assert handler.diff(ctx, "alias/a", old, {"name": "alias/a", "targetKeyId": KEY_ARN}).changes is False
    diff = handler.diff(ctx, "alias/a", old, {"name": "alias/a", "targetKeyId": "other"})
    assert diff.diffs == ["targetKeyId"] and diff.replaces == []
    assert handler.diff(ctx, "alias/a", old, {"name": "alias/b", "targetKeyId": KEY_ID}).replaces == ["name"]
