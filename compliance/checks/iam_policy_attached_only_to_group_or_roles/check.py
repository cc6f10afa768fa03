"""IAM users get their permissions only through groups or roles, never from policies attached to
themselves: permissions are assigned per duty, so accounts and rights stay reviewable (GB/T 22239
8.1.4.2 a) and d))."""

from __future__ import annotations

from collections.abc import Iterator

from compliance.checks.base import Evidence, Result, global_value, tags_of
from compliance.text import join, text


def check(evidence: Evidence) -> Iterator[Result]:
    for user in global_value(evidence, "users") or ():
        name = user["UserName"]
        direct = [text("managed {policy}", "托管策略 {policy}", policy=p.get("PolicyName") or p.get("PolicyArn"))
                  for p in user.get("AttachedPolicies") or ()]
        direct += [text("inline {policy}", "内联策略 {policy}", policy=p.get("PolicyName"))
                   for p in user.get("InlinePolicies") or ()]
        detail = (text("user {name} has policies attached directly: {direct}", "用户 {name} 直接附加了策略: {direct}",
                       name=name, direct=join(direct, ", ", ", ")) if direct
                  else text("user {name} has no policy attached directly (permissions come from groups or roles)",
                            "用户 {name} 未直接附加策略 (权限来自用户组或角色)", name=name))
        yield Result(user.get("Arn") or name, not direct, detail, tags=tags_of(user))
