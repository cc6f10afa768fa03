"""No instance's user data carries a private key, a password, an AWS key or a Vault token."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from compliance.checks.base import Evidence, Result, name_of, regional, tags_of
from compliance.rules import user_data_secret
from compliance.text import Text, text


def rule(instance: Mapping[str, Any]) -> Text | None:
    return user_data_secret(instance)


def check(evidence: Evidence) -> Iterator[Result]:
    for region, instance in regional(evidence, "instances"):
        if "UserData" not in instance:  # the attribute could not be read: no verdict, never a pass
            yield Result(instance["InstanceId"], None,
                         text("instance {id}: user data not collected", "云主机 {id}: 未采集用户数据",
                              id=instance["InstanceId"]), region, tags=tags_of(instance))
            continue
        problem = rule(instance)
        who = name_of(instance, f"instance {instance['InstanceId']}")
        detail = (text("{who} {problem}", "{who} {problem}", who=who, problem=problem) if problem
                  else text("{who} has no secret in its user data", "{who} 的用户数据不含秘密", who=who))
        yield Result(instance["InstanceId"], problem is None, detail, region, tags=tags_of(instance))
