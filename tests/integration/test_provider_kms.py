"""KMS key and alias handlers against a real moto server; every claim verified with plain boto3."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from typing import Any

import pytest

from infra.provider.clients import ClientFactory, ProviderConfig
from infra.provider.errors import ProviderError, ResourceRef
from infra.provider.handler import HandlerContext
from infra.provider.kms import AliasHandler, KeyHandler
from tests.integration.provider_checks import REGION, checked_inputs

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("moto_credentials")]



@pytest.fixture
def kms(moto_aws: Callable[[str], Any]) -> Any:
    return moto_aws("kms")


def _ctx(endpoint: str, type_token: str) -> HandlerContext:
    config = ProviderConfig(region=REGION, endpoint=endpoint, max_attempts=2)
    urn = f"urn:pulumi:test::egov::{type_token}::k-{uuid.uuid4().hex[:8]}"
    return HandlerContext(resource=ResourceRef.from_urn(urn), clients=ClientFactory(config), timeout=60)


def _tags(kms: Any, key_id: str) -> dict[str, str]:
    return {t["TagKey"]: t["TagValue"] for t in kms.list_resource_tags(KeyId=key_id)["Tags"]}


def _policy(account: str, *, sid: str = "root") -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": sid,
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws-cn:iam::{account}:root"},
                "Action": "kms:*",
                "Resource": "*",
            }
        ],
    }


def test_key_lifecycle(moto_endpoint: str, kms: Any) -> None:
    handler = KeyHandler()
    ctx = _ctx(moto_endpoint, "egov:kms:Key")
    inputs = checked_inputs(handler, ctx, description="audit logs", tags={"dept": "audit"})
    assert inputs["enableKeyRotation"] is True and inputs["pendingWindowInDays"] == 30
    created = handler.create(ctx, inputs)
    key_id = created.resource_id
    meta = kms.describe_key(KeyId=key_id)["KeyMetadata"]
    assert meta["Description"] == "audit logs" and meta["Enabled"] is True
    assert kms.get_key_rotation_status(KeyId=key_id)["KeyRotationEnabled"] is True
    assert _tags(kms, key_id) == {"dept": "audit", "egov:urn": ctx.resource.urn}
    out = created.outputs
    assert out["arn"] == meta["Arn"] and out["arn"].startswith("arn:aws-cn:kms:cn-north-1:")
    assert out["tags"] == {"dept": "audit"}
    account = meta["AWSAccountId"]

    # In place: policy (semantically new), description, rotation off, disabled, tags.
    policy = json.dumps(_policy(account, sid="only-root"))
    news = checked_inputs(
        handler,
        ctx,
        description="audit logs v2",
        policy=policy,
        enableKeyRotation=False,
        enabled=False,
        tags={"dept": "audit", "level": "3"},
    )
    diff = handler.diff(ctx, key_id, out, news)
    assert diff.changes and diff.replaces == []
    assert set(diff.diffs) == {"description", "policy", "enableKeyRotation", "enabled", "tags"}
    updated = handler.update(ctx, key_id, out, news)
    meta = kms.describe_key(KeyId=key_id)["KeyMetadata"]
    assert meta["Description"] == "audit logs v2" and meta["Enabled"] is False
    assert kms.get_key_rotation_status(KeyId=key_id)["KeyRotationEnabled"] is False
    assert json.loads(kms.get_key_policy(KeyId=key_id, PolicyName="default")["Policy"])["Statement"][0]["Sid"] == (
        "only-root"
    )
    assert _tags(kms, key_id) == {"dept": "audit", "level": "3", "egov:urn": ctx.resource.urn}
    assert handler.diff(ctx, key_id, updated, news).changes is False
    # The same policy written differently is no change.
    reformatted = json.dumps(_policy(account, sid="only-root"), indent=4, sort_keys=True)
    assert handler.diff(ctx, key_id, updated, {**news, "policy": reformatted}).changes is False

    # Back on: enable first, then rotation (a disabled key accepts no rotation change).
    back = checked_inputs(handler, ctx, description="audit logs v2", policy=policy, tags={"dept": "audit"})
    updated = handler.update(ctx, key_id, updated, back)
    assert kms.describe_key(KeyId=key_id)["KeyMetadata"]["Enabled"] is True
    assert kms.get_key_rotation_status(KeyId=key_id)["KeyRotationEnabled"] is True

    # A keySpec change replaces.
    assert handler.diff(ctx, key_id, updated, {**back, "keySpec": "RSA_2048", "enableKeyRotation": False}).replaces == [
        "keySpec"
    ]

    handler.delete(ctx, key_id, {**updated, "pendingWindowInDays": 7})
    meta = kms.describe_key(KeyId=key_id)["KeyMetadata"]
    assert meta["KeyState"] == "PendingDeletion"
    deletion = meta["DeletionDate"]
    assert handler.read(ctx, key_id, updated, back).resource_id is None  # pending deletion counts as gone
    handler.delete(ctx, key_id, updated)  # again: fine, and the first schedule stands
    assert kms.describe_key(KeyId=key_id)["KeyMetadata"]["DeletionDate"] == deletion


def test_key_refresh_sees_drift_and_update_repairs_it(moto_endpoint: str, kms: Any) -> None:
    handler = KeyHandler()
    ctx = _ctx(moto_endpoint, "egov:kms:Key")
    inputs = checked_inputs(handler, ctx, description="pii", tags={"class": "pii"})
    created = handler.create(ctx, inputs)
    key_id = created.resource_id
    try:
        kms.disable_key_rotation(KeyId=key_id)
        kms.tag_resource(KeyId=key_id, Tags=[{"TagKey": "class", "TagValue": "public"}])
        refreshed = handler.read(ctx, key_id, created.outputs, inputs)
        assert refreshed.outputs["enableKeyRotation"] is False
        assert refreshed.outputs["tags"] == {"class": "public"}
        assert refreshed.inputs["enableKeyRotation"] is False
        diff = handler.diff(ctx, key_id, refreshed.outputs, inputs)
        assert set(diff.detailed) == {"enableKeyRotation", "tags.class"} and diff.replaces == []
        handler.update(ctx, key_id, refreshed.outputs, inputs)
        assert kms.get_key_rotation_status(KeyId=key_id)["KeyRotationEnabled"] is True
        assert _tags(kms, key_id)["class"] == "pii"
    finally:
        handler.delete(ctx, key_id, {})


def test_key_import_reconstructschecked_inputs(moto_endpoint: str, kms: Any) -> None:
    handler = KeyHandler()
    ctx = _ctx(moto_endpoint, "egov:kms:Key")
    meta = kms.create_key(Description="legacy", Tags=[{"TagKey": "owner", "TagValue": "ops"}])["KeyMetadata"]
    key_id = meta["KeyId"]
    try:
        result = handler.read(ctx, meta["Arn"], {}, {})  # by ARN: the id becomes the key id
        assert result.resource_id == key_id
        assert {k: v for k, v in result.inputs.items() if k != "policy"} == {
            "description": "legacy",
            "keyUsage": "ENCRYPT_DECRYPT",
            "keySpec": "SYMMETRIC_DEFAULT",
            "enableKeyRotation": False,
            "rotationPeriodInDays": 365,
            "enabled": True,
            "pendingWindowInDays": 30,
            "tags": {"owner": "ops"},
        }
        assert json.loads(result.inputs["policy"])["Statement"][0]["Action"] == "kms:*"
        checked = handler.check(ctx, result.inputs, {})
        assert checked.failures == [] and checked.inputs == result.inputs
        assert handler.diff(ctx, key_id, result.outputs, checked.inputs).changes is False
    finally:
        kms.schedule_key_deletion(KeyId=key_id, PendingWindowInDays=7)


def test_key_failed_create_is_scheduled_for_deletion(
    moto_endpoint: str, kms: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    handler = KeyHandler()
    ctx = _ctx(moto_endpoint, "egov:kms:Key")

    def broken(*args: Any, **kwargs: Any) -> None:
        raise ProviderError(f"{ctx.resource}: kms:EnableKeyRotation failed with KMSInternalException: boom")

    monkeypatch.setattr(handler, "_apply_rotation", broken)
    with pytest.raises(ProviderError) as raised:
        handler.create(ctx, checked_inputs(handler, ctx, description="doomed"))
    message = str(raised.value)
    assert "boom" in message and "scheduled for deletion in 7 days" in message
    doomed = [
        k["KeyId"]
        for k in kms.list_keys()["Keys"]
        if kms.describe_key(KeyId=k["KeyId"])["KeyMetadata"]["Description"] == "doomed"
    ]
    assert len(doomed) == 1
    assert kms.describe_key(KeyId=doomed[0])["KeyMetadata"]["KeyState"] == "PendingDeletion"


def test_alias_lifecycle(moto_endpoint: str, kms: Any) -> None:
    handler = AliasHandler()
    ctx = _ctx(moto_endpoint, "egov:kms:Alias")
    first = kms.create_key()["KeyMetadata"]
    second = kms.create_key()["KeyMetadata"]
    name = f"alias/egov-{uuid.uuid4().hex[:6]}"
    inputs = checked_inputs(handler, ctx, name=name, targetKeyId=first["Arn"])
    created = handler.create(ctx, inputs)
    assert created.resource_id == name
    aliases = {a["AliasName"]: a for a in kms.list_aliases()["Aliases"]}
    assert aliases[name]["TargetKeyId"] == first["KeyId"]
    assert created.outputs["targetKeyId"] == first["Arn"]  # the program's spelling is kept
    assert created.outputs["targetKeyArn"] == first["Arn"]
    assert created.outputs["arn"].startswith("arn:aws-cn:kms:cn-north-1:")
    # The bare key id means the same key: no change.
    assert handler.diff(ctx, name, created.outputs, {**inputs, "targetKeyId": first["KeyId"]}).changes is False

    news = {**inputs, "targetKeyId": second["KeyId"]}
    diff = handler.diff(ctx, name, created.outputs, news)
    assert diff.diffs == ["targetKeyId"] and diff.replaces == []
    updated = handler.update(ctx, name, created.outputs, news)
    aliases = {a["AliasName"]: a for a in kms.list_aliases()["Aliases"]}
    assert aliases[name]["TargetKeyId"] == second["KeyId"]
    assert updated["targetKeyId"] == second["KeyId"]
    assert handler.diff(ctx, name, updated, {**news, "name": f"{name}-2"}).replaces == ["name"]

    imported = handler.read(ctx, name, {}, {})
    assert imported.inputs == {"name": name, "targetKeyId": second["KeyId"]}

    handler.delete(ctx, name, updated)
    assert name not in {a["AliasName"] for a in kms.list_aliases()["Aliases"]}
    handler.delete(ctx, name, updated)
    assert handler.read(ctx, name, updated, news).resource_id is None
