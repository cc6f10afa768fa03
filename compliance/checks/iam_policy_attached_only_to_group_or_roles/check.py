"""IAM users get their permissions only through groups or roles, never from policies attached to
themselves: permissions are assigned per duty, so accounts and rights stay reviewable (GB/T 22239
8.1.4.2 a) and d))."""

from __future__ import annotations

from collections.abc import Iterator

from compliance.checks.base import Evidence, Result, global_value, tags_of


def check(evidence: Evidence) -> Iterator[Result]:
    for user in global_value(evidence, "users") or ():
        name = user["UserName"]
        direct = [f"managed {p.get('PolicyName') or p.get('PolicyArn')}" for p in user.get("AttachedPolicies") or ()]
        direct += [f"inline {p.get('PolicyName')}" for p in user.get("InlinePolicies") or ()]
        detail = (f"user {name} has policies attached directly: {', '.join(direct)}" if direct
                  else f"user {name} has no policy attached directly (permissions come from groups or roles)")
        yield Result(user.get("Arn") or name, not direct, detail, tags=tags_of(user))
