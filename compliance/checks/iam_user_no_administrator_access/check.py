"""No IAM user holds full administrative rights directly (the AWS-managed AdministratorAccess policy, or a
customer or inline policy allowing every action on every resource): administrators get the least
privilege they need, and their roles are separated (GB/T 22239 8.1.4.2 d))."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from compliance.checks.base import Evidence, Result, global_value, tags_of
from compliance.checks.iam_policy_no_administrative_privileges.check import rule as administrative
from compliance.text import Text, join, text

ADMINISTRATOR_ACCESS = "AdministratorAccess"


def admin_grants(user: Mapping[str, Any], documents: Mapping[str, Any]) -> list[Text]:
    """What gives ``user`` every action on every resource; ``documents`` maps customer policy ARNs to
    their default version's document."""
    grants = []
    for attached in user.get("AttachedPolicies") or ():
        arn = str(attached.get("PolicyArn", ""))
        if arn.split(":")[4:5] == ["aws"] and arn.endswith(f":policy/{ADMINISTRATOR_ACCESS}"):
            grants.append(text("managed policy {policy}", "托管策略 {policy}", policy=ADMINISTRATOR_ACCESS))
        elif arn in documents and administrative(documents[arn]):
            grants.append(text("policy {policy}", "策略 {policy}", policy=attached.get("PolicyName", arn)))
    for inline in user.get("InlinePolicies") or ():
        if administrative(inline.get("Document") or {}):
            grants.append(text("inline policy {policy}", "内联策略 {policy}", policy=inline.get("PolicyName")))
    return grants


def check(evidence: Evidence) -> Iterator[Result]:
    documents = {str(p.get("Arn")): p.get("Document") or {} for p in global_value(evidence, "policies") or ()}
    for user in global_value(evidence, "users") or ():
        grants = admin_grants(user, documents)
        name = user["UserName"]
        detail = (text("user {name} has full administrative access through {grants}",
                       "用户 {name} 通过 {grants} 拥有完全管理权限",
                       name=name, grants=join(grants, ", ", ", ")) if grants
                  else text("user {name} has no full administrative access of its own",
                            "用户 {name} 自身未拥有完全管理权限", name=name))
        yield Result(user.get("Arn") or name, not grants, detail, tags=tags_of(user))
