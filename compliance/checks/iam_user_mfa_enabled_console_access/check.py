"""Every IAM user who can sign in to the console has an MFA device: a password alone is one factor
(GB/T 22239 8.1.4.1 d), two or more authentication techniques for administrators)."""

from __future__ import annotations

from collections.abc import Iterator

from compliance.checks.base import Evidence, Result
from compliance.checks.credentials import enabled, resource, user_rows, user_tags
from compliance.text import text


def check(evidence: Evidence) -> Iterator[Result]:
    tags = user_tags(evidence)
    for row in user_rows(evidence):
        user = row.get("user", "?")
        if not enabled(row, "password_enabled"):
            none = text("user {user} has no console password", "用户 {user} 未设置控制台密码", user=user)
            yield Result(resource(row), True, none, resource_type="AwsIamUser",
                     tags=tags.get(resource(row), {}))
            continue
        mfa = enabled(row, "mfa_active")
        detail = (text("user {user} signs in to the console with MFA", "用户 {user} 登录控制台已启用多因素认证 (MFA)",
                       user=user) if mfa
                  else text("user {user} can sign in to the console with a password and no MFA device",
                            "用户 {user} 可仅凭控制台密码登录, 未绑定 MFA 设备 (未启用多因素认证)", user=user))
        yield Result(resource(row), mfa, detail, resource_type="AwsIamUser",
                     tags=tags.get(resource(row), {}))
