"""IAM handlers and the shared policy-document logic, without a cloud: check, semantic compare, diff."""

from __future__ import annotations

import json
from typing import Any

import pytest

from infra.provider.clients import ClientFactory, ProviderConfig
from infra.provider.errors import ProviderError, ResourceRef
from infra.provider.handler import UNKNOWN, DiffKind, Failure, HandlerContext
from infra.provider.iam import RoleHandler, RolePolicyAttachmentHandler, RolePolicyHandler
from infra.provider.policy_documents import canonical_policy, policies_equal, policy_problem

TRUST: dict[str, Any] = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "cloudtrail.amazonaws.com"}, "Action": "sts:AssumeRole"}
    ],
}


@pytest.fixture
def ctx() -> HandlerContext:
    # check and diff never call the cloud; the endpoint is a closed port on purpose.
    config = ProviderConfig(region="cn-north-1", endpoint="http://127.0.0.1:9")
    return HandlerContext(
        resource=ResourceRef.from_urn("urn:pulumi:dev::egov::egov:iam:Role::r"), clients=ClientFactory(config)
    )


# -- semantic policy comparison ---------------------------------------------------------------


def test_policies_equal_ignores_formatting_order_and_list_spelling() -> None:
    a = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "A",
                "Effect": "Allow",
                "Action": ["s3:GetObject", "s3:PutObject"],
                "Resource": "arn:aws-cn:s3:::b/*",
            },
            {
                "Sid": "B",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:*",
                "Resource": "*",
                "Condition": {"Bool": {"aws:SecureTransport": False}},
            },
        ],
    }
    b = {
        "Statement": [
            {
                "Resource": "*",
                "Action": ["s3:*"],
                "Principal": {"AWS": ["*"]},
                "Effect": "Deny",
                "Sid": "B",
                "Condition": {"Bool": {"aws:SecureTransport": ["false"]}},
            },
            {
                "Resource": ["arn:aws-cn:s3:::b/*"],
                "Action": ["s3:PutObject", "s3:GetObject", "s3:GetObject"],
                "Effect": "Allow",
                "Sid": "A",
            },
        ],
        "Version": "2012-10-17",
    }
    assert policies_equal(json.dumps(a), json.dumps(b, indent=2))
    assert policies_equal(json.dumps(a), b)  # parsed (as boto3 returns IAM documents) or text
    assert canonical_policy(json.dumps(a)) == canonical_policy(json.dumps(b))


def test_policies_equal_treats_account_id_and_root_arn_as_one_principal() -> None:
    short = {
        "Version": "2012-10-17",
        "Statement": {"Effect": "Allow", "Principal": {"AWS": "123456789012"}, "Action": "kms:*", "Resource": "*"},
    }
    long = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": ["arn:aws-cn:iam::123456789012:root"]},
                "Action": "kms:*",
                "Resource": "*",
            }
        ],
    }
    assert policies_equal(json.dumps(short), json.dumps(long))


@pytest.mark.parametrize(
    "change",
    [
        {"Effect": "Deny"},
        {"Action": "s3:GetObject"},
        {"Resource": "arn:aws-cn:s3:::other/*"},
        {"Sid": "Renamed"},
        {"Principal": {"AWS": "arn:aws-cn:iam::123456789012:role/x"}},
    ],
)
def test_policies_differ_when_meaning_differs(change: dict[str, Any]) -> None:
    base = {"Sid": "S", "Effect": "Allow", "Principal": "*", "Action": "s3:*", "Resource": "*"}
    one = {"Version": "2012-10-17", "Statement": [base]}
    two = {"Version": "2012-10-17", "Statement": [{**base, **change}]}
    assert not policies_equal(json.dumps(one), json.dumps(two))


def test_policies_equal_falls_back_to_text_for_invalid_json() -> None:
    assert policies_equal("{not json", "{not json")
    assert not policies_equal("{not json", "{}")
    assert policies_equal(None, None) and not policies_equal(None, "{}")


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("{", "policy is not valid JSON: Expecting property name enclosed in double quotes at line 1 column 2"),
        ("[]", "policy must be a JSON object (a policy document), got a JSON list"),
        ('{"Version": "2012-10-17"}', "policy has no 'Statement'; a policy document needs at least one statement"),
        ('{"Statement": []}', "policy.Statement must be a statement object or a non-empty list of them"),
    ],
)
def test_policy_problem_messages(text: str, reason: str) -> None:
    assert policy_problem(text, "policy") == reason


def test_policy_problem_lets_unknown_and_valid_through() -> None:
    assert policy_problem(UNKNOWN, "policy") is None
    assert policy_problem(json.dumps(TRUST), "policy") is None


# -- Role ------------------------------------------------------------------------------------


def test_role_check_fills_defaults(ctx: HandlerContext) -> None:
    result = RoleHandler().check(ctx, {"name": "trail", "assumeRolePolicy": json.dumps(TRUST)}, {})
    assert result.failures == []
    assert result.inputs == {
        "name": "trail",
        "path": "/",
        "assumeRolePolicy": json.dumps(TRUST),
        "description": "",
        "maxSessionDuration": 3600,
        "tags": {},
    }


