"""IAM role, inline role policy and policy attachment handlers against a real moto server."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError

from infra.provider.clients import ClientFactory, ProviderConfig
from infra.provider.errors import ProviderError, ResourceRef
from infra.provider.handler import HandlerContext
from infra.provider.iam import RoleHandler, RolePolicyAttachmentHandler, RolePolicyHandler
from tests.integration.provider_checks import REGION, checked_inputs

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("moto_credentials")]



@pytest.fixture
def iam(moto_aws: Callable[[str], Any]) -> Any:
    return moto_aws("iam")


def _ctx(endpoint: str, type_token: str) -> HandlerContext:
    config = ProviderConfig(region=REGION, endpoint=endpoint, max_attempts=2)
    urn = f"urn:pulumi:test::egov::{type_token}::r-{uuid.uuid4().hex[:8]}"
    return HandlerContext(resource=ResourceRef.from_urn(urn), clients=ClientFactory(config), timeout=60)


def _trust(service: str) -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}],
    }


def _read_logs(resource: str) -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Action": ["logs:PutLogEvents", "logs:CreateLogStream"], "Resource": resource}
        ],
    }


def _role_tags(iam: Any, name: str) -> dict[str, str]:
    return {t["Key"]: t["Value"] for t in iam.list_role_tags(RoleName=name)["Tags"]}


def test_role_lifecycle(moto_endpoint: str, iam: Any) -> None:
    handler = RoleHandler()
    ctx = _ctx(moto_endpoint, "egov:iam:Role")
    name = f"egov-trail-{uuid.uuid4().hex[:6]}"
    trust = json.dumps(_trust("cloudtrail.amazonaws.com"))
    inputs = checked_inputs(handler, ctx, name=name, path="/egov/", assumeRolePolicy=trust, tags={"dept": "audit"})
    created = handler.create(ctx, inputs)
    role = iam.get_role(RoleName=name)["Role"]
    assert role["Path"] == "/egov/" and role["MaxSessionDuration"] == 3600
    assert role["Arn"] == f"arn:aws-cn:iam::{role['Arn'].split(':')[4]}:role/egov/{name}"
    assert role["AssumeRolePolicyDocument"] == _trust("cloudtrail.amazonaws.com")
    assert _role_tags(iam, name) == {"dept": "audit", "egov:urn": ctx.resource.urn}
    out = created.outputs
    assert out["arn"] == role["Arn"] and out["roleId"] == role["RoleId"]
    assert {k: out[k] for k in inputs} == inputs
    # The trust policy re-serialised (single action as a list, keys reordered) is no change.
    respelled = json.dumps(
        {
            "Statement": [
                {
                    "Action": ["sts:AssumeRole"],
                    "Principal": {"Service": ["cloudtrail.amazonaws.com"]},
                    "Effect": "Allow",
                }
            ],
            "Version": "2012-10-17",
        }
    )
    assert handler.diff(ctx, name, out, {**inputs, "assumeRolePolicy": respelled}).changes is False

    # Drift: trust policy widened behind our back; refresh shows it, update repairs it.
    iam.update_assume_role_policy(RoleName=name, PolicyDocument=json.dumps(_trust("ec2.amazonaws.com")))
    refreshed = handler.read(ctx, name, out, inputs)
    assert json.loads(refreshed.outputs["assumeRolePolicy"]) == _trust("ec2.amazonaws.com")
    diff = handler.diff(ctx, name, refreshed.outputs, inputs)
    assert diff.diffs == ["assumeRolePolicy"] and diff.replaces == []

    news = {
        **inputs,
        "description": "CloudTrail to CloudWatch Logs",
        "maxSessionDuration": 7200,
        "tags": {"dept": "audit", "level": "3"},
    }
    updated = handler.update(ctx, name, refreshed.outputs, news)
    role = iam.get_role(RoleName=name)["Role"]
    assert role["AssumeRolePolicyDocument"] == _trust("cloudtrail.amazonaws.com")
    assert role["Description"] == "CloudTrail to CloudWatch Logs" and role["MaxSessionDuration"] == 7200
    assert _role_tags(iam, name) == {"dept": "audit", "level": "3", "egov:urn": ctx.resource.urn}
    assert handler.diff(ctx, name, updated, news).changes is False
    assert handler.diff(ctx, name, updated, {**news, "path": "/other/"}).replaces == ["path"]

    imported = handler.read(ctx, name, {}, {})
    assert imported.inputs["name"] == name and imported.inputs["maxSessionDuration"] == 7200
    checked = handler.check(ctx, imported.inputs, {})
    assert checked.failures == [] and checked.inputs == imported.inputs
    assert handler.diff(ctx, name, imported.outputs, checked.inputs).changes is False

    assert handler.find_owned(ctx, "urn:pulumi:test::egov::").get(name) == ctx.resource.urn

    handler.delete(ctx, name, updated)
    with pytest.raises(ClientError, match="NoSuchEntity"):
        iam.get_role(RoleName=name)
    handler.delete(ctx, name, updated)
    assert handler.read(ctx, name, updated, news).resource_id is None


def test_inline_policy_attachment_and_delete_conflict(moto_endpoint: str, iam: Any) -> None:
    role_handler, policy_handler, attach_handler = RoleHandler(), RolePolicyHandler(), RolePolicyAttachmentHandler()
    role_ctx = _ctx(moto_endpoint, "egov:iam:Role")
    role = f"egov-logs-{uuid.uuid4().hex[:6]}"
    role_inputs = checked_inputs(
        role_handler, role_ctx, name=role, assumeRolePolicy=json.dumps(_trust("vpc-flow-logs.amazonaws.com"))
    )
    role_state = role_handler.create(role_ctx, role_inputs).outputs

    # Inline policy.
    ctx = _ctx(moto_endpoint, "egov:iam:RolePolicy")
    doc = json.dumps(_read_logs("*"))
    inputs = checked_inputs(policy_handler, ctx, role=role, name="write-logs", policy=doc)
    created = policy_handler.create(ctx, inputs)
    policy_id = created.resource_id
    assert policy_id == f"{role}:write-logs"
    assert iam.get_role_policy(RoleName=role, PolicyName="write-logs")["PolicyDocument"] == _read_logs("*")
    narrowed = json.dumps(_read_logs("arn:aws-cn:logs:cn-north-1:123456789012:log-group:/egov/*"))
    diff = policy_handler.diff(ctx, policy_id, created.outputs, {**inputs, "policy": narrowed})
    assert diff.diffs == ["policy"] and diff.replaces == []
    assert policy_handler.diff(ctx, policy_id, created.outputs, {**inputs, "name": "other"}).replaces == ["name"]
    updated = policy_handler.update(ctx, policy_id, created.outputs, {**inputs, "policy": narrowed})
    assert iam.get_role_policy(RoleName=role, PolicyName="write-logs")["PolicyDocument"]["Statement"][0][
        "Resource"
    ].startswith("arn:aws-cn:logs:")
    imported = policy_handler.read(ctx, policy_id, {}, {})
    assert imported.inputs["role"] == role and imported.inputs["name"] == "write-logs"
    assert policy_handler.diff(ctx, policy_id, imported.outputs, {**inputs, "policy": narrowed}).changes is False
    # Another resource may not take over an existing inline policy by name.
    with pytest.raises(ProviderError, match="already has an inline policy named write-logs"):
        policy_handler.create(ctx, inputs)

    # Managed policy attachment (a customer managed policy: moto loads no AWS managed ones).
    managed = iam.create_policy(PolicyName=f"p-{uuid.uuid4().hex[:6]}", PolicyDocument=doc)["Policy"]["Arn"]
    assert managed.startswith("arn:aws-cn:iam::")
    actx = _ctx(moto_endpoint, "egov:iam:RolePolicyAttachment")
    attachment = attach_handler.create(actx, checked_inputs(attach_handler, actx, role=role, policyArn=managed))
    assert attachment.resource_id == f"{role}/{managed}"
    assert [p["PolicyArn"] for p in iam.list_attached_role_policies(RoleName=role)["AttachedPolicies"]] == [managed]
    assert attach_handler.read(actx, attachment.resource_id, {}, {}).inputs == {"role": role, "policyArn": managed}

    # The role cannot go while they hang on it: the error names them.
    with pytest.raises(ProviderError) as raised:
        role_handler.delete(role_ctx, role, role_state)
    message = str(raised.value)
    assert role_ctx.resource.urn in message and "DeleteConflict" in message
    assert "inline policies write-logs" in message and f"attached policies {managed}" in message

    attach_handler.delete(actx, attachment.resource_id, attachment.outputs)
    assert iam.list_attached_role_policies(RoleName=role)["AttachedPolicies"] == []
    attach_handler.delete(actx, attachment.resource_id, attachment.outputs)
    assert attach_handler.read(actx, attachment.resource_id, {}, {}).resource_id is None
    policy_handler.delete(ctx, policy_id, updated)
    assert iam.list_role_policies(RoleName=role)["PolicyNames"] == []
    policy_handler.delete(ctx, policy_id, updated)
    assert policy_handler.read(ctx, policy_id, updated, inputs).resource_id is None
    role_handler.delete(role_ctx, role, role_state)
    # With the role gone, its policy and attachment read as gone too.
    assert attach_handler.read(actx, attachment.resource_id, {}, {}).resource_id is None
    assert policy_handler.read(ctx, policy_id, {}, {}).resource_id is None