def test_role_check_reports_every_problem(ctx: HandlerContext) -> None:
    news = {
        "name": "bad name!",
        "path": "egov",
        "assumeRolePolicy": "{}",
        "maxSessionDuration": 60,
        "description": "审计角色",
        "tags": {"egov:urn": "x"},
    }
    assert RoleHandler().check(ctx, news, {}).failures == [
        Failure("name", "name 'bad name!' may only contain letters, digits and +=,.@_-"),
        Failure("path", "path 'egov' must start and end with '/', e.g. '/' or '/egov/audit/'"),
        Failure(
            "assumeRolePolicy", "assumeRolePolicy has no 'Statement'; a policy document needs at least one statement"
        ),
        Failure("maxSessionDuration", "maxSessionDuration 60 must be between 3600 and 43200 seconds"),
        Failure(
            "description",
            "description contains '审计角色'; IAM accepts only Latin-1 printable characters in role descriptions "
            "(put other text in a tag instead)",
        ),
        Failure('tags["egov:urn"]', "tag key 'egov:urn' is reserved: the egov provider sets it to the resource's URN"),
    ]


def test_role_check_requires_name_and_trust_policy(ctx: HandlerContext) -> None:
    assert RoleHandler().check(ctx, {}, {}).failures == [
        Failure("name", "missing required property 'name'"),
        Failure("assumeRolePolicy", "missing required property 'assumeRolePolicy'"),
    ]


def _role_state(**overrides: Any) -> dict[str, Any]:
    state: dict[str, Any] = {
        "name": "trail",
        "path": "/",
        "assumeRolePolicy": json.dumps(TRUST),
        "description": "",
        "maxSessionDuration": 3600,
        "tags": {},
        "arn": "arn:aws-cn:iam::123456789012:role/trail",
        "roleId": "AROA1",
    }
    state.update(overrides)
    return state


def test_role_diff_compares_trust_policy_semantically(ctx: HandlerContext) -> None:
    handler = RoleHandler()
    news = {k: v for k, v in _role_state().items() if k not in ("arn", "roleId")}
    respelled = json.dumps(TRUST, indent=4, sort_keys=True)
    assert handler.diff(ctx, "trail", _role_state(), {**news, "assumeRolePolicy": respelled}).changes is False
    widened = {**TRUST, "Statement": [{**TRUST["Statement"][0], "Principal": {"Service": "ec2.amazonaws.com"}}]}
    diff = handler.diff(ctx, "trail", _role_state(), {**news, "assumeRolePolicy": json.dumps(widened)})
    assert diff.changes and diff.replaces == [] and diff.detailed == {"assumeRolePolicy": DiffKind.UPDATE}
    assert diff.stables == ["arn", "roleId"]


def test_role_diff_name_and_path_replace(ctx: HandlerContext) -> None:
    handler = RoleHandler()
    news = {k: v for k, v in _role_state().items() if k not in ("arn", "roleId")}
    diff = handler.diff(ctx, "trail", _role_state(), {**news, "path": "/egov/", "maxSessionDuration": 7200})
    assert diff.replaces == ["path"] and set(diff.diffs) == {"path", "maxSessionDuration"} and diff.stables == []
    assert handler.diff(ctx, "trail", _role_state(), {**news, "name": "x"}).replaces == ["name"]
    # An unknown trust policy (computed from another resource) is a possible change.
    assert handler.diff(ctx, "trail", _role_state(), {**news, "assumeRolePolicy": UNKNOWN}).diffs == [
        "assumeRolePolicy"
    ]


# -- RolePolicy / RolePolicyAttachment -------------------------------------------------------


def test_role_policy_check_and_diff(ctx: HandlerContext) -> None:
    handler = RolePolicyHandler()
    assert handler.check(ctx, {"role": "r", "name": "p:1", "policy": "nope"}, {}).failures == [
        Failure("name", "name 'p:1' may only contain letters, digits and +=,.@_-"),
        Failure("policy", "policy is not valid JSON: Expecting value at line 1 column 1"),
    ]
    state = {"role": "r", "name": "p", "policy": json.dumps(TRUST)}
    assert handler.diff(ctx, "r:p", state, {**state, "policy": json.dumps(TRUST, indent=1)}).changes is False
    assert handler.diff(ctx, "r:p", state, {**state, "role": "other"}).replaces == ["role"]


def test_attachment_check_accepts_china_partition_arns(ctx: HandlerContext) -> None:
    handler = RolePolicyAttachmentHandler()
    for arn in ("arn:aws-cn:iam::aws:policy/ReadOnlyAccess", "arn:aws-cn:iam::123456789012:policy/egov/audit"):
        assert handler.check(ctx, {"role": "r", "policyArn": arn}, {}).failures == []
    assert handler.check(ctx, {"role": "r", "policyArn": "ReadOnlyAccess"}, {}).failures == [
        Failure(
            "policyArn",
            "policyArn 'ReadOnlyAccess' is not a managed policy ARN such as arn:aws-cn:iam::aws:policy/ReadOnlyAccess "
            "or arn:aws-cn:iam::123456789012:policy/name",
        )
    ]
    state = {"role": "r", "policyArn": "arn:aws-cn:iam::aws:policy/A"}
    diff = handler.diff(ctx, "r/x", state, {**state, "policyArn": "arn:aws-cn:iam::aws:policy/B"})
    assert diff.replaces == ["policyArn"]


def test_malformed_import_ids_are_refused_before_any_call(ctx: HandlerContext) -> None:
    with pytest.raises(ProviderError) as raised:
        RolePolicyHandler().read(ctx, "no-separator", {}, {})
    assert str(raised.value) == (
        f"{ctx.resource}: 'no-separator' is not a valid role policy id; write it as <role name>:<policy name>"
    )
    with pytest.raises(ProviderError, match="write it as <role name>/<policy ARN>"):
        RolePolicyAttachmentHandler().read(ctx, "role-only", {}, {})
